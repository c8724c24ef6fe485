"""The unit's pages: dashboard, criterion detail with self-score or explanation, uploads, submission, downloads."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from web import services
from web.portal import domain
from web.portal.forms import (
    AppraisalForm, DocumentUploadForm, EvidenceUploadForm, ExplanationForm, RoundWorkbookForm, SelfScoreForm,
    SubmitForm,
)
from web.portal.models import Entry, Role, Round, Upload
from web.portal.permissions import may_score, require_role, role_of, unit_or_404, upload_or_404
from web.portal.views.common import attachment, audit_csv, audit_rows, stored_file

ALL_ROLES = (Role.UNIT, Role.APPRAISER, Role.OFFICE)


def _latest(entries: list[Entry], rounds: set[str]) -> Entry | None:
    with_points = [e for e in entries if e.round in rounds and e.points is not None]
    return with_points[-1] if with_points else None


def pending_requests(unit) -> dict[str, Entry]:
    """Explanation requests of the latest appraisal round that the unit has not answered yet."""
    pending: dict[str, Entry] = {}
    for entry in unit.entries.order_by("seq"):
        if entry.round in domain.APPRAISER_ROUNDS and entry.explanation_requested:
            pending[entry.criterion] = entry
        elif entry.round == Round.EXPLANATION and entry.kind == Entry.Kind.NOTE:
            pending.pop(entry.criterion, None)
    return pending


def criterion_rows(unit, score) -> list[dict]:
    """Per leaf criterion: computed, self, appraised and standing points, with the unit's note and evidence."""
    by_criterion: dict[str, list[Entry]] = {}
    for entry in unit.entries.order_by("seq").prefetch_related("evidence"):
        by_criterion.setdefault(entry.criterion, []).append(entry)
    requests = pending_requests(unit)
    rows = []
    for node in domain.nodes(score).values():
        if not node["is_leaf"]:
            continue
        entries = by_criterion.get(node["id"], [])
        own = _latest(entries, {Round.SELF})
        appraised = _latest(entries, domain.APPRAISER_ROUNDS)
        notes = [e for e in entries if e.role == Role.UNIT and e.reason]
        rows.append({
            "node": node, "computed": node.get("computed_points", node["points"]),
            "self": own.points if own else None, "appraised": appraised.points if appraised else None,
            "final": node.get("final_points", node["points"]), "lost": node["max_points"] - node["points"],
            "note": notes[-1].reason if notes else "", "remark": appraised.reason if appraised else "",
            "evidence": [domain.cite(ref) for e in entries for ref in e.evidence_refs] or node.get("evidence_refs", []),
            "requested": requests.get(node["id"]), "entries": entries})
    return rows


def _score_summary(unit):
    score = getattr(unit, "score", None)
    rank, total = domain.block_rank(unit)
    return score, rank, total


@require_role(*ALL_ROLES)
def dashboard(request, pk: int):
    unit = unit_or_404(request.user, pk)
    if role_of(request.user) == Role.APPRAISER:
        return redirect("appraise_unit", pk=unit.pk)
    score, rank, total = _score_summary(unit)
    rows = criterion_rows(unit, score)
    lost = sorted((r for r in rows if r["node"]["applicable"] and r["lost"] > 1e-9), key=lambda r: -r["lost"])
    missing = [r for r in rows if r["node"].get("missing")]
    now = timezone.now()
    state = domain.round_state(unit, now)
    day = domain.today(now)
    upcoming = [(label, when) for _, label, when in unit.assessment.schedule() if when >= day][:3]
    latest_upload = unit.uploads.filter(kind__in=[Upload.Kind.WORKBOOK, Upload.Kind.BUNDLE]).first()
    return render(request, "portal/unit_dashboard.html", {
        "unit": unit, "score": score, "rank": rank, "total": total, "rows": rows, "lost": lost, "missing": missing,
        "state": state, "upcoming": upcoming, "latest_upload": latest_upload,
        "requests": pending_requests(unit), "evidence_form": EvidenceUploadForm(), "document_form": DocumentUploadForm(),
        "submit_form": SubmitForm(), "uploads": unit.uploads.all()[:30], "submissions": unit.submissions.order_by("submitted_at"),
        "is_unit": role_of(request.user) == Role.UNIT,
        **round_workbook_context(unit, state, role_of(request.user)),
    })


ROUND_BOOK_NAMES = {Round.APPRAISAL_1: "bang-tham-dinh-vong-1", Round.EXPLANATION: "bang-giai-trinh",
                    Round.APPRAISAL_2: "bang-tham-dinh-vong-2"}


