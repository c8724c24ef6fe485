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

from engine.api import InputError
from web import services
from web.portal.models import (
    Account, Assessment, AuditEvent, Entry, Role, Round, Submission, Unit, UnitScore, Unlock, Upload,
)
from web.portal.permissions import may_score as _may_score

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


def _refuse(message: str, where: str = "", value: str | None = None, *, code: str) -> Refused:
    return Refused([services.problem(code=code, file=where or "(thao tác)", message=message, value=value)])


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

def today(now: datetime | None = None) -> date:
    """The day in Vietnam time: deadlines are whole days, as in the engine's schedule."""
    return timezone.localtime(now or timezone.now()).date()


def current_round(unit: Unit) -> str:
    """The first round not yet finished (a round ends with its submission), or final: the portal's order of work."""
    done = set(unit.submissions.values_list("round", flat=True))
    for round_ in ROUND_ORDER:
        if round_ not in done:
            return round_
    return Round.FINAL


@dataclass(frozen=True)
class RoundState:
    round: str
    label: str
    deadline: date | None
    open: bool
    late: bool
    unlocked_until: date | None
    reason_closed: str


def round_state(unit: Unit, now: datetime | None = None) -> RoundState:
    """What the pages show: the current round, its last day, and whether it is open (the engine has the last word)."""
    day = today(now)
    assessment = unit.assessment
    round_ = current_round(unit)
    label = Round(round_).label
    if round_ == Round.FINAL:
        return RoundState(round_, label, assessment.publication_date, False, False, None, "các vòng đã kết thúc")
    deadline = assessment.deadline(round_)
    unlock = unit.unlocks.filter(round=round_, until__gte=day).order_by("-until").first()
    late = day > deadline
    if assessment.state != Assessment.State.OPEN:
        return RoundState(round_, label, deadline, False, late, None, "đợt đánh giá không ở trạng thái đang đánh giá")
    if round_ == Round.SELF and day < assessment.self_open and unlock is None:
        return RoundState(round_, label, deadline, False, False, None, "chưa đến thời gian tự đánh giá")
    if late and unlock is None:
        return RoundState(round_, label, deadline, False, True, None, f"đã hết hạn ngày {deadline:%d/%m/%Y}")
    return RoundState(round_, label, deadline, True, late, unlock.until if unlock else None, "")


def _require_current(unit: Unit, round_: str) -> None:
    """The portal's order of work; deadlines, roles and points are the engine's checks."""
    if unit.assessment.state != Assessment.State.OPEN:
        raise _refuse(code="web.assessment_closed",
                      message="đợt đánh giá không ở trạng thái đang đánh giá; không ghi thêm được")
    state_round = current_round(unit)
    if state_round != round_:
        raise _refuse(code="web.round_not_current",
                      message=f"vòng hiện tại của đơn vị là {Round(state_round).label}, "
                      f"không phải {Round(round_).label}")


# ---- the engine's view of a unit ----------------------------------------------------------------------------

def criteria_path(assessment: Assessment) -> Path:
    return Path(assessment.criteria_file.path)


def engine_assessment(assessment: Assessment):
    text = services.assessment_yaml(
        assessment.code, assessment.title, assessment.year, criteria_path(assessment), assessment.criteria_sha256,
        list(assessment.units.order_by("code").values_list("code", flat=True)),
        services.Schedule(assessment.self_open, assessment.self_deadline, assessment.appraisal_1_deadline,
                          assessment.explanation_deadline, assessment.appraisal_2_deadline,
                          assessment.publication_date),
        float(assessment.bonus_cap) if assessment.bonus_cap is not None else None,
        float(assessment.penalty_cap) if assessment.penalty_cap is not None else None)
    return services.load_assessment(criteria_path(assessment).parent, text)


def evidence_upload(unit: Unit, round_: str | None = None) -> Upload | None:
    """The latest evidence file the engine accepted (of one round, or of any)."""
    uploads = unit.uploads.filter(kind__in=[Upload.Kind.WORKBOOK, Upload.Kind.BUNDLE], accepted=True)
    if round_ is not None:
        uploads = uploads.filter(round=round_)
    return uploads.order_by("-uploaded_at", "-id").first()


