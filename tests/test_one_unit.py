"""explain and gaps of one unit read only the evidence files that may hold it, and show what a full read shows.

Another unit's broken bundle no longer stops them (`score` still reports it); the shown unit's own problems, a
duplicate of its id and an unknown unit are reported as before; a unit whose block is compared (a relative rule at its
level) still reads and checks every bundle.
"""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import yaml
from conftest import ROOT, SAMPLE_CRITERIA, SAMPLE_EVIDENCE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cli
from engine import api
from engine.load.evidence import read_bundles, unit_scan

KHOI = ROOT / "criteria" / "khoi-2024.yaml"
CITY = ROOT / "evidence" / "thanh-pho-vung-tau"
runner = CliRunner()


def _copy_sample(tmp_path: Path) -> Path:
    folder = tmp_path / "minh-chung"
    shutil.copytree(SAMPLE_EVIDENCE, folder)
    return folder


def _broken(folder: Path, name: str = "phuong-99.yaml") -> Path:
    """A bundle of another unit with a syntax error and a second one that fails validation."""
    (folder / name).write_text("unit: {id: phuong-99, name: Phường 99, level: xa\nperiod: [\n", encoding="utf-8")
    (folder / "z-phuong-98.yaml").write_text("unit: {id: phuong-98, name: Phường 98, level: xa}\nperiod: 2024\n",
                                             encoding="utf-8")
    return folder


def _invoke(*args: str):
    return runner.invoke(cli.app, list(args))


def test_explain_and_gaps_of_a_clean_unit_ignore_another_units_broken_bundle(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    folder = _broken(_copy_sample(tmp_path))
    explained = _invoke("explain", "phuong-8", "3", "--evidence", str(folder))
    assert explained.exit_code == 0, explained.output
    assert explained.stdout.encode() == _invoke("explain", "phuong-8", "3", "--evidence", str(SAMPLE_EVIDENCE)).stdout.encode()
    gaps = _invoke("gaps", "phuong-8", "--evidence", str(folder))
    assert gaps.exit_code == 0, gaps.output
    assert gaps.stdout == _invoke("gaps", "phuong-8", "--evidence", str(SAMPLE_EVIDENCE)).stdout
    # every unit, or the whole run, still reads every bundle and stops at the broken ones
    for args in (["gaps", "--evidence", str(folder)], ["score", str(folder)]):
        result = _invoke(*args)
        assert result.exit_code == 2 and "phuong-99.yaml" in result.output and "z-phuong-98.yaml" in result.output


def test_one_unit_is_scored_as_in_the_whole_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    whole = api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE])
    for unit in whole.units:
        alone = api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], only=unit.unit_id)
        assert [u.unit_id for u in alone.units] == [unit.unit_id]
        assert alone.units[0].model_copy(update={"rank": unit.rank}) == unit


def _problems(criteria: Path, evidence: list[Path], unit: str | None = None) -> list:
    try:
        api.load_inputs(criteria, evidence, unit=unit)
    except api.InputError as exc:
        return exc.problems
    return []


def test_the_shown_units_own_problems_are_those_of_a_full_read(tmp_path):
    folder = _broken(_copy_sample(tmp_path))
    own = folder / "phuong-8.yaml"
    text = own.read_text(encoding="utf-8")
    own.write_text(text.replace("level: xa", "level: tinh", 1), encoding="utf-8")  # loads, but the set has no tinh
    narrow = _problems(SAMPLE_CRITERIA, [folder], "phuong-8")
    full = _problems(SAMPLE_CRITERIA, [folder])
    assert [p.code for p in narrow] == ["evidence.unit_level"] and narrow[0].file == str(own)
    assert narrow == [p for p in full if p.file == str(own)]
    assert {p.file for p in full} > {str(own)}  # a full read (score) reports the other files too
    # a bundle of the unit that does not load at all: the unit is not found, so every file is read as before
    own.write_text(text.replace("year: 2024", "year: 2023", 1), encoding="utf-8")
    narrow = _problems(SAMPLE_CRITERIA, [folder], "phuong-8")
    assert narrow == _problems(SAMPLE_CRITERIA, [folder]) and str(own) in {p.file for p in narrow}


