"""What people do, as database transactions: upload, enter points, submit, unlock, finalise — each with its audit event.

Every write goes through here, so the rules (who may act in which round, append-only record, one
submission per round, audit of every change) hold for the views, the admin commands and the bench alike.
Points and round refusals come from the engine through web.services.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from web import services
from web.portal.models import (
    Account, Assessment, AuditEvent, Entry, Role, Round, Submission, Unit, UnitScore, Unlock, Upload,
)

ROUND_ORDER = [Round.SELF, Round.APPRAISAL_1, Round.EXPLANATION, Round.APPRAISAL_2]
UNIT_ROUNDS = {Round.SELF, Round.EXPLANATION}
APPRAISER_ROUNDS = {Round.APPRAISAL_1, Round.APPRAISAL_2}

WORKBOOK_SUFFIXES = {".xlsx"}
BUNDLE_SUFFIXES = {".yaml", ".yml"}
DOCUMENT_SUFFIXES = {".pdf", ".docx", ".doc", ".xlsx", ".xls", ".odt", ".ods", ".png", ".jpg", ".jpeg", ".zip"}
# First bytes of each accepted type: a file whose content does not match its name is refused.
MAGIC = {".pdf": (b"%PDF-",), ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".odt": (b"PK\x03\x04",),
         ".ods": (b"PK\x03\x04",), ".zip": (b"PK\x03\x04",), ".doc": (b"\xd0\xcf\x11\xe0",), ".xls": (b"\xd0\xcf\x11\xe0",),
         ".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}


class Refused(Exception):
    """An action the rules do not allow; `problems` carry the Vietnamese messages shown to the person."""

    def __init__(self, problems: list):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def _refuse(code: str, message: str, where: str = "", value: str | None = None) -> Refused:
    return Refused([services.problem(code, file=where or "(thao tác)", message=message, value=value)])


def fmt_time(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else ""


def audit(user, action: str, *, assessment=None, unit=None, criterion: str = "", old: str = "", new: str = "",
          reason: str = "", entry=None, at=None) -> AuditEvent:
    account = getattr(user, "account", None) if user is not None else None
    return AuditEvent.objects.create(
        at=at or timezone.now(), user=user, username=user.get_username() if user else "(hệ thống)",
        role=account.role if account else ("admin" if user is not None and user.is_superuser else ""),
        assessment=assessment or (unit.assessment if unit else None), unit=unit, criterion=criterion,
        action=action, old=old, new=new, reason=reason, entry=entry)


# ---- rounds -------------------------------------------------------------------------------------------------

def current_round(unit: Unit) -> str:
    """The first round the unit has not finished (a round ends with its submission), or final."""
    done = set(unit.submissions.values_list("round", flat=True))
    for round_ in ROUND_ORDER:
        if round_ not in done:
            return round_
    return Round.FINAL


def active_unlock(unit: Unit, round_: str, now: datetime) -> Unlock | None:
    return unit.unlocks.filter(round=round_, until__gte=now).order_by("-until").first()


@dataclass(frozen=True)
class RoundState:
    round: str
    label: str
    deadline: datetime | None
    open: bool
    late: bool
    unlocked_until: datetime | None
    reason_closed: str


def round_state(unit: Unit, now: datetime | None = None) -> RoundState:
    """Whether the unit's current round accepts entries now: assessment open, before its deadline or unlocked."""
    now = now or timezone.now()
    assessment = unit.assessment
    round_ = current_round(unit)
    label = Round(round_).label
    if round_ == Round.FINAL:
        return RoundState(round_, label, assessment.publication_date, False, False, None, "các vòng đã kết thúc")
    deadline = assessment.deadline(round_)
    unlock = active_unlock(unit, round_, now)
    late = now > deadline
    if assessment.state != Assessment.State.OPEN:
        return RoundState(round_, label, deadline, False, late, None, "đợt đánh giá không ở trạng thái đang đánh giá")
    if round_ == Round.SELF and now < assessment.self_open and unlock is None:
        return RoundState(round_, label, deadline, False, False, None, "chưa đến thời gian tự đánh giá")
    if late and unlock is None:
        return RoundState(round_, label, deadline, False, True, None, f"đã quá hạn {fmt_time(deadline)}")
    return RoundState(round_, label, deadline, True, late, unlock.until if unlock else None, "")


