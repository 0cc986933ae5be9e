"""What a history shows: per metric the baselines of main, the environment changes, and
the slides the drift detector found, ready for the report (no I/O, no wording)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seedgate.history.record import HistoryRecord, MetricRecord, environment_changes
from seedgate.records import EnvironmentDifference, Goal
from seedgate.stats.drift import BaselinePoint, DriftAlarm, detect_drift

DEFAULT_SHOWN = 20  # baselines in a chart, the comment's and the terminal's


@dataclass(frozen=True, slots=True)
class Slide:
    """A drift alarm with the records it spans: ``since`` is the last baseline before the
    slide (None when the slide began at the segment's first), ``until`` the alarm's."""

    alarm: DriftAlarm
    since: HistoryRecord | None
    first: HistoryRecord
    until: HistoryRecord
    merges: int  # baselines from the first of the slide to the alarm, both counted


@dataclass(frozen=True, slots=True)
class MetricHistory:
    """One metric over the shown baselines (None where a baseline lacks it)."""

    name: str
    goal: Goal | None
    points: tuple[MetricRecord | None, ...]
    slides: tuple[Slide, ...]  # found over the whole history, shown when they end in view
    candidate: MetricRecord | None = None

    @property
    def constant(self) -> bool:
        """The same value in every run of every shown baseline (a count such as n_test)."""
        points = [p for p in (*self.points, self.candidate) if p is not None]
        return bool(points) and all(
            p.quantiles[0] == p.quantiles[-1] == points[0].mean for p in points
        )

    def in_slide(self, position: int, offset: int) -> bool:
        """Whether shown baseline ``position`` lies in a reported slide."""
        index = position + offset
        return any(s.alarm.first <= index <= s.alarm.alarm for s in self.slides)


@dataclass(frozen=True, slots=True)
class HistoryView:
    """The last ``shown`` baselines of a history, with everything found over all of it.

    ``offset``: the index in the whole history of the first shown baseline; ``changes``
    per shown baseline: what differs from the baseline before it (the candidate's against
    the newest baseline are in ``candidate_changes``).
    """

    records: tuple[HistoryRecord, ...]
    offset: int
    total: int
    changes: tuple[tuple[EnvironmentDifference, ...], ...]
    metrics: tuple[MetricHistory, ...]
    candidate: HistoryRecord | None = None
    candidate_changes: tuple[EnvironmentDifference, ...] = ()

    @property
    def slides(self) -> tuple[tuple[MetricHistory, Slide], ...]:
        return tuple((m, s) for m in self.metrics for s in m.slides)


def build_view(
    history: tuple[HistoryRecord, ...],
    goals: Mapping[str, Goal],
    *,
    shown: int = DEFAULT_SHOWN,
    candidate: HistoryRecord | None = None,
) -> HistoryView:
    """The view of ``history`` (oldest first); ``goals`` wins over a record's own goal."""
    if shown < 1:
        raise ValueError(f"shown must be at least 1, got {shown}")
    offset = max(0, len(history) - shown)
    changes = environment_changes(history)
    metrics = tuple(
        _metric_history(
            name,
            history,
            changes=changes,
            offset=offset,
            goal=goals.get(name),
            candidate=candidate,
        )
        for name in _metric_names(history[offset:], candidate)
    )
    candidate_changes = (
        environment_changes((history[-1], candidate))[1] if candidate and history else ()
    )
    return HistoryView(
        records=history[offset:],
        offset=offset,
        total=len(history),
        changes=changes[offset:],
        metrics=metrics,
        candidate=candidate,
        candidate_changes=candidate_changes,
    )


def _metric_names(
    records: tuple[HistoryRecord, ...], candidate: HistoryRecord | None
) -> tuple[str, ...]:
    """Every metric of the shown baselines (and the candidate), in first-seen order."""
    names: dict[str, None] = {}
    for record in (*records, *((candidate,) if candidate else ())):
        names.update((m.name, None) for m in record.metrics)
    return tuple(names)


def _metric_history(
    name: str,
    history: tuple[HistoryRecord, ...],
    *,
    changes: tuple[tuple[EnvironmentDifference, ...], ...],
    offset: int,
    goal: Goal | None,
    candidate: HistoryRecord | None,
) -> MetricHistory:
    points = tuple(record.metric(name) for record in history)
    goal = goal or next((p.goal for p in reversed(points) if p and p.goal), None)
    slides: tuple[Slide, ...] = ()
    if goal is not None:
        stats_points = [
            None
            if p is None
            else BaselinePoint(p.mean, p.sd, p.n, new_environment=bool(changes[index]))
            for index, p in enumerate(points)
        ]
        alarms = detect_drift(stats_points, goal.sign)
        slides = tuple(_slide(a, history) for a in alarms if a.alarm >= offset)
    return MetricHistory(
        name=name,
        goal=goal,
        points=points[offset:],
        slides=slides,
        candidate=candidate.metric(name) if candidate else None,
    )


def _slide(alarm: DriftAlarm, history: tuple[HistoryRecord, ...]) -> Slide:
    return Slide(
        alarm=alarm,
        since=history[alarm.first - 1] if alarm.first > 0 else None,
        first=history[alarm.first],
        until=history[alarm.alarm],
        merges=alarm.alarm - alarm.first + 1,
    )
