"""Assessment rounds: a unit's record replayed over the points computed from its evidence.

For each criterion and round there are three numbers: the points computed from the evidence the
unit had at that round, the points a person entered (if any), and the points that stand. Rounds
run in order (self-assessment, appraisal 1, explanation, appraisal 2); within a round, entries by
time. At the start of a round the computed points stand unless a person's points stand and the
evidence did not change since: new evidence (an explanation with added documents) is re-scored,
and the appraiser scores again in the next round. The final points make the index, band and rank.

The same replay accepts or refuses every entry, so what a record may contain is decided in one
place for the files workflow and the web application: each refusal is a code and a Vietnamese
message, and a refused entry changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.core.vnformat import format_date, format_number, round_half_up
from engine.kinds.base import EPS
from engine.kinds.registry import rule_kind
from engine.kinds.tree import Node, level_bands, rounder
from engine.load.assessment import LoadedAssessment
from engine.model.assessment import (
    APPRAISAL_ROUNDS,
    APPRAISER_ROLES,
    ROLE_LABELS,
    ROUNDS,
    STATES,
    VN_TIME,
    Entry,
    phase_key,
)
from engine.model.criteria import Rounder, band_for
from engine.model.results import (
    AdjustmentResult,
    NodeResult,
    RoundEntry,
    RoundPoints,
    RoundProgress,
    UnitProgress,
    UnitResult,
)


@dataclass(frozen=True)
class Refusal:
    """Why an entry is refused: a stable code and a message for people; `index` is the entry's position in the list."""

    index: int
    code: str
    message: str


@dataclass(frozen=True)
class Scored:
    """What the rules need to know about one leaf criterion or one bonus/penalty item for one unit."""

    id: str
    title: str
    kind: str
    adjustment: str | None
    scorers: tuple[str, ...] | None


def refuse(*, code: str, message: str) -> tuple[str, str]:
    """One reason to refuse an entry: its stable code and the message for people."""
    return code, message


def when(moment: datetime) -> str:
    """A time as people read it: 08/01/2025 09:30 (Vietnam time)."""
    local = moment.astimezone(VN_TIME)
    return f"{format_date(local.date())} {local:%H:%M}"


ROUND_PHRASES = {"self": "vòng tự chấm", "appraisal_1": "thẩm định vòng 1", "explanation": "vòng giải trình",
                 "appraisal_2": "thẩm định vòng 2"}


def aware(moment: datetime) -> datetime:
    """A time without a zone is Vietnam time (a web framework may hand over naive local times)."""
    return moment.replace(tzinfo=VN_TIME) if moment.tzinfo is None else moment


def _roles(roles) -> str:
    return ", ".join(ROLE_LABELS[r] for r in roles)


class UnitRounds:
    """One unit under one assessment: the points computed at every round and who may score what."""

    def __init__(self, la: LoadedAssessment, unit: str, computed: dict[str, UnitResult]):
        if "self" not in computed:
            raise ValueError("the self-assessment evidence is required")
        self.la = la
        self.unit = unit
        self.computed: dict[str, UnitResult] = {}
        last = computed["self"]
        for name in ROUNDS:
            last = computed.get(name, last)
            self.computed[name] = last
        criteria = la.criteria.criteria
        overrides: dict[str, tuple[str, ...]] = {}
        for rule in la.assessment.scorers:
            for criterion in rule.criteria:
                overrides.setdefault(criterion, tuple(rule.roles))
        self.items: dict[str, Scored] = {}
        self.parents: set[str] = set()

        def walk(nodes: list[Node], inherited: tuple[str, ...] | None) -> None:
            for node in nodes:
                scorers = tuple(node.scored_by) if node.scored_by else inherited
                if node.is_leaf:
                    self.items[node.id] = Scored(node.id, node.title, node.rule.kind, None,
                                                 overrides.get(node.id, scorers))
                else:
                    self.parents.add(node.id)
                    walk(node.children, scorers)

        walk(criteria.items, None)
        for adj in criteria.adjustments:
            self.items[adj.id] = Scored(adj.id, adj.title, adj.rule.kind, adj.kind,
                                        overrides.get(adj.id, tuple(adj.scored_by) if adj.scored_by else None))
        self.rounding = criteria.rounding
        self._points: dict[str, dict[str, tuple[float, float, bool]]] = {}
        self._data_errors: dict[str, set[str]] = {
            name: {n.id for n in result.nodes if n.is_leaf and n.status == "data_error"}
            for name, result in self.computed.items()}
        for name, result in self.computed.items():
            table = {n.id: (n.points, n.max_points, n.applicable) for n in result.nodes if n.is_leaf}
            table.update({a.id: (a.points, a.max_points, True) for a in result.adjustments})
            self._points[name] = table

    def computed_at(self, round_name: str, criterion: str) -> tuple[float, float, bool]:
        """(points, max, applicable) computed from the evidence of a round."""
        return self._points[round_name][criterion]

    def data_error_at(self, round_name: str, criterion: str) -> bool:
        """The evidence of that round contradicts itself on this criterion: no person's points stand on it."""
        return criterion in self._data_errors[round_name]


