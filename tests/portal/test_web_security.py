"""Server-enforced rules: object-level permissions, deadlines and unlocks, CSRF, upload limits, throttling, headers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from portal.portal_helpers import PDF, advance, login

from web.portal.models import AuditEvent, Entry, Round, Unlock, Upload

UNIT_PAGES = ["unit_dashboard", "unit_audit", "unit_template"]


def test_a_unit_cannot_read_another_units_record_by_url(client, users, unit_of):
    other = unit_of("phuong-2")
    login(client, users["p1"])
    for name in UNIT_PAGES:
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert client.get(reverse("unit_criterion", args=[other.pk, "1.1.1"])).status_code == 404
    assert client.get(reverse("unit_sheet", args=[other.pk, "xlsx"])).status_code == 404
    assert client.get(reverse("unit_plan", args=[other.pk, "xlsx"])).status_code == 404
    own_upload = Upload.objects.filter(unit=other).first()
    assert client.get(reverse("unit_download", args=[other.pk, own_upload.pk])).status_code == 404
    # nor through its own unit id with another unit's file id
    mine = unit_of("phuong-1")
    assert client.get(reverse("unit_download", args=[mine.pk, own_upload.pk])).status_code == 404


def test_a_unit_cannot_write_to_another_unit(client, users, unit_of):
    other = unit_of("phuong-2")
    login(client, users["p1"])
    assert client.post(reverse("unit_enter_points", args=[other.pk, "1.1.2"]),
                       {"points": "1", "reason": "x"}).status_code == 404
    assert client.post(reverse("unit_submit", args=[other.pk]), {"leader_name": "a", "leader_position": "b",
                                                                 "confirm": "on"}).status_code == 404
    upload = SimpleUploadedFile("a.pdf", PDF)
    assert client.post(reverse("unit_upload_document", args=[other.pk]),
                       {"file": upload, "number": "1/KH"}).status_code == 404
    assert not Entry.objects.filter(unit=other).exists()


def test_a_unit_cannot_use_office_or_appraiser_pages(client, users, unit_of):
    login(client, users["p1"])
    for name in ("office_board", "office_analysis", "office_audit", "office_setup", "appraiser_home"):
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("office_state", args=["finalised"])).status_code == 403
    assert client.post(reverse("office_unlock", args=[unit_of("phuong-1").pk]),
                       {"until": "2099-01-01T00:00", "reason": "x"}).status_code == 403
    assert client.get("/quan-tri/").status_code == 302  # the admin asks a staff login


def test_an_appraiser_cannot_see_an_unassigned_unit(client, users, unit_of):
    coast = unit_of("phuong-10")  # the appraiser is assigned the central area only
    login(client, users["appraiser"])
    assert client.get(reverse("appraise_unit", args=[coast.pk])).status_code == 404
    assert client.get(reverse("unit_criterion", args=[coast.pk, "1.1.1"])).status_code == 404
    assert client.get(reverse("unit_sheet", args=[coast.pk, "xlsx"])).status_code == 404
    assert client.post(reverse("unit_enter_points", args=[coast.pk, "1.1.2"]),
                       {"points": "0", "reason": "x"}).status_code == 404
    assert "UBND Phường 10" not in client.get(reverse("appraiser_home")).content.decode()
    assert client.get(reverse("appraise_unit", args=[unit_of("phuong-1").pk])).status_code == 200


def test_an_appraiser_limited_to_an_area_of_criteria_cannot_score_others(client, users, unit_of, demo):
    from django.contrib.auth import get_user_model

    from web.portal.models import Account, Assignment
    user = get_user_model().objects.create_user("tham-dinh-tu-phap", password="x")
    Account.objects.create(user=user, role="appraiser", full_name="Sở Tư pháp")
    unit = unit_of("phuong-2")
    Assignment.objects.create(assessment=demo, appraiser=user, unit=unit, criterion="2")
    login(client, users["p2"])
    client.post(reverse("unit_submit", args=[unit.pk]), {"leader_name": "a", "leader_position": "b", "confirm": "on"})
    login(client, user)
    assert client.post(reverse("unit_enter_points", args=[unit.pk, "1.1.2"]),
                       {"points": "0", "reason": "x"}).status_code == 403
    assert client.get(reverse("appraise_unit", args=[unit_of("phuong-1").pk])).status_code == 404


def test_a_post_after_the_deadline_is_refused_until_the_office_unlocks_it(client, users, unit_of, demo):
    unit = unit_of("phuong-1")
    advance(demo, -20)  # the self-assessment deadline is now 6 days ago
    login(client, users["p1"])
    page = client.post(reverse("unit_enter_points", args=[unit.pk, "1.5.1"]), {"points": "1", "reason": "muộn"},
                       follow=True)
    assert "đã hết hạn ngày" in page.content.decode()
    page = client.post(reverse("unit_upload_document", args=[unit.pk]),
                       {"file": SimpleUploadedFile("a.pdf", PDF), "number": "1/KH"}, follow=True)
    assert "đã hết hạn ngày" in page.content.decode()
    assert not Entry.objects.filter(unit=unit).exists()
    assert not Upload.objects.filter(unit=unit, kind=Upload.Kind.DOCUMENT).exists()

    login(client, users["office"])
    refused = client.post(reverse("office_unlock", args=[unit.pk]), {"until": "2099-01-01", "reason": ""},
                          follow=True)
    assert "lý do" in refused.content.decode() and not Unlock.objects.exists()
    refused = client.post(reverse("office_unlock", args=[unit.pk]), {"until": "2099-01-01", "reason": "x"},
                          follow=True)
    assert "đến ngày công bố" in refused.content.decode() and not Unlock.objects.exists()
    until = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%d")
    client.post(reverse("office_unlock", args=[unit.pk]), {"until": until, "reason": "Ốm đau, có đơn xin"})
    event = AuditEvent.objects.get(action="unlock")
    assert event.reason == "Ốm đau, có đơn xin" and event.unit == unit and event.user == users["office"]

    login(client, users["p1"])
    client.post(reverse("unit_enter_points", args=[unit.pk, "1.5.1"]), {"points": "1", "reason": "sau mở khóa"})
    assert Entry.objects.filter(unit=unit, kind="score").count() == 1
    # the unlock is for this unit only
    other = unit_of("phuong-2")
    login(client, users["p2"])
    client.post(reverse("unit_enter_points", args=[other.pk, "1.5.1"]), {"points": "1", "reason": "muộn"})
    assert not Entry.objects.filter(unit=other).exists()


def test_a_post_without_csrf_token_is_refused(users, unit_of):
    client = Client(enforce_csrf_checks=True)
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    response = client.post(reverse("unit_enter_points", args=[unit.pk, "1.5.1"]), {"points": "1", "reason": "x"})
    assert response.status_code == 403
    assert "Phiên làm việc không hợp lệ" in response.content.decode()
    assert client.post(reverse("unit_submit", args=[unit.pk]), {"leader_name": "a", "leader_position": "b",
                                                                "confirm": "on"}).status_code == 403
    assert client.post(reverse("logout")).status_code == 403
    assert not Entry.objects.exists()
    # with the token from the page the same POST goes through
    page = client.get(reverse("unit_criterion", args=[unit.pk, "1.5.1"]))
    token = page.context["csrf_token"]
    client.post(reverse("unit_enter_points", args=[unit.pk, "1.5.1"]),
                {"points": "1", "reason": "x", "csrfmiddlewaretoken": str(token)})
    assert Entry.objects.count() == 1


@pytest.mark.parametrize("name,data,message", [
    ("trang.html", b"<html><script>alert(1)</script></html>", "loại tệp không được nhận"),
    ("gia.pdf", b"<html><script>alert(1)</script></html>", "nội dung tệp không đúng"),
    ("chay.exe", b"MZ\x90\x00", "loại tệp không được nhận"),
    ("rong.pdf", b"", "rỗng"),
])
def test_uploads_outside_the_accepted_types_are_refused(client, users, unit_of, name, data, message):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    page = client.post(reverse("unit_upload_document", args=[unit.pk]),
                       {"file": SimpleUploadedFile(name, data), "number": "1/KH"}, follow=True)
    assert message in page.content.decode()
    assert not Upload.objects.filter(unit=unit, kind=Upload.Kind.DOCUMENT).exists()


def test_an_upload_over_the_size_limit_is_refused(client, users, unit_of, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 1000
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    page = client.post(reverse("unit_upload_document", args=[unit.pk]),
                       {"file": SimpleUploadedFile("lon.pdf", PDF + b"0" * 2000), "number": "1/KH"}, follow=True)
    assert "lớn hơn giới hạn" in page.content.decode()


def test_login_is_throttled_after_repeated_failures(db, users):
    client = Client()
    for _ in range(5):
        client.post(reverse("login"), {"username": "phuong-1", "password": "sai"})
    locked = client.post(reverse("login"), {"username": "phuong-1", "password": "parindex-demo-2024"})
    assert locked.status_code == 429
    assert "Tạm khóa" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    fresh = Client().post(reverse("login"), {"username": "phuong-2", "password": "parindex-demo-2024"})
    assert fresh.status_code == 302


def test_login_with_the_right_password_opens_the_units_dashboard(db, users, unit_of):
    client = Client()
    response = client.post(reverse("login"), {"username": "phuong-1", "password": "parindex-demo-2024"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("unit_dashboard", args=[unit_of("phuong-1").pk])


def test_anonymous_visitors_are_sent_to_login(client, unit_of):
    response = client.get(reverse("unit_dashboard", args=[unit_of("phuong-1").pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_pages_carry_security_headers(client, users, unit_of):
    login(client, users["p1"])
    response = client.get(reverse("unit_dashboard", args=[unit_of("phuong-1").pk]))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_user_text_is_escaped(client, users, unit_of):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    client.post(reverse("unit_enter_points", args=[unit.pk, "1.1.2"]),
                {"reason": "<script>alert('x')</script>"})
    page = client.get(reverse("unit_criterion", args=[unit.pk, "1.1.2"])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_audit_csv_neutralises_formulas(client, users, unit_of):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    client.post(reverse("unit_enter_points", args=[unit.pk, "1.1.2"]), {"reason": "=HYPERLINK(1)"})
    text = client.get(reverse("unit_audit", args=[unit.pk]) + "?format=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_production_settings_need_a_secret_and_secure_cookies(tmp_path):
    import subprocess
    import sys
    env = {"PATH": "/usr/bin:/bin", "PARINDEX_ENV": "production", "PARINDEX_DATA_DIR": str(tmp_path)}
    code = "import web.settings as s"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and "DJANGO_SECRET_KEY" in proc.stderr
    check = ("import web.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
             " s.SECURE_HSTS_SECONDS > 0, s.DEBUG)")
    proc = subprocess.run([sys.executable, "-c", check], env={**env, "DJANGO_SECRET_KEY": "k" * 50},
                          capture_output=True, text=True)
    assert proc.stdout.split() == ["True", "True", "True", "True", "False"], proc.stderr


def test_a_schedule_out_of_order_is_refused_and_changes_are_audited_in_words(client, users, demo):
    """A self-assessment deadline after round 1 would make every later page fail: the form refuses it."""
    login(client, users["office"])
    fields = ["self_open", "self_deadline", "appraisal_1_deadline", "explanation_deadline", "appraisal_2_deadline",
              "publication_date"]
    current = {f: getattr(demo, f).strftime("%Y-%m-%d") for f in fields}
    data = {**current, "bonus_cap": demo.bonus_cap, "penalty_cap": demo.penalty_cap, "reason": "thử"}
    page = client.post(reverse("office_schedule"), {**data, "self_deadline": "2099-12-31"})
    assert page.status_code == 200 and "phải sau mốc" in page.content.decode()
    demo.refresh_from_db()
    assert demo.self_deadline.strftime("%Y-%m-%d") == current["self_deadline"]
    later = (demo.publication_date + timedelta(days=1)).strftime("%Y-%m-%d")
    assert client.post(reverse("office_schedule"), {**data, "publication_date": later}).status_code == 302
    events = list(AuditEvent.objects.filter(action="schedule"))
    assert len(events) == 1, [e.new for e in events]  # only the date that changed, not the caps re-posted alike
    assert "publication_date" not in events[0].old + events[0].new
    assert events[0].new.endswith((demo.publication_date + timedelta(days=1)).strftime("%d/%m/%Y"))
    assert client.get(reverse("office_analysis")).status_code == 200
