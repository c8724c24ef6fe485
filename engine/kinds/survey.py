"""survey: points from the sociological survey; the unit may not score itself."""

from __future__ import annotations

from typing import ClassVar, Literal

from engine.core.problems import Problem
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import Context, DataProblem, EvidenceUse, Outcome, RuleKind, scored_entry
from engine.model.changes import Remedy


class SurveyRule(RuleKind):
    """Points come from the sociological survey; a self-score is rejected."""

    points_from: ClassVar[Literal["evidence", "manual", "survey"]] = "survey"

    kind: Literal["survey"]
    source: str = "Điều tra xã hội học"

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        if any(e.criterion == criterion for e in ctx.bundle.manual):
            raise DataProblem(f"tiêu chí {criterion} lấy điểm từ điều tra xã hội học; đơn vị không được tự chấm")
        if ctx.when_survey_missing == "exclude" and not ctx.bundle.survey:
            # Not run at all (a survey run for some criteria but not this one is missing evidence).
            return Outcome(0, "not_applicable", "chưa có kết quả điều tra xã hội học → loại khỏi điểm tối đa "
                                                "(bộ chỉ số quy định quy đổi khi chưa điều tra)", applicable=False)
        return scored_entry(ctx.bundle.survey, max_points, criterion, "điều tra xã hội học")

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        return f"Điểm lấy từ {self.source}, tối đa {format_number(max_points)} điểm; đơn vị không tự chấm"

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return "điểm điều tra xã hội học"

    def evidence(self) -> list[EvidenceUse]:
        return []  # survey results are entered per criterion, not named in the catalog

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return []  # the survey's points are checked against the maximum when scoring

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        return []  # the survey gives these points; the unit's evidence cannot change them