def _require_open(unit: Unit, round_: str, now: datetime) -> RoundState:
    state = round_state(unit, now)
    if state.round != round_:
        raise _refuse("round.not_current", f"vòng hiện tại của đơn vị là {state.label}, không phải {Round(round_).label}")
    if not state.open:
        raise Refused(services.check_entry(False, fmt_time(state.deadline), None, {"criterion": ""}) if state.late
                      else [services.problem("round.closed", file="(thao tác)", message=f"vòng {state.label} đang khóa: "
                                             f"{state.reason_closed}")])
    return state


# ---- scoring ------------------------------------------------------------------------------------------------

def criteria_path(assessment: Assessment) -> Path:
    return Path(assessment.criteria_file.path)


def evidence_upload(unit: Unit) -> Upload | None:
    return unit.uploads.filter(kind__in=[Upload.Kind.WORKBOOK, Upload.Kind.BUNDLE], accepted=True).order_by(
        "-uploaded_at", "-id").first()


def record(unit: Unit) -> list[dict]:
    return [services.entry_payload(e) for e in unit.entries.order_by("seq")]


def rescore(unit: Unit, now: datetime | None = None) -> UnitScore | None:
    """Score the unit from its accepted evidence file and its record, and keep the result for the dashboards."""
    now = now or timezone.now()
    upload = evidence_upload(unit)
    if upload is None:
        UnitScore.objects.filter(unit=unit).delete()
        return None
    entries = record(unit)
    outcome = services.score_unit(criteria_path(unit.assessment), Path(upload.file.path), unit.code, entries, now)
    if outcome.unit is None:
        problems = services.problem_rows(outcome.problems)
        score, _ = UnitScore.objects.update_or_create(unit=unit, defaults=dict(
            computed_at=now, evidence=upload, record_length=len(entries), points=None, final_points=None,
            index_pct=None, band="", rank=None, data_problems=len(problems), result={}, problems=problems))
        return score
    data = outcome.unit
    final_points = data.get("final_points", data["points"])
    score, _ = UnitScore.objects.update_or_create(unit=unit, defaults=dict(
        computed_at=now, evidence=upload, record_length=len(entries), points=data["points"], final_points=final_points,
        index_pct=data.get("final_index_pct", data["index_pct"]), band=data.get("band") or "", rank=None,
        data_problems=data.get("data_problems", 0), result=data, problems=[]))
    return score


def block_rank(unit: Unit) -> tuple[int | None, int]:
    """Competition rank (1, 1, 3) by index among the scored units of the same assessment and level."""
    score = getattr(unit, "score", None)
    peers = UnitScore.objects.filter(unit__assessment=unit.assessment, unit__level=unit.level, index_pct__isnull=False)
    total = peers.count()
    if score is None or score.index_pct is None:
        return None, total
    return peers.filter(index_pct__gt=score.index_pct).count() + 1, total


def nodes(score: UnitScore | None) -> dict[str, dict]:
    return {n["id"]: n for n in (score.result.get("nodes", []) if score else [])}


# ---- uploads ------------------------------------------------------------------------------------------------

def _sniff_ok(suffix: str, head: bytes) -> bool:
    if suffix in BUNDLE_SUFFIXES:
        return b"\x00" not in head and not head.lstrip().lower().startswith((b"<!doctype", b"<html", b"<script"))
    return any(head.startswith(m) for m in MAGIC.get(suffix, ()))


def _store(user, unit: Unit, uploaded, kind: str, round_: str, now: datetime, **meta) -> Upload:
    name = Path(uploaded.name).name
    suffix = Path(name).suffix.lower()
    allowed = {Upload.Kind.WORKBOOK: WORKBOOK_SUFFIXES | BUNDLE_SUFFIXES, Upload.Kind.DOCUMENT: DOCUMENT_SUFFIXES}[kind]
    if suffix not in allowed:
        raise _refuse("upload.type", "loại tệp không được nhận; chấp nhận: " + ", ".join(sorted(allowed)), name, suffix)
    if uploaded.size > settings.PORTAL_MAX_UPLOAD_BYTES:
        raise _refuse("upload.too_large", f"tệp lớn hơn giới hạn {settings.PORTAL_MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
                      name, str(uploaded.size))
    if uploaded.size == 0:
        raise _refuse("upload.empty", "tệp rỗng", name)
    digest = hashlib.sha256()
    head = b""
    for chunk in uploaded.chunks():
        if not head:
            head = chunk[:512]
        digest.update(chunk)
    if not _sniff_ok(suffix, head):
        raise _refuse("upload.content", "nội dung tệp không đúng với loại tệp theo tên", name, suffix)
    uploaded.seek(0)
    if kind == Upload.Kind.WORKBOOK and suffix in BUNDLE_SUFFIXES:
        kind = Upload.Kind.BUNDLE
    upload = Upload(assessment=unit.assessment, unit=unit, kind=kind, original_name=name[:255],
                    content_type=mimetypes.types_map.get(suffix, "application/octet-stream"), size=uploaded.size,
                    sha256=digest.hexdigest(), round=round_, uploaded_by=user, uploaded_at=now, **meta)
    # The stored name is the hash plus the original suffix (which the engine's reader dispatches on).
    upload.file.save(f"{unit.assessment.code}/{unit.code}/{upload.sha256[:16]}{suffix}", uploaded, save=False)
    upload.save()
    return upload


