"""parindex command line: parses arguments, calls the engine, prints. Exit 0 scored, 1 data problems, 2 invalid input."""

from __future__ import annotations

import functools
import gc
import importlib.util
import json
import re
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup


def _lazy_module(name: str):
    """The module, executed on its first attribute use: `--help` never pays for importing the engine
    (building its models takes most of a start-up)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
    spec.loader.exec_module(module)
    return module


api = _lazy_module("engine.api")

ROOT = Path(__file__).resolve().parent
DEFAULT_CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
DEFAULT_EVIDENCE = ROOT / "evidence" / "vung-tau-2024"
DEFAULT_OUT = Path("out")
DEFAULT_FRAME = ROOT / "frames" / "vung-tau-2024.yaml"
"""The sample's frame (issuer names, signers): used when the bundled sample is scored, unless --frame is given."""

_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_CHOICES = re.compile(r"is not one of (.*?)\.?$")


def _raw_value(argv: list[str], opts: list[str]) -> str | None:
    """The value typed after an option, as typed ("--format xml" or "--format=xml")."""
    for index, token in enumerate(argv):
        for opt in opts:
            if token == opt and index + 1 < len(argv):
                return argv[index + 1]
            if opt.startswith("--") and token.startswith(opt + "="):
                return token[len(opt) + 1:]
    return None


def _usage_problem(exc: Exception, argv: list[str]) -> api.Problem:
    """A command-line error of the parser, in Vietnamese, naming the option and the value typed."""
    kind = type(exc).__name__
    message = str(getattr(exc, "message", "") or "")
    param = getattr(exc, "param", None)
    opts = list(getattr(param, "opts", []) or [])
    hint = opts[0] if opts and opts[0].startswith("-") else (getattr(param, "name", None) or None)
    if kind == "NoSuchOption":
        option = getattr(exc, "option_name", "")
        close = sorted(getattr(exc, "possibilities", None) or [])
        return api.Problem(file="(tham số)", path=option, value=option, code="args.unknown_option",
                           message="không có tùy chọn này" + (f"; có phải ý bạn là: {', '.join(close)}" if close else ""))
    if kind == "MissingParameter":
        what = f"tùy chọn {hint}" if hint and hint.startswith("-") else f"tham số '{hint or ''}'"
        return api.Problem(file="(tham số)", path=hint, code="args.missing", message=f"thiếu {what} bắt buộc")
    if kind == "BadParameter":
        value = _raw_value(argv, opts + list(getattr(param, "secondary_opts", []) or []))
        choices = _CHOICES.search(message)
        if choices:
            names = ", ".join(re.findall(r"'([^']*)'", choices.group(1)))
            reason = f"giá trị không hợp lệ; chọn một trong: {names}"
        elif re.search(r"(-?\d+)\s*<=\s*x\s*<=\s*(-?\d+)", message):
            low, high = re.search(r"(-?\d+)\s*<=\s*x\s*<=\s*(-?\d+)", message).groups()
            reason = f"phải từ {low} đến {high}"
        elif re.search(r"(greater|less) than or equal to (-?[\d.]+)", message):
            side, bound = re.search(r"(greater|less) than or equal to (-?[\d.]+)", message).groups()
            reason = f"phải {'lớn' if side == 'greater' else 'nhỏ'} hơn hoặc bằng {bound}"
        elif "integer" in message:
            reason = "phải là một số nguyên" + (", ví dụ 2024" if hint == "--year" else "")
        elif "number" in message or "float" in message:
            reason = "phải là một số"
        else:
            reason = f"giá trị không hợp lệ ({message})"
        return api.Problem(file="(tham số)", path=hint, value=value, code="args.bad_value", message=reason)
    command = re.search(r"No such command '([^']*)'", message)
    if command:
        return api.Problem(file="(tham số)", value=command.group(1), code="args.unknown_command",
                           message="không có lệnh này; xem 'parindex --help' để biết các lệnh")
    if "Got unexpected extra argument" in message:
        extra = re.findall(r"\(([^)]*)\)", message)
        return api.Problem(file="(tham số)", value=extra[0] if extra else None, code="args.extra_argument",
                           message="thừa tham số không thuộc lệnh này (đường dẫn có dấu cách phải đặt trong ngoặc kép)")
    if "requires an argument" in message:
        option = re.search(r"Option '([^']*)'", message)
        return api.Problem(file="(tham số)", path=option.group(1) if option else None, code="args.missing_value",
                           message="tùy chọn này cần một giá trị đi kèm")
    return api.Problem(file="(tham số)", code="args.usage", message=f"cách gọi lệnh không đúng ({message})")