def evidence_paths(unit: Unit) -> tuple[Path, Path | None] | None:
    """(self-assessment evidence, evidence added in the explanation round) or None before any evidence."""
    own = evidence_upload(unit, Round.SELF)
    if own is None:
        return None
    explained = evidence_upload(unit, Round.EXPLANATION)
    return Path(own.file.path), Path(explained.file.path) if explained else None


def unit_engine(unit: Unit, paths: tuple[Path, Path | None] | None = None):
    paths = paths or evidence_paths(unit)
    if paths is None:
        return None
    return services.unit_engine(engine_assessment(unit.assessment), unit.code, *paths)


def engine_entries(unit: Unit) -> list:
    return [to_engine(e) for e in unit.entries.order_by("seq")]


def to_engine(entry: Entry):
    return services.engine_entry(entry.assessment.code, entry.unit.code,
                                 round_=entry.round, kind=entry.kind, criterion=entry.criterion,
                                 points=float(entry.points) if entry.points is not None else None, by=entry.by_name,
                                 role=entry.role, at=entry.at, reason=entry.reason,
                                 explanation_requested=entry.explanation_requested, question=entry.question,
                                 refs=entry.evidence_refs, until=entry.until, source=entry.source)


def rescore(unit: Unit, now: datetime | None = None, engine=None) -> UnitScore | None:
    """Score the unit from its accepted evidence and its record, and keep the result for the dashboards."""
    now = now or timezone.now()
    engine = engine or unit_engine(unit)
    if engine is None:
        UnitScore.objects.filter(unit=unit).delete()
        return None
    entries = engine_entries(unit)
    data = services.score(engine, entries)
    score, _ = UnitScore.objects.update_or_create(unit=unit, defaults=dict(
        computed_at=now, evidence=evidence_upload(unit), record_length=len(entries), points=data["points"],
        final_points=data.get("final_points", data["points"]), index_pct=data.get("final_index_pct", data["index_pct"]),
        band=data.get("band") or "", rank=None, data_problems=data.get("data_problems", 0), result=data, problems=[]))
    return score


def block_rank(unit: Unit) -> tuple[int | None, int]:
    """Competition rank (1, 1, 3) by final index among the scored units of the assessment's block and level."""
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
    allowed = {Upload.Kind.WORKBOOK: WORKBOOK_SUFFIXES | BUNDLE_SUFFIXES, Upload.Kind.DOCUMENT: DOCUMENT_SUFFIXES,
               Upload.Kind.ROUND_WORKBOOK: WORKBOOK_SUFFIXES}[kind]
    if suffix not in allowed:
        raise _refuse(code="upload.type",
                      message="loại tệp không được nhận; chấp nhận: " + ", ".join(sorted(allowed)),
                      where=name, value=suffix)
    if uploaded.size > settings.PORTAL_MAX_UPLOAD_BYTES:
        raise _refuse(code="upload.too_large",
                      message=f"tệp lớn hơn giới hạn {settings.PORTAL_MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
                      where=name, value=str(uploaded.size))
    if uploaded.size == 0:
        raise _refuse(code="upload.empty", message="tệp rỗng", where=name)
    digest = hashlib.sha256()
    head = b""
    for chunk in uploaded.chunks():
        if not head:
            head = chunk[:512]
        digest.update(chunk)
    if not _sniff_ok(suffix, head):
        raise _refuse(code="upload.content",
                      message="nội dung tệp không đúng với loại tệp theo tên", where=name, value=suffix)
    uploaded.seek(0)
    if kind == Upload.Kind.WORKBOOK and suffix in BUNDLE_SUFFIXES:
        kind = Upload.Kind.BUNDLE
    upload = Upload(assessment=unit.assessment, unit=unit, kind=kind, original_name=name[:255],
                    content_type=mimetypes.types_map.get(suffix, "application/octet-stream"), size=uploaded.size,
                    sha256=digest.hexdigest(), round=round_, uploaded_by=user, uploaded_at=now, **meta)
    # Stored under the hash with the original suffix (the engine's reader dispatches on it), never the user's name.
    upload.file.save(f"{unit.assessment.code}/{unit.code}/{upload.sha256[:16]}-{now:%Y%m%d%H%M%S%f}{suffix}", uploaded,
                     save=False)
    upload.save()
    return upload


