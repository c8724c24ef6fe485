"""Rules of the assessment rounds reached through the api, as the web portal calls them."""

from __future__ import annotations

from conftest import ROOT

SAMPLE_ASSESSMENT = ROOT / "evidence" / "vung-tau-2024-assessment" / "danh-gia-2024.yaml"


def test_points_on_a_criterion_with_a_data_error_are_refused():
    """Phường 9's 3.2.1 is lỗi dữ liệu in the sample: an appraiser cannot give it points by hand."""
    from datetime import datetime, timezone

    from engine import api

    la = api.load_assessment(SAMPLE_ASSESSMENT)
    evidence = api.assessment_evidence(la)
    computed = api.computed_rounds(la, evidence["phuong-9"])
    record = api.read_unit_record(la, "phuong-9")
    proposed = api.Entry(assessment=la.assessment.id, unit="phuong-9", round="appraisal_1", kind="score",
                         criterion="3.2.1", points=5, by="Thẩm định viên", role="appraiser",
                         at=datetime(2025, 1, 5, 9, 0, tzinfo=timezone.utc), reason="đã đối chiếu")
    problems = api.validate_entries(la, "phuong-9", computed, record.entries, [proposed],
                                    datetime(2025, 1, 5, 9, 0, tzinfo=timezone.utc))
    assert "assessment.data_error" in {p.code for p in problems}
