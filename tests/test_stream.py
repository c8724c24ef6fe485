"""`score --format json --output` reads, checks and scores clean bundles one file at a time (engine.score.stream);
anything else starts over the two-step way. Either way the bytes and the problems are those of the two-step run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLE_CRITERIA, SAMPLE_EVIDENCE

from engine import api
from engine.core.parallel import POOL_MIN_ITEMS
from engine.load.criteria import load_criteria
from engine.model.names import BUILTIN_METRICS
from engine.score import stream

KHOI = ROOT / "criteria" / "khoi-2024.yaml"
SAMPLES = sorted(Path(SAMPLE_EVIDENCE).glob("*.yaml"))
EXPORT_HEADER = ("Mã hồ sơ,Đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Ngày trả kết quả,Trạng thái,Số hóa kết quả,"
                 "Nộp trực tuyến,Thanh toán trực tuyến\n")


def _province(folder: Path, count: int) -> Path:
    folder.mkdir()
    for index in range(count):
        data = yaml.safe_load(SAMPLES[index % len(SAMPLES)].read_text(encoding="utf-8"))
        data["unit"] = {**data["unit"], "id": f"{data['unit']['id']}-{index:03d}", "aliases": []}
        (folder / f"{index:03d}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr("engine.core.parallel._limit", None)  # the portal's app, loaded by pytest-django, caps it


@pytest.fixture
def counted(monkeypatch):
    """How many files went the one-step way (counted in this process: serial runs only)."""
    seen: list[Path] = []
    original = stream._score_file

    def score_file(path, *state):
        seen.append(path)
        return original(path, *state)

    monkeypatch.setattr(stream, "_score_file", score_file)
    return seen


def _two_step_bytes(criteria: Path, evidence: list[Path]) -> bytes:
    return api.as_json(api.score_files(criteria, evidence, jobs=1)).encode("utf-8")  # one process: the two-step way


def test_clean_bundles_go_one_step_and_give_the_two_step_bytes(tmp_path, monkeypatch, counted):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "run.json"
    code = api.score_json_file(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], out, jobs=1)
    assert len(counted) == len(SAMPLES)
    run = api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE])
    assert out.read_bytes() == api.as_json(run).encode("utf-8") and code == api.exit_code(run) == 1


def test_a_province_in_workers_gives_the_serial_and_two_step_bytes(tmp_path, monkeypatch, two_cores):
    folder = _province(tmp_path / "tinh", POOL_MIN_ITEMS + 5)
    api.score_json_file(SAMPLE_CRITERIA, [folder], tmp_path / "pool.json")
    api.score_json_file(SAMPLE_CRITERIA, [folder], tmp_path / "serial.json", jobs=1)
    assert (tmp_path / "pool.json").read_bytes() == (tmp_path / "serial.json").read_bytes()
    assert (tmp_path / "pool.json").read_bytes() == _two_step_bytes(SAMPLE_CRITERIA, [folder])


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_broken_bundle_anywhere_gives_every_problem_of_every_file_as_the_two_step_way(tmp_path, jobs, two_cores):
    folder = _province(tmp_path / "tinh", POOL_MIN_ITEMS + 5)
    for name, old, new in (("010.yaml", "unit:", "unit:\n  id: ["),
                           ("050.yaml", "as_of:", "as_of: 31/02/2024\n_as_of:")):
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(api.InputError) as expected:
        api.load_inputs(SAMPLE_CRITERIA, [folder])
    out = tmp_path / "run.json"
    with pytest.raises(api.InputError) as got:
        api.score_json_file(SAMPLE_CRITERIA, [folder], out, jobs=jobs)
    assert got.value.problems == expected.value.problems and len(got.value.problems) >= 3
    assert {p.file for p in got.value.problems} == {str(folder / "010.yaml"), str(folder / "050.yaml")}
    assert not out.exists() and list(tmp_path.glob("run*")) == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_one_unit_in_two_files_is_reported_naming_both(tmp_path, jobs, two_cores):
    folder = _province(tmp_path / "tinh", POOL_MIN_ITEMS + 5)
    (folder / "zzz-copy.yaml").write_bytes((folder / "003.yaml").read_bytes())
    with pytest.raises(api.InputError) as got:
        api.score_json_file(SAMPLE_CRITERIA, [folder], tmp_path / "run.json", jobs=jobs)
    [problem] = got.value.problems
    assert problem.code == "bundle.duplicate_unit" and problem.file == str(folder / "zzz-copy.yaml")
    assert str(folder / "003.yaml") in problem.message


def _shared_export_province(folder: Path, count: int) -> Path:
    """Bundles of wards named in one export they all point to (as a province's one-stop export is shared)."""
    folder.mkdir()
    rows = []
    for ward in range(1, count + 1):
        for i in range(6):
            status = "Đúng hạn" if i < 4 else "Quá hạn"
            rows.append(f"HS{ward:02d}{i:03d},UBND phường {ward},0{1 + i}/02/2024,15/02/2024,1{i}/02/2024,{status},"
                        f"{'Có' if i < 5 else 'Không'},{'Có' if i < 2 else 'Không'},Không")
    (folder / "motcua.csv").write_text(EXPORT_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    for ward in range(1, count + 1):
        data = yaml.safe_load(SAMPLES[ward % len(SAMPLES)].read_text(encoding="utf-8"))
        data["unit"] = {"id": f"phuong-{ward}", "name": f"Phường {ward}", "level": "xa"}
        data["metrics"] = [m for m in data.get("metrics", []) if m["name"] not in BUILTIN_METRICS]
        data["sources"] = {"dossier_exports": [{"file": "motcua.csv", "mapping": "motcua_tinh"}]}
        (folder / f"phuong-{ward:02d}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def test_bundles_sharing_an_export_go_one_step_and_read_it_once(tmp_path, monkeypatch, counted):
    import engine.load.sources as sources

    folder = _shared_export_province(tmp_path / "tinh", 6)
    log = tmp_path / "reads.log"  # appended to by whichever process reads the export
    aggregate = sources.aggregate_dossiers

    def logged(path, *rest):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {path.name}\n")
        return aggregate(path, *rest)

    monkeypatch.setattr(sources, "aggregate_dossiers", logged)
    sources._aggregate.cache_clear()
    out = tmp_path / "run.json"
    api.score_json_file(SAMPLE_CRITERIA, [folder], out, jobs=1)
    assert len(counted) == 6 and log.read_text(encoding="utf-8") == f"{os.getpid()} motcua.csv\n"
    expected = _two_step_bytes(SAMPLE_CRITERIA, [folder])
    assert out.read_bytes() == expected and b"motcua.csv" in expected
    for jobs in (2, 3):
        log.unlink()
        sources._aggregate.cache_clear()
        api.score_json_file(SAMPLE_CRITERIA, [folder], out, jobs=jobs)
        assert out.read_bytes() == expected
        assert log.read_text(encoding="utf-8") == f"{os.getpid()} motcua.csv\n"  # once, before the workers start


def test_a_set_that_compares_the_units_of_a_block_is_never_streamed():
    assert not stream.streamable(load_criteria(KHOI), SAMPLES)
    assert stream.streamable(load_criteria(SAMPLE_CRITERIA), SAMPLES)
    assert not stream.streamable(load_criteria(SAMPLE_CRITERIA), SAMPLES + [ROOT / "x.xlsx"])
    assert not stream.streamable(load_criteria(SAMPLE_CRITERIA), [])


def test_a_block_comparing_set_gives_the_two_step_bytes(tmp_path, monkeypatch, counted):
    monkeypatch.chdir(ROOT)
    evidence = [SAMPLE_EVIDENCE, ROOT / "evidence" / "thanh-pho-vung-tau"]
    out = tmp_path / "run.json"
    api.score_json_file(KHOI, evidence, out)
    assert counted == [] and out.read_bytes() == _two_step_bytes(KHOI, evidence)


def test_the_progress_bar_counts_the_files_and_starts_with_the_first_unit(tmp_path):
    folder = _province(tmp_path / "tinh", 4)
    calls: list[tuple[str, int]] = []

    def progress(total):
        calls.append(("start", total))
        return lambda: calls.append(("step", 1))

    api.score_json_file(SAMPLE_CRITERIA, [folder], tmp_path / "run.json", progress, jobs=1)
    assert calls == [("start", 4)] + [("step", 1)] * 4


def test_an_output_onto_a_table_a_bundle_reads_is_refused_as_the_two_step_way_does(tmp_path, monkeypatch, counted):
    folder = _province(tmp_path / "tinh", 3)
    data = yaml.safe_load((folder / "001.yaml").read_text(encoding="utf-8"))
    data.pop("plan_tasks", None)
    data["tables"] = {"plan_tasks": "nhiem-vu.csv"}
    (folder / "nhiem-vu.csv").write_text("id,title,deadline,status\nT1,Kế hoạch,31/12/2024,hoàn thành\n",
                                         encoding="utf-8")
    (folder / "001.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    table = folder / "nhiem-vu.csv"
    before = table.read_bytes()
    files = sorted(folder.glob("*.yaml"))  # named one by one: an output inside a folder given is refused earlier
    with pytest.raises(api.InputError) as got:
        api.score_json_file(SAMPLE_CRITERIA, files, table, jobs=1)
    assert len(counted) == 3  # the table was read one step per file
    monkeypatch.setattr(api, "streamable", lambda loaded, files: False)
    with pytest.raises(api.InputError) as two_step:
        api.score_json_file(SAMPLE_CRITERIA, files, table, jobs=1)
    assert len(counted) == 3
    assert [p.code for p in got.value.problems] == ["output.overwrites_input"]
    assert got.value.problems == two_step.value.problems
    assert table.read_bytes() == before


def test_scoring_leaves_no_reference_cycles_for_the_garbage_collector(monkeypatch):
    """A unit's results, frames and kept problems are freed as soon as they are dropped (a cycle would make the
    collector walk every unit of a province again and again)."""
    import gc

    from engine.render.data import unit_record

    stream._init(load_criteria(SAMPLE_CRITERIA), api._relative, unit_record)
    for path in SAMPLES:  # models build their validators on first use, which leaves some one-off garbage
        stream._one_file(path)
    gc.collect()
    gc.disable()
    try:
        for path in SAMPLES:
            assert stream._one_file(path) is not None
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_refused_run_creates_no_folder_and_reports_the_inputs_problems_first(tmp_path, jobs, two_cores):
    folder = _province(tmp_path / "tinh", 6)
    path = folder / "003.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("unit:", "unit:\n  id: [", 1), encoding="utf-8")
    with pytest.raises(api.InputError) as got:
        api.score_json_file(SAMPLE_CRITERIA, [folder], tmp_path / "moi" / "a" / "run.json", jobs=jobs)
    assert {p.file for p in got.value.problems} == {str(path)}
    assert not (tmp_path / "moi").exists()
    (tmp_path / "tep").write_text("x", encoding="utf-8")
    with pytest.raises(api.InputError) as under_a_file:
        api.score_json_file(SAMPLE_CRITERIA, [folder], tmp_path / "tep" / "run.json", jobs=jobs)
    assert under_a_file.value.problems == got.value.problems


def test_a_whole_run_in_workers_is_the_two_step_run(tmp_path, monkeypatch, two_cores):
    """score_files on a province with a pool scores one step per file and gets each unit's results back: the same run
    (units, ranks, statistics, files read) and the same bytes of every output as the two-step way in one process."""
    monkeypatch.chdir(tmp_path)
    folder = _province(Path("tinh"), POOL_MIN_ITEMS + 5)
    (folder / "zzz.yaml").write_bytes((folder / "004.yaml").read_bytes().replace(b"-004", b"-999"))  # a tie in rank
    steps: list[int] = []
    with monkeypatch.context() as one_step_only:
        one_step_only.setattr(api, "load_inputs", None)  # the two-step way would fail here
        pooled = api.score_files(SAMPLE_CRITERIA, [folder], progress=lambda total: lambda: steps.append(total))
    serial = api.score_files(SAMPLE_CRITERIA, [folder], jobs=1)
    assert steps == [POOL_MIN_ITEMS + 6] * (POOL_MIN_ITEMS + 6)
    assert pooled == serial and pooled.inputs == serial.inputs
    assert api.all_outputs(pooled, SAMPLE_CRITERIA) == api.all_outputs(serial, SAMPLE_CRITERIA)


def test_a_whole_run_with_a_broken_bundle_reports_what_the_two_step_way_does(tmp_path, two_cores):
    folder = _province(tmp_path / "tinh", POOL_MIN_ITEMS + 5)
    path = folder / "033.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("unit:", "unit:\n  id: [", 1), encoding="utf-8")
    with pytest.raises(api.InputError) as serial:
        api.score_files(SAMPLE_CRITERIA, [folder], jobs=1)
    with pytest.raises(api.InputError) as pooled:
        api.score_files(SAMPLE_CRITERIA, [folder])
    assert pooled.value.problems == serial.value.problems and {p.file for p in serial.value.problems} == {str(path)}


def test_a_whole_run_in_workers_compares_with_a_previous_run(tmp_path, two_cores):
    folder = _province(tmp_path / "tinh", POOL_MIN_ITEMS + 1)
    earlier = tmp_path / "truoc.json"
    earlier.write_text(api.as_json(api.score_files(SAMPLE_CRITERIA, [folder], jobs=1)), encoding="utf-8")
    pooled = api.score_files(SAMPLE_CRITERIA, [folder], previous=earlier)
    assert pooled == api.score_files(SAMPLE_CRITERIA, [folder], previous=earlier, jobs=1)
    assert pooled.previous is not None