WINDOW_CODES = {"assessment.after_deadline", "assessment.before_window", "assessment.finalised",
                "assessment.after_publication"}


def _window_refusals(unit: Unit, engine, round_: str, user, now: datetime) -> list:
    """Whether the engine would take an entry of this person in this round now (deadlines, unlocks, finalisation)."""
    probe = services.engine_entry(unit.assessment.code, unit.code, round_=round_, kind="submit", criterion="",
                                  points=None, by=user.account.display_name, role=user.account.role, at=now,
                                  reason="", explanation_requested=False, question="", refs=[], until=None)
    found = services.refusals(engine, engine_entries(unit), [probe], now)
    return [p for p in found if p.code in WINDOW_CODES]


def _unit_round(unit: Unit) -> str:
    round_ = current_round(unit)
    if round_ not in UNIT_ROUNDS:
        raise _refuse(code="web.not_unit_round",
                      message=f"vòng hiện tại ({Round(round_).label}) không phải vòng của đơn vị")
    _require_current(unit, round_)
    return round_


def upload_evidence(user, unit: Unit, uploaded, now: datetime | None = None) -> Upload:
    """A filled evidence workbook: stored, read and scored by the engine; used only when the engine accepts it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        round_ = _unit_round(locked)
        upload = _store(user, locked, uploaded, Upload.Kind.WORKBOOK, round_, now)
        current = evidence_paths(locked)
        new = Path(upload.file.path)
        paths = (new, None) if round_ == Round.SELF or current is None else (current[0], new)
        if round_ == Round.SELF and current is not None:
            paths = (new, current[1])
        try:
            engine = unit_engine(locked, paths)
        except InputError as exc:
            upload.problems = services.problem_rows(exc.problems)
            upload.save(update_fields=["problems"])
            audit(user, "upload_refused", unit=locked, new=f"{upload.original_name} (sha256 {upload.sha256})",
                  reason=f"{len(exc.problems)} lỗi", at=now)
            return upload
        window = _window_refusals(locked, engine, round_, user, now)
        if window:
            upload.file.delete(save=False)
            raise Refused(window)
        previous = evidence_upload(locked, round_)
        upload.accepted = True
        upload.save(update_fields=["accepted"])
        try:
            rescore(locked, now, engine)
        except InputError as exc:
            upload.file.delete(save=False)
            raise Refused(exc.problems) from None
        audit(user, "upload_evidence", unit=locked, old=previous.original_name if previous else "",
              new=f"{upload.original_name} (sha256 {upload.sha256})", at=now)
    return upload


def upload_document(user, unit: Unit, uploaded, *, criterion: str, number: str, issued: date | None, place: str,
                    now: datetime | None = None) -> Upload:
    now = now or timezone.now()
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        round_ = _unit_round(locked)
        engine = unit_engine(locked)
        if engine is not None:
            window = _window_refusals(locked, engine, round_, user, now)
            if window:
                raise Refused(window)
        elif not round_state(locked, now).open:
            raise _refuse(code="assessment.after_deadline", message="vòng này đang khóa")
        if criterion and criterion not in nodes(getattr(locked, "score", None)):
            raise _refuse(code="web.unknown_criterion",
                          message="không có tiêu chí này trong bộ chỉ số", value=criterion)
        upload = _store(user, locked, uploaded, Upload.Kind.DOCUMENT, round_, now, criterion=criterion,
                        doc_number=number, doc_date=issued, doc_place=place, accepted=True)
        audit(user, "upload_document", unit=locked, criterion=criterion,
              new=f"{upload.reference()} (sha256 {upload.sha256})", at=now)
    return upload


# ---- entries ------------------------------------------------------------------------------------------------

def _next_seq(unit: Unit) -> int:
    return (unit.entries.aggregate(m=Max("seq"))["m"] or 0) + 1


def standing_points(node: dict | None) -> float | None:
    if node is None:
        return None
    return node.get("final_points", node.get("points"))


def _append(user, unit: Unit, engine, rows: list[dict], now: datetime, evidence: list[Upload] | None = None
            ) -> list[Entry]:
    """Let the engine check the proposed entries against the unit's record, then store them in order."""
    account: Account = user.account
    entries = [Entry(assessment=unit.assessment, unit=unit, role=account.role, user=user, by_name=account.display_name,
                     at=now, evidence_refs=[u.citation() for u in evidence or []], **row) for row in rows]
    if engine is None:
        raise _refuse(code="web.no_evidence", message="đơn vị chưa có phiếu minh chứng hợp lệ nên chưa ghi được")
    problems = services.refusals(engine, engine_entries(unit), [to_engine(e) for e in entries], now)
    if problems:
        raise Refused(problems)
    seq = _next_seq(unit)
    for offset, entry in enumerate(entries):
        entry.seq = seq + offset
        entry.save()
        if evidence:
            entry.evidence.set(evidence)
    return entries


