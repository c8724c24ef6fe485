"""The Home Affairs office: set up the year, follow progress, analyse the block, unlock, finalise, publish, report."""

from __future__ import annotations

from decimal import Decimal

import hashlib
import tempfile
from collections import defaultdict
from pathlib import Path

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from web import services
from web.portal import domain
from web.portal.forms import AssessmentForm, AssignmentForm, ScheduleForm, StateForm, UnitImportForm, UnlockForm
from web.portal.importing import new_password, read_unit_list
from web.portal.models import Account, Assessment, Assignment, AuditEvent, Role, Round, Unit
from web.portal.permissions import require_role
from web.portal.views.common import attachment, audit_csv, audit_rows, current_assessment

MAX_CRITERIA_BYTES = 2 * 1024 * 1024


def _assessment_or_404() -> Assessment:
    assessment = current_assessment()
    if assessment is None:
        raise Http404
    return assessment


@require_role(Role.OFFICE)
def board(request):
    assessment = current_assessment()
    if assessment is None:
        return redirect("office_setup")
    now = timezone.now()
    units = assessment.units.select_related("score").prefetch_related("submissions").order_by("code")
    rows = []
    counts: dict[str, int] = defaultdict(int)
    for unit in units:
        state = domain.round_state(unit, now)
        submitted = {s.round: s for s in unit.submissions.all()}
        counts[state.round] += 1
        rows.append({"unit": unit, "state": state, "submitted": submitted, "score": getattr(unit, "score", None),
                     "overdue": state.late and not state.open and state.round != Round.FINAL})
    return render(request, "portal/office_board.html", {
        "assessment": assessment, "rows": rows, "rounds": list(Round), "counts": dict(counts),
        "overdue": sum(1 for r in rows if r["overdue"]), "state_form": StateForm(), "unlock_form": UnlockForm(),
    })


@require_role(Role.OFFICE)
def setup(request):
    form = AssessmentForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["criteria_upload"]
        name = Path(upload.name).name
        data = upload.read(MAX_CRITERIA_BYTES + 1)
        if Path(name).suffix.lower() not in (".yaml", ".yml") or len(data) > MAX_CRITERIA_BYTES:
            form.add_error("criteria_upload", "bộ chỉ số phải là tệp .yaml không quá 2 MB")
        else:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / name
                path.write_bytes(data)
                found = services.criteria_problems(path)
            problems = [p for p in found if p.severity == "error"]
            if not problems:
                with transaction.atomic():
                    assessment = form.save(commit=False)
                    assessment.criteria_name = name
                    assessment.criteria_sha256 = hashlib.sha256(data).hexdigest()
                    assessment.criteria_file.save(f"{assessment.code}/{name}", ContentFile(data), save=False)
                    assessment.save()
                    domain.audit(request.user, "assessment_setup", assessment=assessment, new=assessment.title,
                                 reason=f"bộ chỉ số {name} (sha256 {assessment.criteria_sha256})")
                for warning in found:
                    messages.warning(request, warning.render())
                messages.success(request, "Đã tạo đợt đánh giá. Tiếp theo: nhập danh sách đơn vị và phân công.")
                return redirect("office_board")
    return render(request, "portal/office_setup.html", {"form": form, "problems": problems})


def _shown(value) -> str:
    """A schedule value as an officer writes it: dates dd/mm/yyyy, numbers as they are."""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float, Decimal)):
        return format(Decimal(str(value)).normalize(), "f").replace(".", ",")
    return str(value)


@require_role(Role.OFFICE)
def schedule(request):
    assessment = _assessment_or_404()
    before = {f: _shown(getattr(assessment, f)) for f in ScheduleForm.Meta.fields}
    form = ScheduleForm(request.POST or None, instance=assessment)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            for field in ScheduleForm.Meta.fields:
                after = _shown(getattr(saved, field))
                if after != before[field]:
                    label = form.fields[field].label
                    domain.audit(request.user, "schedule", assessment=saved, old=f"{label}: {before[field]}",
                                 new=f"{label}: {after}", reason=form.cleaned_data["reason"])
        messages.success(request, "Đã lưu lịch đánh giá.")
        return redirect("office_board")
    return render(request, "portal/office_form.html", {"form": form, "title": "Lịch đánh giá và trần điểm"})


@require_role(Role.OFFICE)
def import_units(request):
    assessment = _assessment_or_404()
    form = UnitImportForm(request.POST or None, request.FILES or None)
    problems, created = [], []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        rows, found = read_unit_list(upload)
        users = get_user_model().objects
        taken = set(users.filter(username__in=[r.username for r in rows]).values_list("username", flat=True))
        existing = set(assessment.units.filter(code__in=[r.code for r in rows]).values_list("code", flat=True))
        problems = [p.render(upload.name) for p in found]
        problems += [f"{upload.name}: tên đăng nhập '{r.username}' đã có tài khoản" for r in rows if r.username in taken]
        problems += [f"{upload.name}: mã đơn vị '{r.code}' đã có trong đợt" for r in rows if r.code in existing]
        if not problems:
            with transaction.atomic():
                for row in rows:
                    unit = Unit.objects.create(assessment=assessment, code=row.code, name=row.name, area=row.area,
                                               level=row.level)
                    password = new_password()
                    user = users.create_user(username=row.username, password=password)
                    Account.objects.create(user=user, role=Role.UNIT, unit=unit, full_name=row.person)
                    created.append({"unit": unit, "username": row.username, "password": password})
                domain.audit(request.user, "import_units", assessment=assessment, new=f"{len(rows)} đơn vị",
                             reason=f"tệp {upload.name}")
    return render(request, "portal/office_import.html", {"form": form, "problems": problems, "created": created})


