"""`parindex serve`: migrate, seed the demo once, print the demo accounts and serve with gunicorn."""

from __future__ import annotations

import os
import sys

import django
from django.conf import settings
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from gunicorn.app.base import BaseApplication

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Embedded(BaseApplication):
    """One gunicorn worker with threads: enough for a demo or a small office on SQLite."""

    def __init__(self, bind: str, threads: int):
        self.bind, self.threads = bind, threads
        super().__init__()

    def load_config(self):
        self.cfg.set("bind", self.bind)
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", self.threads)
        self.cfg.set("accesslog", None)

    def load(self):
        return get_wsgi_application()


def serve(host: str = "127.0.0.1", port: int = 8000, threads: int = 4) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    if host not in LOOPBACK:
        os.environ["DJANGO_ALLOWED_HOSTS"] = ",".join(filter(None, [os.environ.get("DJANGO_ALLOWED_HOSTS"), host]))
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo")
    print(f"Dữ liệu và tệp tải lên: {settings.DATA_DIR}")
    print(f"Mở trình duyệt tại http://{host}:{port}/  (Ctrl+C để dừng)", flush=True)
    sys.argv = sys.argv[:1]
    Embedded(f"[{host}]:{port}" if ":" in host else f"{host}:{port}", threads).run()