class _VietnameseGroup(TyperGroup):
    """The command group whose parser errors are Vietnamese problems with exit 2, like every other input error."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        # A command is one batch run that builds hundreds of thousands of objects and frees them at exit; with the
        # default thresholds the collector re-walks every bundle read so far, a quarter of a province's run.
        gc.set_threshold(100_000, 50, 100)
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except _CLICK_ERROR as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()
                result = 0
            else:
                err_console.print("Tham số dòng lệnh không hợp lệ:", markup=False, highlight=False)
                err_console.print("  - " + _usage_problem(exc, argv).render(), markup=False, highlight=False)
                err_console.print("Xem hướng dẫn: parindex --help, parindex <lệnh> --help", markup=False, highlight=False)
                result = 2
        except (typer.Abort, EOFError, KeyboardInterrupt):
            err_console.print("Đã dừng.", markup=False, highlight=False)
            result = 1
        code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(help="parindex — chấm điểm Chỉ số cải cách hành chính (PAR INDEX) từ bộ chỉ số YAML và minh chứng.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None, cls=_VietnameseGroup)


class _Console:
    """A rich Console made on first print: importing rich is a fifth of a start-up, and --help prints without it."""

    def __init__(self, **options) -> None:
        self._options = options

    @functools.cached_property
    def rich(self):
        from rich.console import Console

        return Console(**self._options)

    def print(self, *objects, **options) -> None:
        """Texts lose the control characters a terminal would act on (a unit name could carry an escape sequence)."""
        self.rich.print(*(api.terminal_safe(o) if isinstance(o, str) else o for o in objects), **options)


def _rich(console):
    """The rich Console itself, for a progress bar that drives it (tests put real Consoles in place of the lazy ones)."""
    return console.rich if isinstance(console, _Console) else console


# User text (unit names, titles, paths) may hold '[...]' or ':name:'; it is printed as typed, never as markup or emoji.
console = _Console(soft_wrap=False, emoji=False)
err_console = _Console(stderr=True, soft_wrap=True, emoji=False)  # a problem stays on one line when piped


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _fail(problems: list[api.Problem], as_json: bool = False) -> None:
    if as_json:
        print(json.dumps({"problems": [p.model_dump(mode="json") for p in problems]}, ensure_ascii=False, indent=2))
    else:
        err_console.print(f"[bold red]Dữ liệu đầu vào không hợp lệ ({len(problems)} lỗi):[/]")
        for problem in problems:
            err_console.print("  - " + problem.render(), markup=False, highlight=False)
    raise typer.Exit(2)


@contextmanager
def _progress():
    """A progress bar on stderr while units are scored: yields the api's `progress(total)` callback factory.

    The bar (and its drawing thread) starts only when scoring does, after the files are read.
    """
    from rich.progress import Progress

    bar = Progress(console=_rich(err_console), transient=True)

    def progress(total: int):
        bar.start()
        task = bar.add_task("Đang chấm điểm", total=total, visible=total > 1)
        return lambda: bar.advance(task)
    try:
        yield progress
    finally:
        bar.stop()


def _run(criteria: Path, evidence: list[Path], as_json: bool = False, show_progress: bool = False,
         jobs: int | None = None, only: str | None = None, previous: Path | None = None) -> api.RunResult:
    """Score through the api; every input problem of every file ends the command with exit 2."""
    if jobs is not None:
        api.limit_workers(jobs)  # --jobs bounds every pool of the command: reading, scoring, drawing documents
    try:
        if show_progress:
            with _progress() as progress:
                return api.score_files(criteria, evidence, progress, jobs=jobs, only=only, previous=previous)
        return api.score_files(criteria, evidence, jobs=jobs, only=only, previous=previous)
    except api.InputError as exc:
        _fail(exc.problems, as_json)
        raise


def _score_json_file(criteria: Path, evidence: list[Path], output: Path, jobs: int | None) -> int:
    """`score --format json --output`: written unit by unit as each is scored (same bytes as the whole run)."""
    if jobs is not None:
        api.limit_workers(jobs)
    try:
        with _progress() as progress:
            code = api.score_json_file(criteria, evidence, output, progress, jobs=jobs)
    except api.InputError as exc:
        _fail(exc.problems, True)
        raise
    err_console.print(f"Đã ghi {output}", markup=False, highlight=False)
    _data_problems_note(code)
    return code


def _data_problems_note(code: int) -> None:
    """Exit 1 said in words where no table shows the problems (the results were written to a file)."""
    if code == 1:
        err_console.print("Một số đơn vị có lỗi dữ liệu: tiêu chí có lỗi được 0 điểm cho đến khi sửa số liệu; "
                          "xem 'parindex gaps' để biết chi tiết.", markup=False, highlight=False)


def _write(path: Path, data: bytes | str, inputs=(), as_json: bool = False) -> None:
    """Every file the CLI writes, never over an input: a problem is exit 2 with a Vietnamese message, not a traceback."""
    try:
        api.write_output(path, data, inputs)
    except api.InputError as exc:
        _fail(exc.problems, as_json)


_SAFE_ID = re.compile(r"\w[\w.-]*")


def _template_argument_problems(unit: str, year: int | None) -> list[api.Problem]:
    """The unit id names the output file, so it must not reach outside the output folder."""
    problems = []
    if unit.strip() and not _SAFE_ID.fullmatch(unit):
        problems.append(api.Problem(code="args.bad_unit_id", file="(tham số)", path="--unit", value=unit,
                                    message="mã đơn vị chỉ gồm chữ, chữ số, '-', '_', '.', không bắt đầu bằng '.' "
                                            "và không có '/', '\\' hay dấu cách; ví dụ phuong-1"))
    if year is not None and not 1900 <= year <= 2100:
        problems.append(api.Problem(code="args.bad_year", file="(tham số)", path="--year", value=str(year),
                                    message="năm đánh giá phải từ 1900 đến 2100"))
    return problems


JobsOpt = typer.Option(None, "--jobs", "-j", min=1, max=64,
                       help="Số tiến trình chạy song song để đọc, chấm và viết tài liệu (mặc định: tự chọn theo số đơn vị "
                            "và số lõi máy; 1: một tiến trình; kết quả luôn giống hệt khi chạy tuần tự)")
CriteriaOpt = typer.Option(DEFAULT_CRITERIA, "--criteria", "-c", help="Tệp bộ chỉ số YAML")
AssessmentOpt = typer.Option(None, "--assessment", "-a",
                             help="Tệp đợt đánh giá (YAML): chấm theo minh chứng và hồ sơ tự chấm, thẩm định của đợt; "
                                  "ví dụ evidence/vung-tau-2024-assessment/danh-gia-2024.yaml")


def _assessment_run(path: Path, evidence: Optional[list[Path]], as_json: bool = False, previous: Optional[Path] = None):
    """An assessment brings its own criteria and evidence; evidence given as well is an argument problem."""
    if evidence:
        _fail([api.Problem(file="(tham số)", path="--assessment", code="args.assessment_with_evidence",
                           value=", ".join(str(e) for e in evidence),
                           message="đợt đánh giá đã chỉ rõ bộ chỉ số và minh chứng; không ghi thêm minh chứng")], as_json)
    try:
        return api.score_assessment_files(path, previous)
    except api.InputError as exc:
        _fail(exc.problems, as_json)
        raise
PreviousOpt = typer.Option(None, "--previous", "-p",
                           help="Kết quả JSON của kỳ trước (parindex score --format json): so sánh hạng và chỉ số")


@app.command()
def score(
    evidence: Optional[list[Path]] = typer.Argument(None, help="Bộ minh chứng (.yaml/.xlsx) hoặc thư mục; mặc định: bộ mẫu"),
    criteria: Path = CriteriaOpt,
    format: Format = typer.Option(Format.table, "--format", "-f", help="table | json | csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Ghi kết quả ra tệp"),
    jobs: Optional[int] = JobsOpt,
    assessment: Optional[Path] = AssessmentOpt,
    previous: Optional[Path] = PreviousOpt,
) -> None:
    """Chấm điểm một hoặc nhiều đơn vị và xếp hạng; với --assessment: điểm tự chấm, thẩm định và cuối cùng."""
    if format == Format.json and output is not None and assessment is None and previous is None:
        raise typer.Exit(_score_json_file(criteria, evidence or [DEFAULT_EVIDENCE], output, jobs))
    if assessment is not None:
        la, run = _assessment_run(assessment, evidence, format == Format.json, previous)
    else:
        la, run = None, _run(criteria, evidence or [DEFAULT_EVIDENCE], format == Format.json, show_progress=True,
                             jobs=jobs, previous=previous)
    if format == Format.json:
        text = api.as_json(run)
    elif format == Format.csv:
        text = api.as_csv(run)
    else:
        console.print(api.ranking(run) if la is None else api.assessment_view(la, run))
        console.print(api.statistics(run), markup=False, highlight=False, end="")
        json_path = output or DEFAULT_OUT / f"{la.assessment.id if la else run.criteria_set.id}.json"
        _write(json_path, api.as_json(run), run.inputs)
        problems = sum(u.data_problems for u in run.units)
        console.print(f"Kết quả chi tiết (JSON): {json_path}", markup=False, highlight=False)
        if problems:
            console.print(f"[yellow]Có {problems} lỗi dữ liệu ở "
                          f"{sum(1 for u in run.units if u.data_problems)} đơn vị; xem 'parindex gaps' để biết chi tiết.[/]")
        raise typer.Exit(api.exit_code(run))
    if output:
        _write(output, text, run.inputs, format == Format.json)
        err_console.print(f"Đã ghi {output}", markup=False, highlight=False)
        _data_problems_note(api.exit_code(run))
    else:
        sys.stdout.write(text)
    raise typer.Exit(api.exit_code(run))


@app.command()
def explain(
    unit: str = typer.Argument(..., help="Mã đơn vị, ví dụ phuong-8"),
    criterion: str = typer.Argument(..., help="Mã tiêu chí, ví dụ 3.5.1 (hoặc 3 cho cả lĩnh vực)"),
    evidence: Optional[list[Path]] = typer.Option(None, "--evidence", "-e", help="Bộ minh chứng hoặc thư mục"),
    criteria: Path = CriteriaOpt,
    assessment: Optional[Path] = AssessmentOpt,
) -> None:
    """Giải trình cách chấm một tiêu chí của một đơn vị; với --assessment kèm toàn bộ lịch sử chấm, thẩm định, giải trình."""
    if assessment is not None:
        _, run = _assessment_run(assessment, evidence)
    else:
        run = _run(criteria, evidence or [DEFAULT_EVIDENCE], only=unit)
    try:
        text = api.explain_history(run, unit, criterion) if assessment is not None else api.explain(run, unit, criterion)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    console.print(text, markup=False, highlight=False)
    raise typer.Exit(api.exit_code(run, [run.unit(unit)]))


@app.command()
def gaps(
    unit: Optional[str] = typer.Argument(None, help="Mã đơn vị; bỏ trống: mọi đơn vị"),
    evidence: Optional[list[Path]] = typer.Option(None, "--evidence", "-e", help="Bộ minh chứng hoặc thư mục"),
    criteria: Path = CriteriaOpt,
) -> None:
    """Liệt kê điểm bị mất (lớn nhất trước), lý do, minh chứng còn thiếu và nhiệm vụ khắc phục."""
    from rich.markup import escape

    try:
        run, shown = api.gaps_files(criteria, evidence or [DEFAULT_EVIDENCE], unit)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    for result, lost, not_due in shown:
        if lost is not None:
            console.print(lost)
        else:
            console.print(f"{result.name}: không mất điểm nào.", markup=False, highlight=False)
        if not_due is not None:
            console.print(not_due)
        for warning in result.warnings:
            console.print(f"[yellow]Cảnh báo:[/] {escape(str(warning))}", highlight=False)
    raise typer.Exit(api.exit_code(run, [result for result, _, _ in shown]))


@app.command()
def validate(
    criteria: list[Path] = typer.Argument(..., help="Một hoặc nhiều tệp bộ chỉ số YAML"),
    format: Format = typer.Option(Format.table, "--format", "-f", help="table | json"),
) -> None:
    """Kiểm tra bộ chỉ số: lỗi định dạng và lỗi ý nghĩa, tất cả trong một lần."""
    problems = api.validate(criteria)
    errors = [p for p in problems if p.severity == "error"]
    if format == Format.json:
        print(json.dumps({"problems": [p.model_dump(mode="json") for p in problems]}, ensure_ascii=False, indent=2))
    elif problems:
        for problem in problems:
            prefix = "[red]Lỗi[/]" if problem.severity == "error" else "[yellow]Cảnh báo[/]"
            console.print(f"{prefix}: ", end="", soft_wrap=True)
            console.print(problem.render(), markup=False, highlight=False, soft_wrap=True)
    if errors:
        if format != Format.json:
            console.print(f"[bold red]{len(errors)} lỗi.[/]")
        raise typer.Exit(2)
    if format != Format.json:
        console.print(f"Hợp lệ: {len(criteria)} bộ chỉ số.")


@app.command()
def schema(output: Optional[Path] = typer.Option(None, "--output", "-o", help="Tệp JSON Schema")) -> None:
    """Xuất JSON Schema của định dạng bộ chỉ số (để trình soạn thảo kiểm tra YAML khi gõ)."""
    text = api.schema()
    if output:
        _write(output, text)
    else:
        sys.stdout.write(text)


@app.command()
def template(
    unit: str = typer.Option(..., "--unit", "-u", help="Mã đơn vị, ví dụ phuong-1"),
    criteria: Path = CriteriaOpt,
    name: Optional[str] = typer.Option(None, "--name", "-n", help="Tên đơn vị, ví dụ 'UBND Phường 1'"),
    level: Optional[str] = typer.Option(None, "--level", "-l", help="Cấp đơn vị; mặc định: cấp của bộ chỉ số"),
    year: Optional[int] = typer.Option(None, "--year", "-y", help="Năm đánh giá (1900–2100); mặc định: năm của bộ chỉ số"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Tệp .xlsx; mặc định out/<bộ chỉ số>-<đơn vị>.xlsx"),
) -> None:
    """Tạo biểu mẫu Excel minh chứng cho một đơn vị từ bộ chỉ số (đơn vị điền rồi chấm bằng 'parindex score')."""
    try:
        set_id, data = api.template(criteria, unit, name=name, level=level, year=year,
                                    problems=_template_argument_problems(unit, year))
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    path = output or DEFAULT_OUT / f"{set_id}-{unit}.xlsx"
    _write(path, data, api.criteria_files(criteria))
    console.print(f"Đã tạo biểu mẫu minh chứng: {path}", markup=False, highlight=False)


FrameOpt = typer.Option(None, "--frame", help="Tệp khung văn bản YAML (cơ quan ban hành, người ký, nơi nhận); "
                                               "mặc định: khung của bộ mẫu khi chấm bộ mẫu, nếu không thì mặc định chung")


def _frame(path: Optional[Path], evidence: Optional[list[Path]], run: api.RunResult) -> api.FrameSettings:
    """The frame settings; the sample's own frame when the bundled sample is used without --frame."""
    if path is None and not evidence and DEFAULT_FRAME.exists():
        path = DEFAULT_FRAME
    try:
        settings, warnings = api.frame_settings(path, run)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    for warning in warnings:
        err_console.print("Cảnh báo: " + warning.render(), markup=False, highlight=False)
    return settings


