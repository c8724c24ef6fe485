"""Rebuild the sample assessment of the 17 wards: explanation evidence and every unit's record.

Run from the repository root: `python evidence/vung-tau-2024-assessment/make_sample.py`. Every entry
goes through engine.api.append_entries at the time it is dated, so the sample obeys the same rules
(deadlines, roles, reasons, caps) as any record; a rule change that refuses the story fails here.
The story: units self-score the manual criterion and note their evidence; the appraiser corrects
self-attested facts with reasons and asks for explanations; three wards re-submit evidence; the
council scores the manual criterion; the office unlocks a late round once and finalises the result.
"""

from __future__ import annotations

import shutil
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from engine import api  # noqa: E402
from engine.model.assessment import VN_TIME, Entry  # noqa: E402

APPRAISER = "Nguyễn Thị Hạnh (Phòng Nội vụ)"
COUNCIL = "Hội đồng thẩm định CCHC thành phố"
OFFICE = "Trần Văn Bình (Phòng Nội vụ)"
UNITS = ["phuong-1", "phuong-2", "phuong-3", "phuong-4", "phuong-5", "phuong-7", "phuong-8", "phuong-9", "phuong-10",
         "phuong-11", "phuong-12", "phuong-nguyen-an-ninh", "phuong-rach-dua", "phuong-thang-nhat", "phuong-thang-nhi",
         "phuong-thang-tam", "xa-long-son"]
OFFICERS: dict[str, str] = {}
"""The officer who self-scores for each unit, named after the unit (filled from the evidence)."""


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    d, m, y = (int(x) for x in day.split("/"))
    return datetime(y, m, d, hour, minute, tzinfo=VN_TIME)


def entry(unit: str, round_name: str, when: datetime, **fields) -> Entry:
    data = {"assessment": "vung-tau-xa-2024", "unit": unit, "round": round_name, "at": when,
            "by": OFFICERS[unit], "role": "unit", "kind": "score"}
    data.update(fields)
    return Entry.model_validate(data)


def ref(document: str, number: str | None = None, page: str | None = None) -> dict:
    return {"document": document, "number": number, "page": page}


def explanation_bundles() -> None:
    """Wards that added evidence with their explanation re-submit their evidence file."""
    folder = HERE / "giai-trinh"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    source = ROOT / "evidence" / "vung-tau-2024"
    header = "# Bộ minh chứng nộp lại khi giải trình (15/01/2025): bổ sung theo yêu cầu của thẩm định vòng 1.\n"
    edits = {
        "phuong-8.yaml": [("- name: org_structure_compliant\n  value: không\n  source: Tự đánh giá của đơn vị\n",
                           "- name: org_structure_compliant\n  value: có\n  source: Quyết định số 215/QĐ-UBND ngày "
                           "10/01/2025 kiện toàn tổ chức bộ máy (bổ sung khi giải trình)\n")],
        "xa-long-son.yaml": [("documents:\n", "documents:\n- kind: ke_hoach_cchc\n  number: 185/KH-UBND\n"
                                               "  issue_date: 28/12/2023\n  issuer: UBND xã Long Sơn\n"
                                               "  title: Kế hoạch cải cách hành chính năm 2024\n  sample: true\n")],
        "phuong-thang-nhat.yaml": [("documents:\n", "documents:\n- kind: cong_bo_danh_muc_vb\n  number: 21/QĐ-UBND\n"
                                                     "  issue_date: 25/01/2024\n  issuer: UBND Phường Thắng Nhất\n"
                                                     "  title: Quyết định công bố danh mục văn bản hết hiệu lực năm 2023\n"
                                                     "  sample: true\n")],
    }
    for name, changes in edits.items():
        text = (source / name).read_text(encoding="utf-8")
        for old, new in changes:
            assert old in text, (name, old)
            text = text.replace(old, new, 1)
        (folder / name).write_text(header + text, encoding="utf-8")


