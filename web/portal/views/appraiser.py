"""The appraiser's pages: the assigned units, and per unit every criterion side by side with the round's form."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from web.portal import domain
from web.portal.forms import AppraisalSubmitForm
from web.portal.models import Role
from web.portal.permissions import assigned_criteria, may_score, require_role, unit_or_404, visible_units
from web.portal.views.unit import criterion_rows, round_workbook_context


@require_role(Role.APPRAISER)
def home(request):
    units = visible_units(request.user).select_related("assessment", "score").order_by("area", "code")
    rows = [{"unit": u, "state": domain.round_state(u), "score": getattr(u, "score", None)} for u in units]
    return render(request, "portal/appraiser_home.html", {"rows": rows})


@require_role(Role.APPRAISER, Role.OFFICE)
def appraise_unit(request, pk: int):
    unit = unit_or_404(request.user, pk)
    score = getattr(unit, "score", None)
    rows = criterion_rows(unit, score)
    for row in rows:
        row["mine"] = may_score(request.user, unit, row["node"]["id"])
    state = domain.round_state(unit)
    return render(request, "portal/appraise_unit.html", {
        "unit": unit, "score": score, "rows": rows, "state": state,
        "scope": ", ".join(p for p in assigned_criteria(request.user, unit) if p)
        if request.user.account.role == Role.APPRAISER else "",
        "submit_form": AppraisalSubmitForm(), "can_submit": request.user.account.role == Role.APPRAISER
        and state.open and state.round in domain.APPRAISER_ROUNDS,
        **round_workbook_context(unit, state, request.user.account.role),
    })


@require_POST
@require_role(Role.APPRAISER)
def submit_round(request, pk: int):
    unit = unit_or_404(request.user, pk)
    form = AppraisalSubmitForm(request.POST)
    state = domain.round_state(unit)
    if not form.is_valid() or state.round not in domain.APPRAISER_ROUNDS:
        messages.error(request, "Chưa xác nhận, hoặc vòng hiện tại không phải vòng thẩm định.")
        return redirect("appraise_unit", pk=unit.pk)
    account = request.user.account
    try:
        domain.submit(request.user, unit, state.round, account.display_name, account.position or "Thẩm định viên")
    except domain.Refused as exc:
        for problem in exc.problems:
            messages.error(request, problem.message)
        return redirect("appraise_unit", pk=unit.pk)
    messages.success(request, f"Đã gửi kết quả {state.label} của {unit.name}.")
    return redirect("appraise_unit", pk=unit.pk)