class ReportFormat(str, Enum):
    xlsx = "xlsx"
    docx = "docx"
    md = "md"
    html = "html"


class PlanFormat(str, Enum):
    xlsx = "xlsx"
    docx = "docx"
    md = "md"
    table = "table"
    json = "json"


_DOCUMENT_FORMATS = (PlanFormat.xlsx, PlanFormat.docx, PlanFormat.md)


@app.command()
def report(
    evidence: Optional[list[Path]] = typer.Argument(None, help="Bộ minh chứng (.yaml/.xlsx) hoặc thư mục; mặc định: bộ mẫu"),
    criteria: Path = CriteriaOpt,
    format: ReportFormat = typer.Option(ReportFormat.xlsx, "--format", "-f", help="xlsx | docx | md | html"),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Tệp kết quả; mặc định out/<mã bộ chỉ số>-bang-diem.<định dạng>"),
    all_outputs: Optional[Path] = typer.Option(None, "--all", help="Ghi mọi kết quả (xếp hạng JSON/CSV, bảng điểm, "
                                               "báo cáo HTML, kế hoạch khắc phục, kế hoạch chung) vào thư mục này"),
    jobs: Optional[int] = JobsOpt,
    assessment: Optional[Path] = AssessmentOpt,
    previous: Optional[Path] = PreviousOpt,
    frame: Optional[Path] = FrameOpt,
) -> None:
    """Bảng tự đánh giá, chấm điểm (Excel, Word, Markdown) kèm bảng tổng hợp, hoặc báo cáo HTML; với --assessment:
    điểm tự chấm, thẩm định từng vòng, điểm đạt được, ghi chú của đơn vị và của thẩm định, tự chấm so với thẩm định."""
    source = criteria
    if assessment is not None:
        loaded_assessment, run = _assessment_run(assessment, evidence, previous=previous)
        source = loaded_assessment.criteria
    else:
        run = _run(criteria, evidence or [DEFAULT_EVIDENCE], show_progress=True, jobs=jobs, previous=previous)
    settings = _frame(frame, evidence or ([assessment] if assessment else None), run)
    inputs = run.inputs + ((str(frame),) if frame else ())
    if all_outputs is not None:
        try:
            files = api.all_outputs(run, source, settings)
            api.write_outputs(all_outputs, files, inputs)
        except api.InputError as exc:
            _fail(exc.problems)
            raise
        console.print(f"Đã ghi {len(files)} tệp kết quả của {len(run.units)} đơn vị vào {all_outputs}",
                      markup=False, highlight=False)
        _data_problems_note(api.exit_code(run))
        raise typer.Exit(api.exit_code(run))
    path = output or DEFAULT_OUT / f"{run.criteria_set.id}-bang-diem.{format.value}"
    try:
        data = api.report(run, format.value, source, settings)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    _write(path, data, inputs)
    console.print(f"Đã ghi {'báo cáo' if format == ReportFormat.html else 'bảng điểm'} của {len(run.units)} đơn vị: {path}",
                  markup=False, highlight=False)
    raise typer.Exit(api.exit_code(run))


