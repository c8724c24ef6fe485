from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "web.portal"
    label = "portal"
    verbose_name = "Cổng đánh giá CCHC"
    default_auto_field = "django.db.models.BigAutoField"