def add_entry(user, unit: Unit, *, round_: str, criterion: str, points: float | None, reason: str,
              explanation_requested: bool = False, question: str = "", evidence: list[Upload] | None = None,
              now: datetime | None = None) -> Entry:
    """Append a score (points, remark, explanation request) or a note (the unit's explanation) to the record."""
    now = now or timezone.now()
    kind = Entry.Kind.NOTE if user.account.role == Role.UNIT and points is None else Entry.Kind.SCORE
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        _require_current(locked, round_)
        node = nodes(getattr(locked, "score", None)).get(criterion)
        (entry,) = _append(user, locked, unit_engine(locked), [dict(
            round=round_, kind=kind, criterion=criterion, points=Decimal(str(points)) if points is not None else None,
            reason=reason.strip(), explanation_requested=explanation_requested, question=question.strip())], now,
            evidence)
        old = standing_points(node)
        new = "" if points is None else f"{points:g}"
        if explanation_requested:
            new = (new + " " if new else "") + "(yêu cầu giải trình: " + question.strip() + ")"
        if entry.evidence_refs:
            new = (new + " " if new else "") + "[" + "; ".join(u.reference() for u in evidence or []) + "]"
        audit(user, f"entry_{round_}", unit=locked, criterion=criterion,
              old="" if old is None or points is None else f"{old:g}", new=new, reason=reason, entry=entry, at=now)
        rescore(locked, now)
    return entry


def submit(user, unit: Unit, round_: str, leader_name: str, leader_position: str, now: datetime | None = None) -> Submission:
    """Close the unit's round: a unit round needs its leader's sign-off; a round is submitted once."""
    now = now or timezone.now()
    if not leader_name.strip() or not leader_position.strip():
        raise _refuse(code="web.leader_sign_off", message="phải ghi họ tên và chức vụ của lãnh đạo ký duyệt")
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        _require_current(locked, round_)
        sign_off = f"ký duyệt: {leader_name.strip()}, {leader_position.strip()}"
        (entry,) = _append(user, locked, unit_engine(locked), [dict(round=round_, kind=Entry.Kind.SUBMIT,
                                                                   reason=sign_off)], now)
        submission = Submission.objects.create(unit=locked, round=round_, submitted_at=now, submitted_by=user,
                                               leader_name=leader_name.strip(), leader_position=leader_position.strip())
        audit(user, "submit", unit=locked, old=Round(round_).label, new="đã gửi", reason=sign_off, entry=entry, at=now)
        rescore(locked, now)
    return submission


