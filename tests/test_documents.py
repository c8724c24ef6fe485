"""Documents an officer signs and files, checked as they are read and printed.

python-docx checks the frame of Nghị định 30/2020/NĐ-CP (motto bold and ruled, number, place and
date, recipients, signature titles), the fonts and language, the pages, and that no engine word
reaches the text. LibreOffice (headless, private profile) converts the Word and Excel files to PDF,
which is checked for A4 landscape pages within a stated count, Times New Roman (or Liberation
Serif, LibreOffice's metric-compatible substitute on machines without Times New Roman), numbers
never broken across lines, and every signature block on the page where its table ends. Under CI a
missing LibreOffice or poppler is a failure, never a skip.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from engine.core.vnformat import format_number
from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.load.frames import load_frame
from engine.render.reports import engine_words, plan_document, report_context, report_document, unit_plan
from engine.score.run import score_run
from report_checks import docx_paragraphs, paragraph_text, pdf_fonts, pdf_page_sizes, pdf_pages, to_pdf

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
SAMPLE = ROOT / "evidence" / "vung-tau-2024"
FRAME = ROOT / "frames" / "vung-tau-2024.yaml"
PLAN_HEADERS = ["STT", "Nhiệm vụ chung", "Nhiệm vụ cụ thể", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp",
                "Thời gian hoàn thành", "Kinh phí"]
FONTS = ("TimesNewRoman", "LiberationSerif")
A4_LANDSCAPE = (841.89, 595.3)
# Stated page bounds for the 17-ward sample: the summary takes at most 4 pages, a unit's scoring sheet at most 9,
# a unit's plan at most 5; the provincial plan with its view at most 30 pages.
PAGE_BOUNDS = {"report.docx": (18, 4 + 9 * 17), "plan.docx": (17, 5 * 17), "province.docx": (2, 30),
               "report.xlsx": (18, 4 + 9 * 17), "plan.xlsx": (17, 5 * 17)}


@pytest.fixture(scope="module")
def loaded():
    return load_criteria(CRITERIA)


@pytest.fixture(scope="module")
def run(loaded):
    return score_run(loaded, load_bundles([SAMPLE]), CRITERIA)


@pytest.fixture(scope="module")
def files(run, loaded, tmp_path_factory) -> dict[str, Path]:
    frame, problems = load_frame(FRAME)
    assert problems == []
    folder = tmp_path_factory.mktemp("documents")
    outputs = {
        "report.docx": report_document(run, "docx", criteria=loaded.criteria, frame=frame),
        "plan.docx": plan_document(run, "docx", criteria=loaded.criteria, frame=frame),
        "province.docx": plan_document(run, "docx", True, criteria=loaded.criteria, frame=frame),
        "report.xlsx": _without_cached_values(report_document(run, "xlsx", criteria=loaded.criteria, frame=frame)),
        "plan.xlsx": plan_document(run, "xlsx", criteria=loaded.criteria, frame=frame),
    }
    paths = {}
    for name, data in outputs.items():
        stem, suffix = name.split(".")
        paths[name] = folder / f"{stem}-{suffix}.{suffix}"  # distinct stems: each file gets its own PDF
        paths[name].write_bytes(data)
    return paths


def _without_cached_values(data: bytes) -> bytes:
    """The workbook with its formula results removed, so LibreOffice must compute every total itself."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                payload = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1<v></v>", payload)
            target.writestr(info, payload)
    return out.getvalue()