@dataclass
class Replay:
    """The state after replaying a record: standing points per round, accepted entries, refusals."""

    standing: dict[str, dict[str, float]] = field(default_factory=dict)
    entered: dict[str, dict[str, float]] = field(default_factory=dict)
    accepted: list[Entry] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    submitted: dict[str, datetime] = field(default_factory=dict)
    finalised: datetime | None = None
    requests: dict[str, Entry] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)
    unlocks: dict[str, Entry] = field(default_factory=dict)


def replay(ctx: UnitRounds, entries: list[Entry], now: datetime | None = None,
           fresh: set[int] | None = None) -> Replay:
    """Replay `entries` round by round; refused entries change nothing.

    `now` and `fresh` (positions of entries being proposed) add the check that a new entry is not
    dated in the future; entries already recorded are judged by their own time only.
    """
    state = Replay()
    fresh = fresh if fresh is not None else set()
    now = aware(now) if now is not None else None
    order = sorted(range(len(entries)), key=lambda i: phase_key(entries[i]))
    finalise = [i for i in order if entries[i].kind == "finalise" and not _finalise_problem(entries[i])]
    finalised_at = min((entries[i].at for i in finalise), default=None)
    unlocks: list[Entry] = []
    standing: dict[str, float] = {}
    previous: dict[str, float] = {}
    by_round = {name: [i for i in order if entries[i].round == name] for name in ROUNDS}
    for name in ROUNDS:
        for criterion in ctx.items:
            points = ctx.computed_at(name, criterion)[0]
            if criterion not in standing or abs(points - previous[criterion]) > EPS:
                standing[criterion] = points
            previous[criterion] = points
        entered: dict[str, float] = {}
        for i in by_round[name]:
            entry = entries[i]
            found = _check(ctx, entry, standing, unlocks, finalised_at, now if i in fresh else None)
            if found:
                state.refusals += [Refusal(i, code, message) for code, message in found]
                continue
            state.accepted.append(entry)
            if entry.kind == "unlock":
                unlocks.append(entry)
                state.unlocks[name] = entry
            elif entry.kind == "finalise":
                state.finalised = state.finalised or entry.at
            elif entry.kind == "submit":
                state.submitted.setdefault(name, entry.at)
            if entry.role in APPRAISER_ROLES or entry.role == "unit":
                state.held.add(name)
            if entry.kind == "score" and entry.points is not None:
                standing[entry.criterion] = entry.points
                entered[entry.criterion] = entry.points
            if entry.kind == "score" and entry.explanation_requested:
                state.requests[entry.criterion] = entry
                state.asked.add(entry.criterion)
            elif entry.kind == "note" and entry.round == "explanation":
                state.requests.pop(entry.criterion, None)
        state.standing[name] = dict(standing)
        state.entered[name] = entered
    return state


