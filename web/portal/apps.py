from django.apps import AppConfig

from engine import api


class PortalConfig(AppConfig):
    name = "web.portal"
    label = "portal"
    verbose_name = "Cổng đánh giá CCHC"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Requests run in threads; the engine must not fork worker processes from them."""
        api.limit_workers(1)