@app.command()
def plan(
    evidence: Optional[list[Path]] = typer.Argument(None, help="Bộ minh chứng (.yaml/.xlsx) hoặc thư mục; mặc định: bộ mẫu"),
    criteria: Path = CriteriaOpt,
    province: bool = typer.Option(False, "--province", help="Kế hoạch chung: gộp các đơn vị cùng tiêu chí chưa đạt"),
    format: Optional[PlanFormat] = typer.Option(None, "--format", "-f",
                                                help="xlsx | docx | md; với --budget: table | json (mặc định: xlsx, table)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Tệp kết quả; mặc định out/<mã bộ chỉ số>-ke-hoach-khac-phuc.<định dạng>"),
    budget: Optional[float] = typer.Option(None, "--budget", help="Ngân sách ngày công mỗi đơn vị: chọn nhiệm vụ được nhiều điểm nhất"),
    by: Optional[str] = typer.Option(None, "--by", help="Với --budget: ngày chốt (dd/mm/yyyy); mặc định cuối kỳ đánh giá"),
    unit: Optional[str] = typer.Option(None, "--unit", "-u", help="Với --budget: chỉ một đơn vị"),
    frame: Optional[Path] = FrameOpt,
) -> None:
    """Kế hoạch khắc phục các tiêu chí chưa đạt điểm tối đa (theo mẫu phụ lục kế hoạch CCHC), hoặc kế hoạch tối ưu theo ngân sách ngày công (--budget)."""
    if budget is not None:
        _budget_plan(criteria, evidence, format or PlanFormat.table, output, budget, by, unit)
        return
    format = format or PlanFormat.xlsx
    if format not in _DOCUMENT_FORMATS or by is not None or unit is not None:
        _fail([api.Problem(code="args.bad_format", file="(tham số)", path="--format" if format not in _DOCUMENT_FORMATS else "--by/--unit",
                           message="table, json, --by và --unit chỉ dùng cùng --budget; kế hoạch theo mẫu là xlsx, docx hoặc md")])
    run = _run(criteria, evidence or [DEFAULT_EVIDENCE], show_progress=True)
    settings = _frame(frame, evidence, run)
    suffix = "-tinh" if province else ""
    path = output or DEFAULT_OUT / f"{run.criteria_set.id}-ke-hoach-khac-phuc{suffix}.{format.value}"
    try:
        data = api.plan(run, format.value, province, criteria, settings)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    _write(path, data, run.inputs + ((str(frame),) if frame else ()))
    what = "kế hoạch khắc phục chung" if province else "kế hoạch khắc phục"
    console.print(f"Đã ghi {what} của {len(run.units)} đơn vị: {path}", markup=False, highlight=False)
    raise typer.Exit(api.exit_code(run))


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


