"""Vietnamese deadline phrases: every form, its boundaries, and phrases that must stay unread."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st
from pydantic import ValidationError

from engine.load.deadlines import Deadline, parse_deadline, vietnamese_label

YEAR = 2025


@pytest.mark.parametrize(
    ("phrase", "kind", "due", "inclusive"),
    [
        ("Trước ngày 16/01/2025", "date", date(2025, 1, 16), False),
        ("Hoàn thành trước ngày 30/4/2025", "date", date(2025, 4, 30), False),
        ("Trước 31/12/2024", "date", date(2024, 12, 31), False),
        ("ngày 15/3", "date", date(2025, 3, 15), True),
        ("ngày 5 tháng 3 năm 2024", "date", date(2024, 3, 5), True),
        ("Chậm nhất ngày 05/03/2024", "date", date(2024, 3, 5), True),
        ("Tháng 01/2025", "period_end", date(2025, 1, 31), True),
        ("Tháng 12 năm 2025", "period_end", date(2025, 12, 31), True),
        ("Tháng 1/2025", "period_end", date(2025, 1, 31), True),
        ("Quý IV năm 2024", "period_end", date(2024, 12, 31), True),
        ("Quý II/2020", "period_end", date(2020, 6, 30), True),
        ("Quý IV/ 2020", "period_end", date(2020, 12, 31), True),
        ("Năm 2025", "period_end", date(2025, 12, 31), True),
        ("Trong năm 2025", "period_end", date(2025, 12, 31), True),
        ("Hoàn thành trong Quý IV", "period_end", date(YEAR, 12, 31), True),
        ("6 tháng đầu năm", "period_end", date(YEAR, 6, 30), True),
        ("6 tháng cuối năm 2024", "period_end", date(2024, 12, 31), True),
        ("Ban hành Kế hoạch trong tháng 1/2020", "period_end", date(2020, 1, 31), True),
        ("Xây dựng Kế hoạch: Quý IV/2019", "period_end", date(2019, 12, 31), True),
        ("Từ tháng 3 đến tháng 6/2025", "window", date(2025, 6, 30), True),
        ("Kế hoạch: Quý I năm 2025; Báo cáo: Quý IV năm 2025", "milestones", date(2025, 12, 31), True),
        ("Thường xuyên", "continuous", None, True),
        ("Định kỳ hằng quý", "recurring", None, True),
        ("Hằng năm", "recurring", None, True),
        ("Sau khi có hướng dẫn", "conditional", None, True),
        ("Theo thời gian quy định trong KH của tỉnh", "conditional", None, True),
        ("theo yêu cầu của UBND cấp huyện", "conditional", None, True),
        ("", "none", None, True),
    ],
)
def test_phrase_forms(phrase: str, kind: str, due: date | None, inclusive: bool) -> None:
    deadline = parse_deadline(phrase, YEAR)
    assert (deadline.kind, deadline.due, deadline.inclusive) == (kind, due, inclusive)
    assert deadline.text == phrase


@pytest.mark.parametrize(
    ("quarter", "end"),
    [("I", date(2025, 3, 31)), ("II", date(2025, 6, 30)), ("III", date(2025, 9, 30)), ("IV", date(2025, 12, 31)),
     ("1", date(2025, 3, 31)), ("2", date(2025, 6, 30)), ("3", date(2025, 9, 30)), ("4", date(2025, 12, 31))],
)
def test_quarter_ends(quarter: str, end: date) -> None:
    deadline = parse_deadline(f"Quý {quarter} năm 2025", 2020)
    assert deadline.kind == "period_end"
    assert deadline.due == end
    assert deadline.start == date(2025, end.month - 2, 1)
    assert deadline.granularity == "quarter"


@pytest.mark.parametrize(
    ("phrase", "end"),
    [("Tháng 2/2024", date(2024, 2, 29)), ("Tháng 02/2025", date(2025, 2, 28)), ("Tháng 2/2000", date(2000, 2, 29)),
     ("Tháng 2/1900", date(1900, 2, 28)), ("Tháng 4/2025", date(2025, 4, 30)), ("Tháng 12/2025", date(2025, 12, 31))],
)
def test_month_ends_including_february(phrase: str, end: date) -> None:
    assert parse_deadline(phrase, end.year).due == end


def test_milestones_keep_labels_and_the_last_date() -> None:
    deadline = parse_deadline("kế hoạch: Tháng 1/2025 Báo cáo: Tháng 7/2025", YEAR)
    assert deadline.kind == "milestones"
    assert [(p.label, p.due) for p in deadline.parts] == [
        ("kế hoạch", date(2025, 1, 31)),
        ("Báo cáo", date(2025, 7, 31)),
    ]
    assert deadline.due == date(2025, 7, 31)


@pytest.mark.parametrize(
    ("phrase", "dues"),
    [
        ("Xây dựng Kế hoạch tháng 01/2020. Thực hiện năm 2020", [date(2020, 1, 31), date(2020, 12, 31)]),
        ("Kế hoạch Quý IV/2024; Báo cáo năm 2025", [date(2024, 12, 31), date(2025, 12, 31)]),
        ("Kế hoạch Quý IV năm 2024 và báo cáo năm 2025", [date(2024, 12, 31), date(2025, 12, 31)]),
        ("Quý II, Quý IV/2025", [date(2025, 6, 30), date(2025, 12, 31)]),
        ("Quý III và Quý IV năm 2025", [date(2025, 9, 30), date(2025, 12, 31)]),
        ("6 tháng và năm 2025", [date(2025, 6, 30), date(2025, 12, 31)]),
    ],
)
def test_milestone_variants(phrase: str, dues: list[date]) -> None:
    deadline = parse_deadline(phrase, 2019)
    assert deadline.kind == "milestones"
    assert [p.due for p in deadline.parts] == dues
    assert deadline.due == dues[-1]


def test_milestones_with_a_recurring_part() -> None:
    deadline = parse_deadline("Quý IV/2024 và theo định kỳ", YEAR)
    assert deadline.kind == "milestones"
    assert [p.kind for p in deadline.parts] == ["period_end", "recurring"]
    assert deadline.due == date(2024, 12, 31)


@pytest.mark.parametrize(
    "phrase",
    [
        "sở, huyện: trước ngày 01/3/2025; cấp xã: theo yêu cầu của UBND cấp huyện",
        "Các sở, ban, ngành tỉnh, UBND cấp huyện: trước ngày 01/3/2025; UBND cấp xã: theo yêu cầu của UBND cấp huyện",
    ],
)
def test_per_level(phrase: str) -> None:
    deadline = parse_deadline(phrase, YEAR)
    assert deadline.kind == "per_level"
    assert deadline.due is None
    first, second = deadline.parts
    assert first.levels == ("sở", "huyện")
    assert (first.kind, first.due, first.inclusive) == ("date", date(2025, 3, 1), False)
    assert second.levels == ("xã",)
    assert second.kind == "conditional"
    assert second.condition == "theo yêu cầu của UBND cấp huyện"


def test_a_label_starting_with_ban_hanh_is_not_a_unit_level() -> None:
    deadline = parse_deadline("Ban hành Kế hoạch: Quý IV", YEAR)
    assert deadline.kind == "period_end"
    assert deadline.label == "Ban hành Kế hoạch"


@pytest.mark.parametrize(
    ("phrase", "kind", "frequency", "start", "due"),
    [
        ("Thường xuyên", "continuous", "thường xuyên", None, None),
        ("Thường xuyên trong năm 2025", "continuous", "thường xuyên", date(2025, 1, 1), date(2025, 12, 31)),
        ("Định kỳ trong năm", "recurring", "định kỳ", date(YEAR, 1, 1), date(YEAR, 12, 31)),
        ("Định kỳ hằng quý", "recurring", "hằng quý", None, None),
        ("Hàng tháng", "recurring", "hằng tháng", None, None),
        ("Hằng năm", "recurring", "hằng năm", None, None),
        ("Thực hiện từ Quý I/2020", "continuous", "thường xuyên", date(2020, 1, 1), None),
    ],
)
def test_recurring(phrase: str, kind: str, frequency: str, start: date | None, due: date | None) -> None:
    deadline = parse_deadline(phrase, 2020 if "2020" in phrase else YEAR)
    assert deadline.kind == kind
    assert (deadline.frequency, deadline.start, deadline.due) == (frequency, start, due)
    assert deadline.is_met_by(date(2025, 6, 1)) is None


def test_recurring_keeps_its_basis_as_condition() -> None:
    assert parse_deadline("Định kỳ theo báo cáo CCHC", YEAR).condition == "theo báo cáo CCHC"


def test_qualifiers_are_kept_as_condition() -> None:
    deadline = parse_deadline("Năm 2020, sau khi có Nghị định của Chính phủ", YEAR)
    assert (deadline.kind, deadline.due) == ("period_end", date(2020, 12, 31))
    assert deadline.condition == "sau khi có Nghị định của Chính phủ"
    assert parse_deadline("Năm 2020 (Theo lộ trình)", YEAR).condition == "Theo lộ trình"


def test_tentative_month_with_condition() -> None:
    deadline = parse_deadline("Dự kiến tháng 11 (sau khi có văn bản triển khai của tỉnh)", YEAR)
    assert (deadline.kind, deadline.due, deadline.tentative) == ("period_end", date(2025, 11, 30), True)
    assert deadline.condition == "sau khi có văn bản triển khai của tỉnh"


@pytest.mark.parametrize(
    "phrase",
    ["Quý V/2025", "Quý V năm 2025", "Tháng 13/2025", "ngày 31/02/2025", "abc", "chưa rõ", "15/3",
     "Quý I/2025 xyz", "Báo cáo 3 lần: Quý I/2025"],
)
def test_unreadable_is_never_guessed(phrase: str) -> None:
    deadline = parse_deadline(phrase, YEAR)
    assert deadline.kind == "unreadable"
    assert deadline.due is None


def test_blank_phrase_is_none() -> None:
    assert parse_deadline("  \n ", YEAR).kind == "none"


def test_nfd_whitespace_trailing_dots_and_case() -> None:
    nfd = unicodedata.normalize("NFD", "Quý IV năm 2024")
    messy = "  QUÝ   iv \n NĂM 2024 .. "
    for phrase in (nfd, messy, "quý iv năm 2024."):
        deadline = parse_deadline(phrase, YEAR)
        assert (deadline.kind, deadline.due) == ("period_end", date(2024, 12, 31))
        assert deadline.text == unicodedata.normalize("NFC", deadline.text)
    assert parse_deadline(nfd, YEAR).text == "Quý IV năm 2024"


def test_dates_are_day_first() -> None:
    assert parse_deadline("Trước ngày 05/03/2024", YEAR).due == date(2024, 3, 5)
    assert parse_deadline("ngày 02-01-2025", YEAR).due == date(2025, 1, 2)


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)), st.booleans())
def test_truoc_ngay_reads_day_first_for_any_date(day: date, padded: bool) -> None:
    text = f"{day.day:02d}/{day.month:02d}/{day.year}" if padded else f"{day.day}/{day.month}/{day.year}"
    deadline = parse_deadline(f"Trước ngày {text}", day.year)
    assert (deadline.kind, deadline.due, deadline.inclusive) == ("date", day, False)


def test_is_met_by_respects_inclusiveness() -> None:
    before = parse_deadline("Trước ngày 16/01/2025", YEAR)
    assert before.is_met_by(date(2025, 1, 15)) is True
    assert before.is_met_by(date(2025, 1, 16)) is False
    quarter = parse_deadline("Quý I năm 2025", YEAR)
    assert quarter.is_met_by(date(2025, 3, 31)) is True
    assert quarter.is_met_by(date(2025, 4, 1)) is False
    assert parse_deadline("Sau khi có hướng dẫn", YEAR).is_met_by(date(2025, 1, 1)) is None


def test_deadline_is_immutable_and_strict() -> None:
    deadline = parse_deadline("Quý I năm 2025", YEAR)
    with pytest.raises(ValidationError):
        deadline.due = date(2030, 1, 1)  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Deadline(text="x", kind="none", surprise=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("phrase", "label"),
    [
        ("Quý I năm 2025", "trước hoặc trong ngày 31/03/2025"),
        ("Trước ngày 16/01/2025", "trước ngày 16/01/2025"),
        ("Thường xuyên", "thường xuyên"),
        ("Định kỳ trong năm 2025", "định kỳ trong năm 2025"),
        ("Sau khi có hướng dẫn", "sau khi có hướng dẫn"),
        ("Ban hành Kế hoạch trong tháng 1/2020", "Ban hành Kế hoạch: trước hoặc trong ngày 31/01/2020"),
        ("Kế hoạch: Quý I năm 2025; Báo cáo: Quý IV năm 2025",
         "Kế hoạch: trước hoặc trong ngày 31/03/2025; Báo cáo: trước hoặc trong ngày 31/12/2025"),
        ("sở, huyện: trước ngày 01/3/2025; cấp xã: theo yêu cầu của UBND cấp huyện",
         "sở, huyện: trước ngày 01/03/2025; xã: theo yêu cầu của UBND cấp huyện"),
        ("Dự kiến tháng 11 (sau khi có văn bản)", "dự kiến trước hoặc trong ngày 30/11/2025 (sau khi có văn bản)"),
        ("Từ tháng 3 đến tháng 6/2025", "từ 01/03/2025 đến 30/06/2025"),
        ("", "không ghi thời hạn"),
        ("Quý V/2025", "không đọc được thời hạn “Quý V/2025”"),
    ],
)
def test_vietnamese_label(phrase: str, label: str) -> None:
    assert vietnamese_label(parse_deadline(phrase, YEAR)) == label


# ---------------------------------------------------------------- forms from other provinces' plans (issue 10)


@given(st.dates(min_value=date(2016, 1, 1), max_value=date(2034, 12, 31)))
def test_sau_ngay_is_never_read_as_truoc_ngay(day: date) -> None:
    text = f"{day.day}/{day.month}/{day.year}"
    before, after = parse_deadline(f"Trước ngày {text}", day.year), parse_deadline(f"Sau ngày {text}", day.year)
    assert (before.kind, before.last_on_time_day()) == ("date", day - timedelta(days=1))
    assert (after.kind, after.start, after.due, after.last_on_time_day()) == ("after", day + timedelta(days=1), None, None)
    assert after.is_met_by(day) is None


@given(st.integers(min_value=2016, max_value=2034), st.integers(min_value=1, max_value=12))
def test_parts_of_a_month_split_it_in_three(year: int, month: int) -> None:
    early, mid, late = (parse_deadline(f"{word} tháng {month}/{year}", year) for word in ("Đầu", "Giữa", "Cuối"))
    assert [d.due.day for d in (early, mid)] == [10, 20]
    assert late.due == parse_deadline(f"Tháng {month}/{year}", year).due
    assert early.start.day == 1 and mid.start.day == 11 and late.start.day == 21


@given(st.integers(min_value=2016, max_value=2030), st.integers(min_value=1, max_value=8))
def test_year_ranges_are_windows_ending_on_the_last_year(first: int, span: int) -> None:
    for phrase in (f"Giai đoạn {first} - {first + span}", f"Năm {first}-{first + span}", f"{first} – {first + span}"):
        deadline = parse_deadline(phrase, first)
        assert (deadline.kind, deadline.start, deadline.due) == ("window", date(first, 1, 1), date(first + span, 12, 31))


@given(st.text(max_size=120))
def test_any_text_is_read_or_unreadable_never_an_error(text: str) -> None:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind in ("none", "unreadable") or deadline.text
    last = deadline.last_on_time_day()
    assert last is None or (deadline.due is not None and abs(last.year - YEAR) <= 10)
    assert vietnamese_label(deadline)


@pytest.mark.parametrize(
    ("phrase", "kind", "start", "due", "cutoff"),
    [
        ("Số liệu tính từ ngày 15/12/2024 đến ngày 14/12/2025", "cutoff", None, None,
         (date(2024, 12, 15), date(2025, 12, 14))),
        ("Trước ngày 20/12/2025 (số liệu tính từ ngày 15/12/2024 đến ngày 14/12/2025)", "date", None,
         date(2025, 12, 20), (date(2024, 12, 15), date(2025, 12, 14))),
        ("Từ ngày 01/3/2025 đến ngày 30/6/2025", "window", date(2025, 3, 1), date(2025, 6, 30), None),
    ],
)
def test_cut_off_windows_are_never_due_dates(phrase, kind, start, due, cutoff) -> None:
    deadline = parse_deadline(phrase, YEAR)
    assert (deadline.kind, deadline.start, deadline.due) == (kind, start, due)
    assert (deadline.cutoff_start, deadline.cutoff_end) == (cutoff or (None, None))


@pytest.mark.parametrize(
    ("phrase", "reason"),
    [
        ("Giữa năm 2025", "không có mốc rõ ràng"),
        ("Quý II hoặc Quý III/2025", "hai thời hạn thay thế nhau"),
        ("Tháng 3 (bốn) năm 2025", "khác nhau"),
        ("Quý I/2205", "năm 2205 cách năm kế hoạch 2025"),
        ("Giai đoạn 2030 - 2026", "năm cuối phải sau năm đầu"),
        ("x" * 401, "quá dài"),
    ],
)
def test_unreadable_says_why(phrase: str, reason: str) -> None:
    deadline = parse_deadline(phrase, YEAR)
    assert deadline.kind == "unreadable" and reason in (deadline.reason or "")
    assert reason in vietnamese_label(deadline)


@pytest.mark.parametrize(
    ("phrase", "same_as"),
    [("Quí II/2025", "Quý II/2025"), ("Qúy II/2025", "Quý II/2025"), ("Quý IInăm 2025", "Quý II năm 2025"),
     ("Tháng12/2025", "Tháng 12/2025"), ("Trướcngày 15/3/2025", "Trước ngày 15/3/2025"),
     ("Tháng 3 (ba) năm 2025", "Tháng 3 năm 2025"), ("Quý III/2025 (dự kiến)", "Dự kiến Quý III/2025")],
)
def test_spelling_and_spacing_variants_read_alike(phrase: str, same_as: str) -> None:
    got, expected = parse_deadline(phrase, YEAR), parse_deadline(same_as, YEAR)
    assert (got.kind, got.due, got.inclusive, got.tentative) == (expected.kind, expected.due, expected.inclusive,
                                                                 expected.tentative)
    assert got.text == " ".join(phrase.split())
