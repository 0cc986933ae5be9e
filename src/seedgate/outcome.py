"""What a Comparison means for the gate: the overall verdict, why it stopped, whether more
runs could change it, and how many runs it used. Pure, on public records only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from seedgate.records import (
    NOT_COMPARED,
    Bound,
    Comparison,
    GateSettings,
    MetricComparison,
    MinEffectSetting,
    Multiplicity,
    NoteKind,
    Stop,
    StopKind,
    Verdict,
)
from seedgate.stats.outliers import DEFAULT_THRESHOLD

_SETTLED = (Verdict.NO_CHANGE, Verdict.IMPROVEMENT)


def compared(metric: MetricComparison) -> bool:
    """The metric had values on both sides."""
    return metric.verdict not in NOT_COMPARED


def overall(metrics: Sequence[MetricComparison], has_baseline: bool) -> Verdict:
    """Any gating regression; else a gating metric the baseline lacks; else all settled;
    else inconclusive. A gating metric on one side only is never passed over in silence."""
    gating = [m for m in metrics if m.gating and compared(m)]
    if not has_baseline:
        return Verdict.NO_BASELINE
    if any(m.verdict is Verdict.REGRESSION for m in gating):
        return Verdict.REGRESSION
    if any(m.gating and m.verdict is Verdict.METRIC_ABSENT for m in metrics) or not gating:
        return Verdict.METRIC_ABSENT
    if all(m.verdict in _SETTLED for m in gating):
        if any(m.verdict is Verdict.IMPROVEMENT for m in gating):
            return Verdict.IMPROVEMENT
        return Verdict.NO_CHANGE
    return Verdict.INCONCLUSIVE


def as_baseline(comparison: Comparison) -> Comparison:
    """The summary of runs that made a baseline: verdict ``baseline``, nothing gated."""
    return replace(
        comparison,
        verdict=Verdict.BASELINE,
        metrics=tuple(replace(m, verdict=Verdict.BASELINE) for m in comparison.metrics),
        stop=Stop(StopKind.BASELINE, cap=comparison.stop.cap),
        notes=tuple(n for n in comparison.notes if n.kind is not NoteKind.NO_BASELINE_YET),
    )


def _look_number(n: int, schedule: tuple[int, ...]) -> int | None:
    return None if len(schedule) == 1 else schedule.index(n) + 1


def stop(
    verdict: Verdict, metrics: Sequence[MetricComparison], schedule: tuple[int, ...], n_ok: int
) -> Stop:
    gating = [m for m in metrics if m.gating and compared(m)]
    cap = schedule[-1]
    if verdict is Verdict.NO_BASELINE:
        return Stop(StopKind.NO_BASELINE, cap=cap)
    if verdict is Verdict.METRIC_ABSENT:
        absent = tuple(m.name for m in metrics if m.gating and not compared(m))
        return Stop(StopKind.METRIC_ABSENT, absent, cap=cap)
    if verdict is Verdict.REGRESSION:
        hits = [m for m in gating if m.verdict is Verdict.REGRESSION]
        first = min(m.looks[-1].n_candidate for m in hits)
        names = tuple(m.name for m in hits if m.looks[-1].n_candidate == first)
        return Stop(
            StopKind.REGRESSION, names, runs=first, look=_look_number(first, schedule), cap=cap
        )
    if verdict in _SETTLED:
        last = max(m.looks[-1].n_candidate for m in gating)
        names, verdicts = tuple(m.name for m in gating), tuple(m.verdict for m in gating)
        look = _look_number(last, schedule)
        return Stop(StopKind.SETTLED, names, verdicts, runs=last, look=look, cap=cap)
    capped = tuple(m.name for m in gating if m.bound is Bound.CAP)
    if capped:
        return Stop(StopKind.CAP, capped, runs=cap, look=_look_number(cap, schedule), cap=cap)
    if n_ok < schedule[0]:
        return Stop(StopKind.BEFORE_FIRST_LOOK, runs=n_ok, next_look=schedule[0], cap=cap)
    upcoming = next((n for n in schedule if n > n_ok), None)
    still_open = tuple(m.name for m in gating if m.bound is None)
    return Stop(StopKind.OPEN, still_open, runs=n_ok, next_look=upcoming, cap=cap)


def _gating_compared(comparison: Comparison) -> list[MetricComparison]:
    return [m for m in comparison.metrics if m.gating and compared(m)]


def is_open(comparison: Comparison) -> bool:
    """True when running more candidate runs could change the answer: no gating regression
    yet and some gating metric still open (undecided before the cap)."""
    gating = _gating_compared(comparison)
    if any(m.verdict is Verdict.REGRESSION for m in gating):
        return False
    return any(m.verdict is Verdict.INCONCLUSIVE and m.bound is None for m in gating)


def runs_used(comparison: Comparison) -> int:
    """Candidate runs a sequential pipeline needs for this answer: the look of the first
    gating regression, else the last look any gating metric needed, else all runs."""
    gating = _gating_compared(comparison)
    regressions = [m.looks[-1].n_candidate for m in gating if m.verdict is Verdict.REGRESSION]
    if regressions:
        return min(regressions)
    if not gating or any(m.bound is None for m in gating):
        return comparison.candidate_runs
    return max(m.looks[-1].n_candidate for m in gating)


def settings(
    schedule: tuple[int, ...],
    lockstep: bool,
    min_effects: tuple[MinEffectSetting, ...],
    primary: str | None,
    *,
    gating: int,
    levels: tuple[float, float],
) -> GateSettings:
    """The settings of a comparison that its Design does not hold; levels: (alpha, power)."""
    if primary is not None:
        multiplicity = Multiplicity.PRIMARY
    else:
        multiplicity = Multiplicity.HOLM if gating > 1 else Multiplicity.ONE
    return GateSettings(
        lockstep=lockstep,
        bad_seed_threshold=DEFAULT_THRESHOLD,
        multiplicity=multiplicity,
        gating=gating,
        primary=primary,
        min_effects=min_effects,
        single_look=len(schedule) == 1,
        alpha=levels[0],
        power=levels[1],
    )