class WatchFormat(str, Enum):
    table = "table"
    json = "json"
    notice = "notice"


@app.command()
def watch(
    evidence: Optional[list[Path]] = typer.Argument(None, help="Bộ minh chứng hoặc thư mục; một đơn vị có thể có nhiều bộ ở các ngày chốt khác nhau"),
    as_of: str = typer.Option(..., "--as-of", help="Ngày theo dõi (dd/mm/yyyy)"),
    within: int = typer.Option(14, "--within", help="Cảnh báo việc đến hạn trong số ngày này"),
    state: Optional[Path] = typer.Option(None, "--state", help="Tệp trạng thái (JSON) giữ cảnh báo giữa các lần chạy"),
    cutoff: Optional[str] = typer.Option(None, "--cutoff", help="Ngày chốt để dự báo chỉ số; mặc định cuối kỳ đánh giá"),
    criteria: Path = CriteriaOpt,
    format: WatchFormat = typer.Option(WatchFormat.table, "--format", "-f", help="table | json | notice"),
) -> None:
    """Cảnh báo sớm trong năm: việc sắp đến hạn, văn bản quá hạn, tỷ lệ có xu hướng không đạt, nhiệm vụ quá hạn; dự báo chỉ số."""
    try:
        result = api.watch(criteria, evidence or [DEFAULT_EVIDENCE], as_of, within, state, cutoff)
    except api.InputError as exc:
        _fail(exc.problems, format == WatchFormat.json)
        raise
    shown = api.watch_report(result, format.value)
    if isinstance(shown, str):
        sys.stdout.write(shown)
        return
    console.print(shown)
    for unit in result.units:
        console.print(f"{unit.name}: chỉ số hiện nay {_pct(unit.index_now)}, đến ngày chốt nếu không thay đổi "
                      f"{_pct(unit.index_if_nothing_changes)}, nếu nộp đúng hạn {_pct(unit.index_if_all_filed)}",
                      markup=False, highlight=False)


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:g}".replace(".", ",") + "%"


