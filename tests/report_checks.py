"""Helpers for tests of what people read: a formula evaluator for the workbooks, the office tools, Word text.

The evaluator recomputes every total of a workbook from its cells (ROUND, SUM, MAX, AVERAGE, + - * /,
cell references and ranges), so a formula that does not add up to the engine's total fails without
a spreadsheet program. The tool finders make a missing LibreOffice, poppler or Chromium a failure under
CI (env CI set) and a skip elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from docx.oxml.ns import qn
from openpyxl.utils import column_index_from_string, get_column_letter

_TOKEN = re.compile(r"\b([A-Z]{1,3}[0-9]+)(?::([A-Z]{1,3}[0-9]+))?\b(?!\()")
_ALLOWED = re.compile(r"^[A-Z0-9_(),.:+\-*/ ]*$")


def _round(value, digits=0):
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP))


def _flatten(args):
    for arg in args:
        if isinstance(arg, list):
            yield from _flatten(arg)
        else:
            yield arg


class Evaluator:
    """Values of one worksheet's cells, formulas evaluated recursively (text and blanks count as 0 in sums)."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.cache: dict[str, float | str | None] = {}

    def value(self, ref: str):
        if ref not in self.cache:
            raw = self.sheet[ref].value
            self.cache[ref] = self.evaluate(raw) if isinstance(raw, str) and raw.startswith("=") else raw
        return self.cache[ref]

    def _number(self, ref: str):
        value = self.value(ref)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def _range(self, a: str, b: str) -> list:
        (c1, r1), (c2, r2) = (re.match(r"([A-Z]+)([0-9]+)", x).groups() for x in (a, b))
        return [self._number(f"{get_column_letter(c)}{r}")
                for c in range(column_index_from_string(c1), column_index_from_string(c2) + 1)
                for r in range(int(r1), int(r2) + 1)]

    def evaluate(self, formula: str) -> float:
        body = formula[1:]
        assert _ALLOWED.match(body), formula
        body = _TOKEN.sub(lambda m: f'_R("{m.group(1)}","{m.group(2)}")' if m.group(2) else f'_C("{m.group(1)}")',
                          body)
        namespace = {
            "_R": self._range,
            "_C": lambda ref: self._number(ref) or 0.0,
            "ROUND": _round,
            "SUM": lambda *a: sum(x for x in _flatten(a) if x is not None),
            "MAX": lambda *a: max(x for x in _flatten(a) if x is not None),
            "AVERAGE": lambda *a: (lambda xs: sum(xs) / len(xs))([x for x in _flatten(a) if x is not None]),
        }
        return float(eval(body, {"__builtins__": {}}, namespace))  # noqa: S307 - the report's own formulas only


def tool(name: str, package: str) -> str:
    """A program the acceptance tests need: its path; a failure under CI when missing, a skip elsewhere."""
    found = shutil.which(name) or next((p for p in (f"/usr/bin/{name}",) if Path(p).exists()), None)
    if found is None:
        if os.environ.get("CI") is not None:
            pytest.fail(f"{name} không có trong môi trường CI: .ci/run phải cài gói {package}")
        pytest.skip(f"chưa cài {name} (apt-get install -y {package}); trong CI kiểm thử này bắt buộc")
    return found


def to_pdf(files: list[Path], outdir: Path, profile: Path) -> dict[str, Path]:
    """Convert office files with LibreOffice headless in a private profile; PDF path by input file name."""
    soffice = tool("soffice", "libreoffice-writer libreoffice-calc")
    result = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                             "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
                            capture_output=True, text=True, timeout=600, check=False)
    pdfs = {f.name: outdir / (f.stem + ".pdf") for f in files}
    missing = [name for name, pdf in pdfs.items() if not pdf.exists()]
    assert not missing, f"LibreOffice did not convert {missing}: {result.stdout[-500:]} {result.stderr[-1500:]}"
    return pdfs


def pdf_pages(pdf: Path, layout: bool = False) -> list[str]:
    """The text of each page (pdftotext, UTF-8)."""
    pdftotext = tool("pdftotext", "poppler-utils")
    args = [pdftotext, "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(pdf), "-"]
    text = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    return text.split("\f")[:-1]


def pdf_page_sizes(pdf: Path) -> list[tuple[float, float]]:
    pdfinfo = tool("pdfinfo", "poppler-utils")
    text = subprocess.run([pdfinfo, "-f", "1", "-l", "100000", str(pdf)], capture_output=True, text=True, check=True,
                          timeout=120).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", text)]


def pdf_fonts(pdf: Path) -> set[str]:
    """Font names in the PDF without the subset prefix (ABCDEF+)."""
    pdffonts = tool("pdffonts", "poppler-utils")
    lines = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True, timeout=120).stdout
    return {line.split()[0].split("+")[-1] for line in lines.splitlines()[2:] if line.strip()}


def docx_paragraphs(document) -> list:
    """Every paragraph element of a Word document's body, tables and nested tables included, in order."""
    return list(document.element.body.iter(qn("w:p")))


def paragraph_text(paragraph) -> str:
    return "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