def unlock(user, unit: Unit, until: date, reason: str, now: datetime | None = None) -> Unlock:
    """The office reopens the unit's current round until a day, with a reason; the engine checks both."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        round_ = current_round(locked)
        if round_ == Round.FINAL:
            raise _refuse(code="web.nothing_to_unlock",
                          message="đơn vị đã hoàn thành các vòng; không có vòng nào để mở lại")
        (entry,) = _append(user, locked, unit_engine(locked), [dict(round=round_, kind=Entry.Kind.UNLOCK,
                                                                   reason=reason.strip(), until=until)], now)
        item = Unlock.objects.create(unit=locked, round=round_, until=until, reason=reason.strip(), by=user, at=now)
        audit(user, "unlock", unit=locked, old="khóa", new=f"mở {Round(round_).label} đến hết ngày {until:%d/%m/%Y}",
              reason=item.reason, entry=entry, at=now)
    return item


def set_state(user, assessment: Assessment, state: str, reason: str = "", now: datetime | None = None) -> None:
    """Open, finalise (a finalise entry in every unit's record, checked by the engine) or publish the assessment."""
    now = now or timezone.now()
    allowed = {Assessment.State.OPEN: {Assessment.State.SETUP}, Assessment.State.FINALISED: {Assessment.State.OPEN},
               Assessment.State.PUBLISHED: {Assessment.State.FINALISED}}
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.state not in allowed[state]:
            raise _refuse(code="web.assessment_state",
                          message=f"không thể chuyển từ '{locked.get_state_display()}' sang "
                                  f"'{Assessment.State(state).label}'")
        if state == Assessment.State.FINALISED:
            problems = []
            for unit in locked.units.order_by("code"):
                engine = unit_engine(unit)
                if engine is None:
                    continue
                try:
                    (entry,) = _append(user, unit, engine, [dict(round=Round.APPRAISAL_2, kind=Entry.Kind.FINALISE,
                                                                 reason=reason.strip() or "chốt kết quả")], now)
                except Refused as exc:
                    problems += [p.model_copy(update={"file": unit.name}) for p in exc.problems]
                    continue
                audit(user, "finalise", unit=unit, old="", new="đã chốt", reason=reason, entry=entry, at=now)
                rescore(unit, now, engine)
            if problems:
                raise Refused(problems)
            locked.finalised_at = now
        if state == Assessment.State.PUBLISHED:
            locked.published_at = now
        old = locked.get_state_display()
        locked.state = state
        locked.save()
        audit(user, "assessment_state", assessment=locked, old=old, new=locked.get_state_display(), reason=reason, at=now)
    assessment.refresh_from_db()


# ---- round workbooks ----------------------------------------------------------------------------------------

WORKBOOK_ROUNDS = {Round.APPRAISAL_1, Round.EXPLANATION, Round.APPRAISAL_2}


def _workbook_round(unit: Unit, role: str | None = None) -> str:
    """The current round when it is one with a workbook (of this person's side, when `role` is given)."""
    round_ = current_round(unit)
    side = WORKBOOK_ROUNDS if role is None else {Round.EXPLANATION} if role == Role.UNIT else APPRAISER_ROUNDS
    if round_ not in side:
        raise _refuse(code="web.no_round_workbook",
                      message=f"vòng hiện tại ({Round(round_).label}) không có bảng thẩm định hay giải trình "
                              "cho bạn điền")
    return round_


def round_workbook(unit: Unit, role: str | None = None) -> tuple[str, bytes]:
    """(round, xlsx): the appraisal or explanation workbook of the unit's current round, from the engine."""
    round_ = _workbook_round(unit, role)
    engine = unit_engine(unit)
    if engine is None:
        raise _refuse(code="web.no_evidence", message="đơn vị chưa có phiếu minh chứng hợp lệ nên chưa ghi được")
    return round_, services.round_workbook(engine, engine_entries(unit), round_)


def upload_round_workbook(user, unit: Unit, uploaded, now: datetime | None = None) -> tuple[Upload, list[Entry]]:
    """A filled appraisal or explanation workbook: kept, read by the engine, and its entries recorded only when every
    row is accepted (the engine's rules, the appraiser's assigned criteria). The person who sends it is the author;
    the round is submitted with the portal's submit form (with the leader's sign-off), not by the workbook's mark."""
    now = now or timezone.now()
    account: Account = user.account
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        round_ = _workbook_round(locked, account.role)
        _require_current(locked, round_)
        engine = unit_engine(locked)
        if engine is None:
            raise _refuse(code="web.no_evidence", message="đơn vị chưa có phiếu minh chứng hợp lệ nên chưa ghi được")
        upload = _store(user, locked, uploaded, Upload.Kind.ROUND_WORKBOOK, round_, now)
        with upload.file.open("rb") as handle:
            data = handle.read()
        filled = services.read_round_workbook(engine, data, upload.original_name, now)
        problems = list(filled.problems)
        kept = [(e, p) for e, p in zip(filled.entries, filled.places, strict=True) if e.kind != Entry.Kind.SUBMIT]
        if filled.entries and filled.entries[0].round != round_:
            problems.append(services.problem(
                code="web.round_not_current", file=upload.original_name, value=Round(filled.entries[0].round).label,
                message=f"vòng hiện tại của đơn vị là {Round(round_).label}, "
                        f"không phải {Round(filled.entries[0].round).label}"))
            kept = []
        for entry, place in kept:
            if entry.criterion and not _may_score(user, locked, entry.criterion):
                problems.append(place.problem("bạn không được phân công chấm tiêu chí này", entry.criterion,
                                              code="web.not_assigned"))
            if entry.points is not None and round(entry.points, 2) != entry.points:
                problems.append(place.problem("điểm ghi tối đa 2 chữ số thập phân", f"{entry.points:g}",
                                              code="web.points_precision"))
        authored = [e.model_copy(update={"by": account.display_name, "role": services.ROLE_TO_ENGINE[account.role]})
                    for e, _ in kept]
        if not problems and not authored:
            problems.append(services.problem(code="web.empty_workbook", file=upload.original_name,
                                             message="bảng chưa có dòng nào được điền"))
        if authored:  # every problem in one pass: the cells', the portal's and the engine's rules
            problems += services.workbook_refusals(engine, engine_entries(locked), filled, authored,
                                                   [p for _, p in kept], now)
        if problems:
            upload.problems = services.problem_rows(problems)
            upload.save(update_fields=["problems"])
            audit(user, "round_workbook_refused", unit=locked,
                  new=f"{upload.original_name} (sha256 {upload.sha256})", reason=f"{len(problems)} lỗi", at=now)
            return upload, []
        nodes_before = nodes(getattr(locked, "score", None))
        seq = _next_seq(locked)
        stored = []
        for offset, entry in enumerate(authored):
            row = Entry(assessment=locked.assessment, unit=locked, seq=seq + offset, role=account.role, user=user,
                        by_name=account.display_name, at=now, round=entry.round, kind=entry.kind,
                        criterion=entry.criterion or "",
                        points=Decimal(str(entry.points)) if entry.points is not None else None,
                        reason=entry.reason or "", explanation_requested=entry.explanation_requested,
                        question=entry.question or "", source=entry.source or "",
                        evidence_refs=[r.model_dump(exclude_none=True) for r in entry.evidence_refs])
            row.save()
            stored.append(row)
            old = standing_points(nodes_before.get(row.criterion))
            audit(user, f"entry_{round_}", unit=locked, criterion=row.criterion,
                  old="" if old is None or row.points is None else f"{old:g}",
                  new="" if row.points is None else f"{row.points:g}", reason=row.reason, entry=row, at=now)
        upload.accepted = True
        upload.save(update_fields=["accepted"])
        audit(user, "upload_round_workbook", unit=locked, new=f"{upload.original_name} (sha256 {upload.sha256})",
              reason=f"{len(stored)} mục", at=now)
        rescore(locked, now)
    return upload, stored


def cite(ref: dict) -> str:
    """An evidence reference as officers write it: document, number, page or section."""
    text = ref.get("document", "")
    if ref.get("number"):
        text += f" số {ref['number']}"
    if ref.get("page"):
        text += f", {ref['page']}"
    return text


def _engines(units: list[Unit]) -> tuple[list, dict]:
    engines, entries = [], {}
    for unit in units:
        engine = unit_engine(unit)
        if engine is not None:
            engines.append(engine)
            entries[unit.code] = engine_entries(unit)
    return engines, entries


def self_versus_appraised(units: list[Unit]) -> list:
    """The engine's comparison of the self-assessment with the appraised result: every criterion of every unit whose
    points the appraisal changed, before and after, and the entry that changed them."""
    engines, entries = _engines(units)
    if not engines:
        return []
    return services.compare(engines, entries, Round.SELF, Round.APPRAISAL_2).changes


def documents(units: list[Unit], what: str, fmt: str, province: bool = False) -> bytes | None:
    """Scoring sheets or corrective plans of these units, with their records applied; None when none has evidence."""
    engines, entries = _engines(units)
    if not engines:
        return None
    if what == "report":
        return services.report(engines, entries, fmt)
    return services.plan(engines, entries, fmt, province)


def role_of(user) -> str | None:
    account = getattr(user, "account", None)
    return account.role if account else None


__all__ = ["Refused", "Role", "Round", "audit", "add_entry", "submit", "unlock", "upload_evidence", "upload_document",
           "rescore", "round_state", "current_round", "block_rank", "set_state"]
