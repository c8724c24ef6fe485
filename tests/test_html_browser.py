"""The HTML report of the bundled sample, opened in headless Chromium: what a reader sees at 1366 and 390 px,
screenshots, and the printed PDF (page count, page numbers and unit names in the margins).

No DevTools protocol: a copy of the page gets a small script that writes its measurements into the
DOM, which --dump-dom returns. Under CI (env CI set) a missing Chromium is a failure, never a skip:
.ci/run installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.render.reports import html_report, plain_words, report_context
from engine.render.text import lost_points
from report_checks import pdf_page_sizes, pdf_pages
from engine.score.run import score_run

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
SAMPLE = ROOT / "evidence" / "vung-tau-2024"
SCREENSHOT = ROOT / "tests" / "output" / "report.png"
PRINTED_PAGES = (18, 125)
"""Stated bound for the printed sample: a few summary pages, then per unit one summary page and its details."""
MEASURE = """<script>
addEventListener("load", () => {
  const root = document.documentElement;
  const outside = [...document.querySelectorAll("body *")].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.right > innerWidth + 1 && !e.closest(".scroll");
  }).slice(0, 5).map(e => e.tagName);
  const scales = [...document.querySelectorAll("svg.chart")].filter(c => c.getBoundingClientRect().width > 0)
    .map(c => c.getBoundingClientRect().width / c.viewBox.baseVal.width);
  parent.postMessage(JSON.stringify({scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
                                     innerWidth: innerWidth, outside: outside, chartScale: Math.min(...scales),
                                     charts: scales.length}), "*");
});
</script>"""
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="probe.html" width="{width}" height="900" style="border:0"></iframe>
<script>addEventListener("message", e => {{
  const out = document.createElement("pre"); out.id = "measure"; out.textContent = e.data; document.body.append(out);
}});</script></body></html>"""
"""Headless Chromium keeps its window at least 500 px wide; a frame of the given width is a true 390 px viewport."""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        if os.environ.get("CI") is not None:
            pytest.fail("Chromium không có trong môi trường CI: .ci/run phải cài gói chromium")
        pytest.skip("chưa cài Chromium (apt-get install -y chromium); trong CI kiểm thử này bắt buộc")
    return found


class _Text(HTMLParser):
    """Visible text of the page, and the rows of the ranking table."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.ranking: list[list[str]] = []
        self._skip = 0
        self._in_ranking = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "title", "script"):
            self._skip += 1
        if tag == "table" and "ranking" in (attrs.get("class") or ""):
            self._in_ranking = True
        if self._in_ranking and tag == "tr":
            self.ranking.append([])
        if self._in_ranking and tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "title", "script"):
            self._skip -= 1
        if tag == "table":
            self._in_ranking = False
        if tag == "td" and self._cell is not None:
            self.ranking[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def run():
    return score_run(load_criteria(CRITERIA), load_bundles([SAMPLE]), CRITERIA)


@pytest.fixture(scope="module")
def page(run, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    path = folder / "report.html"
    path.write_text(html_report(report_context(run, criteria=load_criteria(CRITERIA).criteria)), encoding="utf-8")
    return path


def _browse(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=180, check=False)


def test_browser_shows_ranking_and_lost_point_explanations(run, page, tmp_path):
    chromium = _chromium()
    result = _browse(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    parser = _Text()
    parser.feed(result.stdout)
    rows = [r for r in parser.ranking if r]
    assert [r[1] for r in rows] == [u.name for u in run.units]
    assert [r[0] for r in rows] == [str(u.rank) for u in run.units]
    text = " ".join(" ".join(parser.text).split())
    unit = run.unit("phuong-12")
    node = next(n for n in lost_points(unit) if n.id == "3.5.1")
    assert f"3.5.1 {node.title} — mất 4 / 4 điểm" in text
    assert plain_words(node.explanation.branch) in text
    assert plain_words(node.remediation.task) in text
    assert "Lỗi dữ liệu" in text
    assert "Chỉ số thành phần theo lĩnh vực" in text
    assert "Chưa đến hạn tại ngày chốt số liệu" in text and "không phải điểm bị mất" in text
    assert "Điều tra xã hội học: chưa có kết quả" in text
    assert "→" not in text and ".yaml" not in text


def _measure(chromium: str, page: Path, tmp_path: Path, width: int) -> dict:
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    frame = tmp_path / "frame.html"
    frame.write_text(FRAME.format(width=width), encoding="utf-8")
    result = _browse(chromium, tmp_path / f"profile-{width}", "--window-size=1400,1000", "--virtual-time-budget=10000",
                     "--dump-dom", frame.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="measure">(.*?)</pre>', result.stdout, re.S)
    assert found, "the measuring script did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.parametrize("width", [1366, 390])
def test_page_body_never_overflows_and_charts_stay_readable(page, tmp_path, width):
    chromium = _chromium()
    measure = _measure(chromium, page, tmp_path, width)
    assert measure["innerWidth"] == width
    assert measure["scrollWidth"] <= measure["clientWidth"], measure  # tables scroll inside their own box
    assert measure["outside"] == [], measure
    assert measure["charts"] >= 2
    assert measure["chartScale"] >= 0.9, measure  # 12 px chart labels stay at least 10,8 px on a phone


@pytest.mark.parametrize("width", [1366, 390])
def test_screenshots_at_desktop_and_phone_width_are_kept(page, tmp_path, width):
    chromium = _chromium()
    target = SCREENSHOT.with_name(f"report-{width}.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    result = _browse(chromium, tmp_path / "profile", f"--screenshot={target}", f"--window-size={width},900",
                     "--hide-scrollbars", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (width, 900)
    assert len(data) > 20_000  # a blank page compresses to a few kilobytes


def test_printed_report_has_page_numbers_unit_names_and_a_bounded_page_count(run, page, tmp_path):
    chromium = _chromium()
    pdf = tmp_path / "report.pdf"
    result = _browse(chromium, tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert result.returncode == 0 and pdf.exists(), result.stderr[-2000:]
    sizes = pdf_page_sizes(pdf)
    assert PRINTED_PAGES[0] <= len(sizes) <= PRINTED_PAGES[1], len(sizes)
    assert all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in sizes)  # A4 portrait
    pages = pdf_pages(pdf)
    assert all(f"Trang {number} / {len(pages)}" in text for number, text in enumerate(pages, start=1))
    heads = [text.strip().splitlines()[0].strip() for text in pages]
    first_pages = {}
    for number, head in enumerate(heads):
        first_pages.setdefault(head, number)
    for unit in run.units:
        assert unit.name in first_pages, unit.name  # the unit's name in the margin of its pages
        summary = pages[first_pages[unit.name]]
        summary = " ".join(summary.split())
        assert "điểm đạt được / tối đa áp dụng" in summary and "Lĩnh vực" in summary  # one summary page first
