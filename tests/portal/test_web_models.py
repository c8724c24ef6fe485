"""Models: the record and the audit trail are append-only; the demo seeds what `parindex serve` promises."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.portal_helpers import DEMO_UNITS
from web.portal.models import Account, AuditEvent, Entry, Role, Round, UnitScore


def test_demo_has_units_accounts_and_scores(demo):
    assert demo.units.count() == DEMO_UNITS
    assert Account.objects.filter(role=Role.UNIT).count() == DEMO_UNITS
    assert Account.objects.filter(role=Role.APPRAISER).count() == 1
    assert Account.objects.filter(role=Role.OFFICE).count() == 1
    scores = UnitScore.objects.filter(unit__assessment=demo)
    assert scores.count() == DEMO_UNITS
    assert all(0 <= s.index_pct <= 100 and s.points <= s.result["max_points"] for s in scores)
    # phường 3 reports more digitized results than resolved dossiers: a data problem, never full points
    assert scores.get(unit__code="phuong-3").data_problems > 0


def test_seed_twice_changes_nothing(demo):
    from web.portal.demo import seed
    before = AuditEvent.objects.count()
    assert seed(units_limit=DEMO_UNITS).pk == demo.pk
    assert AuditEvent.objects.count() == before


def test_record_entries_cannot_be_changed(demo, users, unit_of):
    from web.portal import domain
    entry = domain.add_entry(users["p1"], unit_of("phuong-1"), round_=Round.SELF, criterion="1.5.1", points=1,
                             reason="Có mô hình mới")
    entry.points = 0
    with pytest.raises(ValueError):
        entry.save()
    assert Entry.objects.get(pk=entry.pk).points == 1


def test_audit_events_cannot_be_changed_or_deleted(demo):
    event = AuditEvent.objects.first()
    event.new = "khác"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_sequence_numbers_are_unique_per_unit(demo, users, unit_of):
    unit = unit_of("phuong-1")
    Entry.objects.create(assessment=demo, unit=unit, seq=1, round=Round.SELF, criterion="1.1.1", role=Role.UNIT,
                         user=users["p1"], by_name="x", at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(assessment=demo, unit=unit, seq=1, round=Round.SELF, criterion="1.1.2", role=Role.UNIT,
                             user=users["p1"], by_name="x", at=timezone.now())


def test_unit_account_must_name_its_unit(demo, users):
    from django.contrib.auth import get_user_model
    user = get_user_model().objects.create_user("lac-loai", password="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(user=user, role=Role.UNIT)


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_passwords_are_hashed_with_the_default_hasher(db, settings):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import check_password
    from django.conf import global_settings
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # Django's default (PBKDF2)
    user = get_user_model().objects.create_user("hash-check", password="parindex-demo-2024")
    assert user.password.startswith("pbkdf2_sha256$")
    assert "parindex-demo" not in user.password
    assert check_password("parindex-demo-2024", user.password)


def test_the_database_is_the_one_named_by_database_url(db):
    """CI runs these tests twice: on SQLite and on the PostgreSQL server that .ci/postgres.sh starts."""
    import os

    from django.db import connection
    url = os.environ.get("DATABASE_URL", "")
    assert connection.vendor == ("postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite")


def test_the_portal_never_forks_engine_workers():
    """Requests run in threads; the portal's app sets the engine to read and score without worker processes."""
    from engine.core import parallel

    assert parallel.default_workers(10_000) == 1