def story() -> list[Entry]:
    out: list[Entry] = []
    claims = {"phuong-1": (1, "Mô hình 'Một cửa thân thiện' áp dụng từ tháng 3/2024",
                           ref("Quyết định áp dụng mô hình Một cửa thân thiện", "45/QĐ-UBND", "Điều 1")),
              "phuong-7": (1, "Sáng kiến số hóa hồ sơ hộ tịch được áp dụng tại Bộ phận Một cửa",
                           ref("Báo cáo sáng kiến", "12/BC-UBND", "mục II")),
              "phuong-thang-nhat": (1, "Mô hình 'Cà phê doanh nhân' đối thoại hằng quý",
                                    ref("Kế hoạch tổ chức mô hình", "30/KH-UBND", "trang 2")),
              "phuong-8": (0.5, "Mô hình mới đang thử nghiệm từ tháng 10/2024", None)}
    submitted = {unit: at(f"{10 + i % 9:02d}/12/2024", 15) for i, unit in enumerate(UNITS)}
    for unit in UNITS:
        if unit in claims:
            points, reason, document = claims[unit]
            out.append(entry(unit, "self", at("05/12/2024", 10), criterion="1.5.1", points=points, reason=reason,
                             evidence_refs=[document] if document else []))
        out.append(entry(unit, "self", at("06/12/2024", 10), kind="note", criterion="1.2.2",
                         reason="Báo cáo CCHC quý I đã gửi qua Hệ thống quản lý văn bản; đủ nội dung theo hướng dẫn",
                         evidence_refs=[ref("Báo cáo CCHC quý I/2024", page="toàn văn")]))
        if unit != "phuong-12":
            out.append(entry(unit, "self", submitted[unit], kind="submit"))
    # phuong-12 missed the self-assessment deadline; the office reopened the round for two days
    out.append(entry("phuong-12", "self", at("21/12/2024", 8), kind="unlock", role="office_admin", by=OFFICE,
                     until="23/12/2024", reason="Đơn vị báo mất kết nối Hệ thống ngày 20/12/2024 (Công văn 88/UBND)"))
    out.append(entry("phuong-12", "self", at("22/12/2024", 16), kind="submit"))

    def appraise(unit: str, day: str, criterion: str, points: float | None, reason: str | None,
                 question: str | None = None, role: str = "appraiser", round_name: str = "appraisal_1", **more) -> None:
        out.append(entry(unit, round_name, at(day, 14), criterion=criterion, points=points, reason=reason,
                         role=role, by=COUNCIL if role == "council" else APPRAISER,
                         explanation_requested=question is not None, question=question, **more))

    appraise("phuong-1", "06/01/2025", "1.5.1", 0.5, "Mô hình chưa được UBND thành phố công nhận",
             "Gửi văn bản công nhận mô hình của cấp có thẩm quyền", role="council")
    appraise("phuong-7", "06/01/2025", "3.4.1", 1, "Kiểm tra thực tế 03/01/2025: Bộ phận Một cửa chưa niêm yết "
             "đủ thủ tục hành chính", "Giải trình việc niêm yết thủ tục tại Bộ phận Một cửa",
             evidence_refs=[ref("Biên bản kiểm tra CCHC", "03/BB-NV", "mục 3")])
    appraise("phuong-7", "06/01/2025", "1.5.1", 0.5, "Sáng kiến chưa được đánh giá hiệu quả", role="council")
    appraise("phuong-2", "07/01/2025", "1.2.2", None, None, "Gửi báo cáo CCHC quý I để đánh giá đủ nội dung")
    appraise("phuong-8", "07/01/2025", "4.1.1", None, None, "Đơn vị đã kiện toàn tổ chức bộ máy chưa? Gửi quyết định")
    appraise("phuong-8", "07/01/2025", "1.5.1", 0, "Mô hình đang thử nghiệm, chưa áp dụng", role="council")
    appraise("phuong-thang-nhat", "08/01/2025", "2.2.2", None, None,
             "Đơn vị đã công bố danh mục văn bản hết hiệu lực năm 2023 chưa?")
    appraise("phuong-thang-nhat", "08/01/2025", "1.5.1", 1, "Đồng ý điểm tự chấm: mô hình được áp dụng hằng quý",
             role="council")
    appraise("xa-long-son", "08/01/2025", "1.1.1", None, None, "Gửi Kế hoạch CCHC năm 2024 của xã")
    appraise("phuong-4", "09/01/2025", "7.3.1", 1.5, "Chưa có phương án bảo đảm an toàn thông tin cấp độ 2",
             evidence_refs=[ref("Báo cáo an toàn thông tin năm 2024", "61/BC-UBND", "trang 4")])
    appraise("phuong-thang-tam", "09/01/2025", "3.1.1", 1, "Cổng dịch vụ công còn 4 thủ tục chưa cập nhật",
             evidence_refs=[ref("Kết quả rà soát Cổng dịch vụ công", page="phụ lục 2")])
    # the appraisal of Rạch Dừa was late; the office reopened round 1 for it
    out.append(entry("phuong-rach-dua", "appraisal_1", at("11/01/2025", 8), kind="unlock", role="office_admin",
                     by=OFFICE, until="13/01/2025", reason="Thẩm định viên được cử bổ sung, nhận hồ sơ ngày 10/01/2025"))
    appraise("phuong-rach-dua", "12/01/2025", "3.3.1", None, "Xác nhận: sổ theo dõi phản ánh không có phản ánh xử lý đúng hạn")
    for i, unit in enumerate(UNITS):
        day = "12/01/2025" if unit == "phuong-rach-dua" else f"{9 + i % 2:02d}/01/2025"
        out.append(entry(unit, "appraisal_1", at(day, 17), kind="submit", role="appraiser", by=APPRAISER))

    answers = {
        "phuong-1": ("1.5.1", "Mô hình đã được UBND thành phố công nhận tại Quyết định 512/QĐ-UBND",
                     ref("Quyết định công nhận mô hình", "512/QĐ-UBND", "Điều 1")),
        "phuong-2": ("1.2.2", "Báo cáo quý I đủ 6 nội dung theo hướng dẫn; gửi kèm bản chụp",
                     ref("Báo cáo CCHC quý I/2024", "25/BC-UBND", "trang 1-5")),
        "phuong-8": ("4.1.1", "Đã kiện toàn tổ chức bộ máy; minh chứng nộp lại ngày 15/01/2025",
                     ref("Quyết định kiện toàn tổ chức bộ máy", "215/QĐ-UBND", "Điều 1")),
        "phuong-thang-nhat": ("2.2.2", "Đã công bố danh mục ngày 25/01/2024; minh chứng nộp lại ngày 15/01/2025",
                              ref("Quyết định công bố danh mục văn bản hết hiệu lực", "21/QĐ-UBND")),
        "xa-long-son": ("1.1.1", "Kế hoạch ban hành ngày 28/12/2023; minh chứng nộp lại ngày 15/01/2025",
                        ref("Kế hoạch CCHC năm 2024", "185/KH-UBND")),
    }
    for unit, (criterion, reason, document) in answers.items():
        out.append(entry(unit, "explanation", at("15/01/2025", 10), kind="note", criterion=criterion, reason=reason,
                         evidence_refs=[document]))
        out.append(entry(unit, "explanation", at("15/01/2025", 11), kind="submit"))

    appraise("phuong-1", "22/01/2025", "1.5.1", 1, "Đã có quyết định công nhận của UBND thành phố", role="council",
             round_name="appraisal_2")
    appraise("phuong-2", "22/01/2025", "1.2.2", None, "Báo cáo thiếu nội dung đánh giá kết quả; giữ nguyên 0 điểm",
             round_name="appraisal_2")
    appraise("phuong-7", "23/01/2025", "3.4.1", None, "Đơn vị không giải trình; giữ nguyên điểm vòng 1",
             round_name="appraisal_2")
    for unit in UNITS:
        out.append(entry(unit, "appraisal_2", at("24/01/2025", 17), kind="submit", role="council", by=COUNCIL))
        if unit != "phuong-7":
            out.append(entry(unit, "appraisal_2", at("05/02/2025", 9), kind="finalise", role="office_admin", by=OFFICE))
    return out


def main() -> None:
    explanation_bundles()
    records = HERE / "ho-so"
    if records.exists():
        shutil.rmtree(records)
    la = api.load_assessment(HERE / "danh-gia-2024.yaml")
    evidence = api.assessment_evidence(la)
    computed = {unit: api.computed_rounds(la, evidence[unit]) for unit in UNITS}
    for unit in UNITS:
        OFFICERS[unit] = f"Công chức Văn phòng - Thống kê, {evidence[unit]['self'].bundle.unit.name}"
    batches: dict[tuple[str, datetime], list[Entry]] = {}
    for item in story():
        batches.setdefault((item.unit, item.at), []).append(item)
    for (unit, when), items in sorted(batches.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        api.append_entries(la, unit, items, when, computed=computed[unit])
    print(f"{sum(len(v) for v in batches.values())} entries in {len(UNITS)} records")


if __name__ == "__main__":
    main()
