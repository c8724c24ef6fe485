"""Web tests run on the database named by DATABASE_URL (PostgreSQL in CI) or on SQLite; uploads go to tmp_path.

Without the web extra the tests are skipped, except under CI where a missing dependency is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

if os.environ.get("CI"):
    import django  # noqa: F401  (under CI the web extra must be installed)
else:
    pytest.importorskip("django")
    pytest.importorskip("pytest_django")

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = ROOT / "evidence" / "vung-tau-2024"


from portal.portal_helpers import DEMO_UNITS  # noqa: E402


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "uploads")}}}
    settings.AXES_ENABLED = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; one test checks the real one


@pytest.fixture
def demo(db):
    from web.portal.demo import seed
    return seed(units_limit=DEMO_UNITS)


@pytest.fixture
def users(demo):
    from django.contrib.auth import get_user_model
    get = get_user_model().objects.get
    return {"office": get(username="noivu"), "appraiser": get(username="thamdinh"),
            "p1": get(username="phuong-1"), "p2": get(username="phuong-2"), "p10": get(username="phuong-10")}


@pytest.fixture
def unit_of(demo):
    from web.portal.models import Unit
    return lambda code: Unit.objects.get(assessment=demo, code=code)