def _budget_plan(criteria: Path, evidence: Optional[list[Path]], format: PlanFormat, output: Optional[Path],
                 budget: float, by: Optional[str], unit: Optional[str]) -> None:
    as_json = format == PlanFormat.json
    problems = [] if format in (PlanFormat.table, PlanFormat.json) else [
        api.Problem(code="args.bad_format", file="(tham số)", path="--format", value=format.value,
                    message="với --budget chỉ dùng table hoặc json")]
    try:
        result = api.plan_budget(criteria, evidence or [DEFAULT_EVIDENCE], budget, by, unit, problems)
    except api.InputError as exc:
        _fail(exc.problems, as_json)
        raise
    text = api.plan_budget_report(result, as_json)
    if output:
        _write(output, text, api.input_paths(criteria, evidence or [DEFAULT_EVIDENCE]), as_json)
        err_console.print(f"Đã ghi {output}", markup=False, highlight=False)
    else:
        sys.stdout.write(text)


@app.command()
def whatif(
    unit: str = typer.Argument(..., help="Mã đơn vị, ví dụ phuong-8"),
    evidence: Optional[list[Path]] = typer.Option(None, "--evidence", "-e", help="Bộ minh chứng hoặc thư mục"),
    criteria: Path = CriteriaOpt,
    metric: Optional[list[str]] = typer.Option(None, "--metric", "-m", help="Đặt chỉ số: TÊN=GIÁ_TRỊ, hoặc cộng thêm: TÊN+=SỐ"),
    document: Optional[list[str]] = typer.Option(None, "--document", "-d",
                                                 help="Thêm văn bản: LOẠI=NGÀY (bỏ ngày: ngày chốt số liệu)"),
    task: Optional[list[str]] = typer.Option(None, "--task", "-t", help="Hoàn thành nhiệm vụ kế hoạch: SỐ[=NGÀY]"),
    na: Optional[list[str]] = typer.Option(None, "--na", help="Khai báo không áp dụng: MÃ_TIÊU_CHÍ[=LÝ_DO]"),
    changes: Optional[list[Path]] = typer.Option(None, "--changes", help="Tệp thay đổi YAML/JSON (changes: [...])"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Chấm lại tại ngày chốt số liệu khác (dd/mm/yyyy)"),
    format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="text | json"),
) -> None:
    """Tính thử: điểm, chỉ số, xếp loại, xếp hạng mới khi thay đổi minh chứng, và thay đổi nhỏ nhất để lấy lại điểm."""
    as_json = format == TextOrJson.json
    edits, problems = api.read_changes(metric, document, task, na, changes)
    try:
        run, result = api.whatif(criteria, evidence or [DEFAULT_EVIDENCE], unit, edits, problems, as_of)
    except api.InputError as exc:
        _fail(exc.problems, as_json)
        raise
    sys.stdout.write(api.whatif_report(result, as_json))
    raise typer.Exit(api.exit_code(run, [result.after]))
NowOpt = typer.Option(None, "--now", help="Thời điểm tính tiến độ hoặc ghi hồ sơ (dd/mm/yyyy hh:mm); mặc định: bây giờ")


