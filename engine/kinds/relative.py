"""relative: points compared with the other units of the same block — value / best value × max, or a share by rank.

The points need the values of the whole block, so the run reads every unit's value first
(RuleKind.block_value) and gives each unit the list (Context.peers). A unit scored on its own, or
a block where fewer than two units have a value, cannot be compared: that is missing evidence,
never full points.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from engine.core.problems import Problem, invalid
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    EPS,
    Context,
    EvidenceUse,
    Outcome,
    Peer,
    RuleKind,
    read_value,
    refs_of,
    status_for,
    value_uses,
)
from engine.model.changes import Remedy
from engine.model.criteria import ValueRef
from engine.model.results import Observation

MIN_UNITS = 2


class RelativeRule(RuleKind):
    """Points relative to the units of the same block: value / best value × max (`share_of_best`), or a share of the
    maximum by rank (`rank`, with `shares` in % for rank 1, 2, ...; later ranks get 0)."""

    needs_block: ClassVar[bool] = True

    kind: Literal["relative"]
    value: ValueRef
    method: Literal["share_of_best", "rank"] = "share_of_best"
    shares: list[float] | None = Field(
        None, min_length=1, description="For `rank`: % of the maximum for rank 1, 2, 3 ...; a rank beyond the list gets 0")

    @model_validator(mode="after")
    def _shares(self) -> "RelativeRule":
        if self.method == "rank" and not self.shares:
            raise invalid("xếp theo thứ hạng (method: rank) cần shares: tỷ lệ % điểm tối đa của hạng 1, 2, 3 ...",
                          code="criteria.relative_rank_shares")
        if self.method == "share_of_best" and self.shares is not None:
            raise invalid("shares chỉ dùng với method: rank", code="criteria.relative_rank_shares")
        return self

    @property
    def _unit(self) -> str:
        return "%" if self.value.is_percent else ""

    def _show(self, value: float) -> str:
        return format_number(value) + self._unit

    def block_value(self, ctx: Context) -> float:
        return read_value(self.value, ctx).value

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        reading = read_value(self.value, ctx)
        value, observed = reading.value, list(reading.observed)
        peers = None if ctx.peers is None else ctx.peers.get(criterion, [])
        if peers is None or len(peers) < MIN_UNITS:
            alone = "đơn vị được chấm riêng lẻ" if peers is None else f"khối chỉ có {len(peers)} đơn vị có số liệu"
            need = "kết quả của các đơn vị cùng khối để so sánh"
            return Outcome(0, "missing_evidence", f"thiếu minh chứng: {need} ({alone})", observed, refs_of(observed),
                           missing=[need], says_status=True)
        best_value = max(p.value for p in peers)
        best = sorted((p for p in peers if abs(p.value - best_value) <= EPS), key=lambda p: p.unit_id)
        best_words = best[0].name + (f" và {len(best) - 1} đơn vị khác" if len(best) > 1 else "")
        observed.append(Observation(name="giá trị cao nhất khối", value=self._show(best_value),
                                    ref=", ".join(p.name for p in best)))
        observed.append(Observation(name="số đơn vị cùng khối có số liệu", value=str(len(peers))))
        if self.method == "rank":
            return self._by_rank(max_points, value, peers, observed)
        if best_value <= EPS:
            return Outcome(0, "fail", "không đơn vị nào trong khối có giá trị lớn hơn 0 → 0 điểm", observed,
                           refs_of(observed))
        points = max_points * value / best_value
        branch = (f"{self._show(value)} / {self._show(best_value)} (cao nhất khối: {best_words}) × "
                  f"{format_number(max_points)} điểm = {format_number(points)} điểm")
        return Outcome(points, status_for(points, max_points), branch, observed, refs_of(observed))

    def _by_rank(self, max_points: float, value: float, peers: list[Peer], observed: list[Observation]) -> Outcome:
        rank = 1 + sum(1 for p in peers if p.value > value + EPS)  # competition ranking: ties share the better rank
        shares = self.shares or []
        share = shares[rank - 1] if rank <= len(shares) else 0.0
        points = max_points * share / 100
        observed.append(Observation(name="hạng trong khối", value=f"{rank}/{len(peers)}"))
        branch = f"hạng {rank} trong khối → {format_number(share)}% × {format_number(max_points)} điểm = {format_number(points)} điểm"
        return Outcome(points, status_for(points, max_points), branch, observed, refs_of(observed))

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        what = self.value.describe(labels)
        if self.method == "rank":
            ranks = "; ".join(f"hạng {i} → {format_number(s)}%" for i, s in enumerate(self.shares or [], start=1))
            return (f"Theo thứ hạng {what} trong khối: {ranks} của {format_number(max_points)} điểm; "
                    "các hạng sau → 0 điểm")
        return f"Điểm = {what} / giá trị cao nhất trong khối × {format_number(max_points)} điểm"

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        if self.method == "rank":
            return "đứng đầu khối"
        return "giá trị cao nhất trong khối để đạt " + format_number(max_points) + " điểm"

    def evidence(self) -> list[EvidenceUse]:
        return value_uses(self.value, ("value",))

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        return []  # the points move with the other units of the block, so no change of this unit's evidence alone is sure

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        problems = []
        for index, share in enumerate(self.shares or []):
            if share > 100 + EPS or share < 0:
                problems.append(doc.problem(loc + ("shares", index), f"tỷ lệ {format_number(share)}% của hạng {index + 1} "
                                                                     "phải từ 0% đến 100%", share,
                                            code="criteria.relative_share"))
            elif index and share > (self.shares or [])[index - 1] + EPS:
                problems.append(doc.problem(loc + ("shares", index), f"hạng {index + 1} được {format_number(share)}%, "
                                                                     f"nhiều hơn hạng {index}", share,
                                            code="criteria.relative_share_order"))
        return problems