def upload_evidence(user, unit: Unit, uploaded, now: datetime | None = None) -> Upload:
    """A filled evidence workbook: stored, scored; accepted (and the unit rescored) only when the engine reads it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        state = _require_unit_round(locked, now)
        upload = _store(user, locked, uploaded, Upload.Kind.WORKBOOK, state.round, now)
        outcome = services.score_unit(criteria_path(locked.assessment), Path(upload.file.path), locked.code,
                                      record(locked), now)
        previous = evidence_upload(locked)
        if outcome.unit is None:
            upload.problems = services.problem_rows(outcome.problems)
            upload.save(update_fields=["problems"])
            audit(user, "upload_refused", unit=locked, new=f"{upload.original_name} (sha256 {upload.sha256})",
                  reason=f"{len(outcome.problems)} lỗi", at=now)
            return upload
        upload.accepted = True
        upload.save(update_fields=["accepted"])
        audit(user, "upload_evidence", unit=locked, old=previous.original_name if previous else "",
              new=f"{upload.original_name} (sha256 {upload.sha256})", at=now)
        rescore(locked, now)
    return upload


def upload_document(user, unit: Unit, uploaded, *, criterion: str, number: str, issued: date | None, place: str,
                    now: datetime | None = None) -> Upload:
    now = now or timezone.now()
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        state = _require_unit_round(locked, now)
        if criterion and criterion not in nodes(getattr(locked, "score", None)):
            raise _refuse("entry.unknown_criterion", "không có tiêu chí này trong bộ chỉ số", value=criterion)
        upload = _store(user, locked, uploaded, Upload.Kind.DOCUMENT, state.round, now, criterion=criterion,
                        doc_number=number, doc_date=issued, doc_place=place, accepted=True)
        audit(user, "upload_document", unit=locked, criterion=criterion,
              new=f"{upload.reference()} (sha256 {upload.sha256})", at=now)
    return upload


def _require_unit_round(unit: Unit, now: datetime) -> RoundState:
    state = round_state(unit, now)
    if state.round not in UNIT_ROUNDS:
        raise _refuse("round.not_unit", f"vòng hiện tại ({state.label}) không phải vòng của đơn vị")
    return _require_open(unit, state.round, now)


# ---- entries ------------------------------------------------------------------------------------------------

def _next_seq(unit: Unit) -> int:
    return (unit.entries.aggregate(m=Max("seq"))["m"] or 0) + 1


def standing_points(node: dict | None) -> float | None:
    if node is None:
        return None
    return node.get("final_points", node.get("points"))


def add_entry(user, unit: Unit, *, round_: str, criterion: str, points: float | None, reason: str,
              explanation_requested: bool = False, question: str = "", evidence: list[Upload] | None = None,
              now: datetime | None = None) -> Entry:
    """Append one entry to the unit's record after the engine's checks; the unit is rescored in the same step."""
    now = now or timezone.now()
    account: Account = user.account
    evidence = list(evidence or [])
    rounds = {Role.UNIT: UNIT_ROUNDS, Role.APPRAISER: APPRAISER_ROUNDS}.get(account.role, set())
    if round_ not in rounds:
        raise _refuse("entry.role_round", f"vai trò {account.get_role_display()} không chấm điểm ở vòng {Round(round_).label}")
    if round_ == Round.EXPLANATION and not reason.strip():
        raise _refuse("entry.explanation_text", "phải ghi nội dung giải trình", f"tiêu chí {criterion}")
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        _require_open(locked, round_, now)
        score = getattr(locked, "score", None)
        node = nodes(score).get(criterion)
        proposed = {"round": round_, "criterion": criterion, "points": points, "reason": reason, "role": account.role}
        problems = services.check_entry(True, "", node, proposed)
        if node is not None and not node.get("is_leaf", True):
            problems.append(services.problem("entry.not_leaf", file=f"tiêu chí {criterion}", value=criterion,
                                             message="chỉ chấm điểm ở tiêu chí thành phần"))
        if explanation_requested and not question.strip():
            problems.append(services.problem("entry.question_required", file=f"tiêu chí {criterion}",
                                             message="yêu cầu giải trình phải ghi câu hỏi"))
        if problems:
            raise Refused(problems)
        old = standing_points(node)
        entry = Entry.objects.create(
            assessment=locked.assessment, unit=locked, seq=_next_seq(locked), round=round_, criterion=criterion,
            points=Decimal(str(points)) if points is not None else None, role=account.role, user=user,
            by_name=account.display_name, at=now, reason=reason, explanation_requested=explanation_requested,
            question=question, evidence_refs=[u.reference() for u in evidence])
        entry.evidence.set(evidence)
        new = "" if points is None else f"{points:g}"
        if explanation_requested:
            new = (new + " " if new else "") + "(yêu cầu giải trình: " + question + ")"
        audit(user, f"entry_{round_}", unit=locked, criterion=criterion,
              old="" if old is None else f"{old:g}", new=new, reason=reason, entry=entry, at=now)
        rescore(locked, now)
    return entry


def submit(user, unit: Unit, round_: str, leader_name: str, leader_position: str, now: datetime | None = None) -> Submission:
    """Close the unit's round: a unit round needs its leader's sign-off; a round is submitted once."""
    now = now or timezone.now()
    if not leader_name.strip() or not leader_position.strip():
        raise _refuse("submit.leader", "phải ghi họ tên và chức vụ của lãnh đạo ký duyệt")
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        _require_open(locked, round_, now)
        if round_ == Round.SELF and evidence_upload(locked) is None:
            raise _refuse("submit.no_evidence", "chưa có phiếu minh chứng hợp lệ; hãy tải lên trước khi gửi")
        submission = Submission.objects.create(unit=locked, round=round_, submitted_at=now, submitted_by=user,
                                               leader_name=leader_name.strip(), leader_position=leader_position.strip())
        audit(user, "submit", unit=locked, old=Round(round_).label, new="đã gửi",
              reason=f"ký duyệt: {submission.leader_name}, {submission.leader_position}", at=now)
    return submission


def unlock(user, unit: Unit, until: datetime, reason: str, now: datetime | None = None) -> Unlock:
    now = now or timezone.now()
    if not reason.strip():
        raise _refuse("unlock.reason", "mở khóa phải ghi lý do")
    if until <= now:
        raise _refuse("unlock.until", "thời hạn mở khóa phải sau thời điểm hiện tại", value=fmt_time(until))
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        round_ = current_round(locked)
        if round_ == Round.FINAL:
            raise _refuse("unlock.final", "đơn vị đã hoàn thành các vòng; không có vòng nào để mở khóa")
        item = Unlock.objects.create(unit=locked, round=round_, until=until, reason=reason.strip(), by=user, at=now)
        audit(user, "unlock", unit=locked, old="khóa", new=f"mở {Round(round_).label} đến {fmt_time(until)}",
              reason=item.reason, at=now)
    return item


def set_state(user, assessment: Assessment, state: str, reason: str = "", now: datetime | None = None) -> None:
    now = now or timezone.now()
    allowed = {Assessment.State.OPEN: {Assessment.State.SETUP}, Assessment.State.FINALISED: {Assessment.State.OPEN},
               Assessment.State.PUBLISHED: {Assessment.State.FINALISED}}
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.state not in allowed[state]:
            raise _refuse("assessment.state", f"không thể chuyển từ '{locked.get_state_display()}' sang "
                          f"'{Assessment.State(state).label}'")
        old = locked.get_state_display()
        locked.state = state
        if state == Assessment.State.FINALISED:
            locked.finalised_at = now
        if state == Assessment.State.PUBLISHED:
            locked.published_at = now
        locked.save()
        audit(user, "assessment_state", assessment=locked, old=old, new=locked.get_state_display(), reason=reason, at=now)
    assessment.refresh_from_db()


def role_of(user) -> str | None:
    account = getattr(user, "account", None)
    return account.role if account else None


__all__ = ["Refused", "Role", "Round", "audit", "add_entry", "submit", "unlock", "upload_evidence", "upload_document",
           "rescore", "round_state", "current_round", "block_rank", "set_state"]