def _finalise_problem(entry: Entry) -> tuple[str, str] | None:
    if entry.role not in ("office_admin", "council"):
        return refuse(code="assessment.role_not_allowed",
                      message=f"chỉ cán bộ Nội vụ hoặc hội đồng thẩm định chốt kết quả; {ROLE_LABELS[entry.role]} "
                              "không chốt được")
    if entry.round != "appraisal_2":
        return refuse(code="assessment.finalise_round", message="kết quả chỉ được chốt ở vòng thẩm định 2")
    return None


def _check(ctx: UnitRounds, entry: Entry, standing: dict[str, float], unlocks: list[Entry],
           finalised_at: datetime | None, now: datetime | None) -> list[tuple[str, str]]:
    """Every reason to refuse one entry, given the state before it."""
    found: list[tuple[str, str]] = []
    assessment = ctx.la.assessment
    schedule = assessment.schedule
    role_label = ROLE_LABELS[entry.role]
    if entry.unit != ctx.unit or entry.assessment != assessment.id:
        return [refuse(code="assessment.other_unit", message=f"mục này của đơn vị '{entry.unit}' (đợt '{entry.assessment}'), "
                                          f"không thuộc hồ sơ đơn vị '{ctx.unit}' của đợt '{assessment.id}'")]
    # time
    if now is not None and entry.at > now:
        found.append(refuse(code="assessment.future_entry", message=f"thời điểm ghi {when(entry.at)} ở sau thời điểm hiện tại {when(now)}"))
    if finalised_at is not None and entry.at > finalised_at:
        found.append(refuse(code="assessment.finalised", message=f"kết quả của đơn vị đã được chốt lúc {when(finalised_at)}; "
                                              "không ghi thêm được"))
    elif entry.local_day > schedule.publication:
        found.append(refuse(code="assessment.after_publication", message=f"kết quả đã công bố ngày {format_date(schedule.publication)}; "
                                                      "không ghi thêm được"))
    if entry.kind not in ("unlock", "finalise"):
        deadline = schedule.deadline(entry.round)
        if entry.local_day > deadline and not _unlocked(unlocks, entry):
            found.append(refuse(code="assessment.after_deadline", message=f"{ROUND_PHRASES[entry.round]} đã hết hạn ngày {format_date(deadline)}; mục ghi lúc {when(entry.at)} "
                          "không được nhận (cán bộ Nội vụ có thể mở lại vòng này cho đơn vị, kèm lý do)"))
        if entry.round == "self" and entry.local_day < schedule.self_assessment.start:
            found.append(refuse(code="assessment.before_window", message=f"chưa đến thời gian tự chấm (từ ngày "
                                                      f"{format_date(schedule.self_assessment.start)})"))
    # kinds without a criterion
    if entry.kind == "unlock":
        return found + _unlock_problems(entry, schedule)
    if entry.kind == "finalise":
        problem = _finalise_problem(entry)
        return found + ([problem] if problem else [])
    if entry.kind == "submit":
        if not _role_may_act(entry):
            found.append(refuse(code="assessment.role_not_allowed", message=f"{role_label} không nộp hoặc kết thúc {ROUND_PHRASES[entry.round]}"))
        return found
    # score and note: a known leaf criterion
    if entry.criterion is None:
        return found + [refuse(code="assessment.missing_criterion", message="thiếu mã tiêu chí")]
    if entry.criterion in ctx.parents:
        return found + [refuse(code="assessment.parent_criterion", message=f"tiêu chí {entry.criterion} có các tiêu chí thành phần; "
                                                        "chấm điểm và ghi chú cho từng tiêu chí thành phần")]
    item = ctx.items.get(entry.criterion)
    if item is None:
        return found + [refuse(code="assessment.unknown_criterion", message=f"tiêu chí '{entry.criterion}' không có trong bộ chỉ số "
                                                         f"{ctx.la.criteria.criteria.id}")]
    if not _role_may_act(entry):
        found.append(refuse(code="assessment.role_not_allowed", message=_round_role_message(entry)))
        return found
    if entry.kind == "note":
        if entry.reason is None:
            found.append(refuse(code="assessment.note_without_text", message="ghi chú hoặc giải trình phải có nội dung"))
        if entry.points is not None:
            found.append(refuse(code="assessment.note_with_points", message="ghi chú, giải trình không kèm điểm; điểm do người chấm nhập"))
        if entry.explanation_requested:
            found.append(refuse(code="assessment.request_not_allowed", message="chỉ thẩm định viên, hội đồng yêu cầu giải trình"))
        return found
    # score
    if entry.points is None and entry.reason is None and not entry.explanation_requested:
        found.append(refuse(code="assessment.empty_entry", message=f"mục chấm tiêu chí {item.id} không có điểm, nhận xét hay yêu cầu giải trình"))
    if entry.explanation_requested:
        if entry.role not in APPRAISER_ROLES or entry.round not in APPRAISAL_ROUNDS:
            found.append(refuse(code="assessment.request_not_allowed", message="chỉ thẩm định viên, hội đồng yêu cầu giải trình, "
                                                            "ở vòng thẩm định 1 hoặc 2"))
        if entry.question is None:
            found.append(refuse(code="assessment.question_required", message=f"yêu cầu giải trình tiêu chí {item.id} phải ghi nội dung "
                                                          "cần giải trình"))
    if entry.points is None:
        return found
    points_problems = _points_problems(ctx, entry, item, standing)
    return found + points_problems


