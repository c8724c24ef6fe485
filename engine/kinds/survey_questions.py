"""survey_questions: points computed from the answer counts of a sociological survey.

Each question is worth some of the criterion's points; each answer option earns a share of the
question's points (A 100%, B 70%, C 30%, D 0%). A question's share is the average over the
respondents who answered it; a group's points are the sum over the questions; the criterion's
points are the groups' points weighted by the groups' weights. The evidence is the raw count of
answers per group, question and option (a CSV table or `survey_answers:` in the bundle).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from engine.core.base import Frozen
from engine.core.problems import Problem
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import EPS, Context, DataProblem, EvidenceUse, MissingEvidence, Outcome, RuleKind, status_for
from engine.model.changes import Remedy
from engine.model.results import Finding, Observation

Share = Annotated[float, Field(ge=0, description="% of the question's points this option earns")]


class SurveyQuestion(Frozen):
    """One question: its points and the share of them each answer option earns."""

    id: str = Field(min_length=1, description="As written in the answer table, e.g. Q1 or 8.1.1.a")
    text: str = Field(min_length=1)
    points: float = Field(gt=0, description="The question's points; the questions add up to the criterion's maximum")
    options: dict[str, Share] = Field(min_length=2, description="Option → % of the question's points, e.g. {A: 100, B: 70}")


class RespondentGroup(Frozen):
    """A group of respondents (citizens, businesses, civil servants) and its weight in the criterion."""

    id: str = Field(min_length=1, description="As written in the answer table's group column")
    label: str = Field(min_length=1)
    weight: float = Field(gt=0, le=100, description="% of the criterion; the groups add up to 100")


class SurveyQuestionsRule(RuleKind):
    """Points from survey answer counts: option shares of each question's points, averaged over respondents, summed
    over questions, weighted over respondent groups."""

    points_from: ClassVar[Literal["evidence", "manual", "survey"]] = "survey"
    counts_answers: ClassVar[bool] = True

    kind: Literal["survey_questions"]
    source: str = "Điều tra xã hội học"
    questions: list[SurveyQuestion] = Field(min_length=1)
    groups: list[RespondentGroup] = Field(
        default_factory=list, description="Respondent groups with weights; none: one group, answers without a group")

    def _total(self) -> float:
        return sum(q.points for q in self.questions)

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        if any(e.criterion == criterion for e in ctx.bundle.manual):
            raise DataProblem(f"tiêu chí {criterion} lấy điểm từ điều tra xã hội học; đơn vị không được tự chấm")
        answers = [a for a in ctx.bundle.survey_answers if a.criterion == criterion]
        imported = [e for e in ctx.bundle.survey if e.criterion == criterion]
        if imported and answers:
            raise DataProblem(f"tiêu chí {criterion} có cả điểm điều tra nhập sẵn và số phiếu trả lời; "
                              "điểm được tính từ số phiếu, bỏ điểm nhập sẵn")
        if imported:
            raise DataProblem(f"tiêu chí {criterion} tính điểm từ số phiếu trả lời từng câu hỏi; "
                              "không nhập sẵn điểm điều tra")
        if not answers and ctx.when_survey_missing == "exclude" and not ctx.bundle.survey and not ctx.bundle.survey_answers:
            return Outcome(0, "not_applicable", "chưa có kết quả điều tra xã hội học → loại khỏi điểm tối đa "
                                                "(bộ chỉ số quy định quy đổi khi chưa điều tra)", applicable=False)
        counts, refs = self._counts(answers, criterion)
        sources: dict[tuple[str | None, str], set[str]] = {}
        for answer in answers:
            if answer.source:
                sources.setdefault((answer.group, answer.question), set()).add(answer.source)
        groups = self.groups or [RespondentGroup(id="-", label="Người được khảo sát", weight=100)]
        observed: list[Observation] = []
        missing: list[Finding] = []
        parts: list[tuple[RespondentGroup, float]] = []
        for group in groups:
            key = group.id if self.groups else None
            group_points = 0.0
            respondents = 0.0
            for question in self.questions:
                chosen = {option: counts.get((key, question.id, option), 0.0) for option in question.options}
                answered = sum(chosen.values())
                respondents = max(respondents, answered)
                if answered <= 0:
                    who = f" ({group.label})" if self.groups else ""
                    missing.append(Finding(what="score", state="missing", name=f"{criterion}/{question.id}",
                                           label=f"số phiếu trả lời câu {question.id}{who}"))
                    continue
                share = sum(count * question.options[option] for option, count in chosen.items()) / answered
                points = question.points * share / 100
                group_points += points
                tally = ", ".join(f"{option} {format_number(count)}" for option, count in chosen.items())
                observed.append(Observation(
                    name=(f"{group.label} — " if self.groups else "") + f"câu {question.id} ({format_number(question.points)} điểm)",
                    value=f"{tally} → {format_number(share)}% → {format_number(points)} điểm",
                    ref="; ".join(sorted(sources.get((key, question.id), ()))) or None))
            if self.groups:
                observed.append(Observation(name=f"{group.label} (trọng số {format_number(group.weight)}%)",
                                            value=f"{format_number(respondents)} phiếu, {format_number(group_points)}/"
                                                  f"{format_number(self._total())} điểm"))
            parts.append((group, group_points))
        if missing:
            raise MissingEvidence(missing)
        raw = sum(group.weight / 100 * points for group, points in parts)
        scaled = raw * max_points / self._total()
        if self.groups:
            branch = " + ".join(f"{g.label} {format_number(p)} × {format_number(g.weight)}%" for g, p in parts)
            branch += f" = {format_number(raw)} điểm"
        else:
            branch = f"tổng các câu hỏi = {format_number(raw)} điểm"
        if abs(self._total() - max_points) > EPS:
            branch += f", quy đổi theo điểm tối đa {format_number(max_points)}: {format_number(scaled)} điểm"
        return Outcome(scaled, status_for(scaled, max_points), branch, observed, refs)

    def _counts(self, answers, criterion: str) -> tuple[dict[tuple[str | None, str, str], float], list[str]]:
        """Counts per (group, question, option), rows of the same answer added up; unknown names are a data problem."""
        questions = {q.id: q for q in self.questions}
        groups = {g.id for g in self.groups}
        counts: Counter = Counter()
        problems: list[str] = []
        for answer in answers:
            if self.groups and answer.group not in groups:
                problems.append(f"nhóm '{answer.group or ''}' không có trong tiêu chí {criterion} "
                                f"(các nhóm: {', '.join(sorted(groups))})")
            elif not self.groups and answer.group is not None:
                problems.append(f"tiêu chí {criterion} không chia nhóm người được khảo sát; bỏ cột nhóm '{answer.group}'")
            elif answer.question not in questions:
                problems.append(f"câu hỏi '{answer.question}' không có trong tiêu chí {criterion}")
            elif answer.option not in questions[answer.question].options:
                problems.append(f"phương án '{answer.option}' không có ở câu {answer.question} (các phương án: "
                                f"{', '.join(questions[answer.question].options)})")
            else:
                counts[(answer.group, answer.question, answer.option)] += answer.count
        if problems:
            raise DataProblem("; ".join(sorted(set(problems))))
        refs = sorted({a.source for a in answers if a.source})
        return dict(counts), refs

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        groups = ""
        if self.groups:
            groups = "; theo nhóm: " + ", ".join(f"{g.label} {format_number(g.weight)}%" for g in self.groups)
        return (f"Điểm tính từ số phiếu trả lời {len(self.questions)} câu hỏi của {self.source}, tối đa "
                f"{format_number(max_points)} điểm: mỗi phương án được một tỷ lệ điểm của câu hỏi, lấy bình quân theo "
                f"số phiếu{groups}; đơn vị không tự chấm")

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return "mọi người được khảo sát chọn phương án cao nhất ở mọi câu hỏi"

    def evidence(self) -> list[EvidenceUse]:
        return []  # answer counts are entered per criterion, not named in the catalog

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        return []  # the respondents' answers are not evidence a unit can change

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        """Shares within 100%, group weights adding up to 100%, questions adding up to the criterion's maximum."""
        problems: list[Problem] = []
        for index, question in enumerate(self.questions):
            for option, share in question.options.items():
                if share > 100 + EPS:
                    problems.append(doc.problem(loc + ("questions", index, "options", option),
                                                f"phương án {option} của câu {question.id} được {format_number(share)}% "
                                                "điểm của câu hỏi, vượt 100%", share, code="criteria.survey_option_share"))
            if max(question.options.values()) < 100 - EPS:
                problems.append(doc.problem(loc + ("questions", index, "options"),
                                            f"câu {question.id} không có phương án nào được 100% điểm nên không bao giờ "
                                            "đạt điểm tối đa", severity="warning", code="criteria.survey_no_full_option"))
        for what, ids in (("questions", [q.id for q in self.questions]), ("groups", [g.id for g in self.groups])):
            for index, name in enumerate(ids):
                if ids.index(name) != index:
                    problems.append(doc.problem(loc + (what, index, "id"), f"mã '{name}' bị trùng", name,
                                                code="criteria.survey_duplicate_id"))
        if self.groups:
            weights = sum(g.weight for g in self.groups)
            if abs(weights - 100) > EPS:
                over = "vượt" if weights > 100 else "chưa đủ"
                problems.append(doc.problem(loc + ("groups",), f"trọng số các nhóm cộng lại {format_number(weights)}%, "
                                                               f"{over} 100%", weights, code="criteria.survey_group_weights"))
        total = self._total()
        if abs(total - top) > EPS:
            problems.append(doc.problem(loc + ("questions",), f"điểm các câu hỏi cộng lại {format_number(total)}, khác điểm "
                                                              f"tối đa {format_number(top)} của '{owner}'", total,
                                        code="criteria.survey_question_points"))
        return problems