@require_role(Role.OFFICE)
def assignments(request):
    assessment = _assessment_or_404()
    form = AssignmentForm(request.POST or None, assessment=assessment)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        item = Assignment.objects.create(assessment=assessment, appraiser=data["appraiser"], unit=data["unit"],
                                         area="" if data["unit"] else data["area"].strip(),
                                         criterion=data["criterion"].strip())
        domain.audit(request.user, "assign", assessment=assessment, unit=item.unit, criterion=item.criterion,
                     new=f"{item.appraiser.get_username()} → {item.unit or item.area}")
        messages.success(request, "Đã phân công.")
        return redirect("office_assignments")
    rows = assessment.assignments.select_related("appraiser", "unit").order_by("appraiser__username", "area")
    return render(request, "portal/office_assignments.html", {"form": form, "rows": rows})


@require_POST
@require_role(Role.OFFICE)
def unlock(request, pk: int):
    unit = get_object_or_404(Unit, pk=pk)
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Phải ghi thời hạn và lý do mở khóa.")
        return redirect("office_board")
    try:
        domain.unlock(request.user, unit, form.cleaned_data["until"], form.cleaned_data["reason"])
    except domain.Refused as exc:
        for problem in exc.problems:
            messages.error(request, problem.message + (f" (giá trị: {problem.value})" if problem.value else ""))
        return redirect("office_board")
    messages.success(request, f"Đã mở khóa cho {unit.name}.")
    return redirect("office_board")


@require_POST
@require_role(Role.OFFICE)
def change_state(request, state: str):
    assessment = _assessment_or_404()
    if state not in (Assessment.State.OPEN, Assessment.State.FINALISED, Assessment.State.PUBLISHED):
        raise Http404
    form = StateForm(request.POST)
    form.is_valid()
    try:
        domain.set_state(request.user, assessment, state, form.cleaned_data.get("reason", ""))
    except domain.Refused as exc:
        for problem in exc.problems:
            messages.error(request, f"{problem.file}: {problem.message}")
        return redirect("office_board")
    messages.success(request, f"Đợt đánh giá: {assessment.get_state_display()}.")
    return redirect("office_board")


@require_role(Role.OFFICE)
def analysis(request):
    assessment = _assessment_or_404()
    units = list(assessment.units.select_related("score").order_by("code"))
    scored = [u for u in units if getattr(u, "score", None) and u.score.index_pct is not None]
    ranking = sorted(scored, key=lambda u: (-u.score.index_pct, u.code))
    ranked = []
    for unit in ranking:
        rank, _ = domain.block_rank(unit)
        ranked.append({"unit": unit, "rank": rank})
    weak: dict[str, dict] = {}
    for unit in scored:
        for node in unit.score.result.get("nodes", []):
            if node["is_leaf"] and node["applicable"] and node["max_points"] - node["points"] > 1e-9:
                item = weak.setdefault(node["id"], {"id": node["id"], "title": node["title"], "units": 0, "lost": 0.0})
                item["units"] += 1
                item["lost"] += node["max_points"] - node["points"]
    weak_rows = sorted(weak.values(), key=lambda w: (-w["units"], -w["lost"], w["id"]))[:20]
    changes = domain.self_versus_appraised(units)
    gaps: dict[str, dict] = {}
    for change in changes:
        item = gaps.setdefault(change.criterion, {"id": change.criterion, "title": change.title, "pairs": 0, "over": 0,
                                                  "diff": 0.0})
        item["pairs"] += 1
        item["over"] += change.before > change.after
        item["diff"] += change.before - change.after
    gap_rows = sorted(gaps.values(), key=lambda g: (-g["over"], -g["diff"], g["id"]))
    return render(request, "portal/office_analysis.html", {
        "assessment": assessment, "ranked": ranked, "weak": weak_rows, "gaps": gap_rows, "changes": changes,
        "unscored": len(units) - len(scored)})


REPORTS = {"phieu-cham": ("report", False), "ke-hoach": ("plan", False), "ke-hoach-tinh": ("plan", True)}
FORMATS = {"report": ("xlsx", "docx", "md", "html"), "plan": ("xlsx", "docx", "md")}


@require_role(Role.OFFICE)
def download_report(request, kind: str, fmt: str):
    assessment = _assessment_or_404()
    if kind not in REPORTS or fmt not in FORMATS[REPORTS[kind][0]]:
        raise Http404
    what, province = REPORTS[kind]
    data = domain.documents(list(assessment.units.order_by("code")), what, fmt, province)
    if data is None:
        messages.error(request, "Chưa có đơn vị nào có phiếu minh chứng hợp lệ.")
        return redirect("office_board")
    return attachment(data, f"{kind}-{assessment.code}.{fmt}", fmt)


@require_role(Role.OFFICE)
def audit_trail(request):
    assessment = _assessment_or_404()
    events = AuditEvent.objects.filter(assessment=assessment).select_related("unit", "user").order_by("at", "id")
    unit_code = request.GET.get("don_vi", "").strip()
    criterion = request.GET.get("tieu_chi", "").strip()
    if unit_code:
        events = events.filter(unit__code=unit_code)
    if criterion:
        events = events.filter(criterion=criterion)
    if request.GET.get("format") == "csv":
        return attachment(audit_csv(events), f"nhat-ky-{assessment.code}.csv", "csv")
    return render(request, "portal/audit.html", {
        "events": audit_rows(list(events[:2000])), "title": assessment.title, "filter": True,
        "unit_code": unit_code, "criterion": criterion, "units": assessment.units.order_by("code")})
