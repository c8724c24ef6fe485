"""The assessment cycle through the views: upload, self-score, submit, appraise with a request, explain, round 2,
finalise, publish, download — and the audit trail that every step leaves."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from portal.portal_helpers import PDF, filled_workbook, login

from web.portal.models import Assessment, AuditEvent, Entry, Round, Submission, Upload


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_unit_dashboard_shows_score_rank_lost_points_and_deadlines(client, users, unit_of):
    unit = unit_of("phuong-1")
    page = login(client, users["p1"]).get(reverse("unit_dashboard", args=[unit.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    score = unit.score
    assert f"{score.index_pct:.2f}".replace(".", ",") in text or f"{score.index_pct:.2f}" in text
    assert "Xếp hạng trong khối" in text and "Điểm bị mất" in text and "Mốc thời gian sắp tới" in text
    lost = [n for n in score.result["nodes"] if n["is_leaf"] and n["applicable"] and n["points"] < n["max_points"]]
    assert lost and all(n["title"] in text for n in lost)


def test_workbook_problems_are_shown_with_their_cells_and_the_file_is_not_used(client, users, unit_of):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    before = unit.score.result["evidence_hash"]
    page = client.post(reverse("unit_upload_evidence", args=[unit.pk]),
                       {"file": _upload("phieu.xlsx", filled_workbook("phuong-1", "UBND Phường 1", as_of=None))},
                       follow=True)
    text = page.content.decode()
    assert "sheet &#x27;Hướng dẫn&#x27;, dòng 12, cột B" in text and "Ngày chốt số liệu" in text
    upload = Upload.objects.get(unit=unit, original_name="phieu.xlsx")
    assert not upload.accepted and upload.problems
    unit.score.refresh_from_db()
    assert unit.score.result["evidence_hash"] == before


def test_a_filled_workbook_is_scored_and_logged_with_its_sha256(client, users, unit_of):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    data = filled_workbook("phuong-1", "UBND Phường 1")
    client.post(reverse("unit_upload_evidence", args=[unit.pk]), {"file": _upload("phieu.xlsx", data)})
    upload = Upload.objects.get(unit=unit, original_name="phieu.xlsx")
    assert upload.accepted
    import hashlib
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert open(upload.file.path, "rb").read() == data
    unit.score.refresh_from_db()
    assert unit.score.evidence_id == upload.pk
    assert unit.score.points < 59  # an empty workbook misses evidence the sample bundle had
    assert AuditEvent.objects.filter(unit=unit, action="upload_evidence", new__contains=upload.sha256).exists()


def test_a_workbook_of_another_unit_is_refused(client, users, unit_of):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    page = client.post(reverse("unit_upload_evidence", args=[unit.pk]),
                       {"file": _upload("phieu.xlsx", filled_workbook("phuong-2", "UBND Phường 2"))}, follow=True)
    assert "của đơn vị khác" in page.content.decode()
    assert not Upload.objects.get(unit=unit, original_name="phieu.xlsx").accepted


def test_document_upload_keeps_number_date_and_page(client, users, unit_of):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    client.post(reverse("unit_upload_document", args=[unit.pk]), {
        "file": _upload("kh.pdf", PDF), "number": "100/KH-UBND", "issued": "2023-12-22", "place": "trang 2, mục I",
        "criterion": "1.1.1"})
    doc = Upload.objects.get(unit=unit, kind=Upload.Kind.DOCUMENT)
    assert doc.reference() == "100/KH-UBND, ngày 22/12/2023, trang 2, mục I"
    download = client.get(reverse("unit_download", args=[unit.pk, doc.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


def test_self_score_needs_a_reason_when_it_differs_from_the_computed_points(client, users, unit_of):
    unit = unit_of("phuong-1")
    node = next(n for n in unit.score.result["nodes"] if n["id"] == "1.5.1")
    login(client, users["p1"])
    url = reverse("unit_enter_points", args=[unit.pk, "1.5.1"])
    page = client.post(url, {"points": str(node["max_points"]), "reason": ""}, follow=True)
    assert "phải ghi lý do" in page.content.decode()
    assert not Entry.objects.filter(unit=unit).exists()
    page = client.post(url, {"points": str(node["max_points"] + 5), "reason": "x"}, follow=True)
    assert "vượt điểm tối đa" in page.content.decode()
    # a criterion computed from the evidence is not self-scored: the unit adds evidence or a note instead
    page = client.post(reverse("unit_enter_points", args=[unit.pk, "1.1.1"]), {"points": "0", "reason": "x"},
                       follow=True)
    assert "đơn vị không tự nhập điểm" in page.content.decode()
    page = client.post(reverse("unit_enter_points", args=[unit.pk, "8.1.1"]), {"points": "1", "reason": "x"},
                       follow=True)
    assert "không được tự chấm" in page.content.decode() or "không áp dụng" in page.content.decode()
    assert not Entry.objects.filter(unit=unit).exists()
    client.post(url, {"points": str(node["max_points"]), "reason": "Đã có biên bản họp"})
    entry = Entry.objects.get(unit=unit)
    assert (entry.round, entry.criterion, float(entry.points), entry.by_name) == (
        Round.SELF, "1.5.1", node["max_points"], users["p1"].account.full_name)
    event = AuditEvent.objects.get(entry=entry)
    assert (event.old, event.new, event.reason) == (f"{node['points']:g}", f"{node['max_points']:g}",
                                                   "Đã có biên bản họp")


def _submit(client, unit):
    return client.post(reverse("unit_submit", args=[unit.pk]),
                       {"leader_name": "Lê Văn Chủ Tịch", "leader_position": "Chủ tịch UBND", "confirm": "on"},
                       follow=True)


def test_full_cycle_two_units_one_appraiser_and_the_office(client, users, unit_of):
    p1, p2 = unit_of("phuong-1"), unit_of("phuong-2")
    for user, unit in ((users["p1"], p1), (users["p2"], p2)):
        login(client, user)
        client.post(reverse("unit_enter_points", args=[unit.pk, "1.5.1"]), {"points": "1", "reason": "Có mô hình mới"})
        client.post(reverse("unit_enter_points", args=[unit.pk, "1.1.2"]), {"reason": "Tự đánh giá: đủ nhiệm vụ"})
        assert Entry.objects.filter(unit=unit, round=Round.SELF).count() == 2
        # submitting needs the leader's sign-off
        assert "lãnh đạo" in client.post(reverse("unit_submit", args=[unit.pk]), {"leader_name": ""},
                                         follow=True).content.decode()
        assert "Đã gửi kết quả" in _submit(client, unit).content.decode()
        assert Submission.objects.filter(unit=unit, round=Round.SELF).count() == 1
        # a second submission of the same round is refused
        _submit(client, unit)
        assert Submission.objects.filter(unit=unit, round=Round.SELF).count() == 1

    login(client, users["appraiser"])
    home = client.get(reverse("appraiser_home")).content.decode()
    assert "UBND Phường 1" in home and "UBND Phường 2" in home and "UBND Phường 10" not in home
    page = client.get(reverse("appraise_unit", args=[p1.pk])).content.decode()
    assert "Tự đánh giá: đủ nhiệm vụ" in page  # the unit's note beside the points
    client.post(reverse("unit_enter_points", args=[p1.pk, "1.1.2"]), {
        "points": "0.5", "reason": "Kế hoạch chưa bố trí kinh phí", "explanation_requested": "on",
        "question": "Bổ sung quyết định giao dự toán"})
    client.post(reverse("unit_enter_points", args=[p2.pk, "1.1.2"]), {"points": "1", "reason": "Đạt"})
    for unit in (p1, p2):
        client.post(reverse("appraise_submit", args=[unit.pk]), {"confirm": "on"})
    assert Entry.objects.filter(round=Round.APPRAISAL_1, kind="score").count() == 2

    login(client, users["p1"])
    dash = client.get(reverse("unit_dashboard", args=[p1.pk])).content.decode()
    assert "Yêu cầu giải trình (1)" in dash and "Bổ sung quyết định giao dự toán" in dash
    client.post(reverse("unit_upload_document", args=[p1.pk]), {
        "file": _upload("qd.pdf", PDF), "number": "12/QĐ-UBND", "issued": "2024-01-05", "place": "trang 1",
        "criterion": "1.1.2"})
    doc = Upload.objects.get(unit=p1, doc_number="12/QĐ-UBND")
    client.post(reverse("unit_enter_points", args=[p1.pk, "1.1.2"]),
                {"reason": "Đã có quyết định giao dự toán", "documents": [doc.pk]})
    explanation = Entry.objects.get(unit=p1, round=Round.EXPLANATION)
    assert explanation.kind == "note" and explanation.evidence_refs == [
        {"document": "qd.pdf ngày 05/01/2024", "number": "12/QĐ-UBND", "page": "trang 1"}]
    _submit(client, p1)
    login(client, users["p2"])
    _submit(client, p2)

    login(client, users["appraiser"])
    client.post(reverse("unit_enter_points", args=[p1.pk, "1.1.2"]), {"points": "1", "reason": "Đã giải trình đủ"})
    for unit in (p1, p2):
        client.post(reverse("appraise_submit", args=[unit.pk]), {"confirm": "on"})
    assert Entry.objects.filter(round=Round.APPRAISAL_2, kind="score").count() == 1

    p1.score.refresh_from_db()
    node = next(n for n in p1.score.result["nodes"] if n["id"] == "1.1.2")
    assert (node["appraised_points"], node["final_points"]) == (1.0, 1.0)
    assert [r["round"] for r in node["rounds"] if r.get("points") is not None] == ["appraisal_1", "appraisal_2"]
    manual = next(n for n in p1.score.result["nodes"] if n["id"] == "1.5.1")
    assert manual["self_points"] == 1.0 and manual["final_points"] == 1.0

    login(client, users["office"])
    board = client.get(reverse("office_board")).content.decode()
    assert "UBND Phường 1" in board
    client.post(reverse("office_state", args=["finalised"]), {"reason": "Hội đồng họp ngày 20/01"})
    client.post(reverse("office_state", args=["published"]), {})
    assessment = Assessment.objects.get()
    assert assessment.state == Assessment.State.PUBLISHED
    assert Entry.objects.filter(kind="finalise").count() == assessment.units.count()
    p1.score.refresh_from_db()
    assert p1.score.result["assessment_state"] == "finalised"
    sheet = client.get(reverse("office_report", args=["phieu-cham", "xlsx"]))
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    assert sheet["Content-Disposition"].startswith("attachment")
    plan = client.get(reverse("office_report", args=["ke-hoach-tinh", "docx"]))
    assert plan.status_code == 200 and plan.content[:2] == b"PK"
    # after finalisation nothing can be entered
    login(client, users["appraiser"])
    client.post(reverse("unit_enter_points", args=[p2.pk, "1.1.2"]), {"points": "0", "reason": "muộn"})
    assert Entry.objects.filter(unit=p2, round=Round.APPRAISAL_2, kind="score").count() == 0

    trail = [(e.action, e.criterion) for e in AuditEvent.objects.filter(unit=p1).order_by("at", "id")]
    assert ("entry_self", "1.1.2") in trail and ("entry_appraisal_1", "1.1.2") in trail
    assert ("entry_explanation", "1.1.2") in trail and ("entry_appraisal_2", "1.1.2") in trail
    login(client, users["office"])
    csv_text = client.get(reverse("office_audit") + "?tieu_chi=1.1.2&format=csv").content.decode("utf-8-sig")
    assert "Kế hoạch chưa bố trí kinh phí" in csv_text and "Đã giải trình đủ" in csv_text


def test_unit_downloads_its_scoring_sheet_and_plan(client, users, unit_of):
    unit = unit_of("phuong-1")
    login(client, users["p1"])
    for name in ("unit_sheet", "unit_plan"):
        for fmt in ("xlsx", "docx"):
            response = client.get(reverse(name, args=[unit.pk, fmt]))
            assert response.status_code == 200 and response.content[:2] == b"PK"
            assert response["Content-Disposition"].startswith("attachment")
    template = client.get(reverse("unit_template", args=[unit.pk]))
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_office_analysis_ranks_every_scored_unit(client, users, demo):
    login(client, users["office"])
    text = client.get(reverse("office_analysis")).content.decode()
    for unit in demo.units.all():
        assert unit.name in text
    assert "Điểm yếu chung của khối" in text


def test_office_compares_self_and_appraised_points_with_the_engines_comparison(client, users, unit_of):
    p1, p2 = unit_of("phuong-1"), unit_of("phuong-2")
    for user, unit in ((users["p1"], p1), (users["p2"], p2)):
        login(client, user)
        _submit(client, unit)
    standing = {u.code: next(n for n in u.score.result["nodes"] if n["id"] == "1.1.2") for u in (p1, p2)}
    login(client, users["appraiser"])
    lowered = standing["phuong-1"]["final_points"] - 0.5
    client.post(reverse("unit_enter_points", args=[p1.pk, "1.1.2"]),
                {"points": f"{lowered:g}", "reason": "Thiếu kinh phí"})
    client.post(reverse("unit_enter_points", args=[p2.pk, "1.1.2"]),  # the same points as after self-assessment
                {"points": f"{standing['phuong-2']['final_points']:g}", "reason": "Đạt"})
    login(client, users["office"])
    text = client.get(reverse("office_analysis")).content.decode()
    section = text[text.index("Tự chấm so với thẩm định"):]
    row = section[section.index("<td>1.1.2"):section.index("</tr>", section.index("<td>1.1.2"))]
    assert [cell.split("<")[0] for cell in row.split('<td class="num">')[1:]] == ["1", "1", "0,50"]  # vi locale
    detail = section[section.index("Chi tiết từng đơn vị"):]
    assert "UBND Phường 1" in detail and "Thiếu kinh phí" in detail and users["appraiser"].account.display_name in detail
    assert "UBND Phường 2" not in detail