def _unlocked(unlocks: list[Entry], entry: Entry) -> bool:
    return any(u.round == entry.round and u.at <= entry.at and u.until is not None and entry.local_day <= u.until
               for u in unlocks)


def _unlock_problems(entry: Entry, schedule) -> list[tuple[str, str]]:
    found = []
    if entry.role != "office_admin":
        found.append(refuse(code="assessment.role_not_allowed", message=f"chỉ cán bộ Nội vụ mở lại vòng đã hết hạn; "
                                                     f"{ROLE_LABELS[entry.role]} không mở được"))
    if entry.reason is None:
        found.append(refuse(code="assessment.reason_required", message=f"mở lại {ROUND_PHRASES[entry.round]} phải ghi lý do"))
    if entry.until is None:
        found.append(refuse(code="assessment.unlock_until", message="mở lại vòng phải ghi hạn mới (ngày cuối được ghi)"))
    elif entry.until < entry.local_day or entry.until > schedule.publication:
        found.append(refuse(code="assessment.unlock_until", message=f"hạn mở lại {format_date(entry.until)} phải từ ngày mở lại "
                                                 f"đến ngày công bố {format_date(schedule.publication)}"))
    return found


def _role_may_act(entry: Entry) -> bool:
    """Which role acts in which round, whatever the criterion."""
    if entry.role == "unit":
        return entry.round == "self" if entry.kind == "score" else entry.round in ("self", "explanation")
    if entry.role in APPRAISER_ROLES:
        return entry.round in APPRAISAL_ROUNDS
    if entry.role == "survey":
        return entry.kind == "score"
    return False


def _round_role_message(entry: Entry) -> str:
    role, round_label = ROLE_LABELS[entry.role], ROUND_PHRASES[entry.round]
    if entry.role == "unit" and entry.round == "explanation":
        return "ở vòng giải trình đơn vị chỉ ghi giải trình và minh chứng bổ sung; điểm do thẩm định vòng 2 chấm lại"
    if entry.role == "unit":
        return f"đơn vị chỉ tự chấm điểm ở vòng tự chấm; ở {round_label} đơn vị không nhập điểm"
    if entry.role in APPRAISER_ROLES:
        return f"{role} chấm ở thẩm định vòng 1 hoặc 2, không ở {round_label}"
    if entry.role == "office_admin":
        return "cán bộ Nội vụ chỉ mở lại vòng hoặc chốt kết quả, không chấm điểm hay ghi chú tiêu chí"
    return f"{role} chỉ nhập điểm các tiêu chí điều tra xã hội học"


