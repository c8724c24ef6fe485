"""What every report needs besides the run: the set's bands, labels and templates, and the frame settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from engine.kinds.tree import CriteriaSet, catalog_labels, iter_nodes
from engine.model.criteria import Band
from engine.model.frame import FrameSettings
from engine.model.names import BUILTIN_METRICS
from engine.model.results import NodeResult, RunResult, UnitResult
from engine.render.reports.common import run_stamp
from engine.render.reports.words import plain_words
from engine.render.text import lost_points, not_due_points

SURVEY_EXPECTED = "điểm điều tra xã hội học"
"""What the engine writes as the expectation of a survey criterion; used when the set itself is not given."""


@dataclass(frozen=True)
class ReportContext:
    """The run and what its renderers read beside it. `criteria` is optional: without it labels come from the
    engine's built-in names and survey criteria are recognised by their expectation."""

    run: RunResult
    bands: tuple[Band, ...] = ()
    frame: FrameSettings = field(default_factory=FrameSettings)
    labels: Mapping[str, str] = field(default_factory=dict)
    survey: frozenset[str] = frozenset()
    funding: Mapping[str, str] = field(default_factory=dict)
    _plain: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _gaps: dict[int, tuple[list[NodeResult], list[NodeResult]]] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def year(self) -> int:
        """The year the documents are signed in, when the frame does not give a date: that of the latest as-of date
        (worked out once: every part's letterhead asks, and each time it reads every unit)."""
        return run_stamp(self.run).year

    def words(self, text: str) -> str:
        """plain_words with this context's labels, each distinct text worked out once (units share most texts)."""
        plain = self._plain.get(text)
        if plain is None:
            plain = self._plain[text] = plain_words(text, self.labels)
        return plain

    def gaps(self, unit: UnitResult) -> tuple[list[NodeResult], list[NodeResult]]:
        """lost_points and not_due_points of a unit of the run, worked out once: the unit's plan and the province's
        plan and view each ask (the lists are shared: read them, do not change them)."""
        found = self._gaps.get(id(unit))
        if found is None:
            found = self._gaps[id(unit)] = (lost_points(unit), not_due_points(unit))
        return found

    def is_survey(self, node: NodeResult) -> bool:
        if node.rule_kind is not None:
            return node.rule_kind == "survey"
        if self.survey:
            return node.id in self.survey
        return node.is_leaf and node.explanation is not None and node.explanation.expected == SURVEY_EXPECTED


def report_context(run: RunResult, bands: Sequence[Band] | None = None, criteria: CriteriaSet | None = None,
                   frame: FrameSettings | None = None) -> ReportContext:
    labels = {name: label for name, (label, _) in BUILTIN_METRICS.items()}
    survey: frozenset[str] = frozenset()
    funding: dict[str, str] = {}
    if criteria is not None:
        labels.update(catalog_labels(criteria))
        leaves = [node for node, _, _ in iter_nodes(criteria.items) if node.is_leaf]
        survey = frozenset(node.id for node in leaves if node.rule is not None and node.rule.kind == "survey")
        funding = {node.id: node.remediation.funding for node in leaves
                   if node.remediation is not None and node.remediation.funding}
    return ReportContext(run=run, bands=tuple(run.bands if bands is None else bands), frame=frame or FrameSettings(),
                         labels=labels, survey=survey, funding=funding)
