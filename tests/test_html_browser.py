"""The HTML report of the bundled sample, opened in headless Chromium: what a reader sees, plus a screenshot.

Under CI (env CI set) a missing Chromium is a failure, never a skip: .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.render.reports import html_report
from engine.render.text import lost_points
from engine.score.run import score_run

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
SAMPLE = ROOT / "evidence" / "vung-tau-2024"
SCREENSHOT = ROOT / "tests" / "output" / "report.png"
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
    path.write_text(html_report(run, load_criteria(CRITERIA).criteria.bands), encoding="utf-8")
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
    assert node.explanation.branch in text
    assert node.remediation.task in text
    assert "Lỗi dữ liệu" in text
    assert "Chỉ số thành phần theo lĩnh vực" in text


def test_browser_screenshot_is_kept(page, tmp_path):
    chromium = _chromium()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    result = _browse(chromium, tmp_path / "profile", f"--screenshot={SCREENSHOT}", "--window-size=1366,900",
                     "--hide-scrollbars", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1366, 900)
    assert len(data) > 20_000  # a blank page compresses to a few kilobytes