def test_a_duplicate_of_the_shown_unit_in_another_file_is_still_reported(tmp_path):
    folder = _broken(_copy_sample(tmp_path))
    text = (folder / "phuong-8.yaml").read_text(encoding="utf-8")
    (folder / "ban-sao").mkdir()
    (folder / "ban-sao" / "tam.yaml").write_text(text, encoding="utf-8")
    narrow = _problems(SAMPLE_CRITERIA, [folder], "phuong-8")
    full = _problems(SAMPLE_CRITERIA, [folder])
    duplicates = [p for p in full if p.code == "bundle.duplicate_unit"]
    assert len(duplicates) == 1 and duplicates[0].value == "phuong-8"
    assert narrow == duplicates
    result = _invoke("explain", "phuong-8", "3", "--evidence", str(folder))
    assert result.exit_code == 2 and "trùng" in result.output


VIETNAMESE_ID = "phường-thắng-nhứt"


def _vietnamese_unit(folder: Path, written: str, name: str = "thang-nhut.yaml") -> None:
    data = yaml.safe_load((SAMPLE_EVIDENCE / "phuong-8.yaml").read_text(encoding="utf-8"))
    data["unit"] = {**data["unit"], "id": "ID_HERE", "aliases": []}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (folder / name).write_text(text.replace("ID_HERE", written), encoding="utf-8")


def test_an_id_typed_decomposed_or_written_decomposed_or_mixed_still_matches(tmp_path):
    mixed = VIETNAMESE_ID.replace("ờ", "\u01a1\u0300")  # ơ composed, its tone mark apart (as some keyboards type)
    assert mixed not in (VIETNAMESE_ID, unicodedata.normalize("NFD", VIETNAMESE_ID))
    for index, (written, typed) in enumerate(((VIETNAMESE_ID, unicodedata.normalize("NFD", VIETNAMESE_ID)),
                                              (unicodedata.normalize("NFD", VIETNAMESE_ID), VIETNAMESE_ID),
                                              (mixed, VIETNAMESE_ID))):
        folder = tmp_path / str(index)
        folder.mkdir()
        _vietnamese_unit(_broken(folder), written)
        run = api.score_files(SAMPLE_CRITERIA, [folder], only=typed)
        assert [u.unit_id for u in run.units] == [VIETNAMESE_ID]


def test_an_id_behind_a_yaml_escape_is_found_and_its_duplicate_reported(tmp_path):
    folder = _broken(_copy_sample(tmp_path))
    escaped = "".join(f"\\u{ord(ch):04x}" if not ch.isascii() or ch == "p" else ch for ch in VIETNAMESE_ID)
    _vietnamese_unit(folder, f'"{escaped}"', "a.yaml")
    assert VIETNAMESE_ID not in (folder / "a.yaml").read_text(encoding="utf-8")
    run = api.score_files(SAMPLE_CRITERIA, [folder], only=VIETNAMESE_ID)
    assert [u.unit_id for u in run.units] == [VIETNAMESE_ID]
    _vietnamese_unit(folder, VIETNAMESE_ID, "b.yaml")
    assert [p.code for p in _problems(SAMPLE_CRITERIA, [folder], VIETNAMESE_ID)] == ["bundle.duplicate_unit"]


def test_an_unknown_unit_is_told_as_before(tmp_path):
    folder = _copy_sample(tmp_path)
    for unit in ("phuong-99", "phuong-1x", "phuong"):
        problems = _problems(SAMPLE_CRITERIA, [folder], unit)
        assert problems == []  # load_inputs falls back to every file; score_files then names every unit
        try:
            api.score_files(SAMPLE_CRITERIA, [folder], only=unit)
        except api.InputError as exc:
            assert [p.code for p in exc.problems] == ["args.unknown_unit"]
            assert exc.problems[0].message.endswith(", ".join(sorted(p.stem for p in folder.glob("*.yaml"))))
        else:
            raise AssertionError("an unknown unit must be an input problem")
    _broken(folder)
    assert _problems(SAMPLE_CRITERIA, [folder], "phuong-99") == _problems(SAMPLE_CRITERIA, [folder])


