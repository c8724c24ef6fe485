"""Appraisal and explanation workbooks in the portal: made by the engine for the current round, read back by the
engine into the record only when every row is accepted, every problem shown at its cell, never recorded twice."""

from __future__ import annotations

import hashlib
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from portal.portal_helpers import login

from web.portal.models import Assignment, AuditEvent, Entry, Round, Submission, Upload

APPRAISER_GUIDE = {9: "Người điền trong bảng", 10: "Thẩm định viên"}


def _submit_self(client, user, unit):
    login(client, user)
    client.post(reverse("unit_submit", args=[unit.pk]),
                {"leader_name": "Lê Văn Chủ Tịch", "leader_position": "Chủ tịch UBND", "confirm": "on"})
    assert Submission.objects.filter(unit=unit, round=Round.SELF).exists()


def _fill(data: bytes, guide: dict[int, object], rows: dict[str, dict[str, object]]) -> bytes:
    """Fill the workbook as a person would: guide cells by row, data cells by criterion and column letter."""
    book = load_workbook(io.BytesIO(data))
    for row, value in guide.items():
        book["Hướng dẫn"].cell(row=row, column=2, value=value)
    sheet = book["Giải trình"] if "Giải trình" in book.sheetnames else book["Thẩm định"]
    for row in sheet.iter_rows(min_row=3):
        for letter, value in (rows.get(row[0].value) or {}).items():
            sheet[f"{letter}{row[0].row}"] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _send(client, unit, name: str, data: bytes):
    return client.post(reverse("unit_upload_round_workbook", args=[unit.pk]),
                       {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")}, follow=True)


def test_an_appraisal_workbook_joins_the_record_once_with_the_appraiser_as_author(client, users, unit_of):
    unit = unit_of("phuong-1")
    _submit_self(client, users["p1"], unit)
    login(client, users["appraiser"])
    page = client.get(reverse("appraise_unit", args=[unit.pk])).content.decode()
    assert reverse("unit_round_workbook", args=[unit.pk]) in page
    download = client.get(reverse("unit_round_workbook", args=[unit.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert "bang-tham-dinh-vong-1-phuong-1.xlsx" in download["Content-Disposition"]
    book = load_workbook(io.BytesIO(download.content))
    assert book["Thông tin"]["B2"].value == "phuong-1" and book["Thông tin"]["B5"].value == "appraisal_1"
    filled = _fill(download.content, {**APPRAISER_GUIDE, 11: "Có"}, {
        "1.1.2": {"I": 0.5, "J": "Kế hoạch chưa bố trí kinh phí", "K": "Có", "L": "Bổ sung quyết định giao dự toán",
                  "M": "Kế hoạch CCHC, số 100/KH-UBND, trang 2"}})
    page = _send(client, unit, "tham-dinh.xlsx", filled)
    assert "Đã ghi 1 mục" in page.content.decode()
    (entry,) = Entry.objects.filter(unit=unit, round=Round.APPRAISAL_1)
    assert (entry.kind, entry.criterion, float(entry.points), entry.reason, entry.question) == (
        "score", "1.1.2", 0.5, "Kế hoạch chưa bố trí kinh phí", "Bổ sung quyết định giao dự toán")
    assert entry.by_name == users["appraiser"].account.display_name and entry.user == users["appraiser"]
    assert entry.source == "sha256:" + hashlib.sha256(filled).hexdigest()
    assert entry.evidence_refs == [{"document": "Kế hoạch CCHC", "number": "100/KH-UBND", "page": "trang 2"}]
    # the workbook's "completed" mark does not submit the round: the portal's submit form does
    assert not Submission.objects.filter(unit=unit, round=Round.APPRAISAL_1).exists()
    unit.score.refresh_from_db()
    node = next(n for n in unit.score.result["nodes"] if n["id"] == "1.1.2")
    assert (node["appraised_points"], node["final_points"]) == (0.5, 0.5)
    assert AuditEvent.objects.filter(unit=unit, action="entry_appraisal_1", criterion="1.1.2", entry=entry).exists()
    assert AuditEvent.objects.filter(unit=unit, action="upload_round_workbook").exists()

    page = _send(client, unit, "tham-dinh-lan-2.xlsx", filled).content.decode()
    assert "đã được ghi vào hồ sơ" in page and "chưa ghi mục nào" in page
    assert Entry.objects.filter(unit=unit, round=Round.APPRAISAL_1).count() == 1
    again = Upload.objects.get(unit=unit, original_name="tham-dinh-lan-2.xlsx")
    assert not again.accepted and [p["code"] for p in again.problems] == ["appraisal.already_recorded"]


def test_every_problem_of_a_workbook_is_shown_at_its_cell_and_nothing_is_recorded(client, users, unit_of):
    unit = unit_of("phuong-1")
    _submit_self(client, users["p1"], unit)
    login(client, users["appraiser"])
    data = client.get(reverse("unit_round_workbook", args=[unit.pk])).content
    maximum = next(n["max_points"] for n in unit.score.result["nodes"] if n["id"] == "1.1.2")
    filled = _fill(data, APPRAISER_GUIDE, {"1.1.2": {"I": maximum + 1, "J": "Quá tốt"},
                                           "1.5.1": {"I": 0.125, "J": "Chưa có mô hình"},
                                           "1.1.1": {"K": "Có"}})
    page = _send(client, unit, "tham-dinh.xlsx", filled).content.decode()
    upload = Upload.objects.get(unit=unit, original_name="tham-dinh.xlsx")
    assert not upload.accepted
    found = sorted((p["column"], p["code"]) for p in upload.problems)
    assert ("I", "assessment.above_max") in found and ("I", "web.points_precision") in found
    assert ("L", "assessment.question_required") in found
    assert all(p["sheet"] == "Thẩm định" and p["row"] for p in upload.problems)
    assert "sheet &#x27;Thẩm định&#x27;" in page and "vượt điểm tối đa" in page
    assert not Entry.objects.filter(unit=unit, round=Round.APPRAISAL_1).exists()


def test_rows_outside_the_appraisers_assignment_are_refused(client, users, unit_of):
    unit = unit_of("phuong-1")
    _submit_self(client, users["p1"], unit)
    Assignment.objects.filter(appraiser=users["appraiser"]).update(criterion="2")
    login(client, users["appraiser"])
    data = client.get(reverse("unit_round_workbook", args=[unit.pk])).content
    _send(client, unit, "tham-dinh.xlsx", _fill(data, APPRAISER_GUIDE, {"1.1.2": {"I": 0, "J": "Không có"}}))
    upload = Upload.objects.get(unit=unit, original_name="tham-dinh.xlsx")
    assert [(p["code"], p["value"]) for p in upload.problems] == [("web.not_assigned", "1.1.2")]
    assert not Entry.objects.filter(unit=unit, round=Round.APPRAISAL_1).exists()


def test_the_unit_answers_requests_with_the_explanation_workbook(client, users, unit_of):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    refused = client.get(reverse("unit_round_workbook", args=[unit.pk]), follow=True).content.decode()
    assert "không có bảng thẩm định hay giải trình" in refused  # self-assessment uses the evidence template
    _submit_self(client, users["p1"], unit)
    login(client, users["appraiser"])
    client.post(reverse("unit_enter_points", args=[unit.pk, "1.1.2"]), {
        "points": "0.5", "reason": "Thiếu kinh phí", "explanation_requested": "on", "question": "Bổ sung dự toán"})
    stale = client.get(reverse("unit_round_workbook", args=[unit.pk])).content
    client.post(reverse("appraise_submit", args=[unit.pk]), {"confirm": "on"})

    login(client, users["p1"])
    assert reverse("unit_upload_round_workbook", args=[unit.pk]) in client.get(
        reverse("unit_dashboard", args=[unit.pk])).content.decode()
    # an appraisal workbook of round 1 sent in the explanation round is refused
    late = _fill(stale, APPRAISER_GUIDE, {"1.1.2": {"I": 1, "J": "Đạt"}})
    _send(client, unit, "cu.xlsx", late)
    assert [p["code"] for p in Upload.objects.get(original_name="cu.xlsx").problems] == ["web.round_not_current"]
    data = client.get(reverse("unit_round_workbook", args=[unit.pk])).content
    sheet = load_workbook(io.BytesIO(data))["Giải trình"]
    row = next(r for r in sheet.iter_rows(min_row=3) if r[0].value == "1.1.2")
    assert "Bổ sung dự toán" in [c.value for c in row]
    _send(client, unit, "giai-trinh.xlsx", _fill(data, {9: "Nguyễn Văn A"}, {
        "1.1.2": {"I": "Đã có quyết định giao dự toán", "J": "Quyết định, số 12/QĐ-UBND"}}))
    (note,) = Entry.objects.filter(unit=unit, round=Round.EXPLANATION)
    assert (note.kind, note.role, note.reason, note.by_name) == (
        "note", "unit", "Đã có quyết định giao dự toán", users["p1"].account.display_name)
    unit.score.refresh_from_db()
    assert unit.score.result["open_requests"] == 0


def test_an_empty_workbook_records_nothing(client, users, unit_of):
    unit = unit_of("phuong-1")
    _submit_self(client, users["p1"], unit)
    login(client, users["appraiser"])
    data = client.get(reverse("unit_round_workbook", args=[unit.pk])).content
    _send(client, unit, "trong.xlsx", _fill(data, APPRAISER_GUIDE, {}))
    assert [p["code"] for p in Upload.objects.get(original_name="trong.xlsx").problems] == ["web.empty_workbook"]
