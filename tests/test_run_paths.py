"""Faster paths give the same bytes: every output from one scoring, a process pool, one unit scored alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_CRITERIA, SAMPLE_EVIDENCE
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import cli
from engine import api
from engine.score.run import UnitKey, rank_order

GOLDEN = ROOT / "tests" / "golden" / "files"
runner = CliRunner()

# report --all file name -> the golden file the single-purpose command writes
SAME_AS = {
    "xa-2024.json": "score.json", "xa-2024.csv": "score.csv", "xa-2024-bao-cao.html": "report.html",
    "xa-2024-bang-diem.xlsx": "report.xlsx", "xa-2024-bang-diem.docx": "report.docx", "xa-2024-bang-diem.md": "report.md",
    "xa-2024-ke-hoach-khac-phuc.xlsx": "plan.xlsx", "xa-2024-ke-hoach-khac-phuc.docx": "plan.docx",
    "xa-2024-ke-hoach-khac-phuc.md": "plan.md", "xa-2024-ke-hoach-khac-phuc-tinh.xlsx": "province-plan.xlsx",
    "xa-2024-ke-hoach-khac-phuc-tinh.docx": "province-plan.docx", "xa-2024-ke-hoach-khac-phuc-tinh.md": "province-plan.md",
}


def test_report_all_writes_every_output_byte_identical_to_the_single_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(cli.app, ["report", "evidence/vung-tau-2024", "--frame", "frames/vung-tau-2024.yaml",
                                     "--all", str(tmp_path / "tat-ca")])
    assert result.exit_code == 1, result.output  # three wards have data errors by design
    written = sorted(p.name for p in (tmp_path / "tat-ca").iterdir())
    assert written == sorted(SAME_AS)
    for name, golden in SAME_AS.items():
        assert (tmp_path / "tat-ca" / name).read_bytes() == (GOLDEN / golden).read_bytes(), name


def test_documents_drawn_in_worker_processes_are_the_bytes_of_the_serial_drawing(sample_run, monkeypatch):
    import os

    from engine.load.frames import load_frame
    from engine.render import reports

    frame, _ = load_frame(ROOT / "frames" / "vung-tau-2024.yaml")
    calls = []
    serial = reports.all_documents(sample_run, frame=frame, workers=1, meanwhile=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()] and len(serial) == 10
    render_parts, html_report = reports.render_parts, reports.html_report

    def mark(data) -> bytes:  # which process drew what: forked workers inherit these wrappers
        return (data if isinstance(data, bytes) else data.encode("utf-8")) + b"\0" + str(os.getpid()).encode()

    monkeypatch.setattr(reports, "render_parts", lambda *args, **kwargs: mark(render_parts(*args, **kwargs)))
    monkeypatch.setattr(reports, "html_report", lambda ctx: mark(html_report(ctx)).decode("utf-8"))
    for workers in (2, 3):
        calls.clear()
        marked = reports.all_documents(sample_run, frame=frame, workers=workers,
                                       meanwhile=lambda: calls.append(os.getpid()))
        assert calls == [os.getpid()]  # run once, by the main process
        assert list(marked) == list(serial)
        drawn_by = {}
        for document, data in marked.items():
            data, _, pid = data.rpartition(b"\0")
            drawn_by[document] = int(pid)
            assert data == serial[document], document
        main, html = os.getpid(), drawn_by[("report", "html")]
        assert drawn_by[("report", "docx")] == main and html != main  # a worker drew it while the parts were built
        assert drawn_by[("report", "xlsx")] not in (main, html)  # a worker forked with the sheet's parts
        assert drawn_by[("plan", "xlsx")] != main and drawn_by[("province", "xlsx")] != main
        assert len(set(drawn_by.values())) == (3 if workers == 2 else 4)


def test_documents_are_drawn_in_workers_only_for_enough_units_and_cores(monkeypatch):
    from engine.core import parallel
    from engine.render import reports

    monkeypatch.setattr(parallel, "_limit", None)  # the portal's app, loaded by pytest-django, caps it; restored after
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    assert reports.default_workers(reports.POOL_UNITS - 1) == 1
    assert reports.default_workers(reports.POOL_UNITS) == 2
    monkeypatch.setattr(parallel, "cores", lambda: 16)
    assert reports.default_workers(300) == reports.MAX_WORKERS
    parallel.limit_workers(1)  # a threaded server turns pools off
    assert reports.default_workers(300) == 1
    parallel.limit_workers(None)
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    assert reports.default_workers(300) == 1


def test_a_process_pool_gives_the_same_bytes_as_the_serial_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    serial = api.as_json(api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], jobs=1))
    pooled = api.as_json(api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], jobs=2))
    assert pooled == serial


def test_one_unit_scored_alone_has_the_same_nodes_as_in_the_whole_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    whole = api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE]).unit("phuong-8")
    alone = api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], only="phuong-8")
    assert [u.unit_id for u in alone.units] == ["phuong-8"]
    assert alone.units[0].model_copy(update={"rank": whole.rank}) == whole


def test_scoring_one_unknown_unit_is_an_input_error_naming_the_units():
    try:
        api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], only="phuong-99")
    except api.InputError as exc:
        assert (exc.problems[0].code, exc.problems[0].value) == ("args.unknown_unit", "phuong-99")
        assert "phuong-8" in exc.problems[0].message  # the units there are
    else:
        raise AssertionError("an unknown unit must be refused")


def test_jobs_must_be_a_positive_number():
    result = runner.invoke(cli.app, ["score", str(SAMPLE_EVIDENCE), "--jobs", "0", "--format", "csv"])
    assert result.exit_code == 2
    assert Path(SAMPLE_EVIDENCE).is_dir()


def test_an_output_never_replaces_a_symlink_a_pipe_or_a_folder(tmp_path):
    import os

    target = tmp_path / "runs.json"
    target.write_text("{}", encoding="utf-8")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    for path in (link, pipe):
        try:
            api.write_output(path, "x")
        except api.InputError as exc:
            assert exc.problems[0].code == "output.not_regular_file"
        else:
            raise AssertionError(f"{path} was replaced")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "{}"
    assert not pipe.is_file()


def test_an_evidence_file_written_beside_an_input_bundle_is_refused(tmp_path):
    from engine.core.paths import output_problems

    bundle = tmp_path / "don-vi.yaml"
    bundle.write_text("unit: {}", encoding="utf-8")
    assert [p.code for p in output_problems(tmp_path / "ket-qua.YAML", [bundle])] == ["output.inside_input_folder"]
    assert output_problems(tmp_path / "ket-qua.md", [bundle]) == []


def test_a_formula_after_leading_spaces_is_neutralised():
    from engine.render.data import safe_cell

    assert safe_cell(" =HYPERLINK(\"http://x\")") == "' =HYPERLINK(\"http://x\")"
    assert safe_cell("Phường 1") == "Phường 1"


KHOI = ROOT / "criteria" / "khoi-2024.yaml"
CITY = ROOT / "evidence" / "thanh-pho-vung-tau"


def test_json_written_unit_by_unit_is_the_whole_run_byte_for_byte(tmp_path, monkeypatch):
    """Several blocks (ranked per level), ties and units without an index included."""
    monkeypatch.chdir(ROOT)
    for criteria, evidence in ((SAMPLE_CRITERIA, [SAMPLE_EVIDENCE]), (KHOI, [SAMPLE_EVIDENCE, CITY])):
        out = tmp_path / "run.json"
        code = api.score_json_file(criteria, evidence, out)
        run = api.score_files(criteria, evidence)
        assert out.read_bytes() == api.as_json(run).encode("utf-8")
        assert code == api.exit_code(run)
        assert api.score_json_file(criteria, evidence, out, jobs=2) == code
        assert out.read_bytes() == api.as_json(run).encode("utf-8")


def test_score_json_output_command_matches_the_golden_file(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(cli.app, ["score", "evidence/vung-tau-2024", "--format", "json", "--output",
                                     str(tmp_path / "ket-qua.json")])
    assert result.exit_code == 1, result.output
    assert (tmp_path / "ket-qua.json").read_bytes() == (GOLDEN / "score.json").read_bytes()


def test_json_written_unit_by_unit_refuses_an_input_as_output_before_scoring(tmp_path):
    bundle = tmp_path / "phuong-1.yaml"
    bundle.write_bytes((Path(SAMPLE_EVIDENCE) / "phuong-1.yaml").read_bytes())
    before = bundle.read_bytes()
    try:
        api.score_json_file(SAMPLE_CRITERIA, [tmp_path], bundle)
    except api.InputError as exc:
        assert exc.problems[0].code == "output.overwrites_input"
    else:
        raise AssertionError("an input must never be overwritten")
    assert bundle.read_bytes() == before


unit_keys = st.lists(st.tuples(st.sampled_from(["xa", "huyen", "so"]), st.one_of(st.none(), st.sampled_from([50.0, 72.5, 90.0, 100.0]))),
                     max_size=25)


@given(unit_keys, st.randoms())
def test_ranks_are_competition_ranks_per_level_whatever_the_input_order(rows, rnd):
    keys = [UnitKey(f"u{i:02d}", level, index, None, 0) for i, (level, index) in enumerate(rows)]
    shuffled = list(keys)
    rnd.shuffle(shuffled)
    listed = [(shuffled[i].unit_id, rank) for i, rank in rank_order(shuffled)]
    assert listed == [(keys[i].unit_id, rank) for i, rank in rank_order(keys)]
    assert sorted(u for u, _ in listed) == sorted(k.unit_id for k in keys)
    by_id = {k.unit_id: k for k in keys}
    for unit_id, rank in listed:
        key = by_id[unit_id]
        if key.final_index_pct is None:
            assert rank is None
        else:
            better = [k for k in keys if k.level == key.level and k.final_index_pct is not None
                      and k.final_index_pct > key.final_index_pct]
            assert rank == 1 + len(better)
    levels = [by_id[u].level for u, _ in listed]
    assert levels == sorted(levels)


def test_a_province_sized_run_uses_the_pool_by_default_and_gives_the_serial_bytes(tmp_path, monkeypatch):
    import yaml

    from engine.core.parallel import POOL_MIN_ITEMS as POOL_MIN_UNITS
    from engine.score.run import default_jobs

    folder = tmp_path / "tinh"
    folder.mkdir()
    samples = sorted(Path(SAMPLE_EVIDENCE).glob("*.yaml"))
    for index in range(POOL_MIN_UNITS):
        data = yaml.safe_load(samples[index % len(samples)].read_text(encoding="utf-8"))
        data["unit"] = {**data["unit"], "id": f"{data['unit']['id']}-{index:03d}", "aliases": []}
        (folder / f"{index:03d}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr("engine.core.parallel._limit", None)  # the portal's app, loaded by pytest-django, caps it
    assert default_jobs(POOL_MIN_UNITS, light=True) == 2 and default_jobs(POOL_MIN_UNITS) == 1
    assert default_jobs(POOL_MIN_UNITS - 1, light=True) == 1
    api.score_json_file(SAMPLE_CRITERIA, [folder], tmp_path / "pool.json")
    api.score_json_file(SAMPLE_CRITERIA, [folder], tmp_path / "serial.json", jobs=1)
    assert (tmp_path / "pool.json").read_bytes() == (tmp_path / "serial.json").read_bytes()
    assert (tmp_path / "pool.json").read_bytes() == api.as_json(api.score_files(SAMPLE_CRITERIA, [folder])).encode()


def test_bundles_read_in_workers_give_the_same_bundles_and_problems_in_the_same_order(tmp_path, monkeypatch):
    import engine.load.evidence as evidence
    from engine.core.parallel import POOL_MIN_ITEMS

    samples = sorted(Path(SAMPLE_EVIDENCE).glob("*.yaml"))
    for index in range(POOL_MIN_ITEMS + 3):
        text = samples[index % len(samples)].read_text(encoding="utf-8")
        if index % 20 == 7:
            text = text.replace("unit:", "unit:\n  id: [", 1)  # broken YAML
        elif index % 20 == 11:
            text = text.replace("as_of:", "as_of: 31/02/2024\n_as_of:", 1)  # an unknown key and a bad date
        (tmp_path / f"{index:03d}.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(evidence, "default_workers", lambda items: 1)
    serial, serial_problems = evidence.read_bundles([tmp_path])
    monkeypatch.setattr(evidence, "default_workers", lambda items: 2)
    pooled, pooled_problems = evidence.read_bundles([tmp_path])
    assert pooled_problems == serial_problems and len(serial_problems) > 6
    assert [(b.file, b.digest, b.bundle) for b in pooled] == [(b.file, b.digest, b.bundle) for b in serial]
    assert [dict(b.places) for b in pooled] == [dict(b.places) for b in serial]


def test_workers_can_be_capped(monkeypatch):
    from engine.core import parallel

    monkeypatch.setattr(parallel, "cores", lambda: 4)
    monkeypatch.setattr(parallel, "_limit", None)
    assert parallel.default_workers(parallel.POOL_MIN_ITEMS) == 4
    assert parallel.default_workers(parallel.POOL_MIN_ITEMS - 1) == 1
    parallel.limit_workers(1)
    assert parallel.default_workers(10_000) == 1


def test_a_full_disk_while_spooling_units_is_a_problem_naming_the_output(tmp_path, monkeypatch):
    import errno

    import tempfile as tempfile_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile_module, "TemporaryFile", full)
    try:
        api.score_json_file(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], tmp_path / "ket-qua.json")
    except api.InputError as exc:
        assert exc.problems[0].file == str(tmp_path / "ket-qua.json")
        assert exc.problems[0].message.startswith("không ghi được tệp")
    else:
        raise AssertionError("a full disk must be reported")
    assert not (tmp_path / "ket-qua.json").exists()


def test_a_worker_killed_under_a_pool_is_a_problem_not_a_traceback():
    import os

    from engine.core import parallel

    try:
        list(parallel.ordered_map(os._exit, [3] * 8, 2))
    except api.InputError as exc:
        assert exc.problems[0].code == "run.worker_stopped"
        assert "--jobs 1" in exc.problems[0].message
    else:
        raise AssertionError("a killed worker must end the run with a problem")


def test_jobs_one_means_one_process_for_the_whole_command(tmp_path, monkeypatch):
    from engine.core import parallel

    monkeypatch.setattr(parallel, "_limit", None)
    monkeypatch.setattr(parallel, "cores", lambda: 4)
    result = runner.invoke(cli.app, ["score", str(SAMPLE_EVIDENCE), "-f", "json", "-o", str(tmp_path / "a.json"), "-j", "1"])
    assert result.exit_code == 1, result.output
    assert parallel.default_workers(10_000) == 1


def test_every_output_is_written_as_one_set_or_not_at_all(tmp_path, monkeypatch):
    """A disk that fills while report --all writes leaves the folder as it was: no mix of this run and an earlier one,
    no temporary file, and the problem names the file in Vietnamese."""
    import errno


    from engine.render import data

    folder = tmp_path / "tat-ca"
    folder.mkdir()
    (folder / "a.json").write_bytes(b"old a")
    (folder / "c.csv").write_bytes(b"old c")
    mkstemp, made = data.tempfile.mkstemp, []

    def fill_up(*args, **kwargs):
        if len(made) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        made.append(mkstemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(data.tempfile, "mkstemp", fill_up)
    with pytest.raises(api.InputError) as got:
        api.write_outputs(folder, {"a.json": b"new a", "b.xlsx": b"new b", "c.csv": b"new c"})
    [problem] = got.value.problems
    assert problem.file == str(folder / "c.csv") and problem.code == "file.disk_full" and "ổ đĩa đã đầy" in problem.message
    assert sorted(p.name for p in folder.iterdir()) == ["a.json", "c.csv"]
    assert (folder / "a.json").read_bytes() == b"old a" and (folder / "c.csv").read_bytes() == b"old c"
    monkeypatch.setattr(data.tempfile, "mkstemp", mkstemp)
    api.write_outputs(folder, {"a.json": b"new a", "b.xlsx": b"new b", "c.csv": b"new c"})
    assert [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())] == [
        ("a.json", b"new a"), ("b.xlsx", b"new b"), ("c.csv", b"new c")]
