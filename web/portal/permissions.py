"""Object-level permissions: a unit sees only itself, an appraiser only what is assigned, the office everything.

Views fetch every unit, file and entry through these functions, so an object outside a person's reach
is a 404 (its existence is not revealed) and a role that may not act is a 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from web.portal.models import Assignment, Role, Unit, Upload


def role_of(user) -> str | None:
    account = getattr(user, "account", None) if user.is_authenticated else None
    return account.role if account else None


def require_role(*roles: str):
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if role_of(request.user) not in roles:
                raise PermissionDenied("vai trò của bạn không được làm việc này")
            return view(request, *args, **kwargs)
        return wrapped
    return decorate


def _assignment_filter(user) -> Q:
    rows = Assignment.objects.filter(appraiser=user).values_list("assessment_id", "unit_id", "area")
    query = Q(pk__in=[])
    for assessment_id, unit_id, area in rows:
        query |= Q(pk=unit_id) if unit_id else Q(assessment_id=assessment_id, area=area)
    return query


def visible_units(user) -> QuerySet[Unit]:
    role = role_of(user)
    if role == Role.OFFICE:
        return Unit.objects.all()
    if role == Role.UNIT:
        return Unit.objects.filter(pk=user.account.unit_id)
    if role == Role.APPRAISER:
        return Unit.objects.filter(_assignment_filter(user))
    return Unit.objects.none()


def unit_or_404(user, pk: int) -> Unit:
    return get_object_or_404(visible_units(user).select_related("assessment"), pk=pk)


def upload_or_404(user, unit: Unit, pk: int) -> Upload:
    return get_object_or_404(Upload, pk=pk, unit=unit)


def assigned_criteria(user, unit: Unit) -> list[str]:
    """Criterion prefixes an appraiser may score for this unit; [''] means every criterion."""
    rows = Assignment.objects.filter(Q(unit=unit) | Q(unit__isnull=True, area=unit.area, assessment=unit.assessment),
                                     appraiser=user).values_list("criterion", flat=True)
    prefixes = sorted(set(rows))
    return [""] if "" in prefixes else prefixes


def may_score(user, unit: Unit, criterion: str) -> bool:
    role = role_of(user)
    if role == Role.UNIT:
        return user.account.unit_id == unit.pk
    if role == Role.APPRAISER:
        return any(p == "" or criterion == p or criterion.startswith(p + ".") for p in assigned_criteria(user, unit))
    return False


def require_visible(user, unit: Unit) -> None:
    if not visible_units(user).filter(pk=unit.pk).exists():
        raise Http404
