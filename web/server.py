"""`parindex serve`: migrate, seed the demo once, print the demo accounts and serve with gunicorn."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

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
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 24: no control socket in the home folder
            self.cfg.set("control_socket_disable", True)

    def load(self):
        return get_wsgi_application()


def _local_secret(folder: Path) -> str:
    """A random key made once per data folder (never committed), so sessions survive a restart."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def serve(host: str = "127.0.0.1", port: int = 8000, threads: int = 4) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    data = Path(os.environ.get("PARINDEX_DATA_DIR") or (Path.cwd() / "out" / "web")).resolve()
    os.environ["PARINDEX_DATA_DIR"] = str(data)
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ["DJANGO_SECRET_KEY"] = _local_secret(data)
    if host not in LOOPBACK:
        os.environ["DJANGO_ALLOWED_HOSTS"] = ",".join(filter(None, [os.environ.get("DJANGO_ALLOWED_HOSTS"), host]))
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo")
    print(f"Dữ liệu và tệp tải lên: {settings.DATA_DIR}")
    print(f"Mở trình duyệt tại http://{host}:{port}/  (Ctrl+C để dừng)", flush=True)
    sys.argv = sys.argv[:1]
    Embedded(f"[{host}]:{port}" if ":" in host else f"{host}:{port}", threads).run()