@pytest.fixture(scope="module")
def pdfs(files, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    converted = to_pdf(list(files.values()), folder, tmp_path_factory.mktemp("lo-profile"))
    return {name: converted[path.name] for name, path in files.items()}


def _documents(files) -> dict[str, Document]:
    return {name: Document(str(path)) for name, path in files.items() if name.endswith(".docx")}


# ---------------------------------------------------------------- Word files as python-docx reads them


def test_every_word_file_carries_the_frame_of_the_decree(files, run):
    parts = {"report.docx": 1 + len(run.units), "plan.docx": len(run.units), "province.docx": 2}
    for name, document in _documents(files).items():
        paragraphs = docx_paragraphs(document)
        texts = [paragraph_text(p) for p in paragraphs]
        count = parts[name]
        assert texts.count("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") == count, name
        mottos = [i for i, t in enumerate(texts) if t == "Độc lập - Tự do - Hạnh phúc"]
        assert len(mottos) == count, name
        for index in mottos:
            runs = list(paragraphs[index].iter(qn("w:r")))
            assert runs and all(r.find(qn("w:rPr")).find(qn("w:b")) is not None for r in runs), name
            rule = paragraphs[index + 1]
            assert texts[index + 1] == "" and rule.find(f".//{qn('w:pBdr')}/{qn('w:bottom')}") is not None, name
        assert sum(1 for t in texts if re.fullmatch(r"Số: ……/(BC|KH)-[A-Z]+", t)) == count, name
        dates = [i for i, t in enumerate(texts) if re.fullmatch(r"[^,]+, ngày …… tháng …… năm 2024", t)]
        assert len(dates) == count, name
        assert all(paragraphs[i].find(f".//{qn('w:i')}") is not None for i in dates), name
        assert texts.count("Nơi nhận:") == count, name
        assert all(t.startswith("- ") for t in texts if t.startswith("- Lưu")), name
    report = [paragraph_text(p) for p in docx_paragraphs(_documents(files)["report.docx"])]
    assert report.count("TM. ỦY BAN NHÂN DÂN") == len(run.units) and report.count("CHỦ TỊCH") == len(run.units)
    assert report.count("TRƯỞNG PHÒNG") == 1 and "PHÒNG NỘI VỤ" in report
    assert "ỦY BAN NHÂN DÂN PHƯỜNG 1" in report and "Phường 1, ngày …… tháng …… năm 2024" in report
    province = [paragraph_text(p) for p in docx_paragraphs(_documents(files)["province.docx"])]
    assert province.count("KT. CHỦ TỊCH") == 1 and province.count("PHÓ CHỦ TỊCH") == 1
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ VŨNG TÀU" in province
    assert "PHỤ LỤC" in province and "KẾ HOẠCH KHẮC PHỤC CÁC TIÊU CHÍ CHƯA ĐẠT ĐIỂM TỐI ĐA" in province
    assert any(t.startswith("(Kèm theo Kế hoạch số ……/KH-UBND ngày") for t in province)


def test_word_files_ask_for_times_new_roman_and_vietnamese_proofing(files):
    for name, path in files.items():
        if not name.endswith(".docx"):
            continue
        with zipfile.ZipFile(path) as archive:
            styles = archive.read("word/styles.xml").decode("utf-8")
            document = archive.read("word/document.xml").decode("utf-8")
        assert "Theme" not in re.sub(r"<w:latentStyles.*?</w:latentStyles>", "", styles, flags=re.S), name
        fonts = set(re.findall(r'<w:rFonts [^>]*?w:(?:ascii|hAnsi|cs|eastAsia)="([^"]+)"', styles + document))
        assert fonts == {"Times New Roman"}, (name, fonts)
        style_count = styles.count("<w:style ")
        assert styles.count('<w:lang w:val="vi-VN"') == style_count + 1, name  # every style and the defaults
        assert 'w:lang w:val="en-US"' not in styles


def test_word_sections_are_a4_landscape_with_the_decrees_margins_and_page_numbers(files):
    for name, document in _documents(files).items():
        for section in document.sections:
            assert round(section.page_width.cm, 1) == 29.7 and round(section.page_height.cm, 1) == 21.0, name
            assert section.orientation == 1  # landscape
            assert (round(section.top_margin.cm, 1), round(section.bottom_margin.cm, 1)) == (2.0, 2.0)
            assert (round(section.left_margin.cm, 1), round(section.right_margin.cm, 1)) == (3.0, 1.5)
            assert section.different_first_page_header_footer
            header = section.header._element
            assert " PAGE " in "".join(t.text or "" for t in header.iter(qn("w:instrText"))), name
            assert section._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
            footer = "".join(t.text or "" for t in section.footer._element.iter(qn("w:t")))
            assert re.fullmatch(r"Mã kiểm tra: [0-9A-F]{4}-[0-9A-F]{4}", footer), footer


def test_plans_have_the_eight_appendix_columns(files, run):
    documents = _documents(files)
    for name, expected in (("plan.docx", len(run.units)), ("province.docx", 1)):
        tables = [t for t in documents[name].tables if [c.text for c in t.rows[0].cells] == PLAN_HEADERS]
        assert len(tables) == expected, name


def test_no_engine_vocabulary_in_what_a_person_reads(files):
    for name, document in _documents(files).items():
        text = "\n".join(paragraph_text(p) for p in docx_paragraphs(document))
        assert engine_words(text) == [], (name, engine_words(text)[:10])
        assert "→" not in text and "mức '" not in text and ".yaml" not in text


# ---------------------------------------------------------------- printed through LibreOffice


def test_pdf_pages_are_a4_landscape_and_within_the_stated_count(pdfs):
    for name, pdf in pdfs.items():
        sizes = pdf_page_sizes(pdf)
        low, high = PAGE_BOUNDS[name]
        assert low <= len(sizes) <= high, (name, len(sizes))
        for width, height in sizes:
            assert abs(width - A4_LANDSCAPE[0]) < 1 and abs(height - A4_LANDSCAPE[1]) < 1, (name, width, height)


def test_pdf_fonts_are_times_new_roman_or_its_metric_twin(pdfs):
    for name, pdf in pdfs.items():
        fonts = pdf_fonts(pdf)
        assert fonts and all(f.startswith(FONTS) for f in fonts), (name, fonts, "Liberation 1.x has no Vietnamese "
                                                                    "letters: install Debian's fonts-liberation2")


def _tokens(pages: list[str]) -> set[str]:
    return {token.strip("();:,") for page in pages for token in page.split()}


def _two_decimals(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def test_numbers_are_never_broken_across_lines(pdfs, run):
    """Every unit's total, index and area indices appear whole; a number split over two lines would not."""
    word, sheet = set(), set()
    for unit in run.units:
        word |= {format_number(unit.points), format_number(unit.index_pct) + "%"}
        word |= {format_number(a.index_pct) + "%" for a in unit.areas if a.index_pct is not None}
        sheet |= {_two_decimals(unit.points), _two_decimals(unit.index_pct) + "%"}
        sheet |= {_two_decimals(a.index_pct) + "%" for a in unit.areas if a.index_pct is not None}
    for name, expected in (("report.docx", word), ("report.xlsx", sheet)):
        tokens = _tokens(pdf_pages(pdfs[name]))
        assert expected - tokens == set(), (name, sorted(expected - tokens)[:10])


def test_xlsx_totals_computed_by_libreoffice_equal_the_engines(pdfs, run):
    """The workbook went to LibreOffice without cached values: the printed totals are its own sums."""
    lines = [line for page in pdf_pages(pdfs["report.xlsx"], layout=True) for line in page.splitlines()]

    def final(label: list[str]) -> list[str]:
        """The last number of each row with this label: the 'Điểm đạt được' column (notes carry no 0,00 numbers)."""
        found = []
        for line in lines:
            words = line.split()
            if words[:len(label)] == label:
                found.append([w for w in words if re.fullmatch(r"-?\d+,\d\d", w)][-1])
        return sorted(found)

    assert final(["TỔNG", "ĐIỂM"]) == sorted(_two_decimals(u.points) for u in run.units)
    assert final(["Cộng", "điểm", "các", "lĩnh", "vực"]) == sorted(_two_decimals(sum(a.points for a in u.areas))
                                                                   for u in run.units)


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_signature_block_is_on_the_page_where_its_table_ends(pdfs, run, loaded, kind):
    pages = pdf_pages(pdfs[f"report.{kind}"])
    signed = [i for i, page in enumerate(pages) if "Nơi nhận:" in page]
    assert len(signed) == 1 + len(run.units)
    assert "Yếu" in pages[signed[0]]  # the summary's last table row
    for index in signed[1:]:
        assert "Xếp hạng" in pages[index] and "Xếp loại" in pages[index], index
        assert "TM. ỦY BAN NHÂN DÂN" in pages[index]
    pages = pdf_pages(pdfs[f"plan.{kind}"])
    signed = [i for i, page in enumerate(pages) if "Nơi nhận:" in page]
    assert len(signed) == len(run.units)
    ctx = report_context(run, criteria=loaded.criteria)
    for index, unit in zip(signed, run.units):
        plan = unit_plan(ctx, unit)
        assert str(plan.task_count) in pages[index].split(), (unit.name, plan.task_count)  # the last task's STT