def test_a_unit_whose_block_is_compared_still_reads_every_bundle(tmp_path, monkeypatch):
    """khoi-2024 compares the districts (huyen) of its block in 9.1; its communes (xa) are scored alone."""
    monkeypatch.chdir(ROOT)
    folder = _copy_sample(tmp_path)
    whole = api.score_files(KHOI, [CITY, folder])
    for unit in ("tp-vung-tau", "phuong-8"):
        alone = api.score_files(KHOI, [CITY, folder], only=unit)
        assert alone.units[0].model_copy(update={"rank": 1}) == whole.unit(unit).model_copy(update={"rank": 1})
    _broken(folder)
    assert _problems(KHOI, [CITY, folder], "tp-vung-tau") == _problems(KHOI, [CITY, folder])
    result = _invoke("explain", "tp-vung-tau", "9.1", "--criteria", str(KHOI), "--evidence", str(CITY),
                     "--evidence", str(folder))
    assert result.exit_code == 2 and "phuong-99.yaml" in result.output
    assert _problems(KHOI, [CITY, folder], "phuong-8") == []
    result = _invoke("explain", "phuong-8", "3", "--criteria", str(KHOI), "--evidence", str(CITY), "--evidence", str(folder))
    assert result.exit_code == 0, result.output


def test_a_file_that_could_hide_the_id_is_read(tmp_path):
    scan = unit_scan("phuong-8")
    assert scan is not None
    cases = {
        "utf16.yaml": "unit: {id: khac}\n".encode("utf-16"),
        "nul.yaml": "unit: {id: khac}\n".encode("utf-16-le"),  # no BOM: decodes as UTF-8 with NUL bytes
        "latin.yaml": "unit: {id: phường}\n".encode("cp1258", errors="replace") + b"\xff",
        "escape.yaml": b'unit: {id: "khac\\x41"}\n',
        "other.yaml": b"unit: {id: phuong-80, name: phuong-8x}\n# phuong-8-cu\n",
        "named.yaml": b"unit:\n  id: 'phuong-8'\n",
    }
    kept = set()
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        if scan.may_hold(tmp_path / name):
            kept.add(name)
    assert kept == {"utf16.yaml", "nul.yaml", "latin.yaml", "escape.yaml", "named.yaml"}
    # an id that YAML could fold over lines or write with a doubled quote: every file is read
    assert unit_scan("phường 8") is None and unit_scan("ph'8") is None and unit_scan("") is None
    bundles, problems = read_bundles([tmp_path], unit="phuong-8")
    assert {Path(p.file).name for p in problems} == {"utf16.yaml", "nul.yaml", "latin.yaml", "escape.yaml", "named.yaml"}


ID_TEXT = st.text(st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĐ0189-_.:,#[]{}&*!|>?\"\\/@%àảãáạằẳẵắặ"
                                       "ầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ") + ["\u0301", "\u00a0"]),
                  min_size=1, max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ID_TEXT, st.sampled_from([None, '"', "'", "|", ">"]), st.booleans(), st.sampled_from(["NFC", "NFD", None]),
       st.booleans(), st.integers(1, 40))
def test_a_file_whose_unit_yaml_reads_as_the_id_is_never_skipped(tmp_path, unit_id, style, unicode, form, flow, width):
    """Whatever way YAML writes the id (plain, quoted, escaped, folded, block, any normalisation), if reading the file
    gives the unit id typed, the pre-scan keeps the file."""
    typed = unicodedata.normalize("NFC", unit_id).strip()
    scan = unit_scan(typed)
    if scan is None:
        return  # every file is read for such an id
    data = {"unit": {"id": unit_id, "name": "Phường", "level": "xa"}, "period": {"year": 2024}}
    text = yaml.safe_dump(data, default_style=style, allow_unicode=unicode, width=width, default_flow_style=flow)
    if form is not None:
        text = unicodedata.normalize(form, text)
    path = tmp_path / "don-vi.yaml"
    path.write_text(text, encoding="utf-8")
    read = yaml.safe_load(text)["unit"]["id"]
    if isinstance(read, str) and unicodedata.normalize("NFC", read) == typed:
        assert scan.may_hold(path), text


def test_an_id_behind_a_yaml_tag_is_found_and_its_duplicate_reported(tmp_path):
    """!!binary decodes to the id without its text appearing in the file."""
    import base64

    folder = _copy_sample(tmp_path)
    copy = yaml.safe_load((folder / "phuong-1.yaml").read_text(encoding="utf-8"))
    copy["unit"]["id"] = "PLACEHOLDER"
    encoded = base64.b64encode(b"phuong-1").decode()
    text = yaml.safe_dump(copy, allow_unicode=True).replace("PLACEHOLDER", f"!!binary {encoded}")
    (folder / "zz-copy.yaml").write_text(text, encoding="utf-8")
    assert "phuong-1" not in text
    assert [p.code for p in _problems(SAMPLE_CRITERIA, [folder], "phuong-1")] == ["bundle.duplicate_unit"]