def round_workbook_context(unit, state, role: str | None) -> dict:
    """Whether this person fills a workbook in the unit's current round, and the last one sent (with its problems)."""
    side = {Round.EXPLANATION} if role == Role.UNIT else domain.APPRAISER_ROUNDS if role == Role.APPRAISER else set()
    return {"workbook_round": state.open and state.round in side, "workbook_form": RoundWorkbookForm(),
            "round_book": unit.uploads.filter(kind=Upload.Kind.ROUND_WORKBOOK, round=state.round).first()}


@require_role(*ALL_ROLES)
def round_workbook(request, pk: int):
    """The appraisal or explanation workbook of the unit's current round, made by the engine."""
    unit = unit_or_404(request.user, pk)
    role = role_of(request.user)
    try:
        round_, data = domain.round_workbook(unit, None if role == Role.OFFICE else role)
    except domain.Refused as exc:
        _report_problems(request, exc)
        return redirect("unit_dashboard", pk=unit.pk)
    return attachment(data, f"{ROUND_BOOK_NAMES[round_]}-{unit.code}.xlsx", "xlsx")


@require_POST
@require_role(Role.UNIT, Role.APPRAISER)
def upload_round_workbook(request, pk: int):
    unit = unit_or_404(request.user, pk)
    form = RoundWorkbookForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Chưa chọn tệp bảng đã điền.")
        return redirect("unit_dashboard", pk=unit.pk)
    try:
        upload, stored = domain.upload_round_workbook(request.user, unit, form.cleaned_data["file"])
    except domain.Refused as exc:
        _report_problems(request, exc)
        return redirect("unit_dashboard", pk=unit.pk)
    if upload.accepted:
        messages.success(request, f"Đã ghi {len(stored)} mục từ bảng {upload.original_name} và chấm lại điểm.")
    else:
        messages.error(request, f"Bảng {upload.original_name} có {len(upload.problems)} lỗi; chưa ghi mục nào. "
                                "Xem danh sách lỗi bên dưới.")
    return redirect("unit_dashboard", pk=unit.pk)


@require_role(*ALL_ROLES)
def criterion(request, pk: int, criterion: str):
    unit = unit_or_404(request.user, pk)
    score = getattr(unit, "score", None)
    node = domain.nodes(score).get(criterion)
    if node is None:
        raise Http404
    row = next((r for r in criterion_rows(unit, score) if r["node"]["id"] == criterion), None)
    state = domain.round_state(unit)
    role = role_of(request.user)
    form = None
    if state.open and node["is_leaf"] and may_score(request.user, unit, criterion):
        if role == Role.UNIT and state.round == Round.SELF:
            form = SelfScoreForm(unit=unit, initial={"points": row["self"] if row else None})
        elif role == Role.UNIT and state.round == Round.EXPLANATION and row and row["requested"]:
            form = ExplanationForm(unit=unit)
        elif role == Role.APPRAISER and state.round in domain.APPRAISER_ROUNDS:
            form = AppraisalForm()
    events = unit.audit.filter(criterion=criterion).select_related("user")
    return render(request, "portal/criterion.html", {
        "unit": unit, "node": node, "row": row, "state": state, "form": form, "events": audit_rows(events),
        "documents": unit.uploads.filter(criterion=criterion, kind=Upload.Kind.DOCUMENT),
    })


@require_POST
@require_role(Role.UNIT, Role.APPRAISER)
def enter_points(request, pk: int, criterion: str):
    unit = unit_or_404(request.user, pk)
    if not may_score(request.user, unit, criterion):
        raise PermissionDenied("bạn không được phân công chấm tiêu chí này")
    state = domain.round_state(unit)
    role = role_of(request.user)
    if role == Role.UNIT and state.round == Round.EXPLANATION:
        form = ExplanationForm(request.POST, unit=unit)
    elif role == Role.UNIT:
        form = SelfScoreForm(request.POST, unit=unit)
    else:
        form = AppraisalForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else 'Biểu mẫu'}: "
                           + "; ".join(errors))
        return redirect("unit_criterion", pk=unit.pk, criterion=criterion)
    data = form.cleaned_data
    try:
        domain.add_entry(request.user, unit, round_=state.round, criterion=criterion,
                         points=float(data["points"]) if data.get("points") is not None else None,
                         reason=data.get("reason", ""),
                         explanation_requested=data.get("explanation_requested", False),
                         question=data.get("question", ""), evidence=list(data.get("documents", [])))
    except domain.Refused as exc:
        for problem in exc.problems:
            messages.error(request, problem.message + (f" (giá trị: {problem.value})" if problem.value else ""))
        return redirect("unit_criterion", pk=unit.pk, criterion=criterion)
    messages.success(request, f"Đã ghi nhận tiêu chí {criterion}.")
    return redirect("unit_criterion", pk=unit.pk, criterion=criterion)