@app.command()
def progress(
    assessment: Path = typer.Argument(..., help="Tệp đợt đánh giá (YAML)"),
    now: Optional[str] = NowOpt,
) -> None:
    """Tiến độ đợt đánh giá: đơn vị đã tự chấm, được thẩm định, giải trình, chốt kết quả; vòng nào quá hạn."""
    try:
        moment = api.parse_moment(now)
        la, rows = api.assessment_progress(assessment, moment)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    console.print(api.progress_view(la, rows))
    late = sum(1 for row in rows for step in row.rounds if step.status == "late")
    if late:
        console.print(f"Có {late} vòng quá hạn chưa xong.", markup=False, highlight=False)


@app.command()
def appraise(
    assessment: Path = typer.Argument(..., help="Tệp đợt đánh giá (YAML)"),
    round: str = typer.Option("vong-1", "--round", "-r", help="vong-1 | giai-trinh | vong-2"),
    unit: Optional[str] = typer.Option(None, "--unit", "-u", help="Mã đơn vị; bỏ trống: mọi đơn vị có minh chứng"),
    output: Path = typer.Option(DEFAULT_OUT / "tham-dinh", "--output", "-o", help="Thư mục ghi các bảng"),
) -> None:
    """Tạo bảng thẩm định (vong-1, vong-2) hoặc bảng giải trình (giai-trinh) Excel cho một hoặc mọi đơn vị."""
    try:
        books = api.round_workbooks(assessment, round, unit)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    problems = api.filled_targets(output, books)
    if problems:
        _fail(problems)
    inputs = api.assessment_files(assessment)
    for name, data in books:
        _write(output / name, data, inputs)
    console.print(f"Đã tạo {len(books)} bảng trong thư mục {output}", markup=False, highlight=False)


@app.command()
def record(
    assessment: Path = typer.Argument(..., help="Tệp đợt đánh giá (YAML)"),
    workbooks: list[Path] = typer.Argument(..., help="Các bảng thẩm định hoặc giải trình đã điền (.xlsx)"),
    unit: Optional[str] = typer.Option(None, "--unit", "-u", help="Chỉ nhận bảng của đơn vị này"),
    now: Optional[str] = NowOpt,
) -> None:
    """Ghi các bảng thẩm định, giải trình đã điền vào hồ sơ của đơn vị (sau khi kiểm tra; lỗi nào cũng được báo,
    không ghi gì nếu có lỗi)."""
    try:
        added = api.record_workbooks(assessment, workbooks, api.parse_moment(now), unit)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    for unit_id, count in added:
        console.print(f"{unit_id}: đã ghi {count} mục vào hồ sơ", markup=False, highlight=False)


@app.command()
def diff(
    before: str = typer.Argument(..., help="Kết quả JSON thứ nhất, hoặc vòng (tu-cham, vong-1, giai-trinh, vong-2, cuoi)"),
    after: str = typer.Argument(..., help="Kết quả JSON thứ hai, hoặc vòng"),
    assessment: Optional[Path] = typer.Option(None, "--assessment", "-a",
                                              help="Tệp đợt đánh giá: so sánh hai vòng của đợt này"),
    format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="text | json"),
) -> None:
    """So sánh hai vòng của đợt đánh giá, hoặc hai lần chấm (hai kết quả JSON, kể cả hai năm cùng cấu trúc bộ chỉ số):
    tiêu chí mới mất điểm, gỡ lại điểm, thay đổi điểm, và mục ghi gây ra thay đổi."""
    as_json = format == TextOrJson.json
    try:
        if assessment is not None:
            comparison = api.compare_rounds_of(assessment, before, after)
        else:
            comparison = api.compare_run_files(Path(before), Path(after))
    except api.InputError as exc:
        _fail(exc.problems, as_json)
        raise
    sys.stdout.write(api.comparison_output(comparison, as_json))


criteria_app = typer.Typer(help="Xem và so sánh bộ chỉ số, kể cả bộ tinh chỉnh (extends).", no_args_is_help=True,
                           add_completion=False, rich_markup_mode=None)
app.add_typer(criteria_app, name="criteria")


@criteria_app.command("show")
def criteria_show(
    file: Path = typer.Argument(..., help="Tệp bộ chỉ số YAML (có thể có extends)"),
    resolved: bool = typer.Option(False, "--resolved", help="In bộ chỉ số đã ghép dạng YAML, ghi nguồn tệp:dòng từng mục"),
) -> None:
    """Xem cây tiêu chí của bộ chỉ số, hoặc bản đã ghép (--resolved) kèm nguồn từng mục và mã băm."""
    try:
        text = api.criteria_outline(file, resolved)
    except api.InputError as exc:
        _fail(exc.problems)
        raise
    sys.stdout.write(text)


@criteria_app.command("diff")
def criteria_diff(
    old: Path = typer.Argument(..., help="Bộ chỉ số cũ"),
    new: Path = typer.Argument(..., help="Bộ chỉ số mới"),
    format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="text | json"),
) -> None:
    """So sánh hai bộ chỉ số: tiêu chí thêm, bỏ, thay đổi và ảnh hưởng đến điểm tối đa từng lĩnh vực."""
    try:
        text = api.criteria_diff(old, new, format == TextOrJson.json)
    except api.InputError as exc:
        _fail(exc.problems, format == TextOrJson.json)
        raise
    sys.stdout.write(text)


class TableOrJson(str, Enum):
    table = "table"
    json = "json"