def _points_problems(ctx: UnitRounds, entry: Entry, item: Scored, standing: dict[str, float]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    computed, max_points, applicable = ctx.computed_at(entry.round, item.id)
    points = entry.points
    role = ROLE_LABELS[entry.role]
    policy = _policy_problem(entry, item)
    if policy:
        found.append(policy)
    if points < 0:
        found.append(refuse(code="assessment.below_zero", message=f"điểm {format_number(points)} của tiêu chí {item.id} nhỏ hơn 0"))
    elif points > max_points + EPS:
        found.append(refuse(code="assessment.above_max", message=f"điểm {format_number(points)} vượt điểm tối đa "
                                              f"{format_number(max_points)} của tiêu chí {item.id}"))
    if abs(round_half_up(points, ctx.rounding) - points) > 1e-9:
        found.append(refuse(code="assessment.too_precise", message=f"điểm {points:g} có quá {ctx.rounding} chữ số thập phân"))
    if points > EPS and ctx.data_error_at(entry.round, item.id):
        found.append(refuse(code="assessment.data_error", message=f"tiêu chí {item.id} đang có lỗi dữ liệu trong minh chứng "
                                                f"của vòng này; không nhập điểm được cho đến khi đơn vị nộp số liệu đã sửa"))
    if not applicable:
        found.append(refuse(code="assessment.not_applicable", message=f"tiêu chí {item.id} không áp dụng với đơn vị (loại khỏi điểm tối đa); "
                                                   "không nhập điểm được"))
    before = standing[item.id]
    if entry.reason is None and (abs(points - before) > EPS or abs(points - computed) > EPS):
        found.append(refuse(code="assessment.reason_required", message=f"{role} cho tiêu chí {item.id} {format_number(points)} điểm, khác điểm "
                      + (f"đang có ({format_number(before)})" if abs(points - before) > EPS
                         else f"tính từ minh chứng ({format_number(computed)})") + "; phải ghi lý do"))
    if item.adjustment is not None and not found:
        found += _cap_problems(ctx, item, points, standing)
    return found


def _policy_problem(entry: Entry, item: Scored) -> tuple[str, str] | None:
    """Who may enter points for this criterion: the set's or assessment's scorers, else the default."""
    role = ROLE_LABELS[entry.role]
    if item.scorers is not None:
        if entry.role not in item.scorers:
            return refuse(code="assessment.role_not_allowed", message=f"tiêu chí {item.id} do {_roles(item.scorers)} chấm; "
                                                   f"{role} không nhập điểm tiêu chí này")
        return None
    source = rule_kind(item.kind).points_from  # survey_questions is a survey criterion too
    if source == "survey":
        if entry.role == "unit":
            return refuse(code="assessment.survey_self_score", message=f"tiêu chí {item.id} lấy điểm từ kết quả điều tra xã hội học; "
                                                    "đơn vị không được tự chấm")
        if entry.role != "survey":
            return refuse(code="assessment.survey_only", message=f"tiêu chí {item.id} chỉ lấy điểm từ kết quả điều tra xã hội học; "
                                              f"{role} không nhập điểm tiêu chí này")
        return None
    if entry.role == "survey":
        return refuse(code="assessment.role_not_allowed", message=f"tiêu chí {item.id} không phải tiêu chí điều tra xã hội học")
    if entry.role == "leaders":
        return refuse(code="assessment.role_not_allowed", message=f"lãnh đạo tỉnh chỉ chấm các tiêu chí được giao trong bộ chỉ số "
                                               f"hoặc đợt đánh giá; tiêu chí {item.id} không được giao")
    if entry.role == "unit" and source != "manual":
        return refuse(code="assessment.rule_by_unit", message=f"tiêu chí {item.id} được tính từ minh chứng; đơn vị không tự nhập điểm "
                                           "mà bổ sung minh chứng hoặc giải trình")
    return None


def _cap_problems(ctx: UnitRounds, item: Scored, points: float, standing: dict[str, float]) -> list[tuple[str, str]]:
    bonus_cap, penalty_cap = ctx.la.caps()
    cap = bonus_cap if item.adjustment == "bonus" else penalty_cap
    if cap is None:
        return []
    same = [i.id for i in ctx.items.values() if i.adjustment == item.adjustment]
    before = sum(standing[i] for i in same)
    after = before - standing[item.id] + points
    if after > cap + EPS and after > before + EPS:
        what = "điểm thưởng" if item.adjustment == "bonus" else "điểm trừ"
        code = "assessment.bonus_cap" if item.adjustment == "bonus" else "assessment.penalty_cap"
        return [(code, f"tổng {what} của đơn vị sẽ là {format_number(after)}, vượt mức tối đa "
                       f"{format_number(cap)} điểm của năm {ctx.la.assessment.year}")]
    return []


# ---------------------------------------------------------------- results


def _state(state: Replay) -> str:
    if state.finalised is not None:
        return "finalised"
    for name, code in (("appraisal_2", "appraised_2"), ("explanation", "explained"), ("appraisal_1", "appraised_1"),
                       ("self", "submitted")):
        if name in state.submitted:
            return code
    return "self_in_progress" if state.accepted else "not_started"


def apply_record(ctx: UnitRounds, entries: list[Entry]) -> tuple[UnitResult, list[Refusal]]:
    """The unit's result with every round; refused entries are returned and change nothing."""
    state = replay(ctx, entries)
    final_result = ctx.computed["appraisal_2"]
    appraised_round = next((name for name in reversed(APPRAISAL_ROUNDS) if name in state.held), None)
    trail: dict[str, list[RoundEntry]] = {}
    for entry in sorted(state.accepted, key=phase_key):
        if entry.kind in ("score", "note") and entry.criterion is not None:
            trail.setdefault(entry.criterion, []).append(RoundEntry(
                round=entry.round, kind=entry.kind, points=entry.points, by=entry.by, role=entry.role, at=entry.at,
                reason=entry.reason, explanation_requested=entry.explanation_requested, question=entry.question,
                evidence_refs=entry.evidence_refs))

    def fields(criterion: str, computed_points: float) -> dict:
        return dict(
            computed_points=computed_points,
            self_points=state.standing["self"][criterion],
            appraised_points=state.standing[appraised_round][criterion] if appraised_round else None,
            final_points=state.standing["appraisal_2"][criterion],
            rounds=trail.get(criterion, []),
            by_round=[RoundPoints(round=name, computed_points=ctx.computed_at(name, criterion)[0],
                                  entered_points=state.entered[name].get(criterion),
                                  points=state.standing[name][criterion]) for name in ROUNDS])

    phases = ["self", "appraisal_2"] + ([appraised_round] if appraised_round else [])
    totals = {name: _totals(ctx, state.standing[name], ctx.computed[name], rounder(ctx.la.criteria.criteria))
              for name in set(phases)}
    nodes: list[NodeResult] = []
    for node in final_result.nodes:
        if node.is_leaf:
            nodes.append(node.model_copy(update=fields(node.id, node.points)))
        else:
            sums = {name: totals[name].parents[node.id] for name in totals}
            nodes.append(node.model_copy(update=dict(
                computed_points=node.points, self_points=sums["self"],
                appraised_points=sums[appraised_round] if appraised_round else None,
                final_points=sums["appraisal_2"])))
    adjustments: list[AdjustmentResult] = [adj.model_copy(update=fields(adj.id, adj.points))
                                           for adj in final_result.adjustments]
    final = totals["appraisal_2"]
    areas = [area.model_copy(update={"final_points": final.parents[area.id], "final_index_pct": final.area_index[area.id]})
             for area in final_result.areas]
    criteria = ctx.la.criteria.criteria
    index = final.index
    band = band_for(level_bands(criteria, final_result.level), index)
    code = _state(state)
    result = final_result.model_copy(update=dict(
        nodes=nodes, adjustments=adjustments, areas=areas, band=band,
        self_points=totals["self"].total, final_points=final.total, final_index_pct=index,
        appraised_points=totals[appraised_round].total if appraised_round else None,
        assessment=ctx.la.assessment.id, assessment_state=code, assessment_state_label=STATES[code],
        open_requests=len(state.requests),
        appraisal_rounds=[name for name in APPRAISAL_ROUNDS if name in state.held]))
    return result, state.refusals


@dataclass
class _Totals:
    parents: dict[str, float]
    area_index: dict[str, float | None]
    total: float
    index: float | None


def _totals(ctx: UnitRounds, standing: dict[str, float], computed: UnitResult, rnd: Rounder) -> _Totals:
    """Sums up the tree as scoring does (each parent rounded as the set says), with the year's caps on bonus and
    penalty, over the maximum of the unit's block."""
    parents: dict[str, float] = {}
    children: dict[str | None, list[NodeResult]] = {}
    for node in computed.nodes:
        children.setdefault(node.parent, []).append(node)

    def total(node: NodeResult) -> float:
        if node.is_leaf:
            return standing[node.id]
        value = rnd.total(sum(total(child) for child in children.get(node.id, [])))
        parents[node.id] = value
        return value

    area_total = 0.0
    area_index: dict[str, float | None] = {}
    for area in computed.areas:
        node = next(n for n in computed.nodes if n.id == area.id)
        points = total(node)
        area_total += points
        area_index[area.id] = rnd.index(points / area.max_points * 100) if area.max_points > EPS else None
    bonus_cap, penalty_cap = ctx.la.caps()
    bonus = sum(standing[a.id] for a in computed.adjustments if a.kind == "bonus")
    penalty = sum(standing[a.id] for a in computed.adjustments if a.kind == "penalty")
    if bonus_cap is not None:
        bonus = min(bonus, bonus_cap)
    if penalty_cap is not None:
        penalty = min(penalty, penalty_cap)
    value = rnd.total(max(0.0, area_total + rnd.total(bonus) - rnd.total(penalty)))
    criteria = ctx.la.criteria.criteria
    denominator = computed.max_points if criteria.index_basis == "applicable" else computed.total_max_points
    index = rnd.index(value / denominator * 100) if denominator > EPS else None
    return _Totals(parents, area_index, value, index)


# ---------------------------------------------------------------- progress


def unit_progress(la: LoadedAssessment, unit: str, name: str, ctx: UnitRounds | None, entries: list[Entry],
                  now: datetime) -> UnitProgress:
    """Which rounds a unit has done and which are late at `now`; a unit without evidence has done nothing."""
    state = replay(ctx, entries) if ctx is not None else Replay()
    schedule = la.assessment.schedule
    today = aware(now).astimezone(VN_TIME).date()
    rounds = []
    for name_ in ROUNDS:
        deadline = schedule.deadline(name_)
        done = state.submitted.get(name_)
        unlock = state.unlocks.get(name_)
        until = unlock.until if unlock is not None else None
        if done is not None:
            late = done.astimezone(VN_TIME).date() > deadline
            status = "done_late" if late else "done"
            label = f"{'xong muộn' if late else 'đã xong'} {format_date(done.astimezone(VN_TIME).date())}"
            if late:
                label += " (được mở lại)"
        elif name_ == "explanation" and not state.asked and "appraisal_1" in state.submitted:
            status, label = "not_needed", "không có yêu cầu giải trình"
        elif today > deadline:
            if until is not None and today <= until:
                status, label = "reopened", f"được mở lại đến {format_date(until)}"
            else:
                status, label = "late", f"quá hạn ({format_date(deadline)})"
        else:
            status, label = "open", f"chưa xong (hạn {format_date(deadline)})"
        rounds.append(RoundProgress(round=name_, deadline=format_date(deadline), done_at=done, status=status,
                                    status_label=label, reopened_until=format_date(until) if until else None))
    code = _state(state)
    return UnitProgress(unit_id=unit, name=name, state=code, state_label=STATES[code], rounds=rounds,
                        open_requests=len(state.requests), finalised_at=state.finalised)
