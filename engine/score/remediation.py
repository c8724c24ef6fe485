"""Corrective tasks for lost points, filled from the criterion's template and the finding."""

from __future__ import annotations

from datetime import date, timedelta

from engine.core.vnformat import format_date, format_number
from engine.kinds.base import Outcome
from engine.model.criteria import RemediationTemplate


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def build_task(criterion: str, title: str, area: str, template: RemediationTemplate | None, outcome: Outcome,
               lost: float, unit_name: str, year: int, as_of: date) -> dict:
    """The task as a dict for RemediationTask; without a template a task is still written from the finding."""
    observed = "; ".join(f"{o.name}: {o.value}" for o in outcome.observed) or "không có số liệu"
    values = _Values(
        unit=unit_name, criterion=criterion, title=title, lost_points=format_number(lost), observed=observed,
        expected=outcome.expected,
        shortfall=format_number(outcome.shortfall) if outcome.shortfall is not None else "không xác định",
        missing=", ".join(outcome.missing) or "không có", year=str(year), next_year=str(year + 1))
    if template is None:
        return dict(criterion=criterion, area=area, task=_default_task(criterion, title, outcome), product=None,
                    lead=unit_name, cooperating=[], deadline=None, recoverable_points=lost)
    needs_finding = any("{" + name + "}" in template.task for name in ("shortfall", "observed"))
    deadline = template.deadline.format_map(values) if template.deadline else None
    if template.deadline_days is not None:
        deadline = f"Trước ngày {format_date(as_of + timedelta(days=template.deadline_days))}"
    product = template.product.format_map(values) if template.product else None
    if outcome.status == "data_error" or (needs_finding and not outcome.observed):
        task = _default_task(criterion, title, outcome)
        if outcome.status == "data_error":
            product = "Số liệu đã rà soát, đính chính gửi Phòng Nội vụ"
    else:
        task = template.task.format_map(values)
    return dict(
        criterion=criterion, area=area, task=task, product=product,
        lead=template.lead.format_map(values) if template.lead else unit_name,
        cooperating=[c.format_map(values) for c in template.cooperating],
        deadline=deadline, recoverable_points=lost)


def _default_task(criterion: str, title: str, outcome: Outcome) -> str:
    if outcome.status == "data_error":
        return f"Rà soát, sửa số liệu của tiêu chí {criterion} ({title}): " + "; ".join(outcome.problems)
    gaps = [f for f in outcome.findings if f.is_gap]
    if gaps and all(f.state == "late" for f in gaps):
        return (f"Rút kinh nghiệm, bảo đảm ban hành đúng hạn trong kỳ tới các văn bản của tiêu chí {criterion} ({title}): "
                + ", ".join(f.label for f in gaps))
    if outcome.status == "not_due":
        return f"Chuẩn bị, ban hành đúng hạn cho tiêu chí {criterion} ({title}): " + ", ".join(outcome.missing)
    if outcome.missing:
        return f"Bổ sung minh chứng cho tiêu chí {criterion} ({title}): " + ", ".join(outcome.missing)
    return f"Khắc phục tiêu chí {criterion} ({title}) để đạt yêu cầu: {outcome.expected}"