inspect_app = typer.Typer(help="Xem parindex đọc một tệp (kế hoạch, tệp hồ sơ TTHC) hoặc một cụm từ thời hạn thế nào, "
                               "trước khi chấm điểm bằng nó.", no_args_is_help=True, add_completion=False,
                          rich_markup_mode=None)
app.add_typer(inspect_app, name="inspect")


def _show_inspection(shown, problems: list[api.Problem], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(shown)
    else:
        console.print(shown)
        for problem in problems:
            prefix = "Lỗi" if problem.severity == "error" else "Cảnh báo"
            console.print(f"{prefix}: {problem.render()}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(api.reading_exit_code(problems))


@inspect_app.command("plan")
def inspect_plan(
    file: Path = typer.Argument(..., help="Bảng nhiệm vụ của kế hoạch (.xlsx, .csv, .txt)"),
    year: Optional[int] = typer.Option(None, "--year", "-y", help="Năm kế hoạch; mặc định: đọc từ tiêu đề"),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", "-f", help="table | json"),
) -> None:
    """Xem từng nhiệm vụ và thời hạn được đọc thế nào (loại, hạn cuối còn đúng hạn), cùng mọi lỗi của bảng."""
    as_json = format == TableOrJson.json
    try:
        imported, problems = api.inspect_plan(file, year)
    except api.InputError as exc:
        _fail(exc.problems, as_json)
        raise
    _show_inspection(api.plan_inspection(imported, problems, as_json), problems, as_json)


@inspect_app.command("deadline")
def inspect_deadline(
    phrase: str = typer.Argument(..., help="Cụm từ thời hạn, ví dụ \"Trước ngày 15/12/2025\""),
    year: int = typer.Option(..., "--year", "-y", help="Năm kế hoạch (điền năm cho cụm từ không ghi năm)"),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", "-f", help="table | json"),
) -> None:
    """Xem một cụm từ thời hạn được đọc thế nào: loại, hạn cuối còn đúng hạn, khoảng thời gian, dự kiến hay không."""
    as_json = format == TableOrJson.json
    try:
        deadline, problems = api.inspect_deadline(phrase, year)
    except api.InputError as exc:
        _fail(exc.problems, as_json)
        raise
    _show_inspection(api.deadline_inspection(deadline, year, as_json), problems, as_json)


@app.command("test")
def test_cases(
    path: Path = typer.Argument(..., help="Bộ chỉ số, tệp *.cases.yaml, hoặc thư mục (ví dụ criteria)"),
    coverage: bool = typer.Option(False, "--coverage", help="Liệt kê ranh giới mức điểm và trạng thái chưa được kiểm thử"),
    format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="text | json"),
) -> None:
    """Chạy các trường hợp kiểm thử của bộ chỉ số (cases/<mã bộ chỉ số>.cases.yaml). Exit 0 đạt, 1 có trường hợp sai, 2 đầu vào lỗi."""
    report = api.run_cases(path)
    if format == TextOrJson.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(api.cases_text(report, coverage))
    if report.problems:
        _fail(report.problems, format == TextOrJson.json)
    raise typer.Exit(report.exit_code)


@inspect_app.command("export")
def inspect_export(
    file: Path = typer.Argument(..., help="Tệp danh sách hồ sơ hoặc biểu báo cáo tổng hợp (.csv, .xlsx)"),
    mapping: str = typer.Option(..., "--mapping", "-m",
                                help="Tên ánh xạ có sẵn (motcua_tinh, tt01_2020_06a, tt01_2020_tonghop, opencps_thongke, "
                                     "cong_dvc_tinh_thongke) hoặc đường dẫn tệp ánh xạ .yaml"),
    year: Optional[int] = typer.Option(None, "--year", "-y", help="Năm đếm hồ sơ (tệp danh sách hồ sơ); mặc định: mọi dòng"),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", "-f", help="table | json"),
) -> None:
    """Đọc thử tệp hồ sơ TTHC theo ánh xạ: số liệu từng đơn vị, chỉ số lỗi dữ liệu và mọi vấn đề (vị trí, giá trị)."""
    as_json = format == TableOrJson.json
    try:
        inspection, problems = api.export_inspection(file, mapping, year)
    except api.InputError as exc:
        _fail(exc.problems, as_json)
        raise
    if as_json:
        sys.stdout.write(api.export_inspection_json(inspection, problems))
    else:
        table, problem_lines, summary = api.export_inspection_view(inspection, problems)
        console.print(table)
        for line in problem_lines:
            console.print("  - " + line, markup=False, highlight=False, soft_wrap=True)
        console.print(summary, markup=False, highlight=False)
    raise typer.Exit(api.inspection_exit_code(inspection, problems))


@app.command()
def serve(
    port: int = typer.Option(8000, "--port", help="cổng"),
    host: str = typer.Option("127.0.0.1", "--host", help="địa chỉ lắng nghe (mặc định chỉ máy này)"),
):
    """Chạy cổng đánh giá trên trình duyệt (SQLite, dữ liệu mẫu 17 phường, xã); in tài khoản thử khi khởi động."""
    try:
        from web.server import serve as run_server  # the web extra is optional: import only when serving
    except ImportError:
        err_console.print("Chưa cài phần web: chạy  .venv/bin/pip install -e \".[web]\"", markup=False)
        raise typer.Exit(2) from None
    run_server(host=host, port=port)


if __name__ == "__main__":
    app()