def _report_problems(request, exc: domain.Refused) -> None:
    for problem in exc.problems:
        where = ", ".join(p for p in (problem.file if problem.file != "(thao tác)" else "", problem.place()) if p)
        place = f"{where}: " if where else ""
        messages.error(request, place + problem.message + (f" (giá trị: {problem.value})" if problem.value else ""))


@require_POST
@require_role(Role.UNIT)
def upload_evidence(request, pk: int):
    unit = unit_or_404(request.user, pk)
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Chưa chọn tệp phiếu minh chứng.")
        return redirect("unit_dashboard", pk=unit.pk)
    try:
        upload = domain.upload_evidence(request.user, unit, form.cleaned_data["file"])
    except domain.Refused as exc:
        _report_problems(request, exc)
        return redirect("unit_dashboard", pk=unit.pk)
    if upload.accepted:
        messages.success(request, "Đã nhận phiếu minh chứng và chấm lại điểm.")
    else:
        messages.error(request, f"Phiếu minh chứng có {len(upload.problems)} lỗi; xem danh sách lỗi bên dưới.")
    return redirect("unit_dashboard", pk=unit.pk)


@require_POST
@require_role(Role.UNIT)
def upload_document(request, pk: int):
    unit = unit_or_404(request.user, pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    back = request.POST.get("next_criterion", "")
    target = redirect("unit_criterion", pk=unit.pk, criterion=back) if back else redirect("unit_dashboard", pk=unit.pk)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: " + "; ".join(errors))
        return target
    data = form.cleaned_data
    try:
        domain.upload_document(request.user, unit, data["file"], criterion=data["criterion"].strip(),
                               number=data["number"].strip(), issued=data["issued"], place=data["place"].strip())
    except domain.Refused as exc:
        _report_problems(request, exc)
        return target
    messages.success(request, "Đã lưu tài liệu kiểm chứng.")
    return target


@require_POST
@require_role(Role.UNIT)
def submit(request, pk: int):
    unit = unit_or_404(request.user, pk)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Phải ghi họ tên, chức vụ lãnh đạo ký duyệt và đánh dấu xác nhận.")
        return redirect("unit_dashboard", pk=unit.pk)
    state = domain.round_state(unit)
    if state.round not in domain.UNIT_ROUNDS:
        messages.error(request, f"Vòng hiện tại ({state.label}) không phải vòng đơn vị gửi kết quả.")
        return redirect("unit_dashboard", pk=unit.pk)
    try:
        domain.submit(request.user, unit, state.round, form.cleaned_data["leader_name"],
                      form.cleaned_data["leader_position"])
    except domain.Refused as exc:
        _report_problems(request, exc)
        return redirect("unit_dashboard", pk=unit.pk)
    messages.success(request, f"Đã gửi kết quả {state.label}.")
    return redirect("unit_dashboard", pk=unit.pk)


@require_role(*ALL_ROLES)
def download_upload(request, pk: int, upload: int):
    unit = unit_or_404(request.user, pk)
    item = upload_or_404(request.user, unit, upload)
    return stored_file(Path(item.file.path), item.original_name)


def _document(unit, what: str, fmt: str, name: str):
    if fmt not in ("xlsx", "docx", "md"):
        raise Http404
    data = domain.documents([unit], what, fmt)
    if data is None:
        raise Http404
    return attachment(data, f"{name}-{unit.code}.{fmt}", fmt)


@require_role(*ALL_ROLES)
def scoring_sheet(request, pk: int, fmt: str):
    return _document(unit_or_404(request.user, pk), "report", fmt, "phieu-cham")


@require_role(*ALL_ROLES)
def corrective_plan(request, pk: int, fmt: str):
    return _document(unit_or_404(request.user, pk), "plan", fmt, "ke-hoach-khac-phuc")


@require_role(*ALL_ROLES)
def evidence_template(request, pk: int):
    unit = unit_or_404(request.user, pk)
    data = services.template(domain.criteria_path(unit.assessment), unit.code, unit.name, unit.level,
                             unit.assessment.year)
    return attachment(data, f"phieu-minh-chung-{unit.code}.xlsx", "xlsx")


@require_role(*ALL_ROLES)
def unit_audit(request, pk: int):
    unit = unit_or_404(request.user, pk)
    events = unit.audit.select_related("user").order_by("at", "id")
    if request.GET.get("format") == "csv":
        return attachment(audit_csv(events), f"nhat-ky-{unit.code}.csv", "csv")
    return render(request, "portal/audit.html", {"unit": unit, "events": audit_rows(events), "title": unit.name})
