"""Baseline + candidate + config -> Comparison. Pure: no I/O, deterministic for a config.

The candidate's runs are in order, so the evidence at each look of the design is computed on
prefixes of its successful runs (and of the baseline's in lockstep mode): calling compare()
after every look, as the pipeline does, and calling it once with all runs give the same
verdicts. A metric's verdict is fixed at the first look where a bound is crossed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from seedgate.config import Config, MetricSpec
from seedgate.errors import RunSetError
from seedgate.models import (
    Analysis,
    Bound,
    Comparison,
    Design,
    Interval,
    Look,
    MetricComparison,
    Pairing,
    PairingStatus,
    PowerPlan,
    RunSet,
    Verdict,
)
from seedgate.stats import design as sequential
from seedgate.stats import evidence, paired
from seedgate.stats.outliers import DEFAULT_THRESHOLD, bad_seeds
from seedgate.stats.planning import plan_runs
from seedgate.stats.ranktest import hodges_lehmann, probability_better
from seedgate.stats.summary import summarize
from seedgate.stats.twins import Twins, pair_seeds, replayed_seeds, same_seed_correlation

_VERDICT_OF_BOUND = {
    Bound.REGRESSION: Verdict.REGRESSION,
    Bound.IMPROVEMENT: Verdict.IMPROVEMENT,
    Bound.NO_CHANGE: Verdict.NO_CHANGE,
    Bound.CAP: Verdict.INCONCLUSIVE,
}
_SETTLED = (Verdict.NO_CHANGE, Verdict.IMPROVEMENT)


@dataclass(frozen=True, slots=True)
class _Side:
    values: tuple[float, ...]
    seeds: tuple[int, ...]


@dataclass(slots=True)
class _Metric:
    """Working state of one metric while the looks are evaluated."""

    spec: MetricSpec
    gating: bool
    candidate: _Side
    baseline: _Side | None
    min_effect: float
    design: Design | None
    raw: list[Look]  # evidence at each evaluable look, unadjusted p-values
    twins: Twins = field(default_factory=lambda: Twins(PairingStatus.SINGLE_LOOK))
    replay: tuple[int, ...] = ()  # first-look seeds replayed bit for bit (paired only)


def _side(runset: RunSet, metric: str) -> _Side:
    runs = [r for r in runset.ok_runs if metric in r.metrics]
    return _Side(tuple(float(r.metrics[metric]) for r in runs), tuple(r.seed for r in runs))


def _twin_ordered(metric: _Metric) -> tuple[float, ...]:
    """The baseline's values with candidate run i's twin at position i."""
    assert metric.baseline is not None  # noqa: S101 - callers only pass compared metrics
    return tuple(metric.baseline.values[i] for i in metric.twins.order)


def _evaluate_looks(
    metric: _Metric, schedule: tuple[int, ...], lockstep: bool, config: Config
) -> None:
    assert metric.baseline is not None  # noqa: S101 - callers only pass compared metrics
    baseline = metric.baseline.values
    levels = (config.alpha, config.power, config.simulations, config.stats_seed)
    spec, candidate = metric.spec, metric.candidate.values
    if metric.twins.status is PairingStatus.PAIRED:
        metric.design = paired.calibrate(schedule, len(baseline), *levels)
        metric.raw = evidence.paired_looks(
            candidate, _twin_ordered(metric), spec.goal, metric.min_effect, metric.design
        )
        return
    metric.design = sequential.calibrate(schedule, None if lockstep else len(baseline), *levels)
    for index, n in enumerate(schedule):
        if n > len(candidate) or (lockstep and n > len(baseline)):
            break
        reference = baseline[:n] if lockstep else baseline
        metric.raw.append(
            evidence.unpaired_look(
                candidate[:n], reference, spec.goal, metric.min_effect, metric.design, index
            )
        )


def _adjust(metrics: list[_Metric]) -> dict[str, list[Look]]:
    """Holm across the gating metrics at each look (regression and improvement p-values).

    No-change is an intersection-union question (every gating metric must show it), which
    needs no adjustment, so its p-values stay raw. Non-gating metrics keep raw p-values.
    """
    adjusted = {m.spec.name: list(m.raw) for m in metrics}
    family = [m for m in metrics if m.gating]
    depth = max((len(m.raw) for m in family), default=0)
    for k in range(depth):
        members = [m for m in family if len(m.raw) > k]
        p_reg = sequential.holm([m.raw[k].p_regression for m in members])
        p_imp = sequential.holm([m.raw[k].p_improvement for m in members])
        for m, reg, imp in zip(members, p_reg, p_imp, strict=True):
            adjusted[m.spec.name][k] = replace(m.raw[k], p_regression=reg, p_improvement=imp)
    return adjusted


def _verdict(
    looks: list[Look], schedule: tuple[int, ...], config: Config, *, replay: bool
) -> tuple[Verdict, Bound | None, tuple[Look, ...]]:
    """First crossing wins; the looks are kept up to the deciding one. An exact replay of
    the baseline at the first look is no-change there."""
    if replay and looks:
        return Verdict.NO_CHANGE, Bound.NO_CHANGE, tuple(looks[:1])
    for k, look in enumerate(looks):
        bound = sequential.decide(
            look.p_regression,
            look.p_improvement,
            look.p_no_change,
            config.alpha,
            1 - config.power,
        )
        if bound is not None:
            return _VERDICT_OF_BOUND[bound], bound, tuple(looks[: k + 1])
    if len(looks) == len(schedule):
        return Verdict.INCONCLUSIVE, Bound.CAP, tuple(looks)
    return Verdict.INCONCLUSIVE, None, tuple(looks)


def _shift(metric: _Metric, sequential_design: bool) -> tuple[float, Interval]:
    """Hodges-Lehmann shift; with several looks, the design's repeated 95% interval."""
    assert metric.baseline is not None  # noqa: S101 - callers only pass compared metrics
    assert metric.design is not None  # noqa: S101
    z_bound = metric.design.bound_interval if sequential_design else None
    return hodges_lehmann(metric.candidate.values, metric.baseline.values, z_bound=z_bound)


def _metric_comparison(
    metric: _Metric, looks: list[Look], schedule: tuple[int, ...], config: Config
) -> MetricComparison:
    candidate = metric.candidate
    base = metric.baseline
    base_pairs = tuple(zip(base.seeds, base.values, strict=True)) if base is not None else ()
    result = MetricComparison(
        name=metric.spec.name,
        goal=metric.spec.goal,
        min_effect=metric.min_effect,
        primary=metric.spec.primary,
        baseline=None,
        candidate=summarize(candidate.values),
        shift=None,
        shift_interval=None,
        p_better=None,
        looks=(),
        verdict=Verdict.NO_BASELINE,
        bound=None,
        gating=metric.gating,
        bad_seeds=bad_seeds(base_pairs, tuple(zip(candidate.seeds, candidate.values, strict=True))),
        candidate_values=candidate.values,
        candidate_seeds=candidate.seeds,
    )
    if base is None:
        return result
    verdict, bound, kept = _verdict(looks, schedule, config, replay=bool(metric.replay))
    shift, interval = _shift(metric, len(schedule) > 1)
    return replace(
        result,
        baseline=summarize(base.values),
        shift=shift,
        shift_interval=interval,
        p_better=probability_better(candidate.values, base.values, metric.spec.goal),
        looks=kept,
        verdict=verdict,
        bound=bound,
        baseline_values=base.values,
        baseline_seeds=base.seeds,
        pairing=_pairing(metric, kept),
        decided_by=_decided_by(metric, kept, bound),
    )


def _pairing(metric: _Metric, kept: tuple[Look, ...]) -> Pairing:
    if metric.twins.status is not PairingStatus.PAIRED or not kept:
        return Pairing(metric.twins.status, (), None)
    n = kept[-1].n_candidate
    correlation = same_seed_correlation(metric.candidate.values[:n], _twin_ordered(metric)[:n])
    return Pairing(PairingStatus.PAIRED, metric.candidate.seeds[:n], correlation, metric.replay)


def _decided_by(metric: _Metric, kept: tuple[Look, ...], bound: Bound | None) -> Analysis | None:
    if metric.replay and kept:
        return Analysis.REPLAY
    if not kept or metric.design is None:
        return None
    return evidence.deciding_analysis(kept[-1], bound, metric.design)


def _overall(metrics: Sequence[MetricComparison], has_baseline: bool) -> Verdict:
    """Any gating regression; else all settled; else inconclusive. Metrics without a
    baseline (new metrics) are shown but do not decide while another gating metric can."""
    gating = [m for m in metrics if m.gating and m.verdict is not Verdict.NO_BASELINE]
    if not has_baseline or not gating:
        return Verdict.NO_BASELINE
    if any(m.verdict is Verdict.REGRESSION for m in gating):
        return Verdict.REGRESSION
    if all(m.verdict in _SETTLED for m in gating):
        if any(m.verdict is Verdict.IMPROVEMENT for m in gating):
            return Verdict.IMPROVEMENT
        return Verdict.NO_CHANGE
    return Verdict.INCONCLUSIVE


def _look_label(n: int, schedule: tuple[int, ...]) -> str:
    if len(schedule) == 1:
        return f"the single look ({n} candidate runs)"
    return f"look {schedule.index(n) + 1} ({n} candidate runs)"


def _stop_reason(
    verdict: Verdict, metrics: Sequence[MetricComparison], schedule: tuple[int, ...], n_ok: int
) -> str:
    gating = [m for m in metrics if m.gating and m.verdict is not Verdict.NO_BASELINE]
    if verdict is Verdict.NO_BASELINE:
        return "no baseline to compare against: the candidate's runs are summarised only"
    if verdict is Verdict.REGRESSION:
        hits = [m for m in gating if m.verdict is Verdict.REGRESSION]
        first = min(m.looks[-1].n_candidate for m in hits)
        names = ", ".join(m.name for m in hits if m.looks[-1].n_candidate == first)
        return f"regression bound crossed for {names} at {_look_label(first, schedule)}"
    if verdict in _SETTLED:
        last = max(m.looks[-1].n_candidate for m in gating)
        parts = ", ".join(f"{m.name} {m.verdict.value}" for m in gating)
        return f"every gating metric decided by {_look_label(last, schedule)}: {parts}"
    capped = [m.name for m in gating if m.bound is Bound.CAP]
    if capped and len(schedule) == 1:
        return (
            f"no bound crossed for {', '.join(capped)} at the single look "
            f"({schedule[0]} candidate runs)"
        )
    if capped:
        return f"cap of {schedule[-1]} runs reached with no bound crossed for {', '.join(capped)}"
    open_names = ", ".join(m.name for m in gating if m.bound is None)
    upcoming = next((n for n in schedule if n > n_ok), None)
    if n_ok < schedule[0]:
        return f"{n_ok} candidate runs so far, fewer than the first look at {schedule[0]}"
    after = f"still open after {n_ok} candidate runs: {open_names}"
    return f"{after}; next look at {upcoming} runs" if upcoming is not None else after


def _settings(
    config: Config,
    schedule: tuple[int, ...],
    lockstep: bool,
    metrics: Sequence[_Metric],
    primary: str | None,
) -> dict[str, str]:
    # alpha, power, looks, bounds and min_effect are shown from the Design by the report
    settings = {
        "baseline": (
            "lockstep: the baseline grows with the candidate"
            if lockstep
            else "stored: the same baseline runs at every look"
        ),
        "bad seeds": (
            f"robust z (median/MAD) of the pooled runs beyond {DEFAULT_THRESHOLD:g}; "
            "shown, not removed"
        ),
    }
    gating = [m for m in metrics if m.gating]
    if primary is not None:
        settings["multiplicity"] = f"primary metric {primary} gates alone; others are reported"
    elif len(gating) > 1:
        settings["multiplicity"] = f"Holm across {len(gating)} gating metrics at each look"
    else:
        settings["multiplicity"] = "one gating metric"
    for m in metrics:
        settings[f"min_effect.{m.spec.name}"] = f"{m.min_effect:.4g} ({m.spec.min_effect})"
    if len(schedule) == 1:
        settings["test"] = (
            f"single look: exact Mann-Whitney U p-value <= {config.alpha:g} "
            f"(no-change: <= {1 - config.power:g})"
        )
    else:
        settings["test"] = (
            "group-sequential Mann-Whitney U against a drop (or gain) of "
            f"{sequential.INDIFFERENCE:g} x min_effect; ties count for the null; "
            "bounds calibrated by simulation"
        )
    return settings


def _notes(
    baseline: RunSet | None,
    *,
    candidate: RunSet,
    metrics: Sequence[_Metric],
    schedule: tuple[int, ...],
    lockstep: bool,
    primary: str | None,
) -> tuple[str, ...]:
    notes: list[str] = []
    if baseline is None:
        notes.append("no baseline yet: a baseline run on the main branch creates one")
    else:
        present = ", ".join(baseline.metric_names()) or "none"
        notes.extend(
            f"metric {m.spec.name!r} is not in the baseline (it reports: {present}); "
            "it is shown but not compared"
            for m in metrics
            if m.baseline is None
        )
    failed = candidate.failed_runs
    if failed:
        seeds = ", ".join(str(r.seed) for r in failed)
        notes.append(
            f"{len(failed)} candidate run(s) failed and are left out of the test (seeds {seeds})"
        )
    n_ok = len(candidate.ok_runs)
    if n_ok > schedule[-1]:
        notes.append(f"{n_ok} successful candidate runs; the test uses the first {schedule[-1]}")
    if lockstep and baseline is not None:
        short = [m.spec.name for m in metrics if m.baseline and len(m.baseline.values) < n_ok]
        if short:
            notes.append(
                f"lockstep: the baseline has fewer runs than the candidate for {', '.join(short)}"
            )
    if primary is not None:
        notes.append(f"primary metric {primary} gates alone; other metrics are reported only")
    return tuple(notes)


def _replay(baseline: RunSet | None, candidate: RunSet, first_look: int) -> tuple[int, ...]:
    if baseline is None:
        return ()
    return replayed_seeds(
        [(r.seed, r.metrics) for r in candidate.ok_runs],
        {r.seed: r.metrics for r in baseline.ok_runs},
        first_look,
    )


def compare(
    baseline: RunSet | None,
    candidate: RunSet,
    config: Config,
    *,
    looks: tuple[int, ...] | None = None,
    lockstep: bool = False,
) -> Comparison:
    """Compare the candidate's runs with the baseline's under the config's metric specs.

    ``looks=None``: one fixed-N look at the candidate's run count, exact U p-values.
    Otherwise the group-sequential schedule (the pipeline passes config.effective_looks()).
    ``lockstep``: the baseline grows with the candidate (its prefix of the same length).
    """
    ok_runs = candidate.ok_runs
    if not ok_runs:
        raise RunSetError("the candidate has no successful runs: there is nothing to compare")
    reported = candidate.metric_names()
    names = config.gated_metric_names(reported)
    missing = [n for n in names if n not in reported]
    if missing:
        raise RunSetError(
            f"metric {missing[0]!r} is configured but not reported by every successful "
            f"candidate run; the runs report: {', '.join(reported) or 'nothing'}"
        )
    schedule = sequential.validate_looks(looks) if looks is not None else (len(ok_runs),)
    specs = [config.spec_for(n) for n in names]
    primary = next((s.name for s in specs if s.primary), None)

    replay = _replay(baseline, candidate, schedule[0])
    metrics: list[_Metric] = []
    for spec in specs:
        cand = _side(candidate, spec.name)
        base = _side(baseline, spec.name) if baseline is not None else None
        if base is not None and not base.values:
            base = None
        reference = float(np.mean(base.values if base is not None else cand.values))
        metric = _Metric(
            spec=spec,
            gating=primary is None or spec.name == primary,
            candidate=cand,
            baseline=base,
            min_effect=spec.min_effect.absolute(reference),
            design=None,
            raw=[],
        )
        if base is not None:
            metric.twins = pair_seeds(
                cand.seeds, base.seeds, cap=schedule[-1], lockstep=lockstep, looks=len(schedule)
            )
            if metric.twins.status is PairingStatus.PAIRED:
                metric.replay = replay
            _evaluate_looks(metric, schedule, lockstep, config)
        metrics.append(metric)

    adjusted = _adjust([m for m in metrics if m.baseline is not None])
    results = tuple(
        _metric_comparison(m, adjusted.get(m.spec.name, []), schedule, config) for m in metrics
    )
    verdict = _overall(results, baseline is not None)
    plans: tuple[PowerPlan, ...] = tuple(
        plan_runs(m.baseline.values, m.min_effect, m.design, metric=m.spec.name)
        for m in metrics
        if m.baseline is not None and m.design is not None and m.gating
    )
    design = next((m.design for m in metrics if m.gating and m.design is not None), None)
    return Comparison(
        verdict=verdict,
        metrics=results,
        design=design,
        stop_reason=_stop_reason(verdict, results, schedule, len(ok_runs)),
        baseline_commit=baseline.commit if baseline is not None else None,
        candidate_commit=candidate.commit,
        baseline_runs=len(baseline.ok_runs) if baseline is not None else 0,
        candidate_runs=len(ok_runs),
        failed_runs=candidate.failed_runs,
        plans=plans,
        notes=_notes(
            baseline,
            candidate=candidate,
            metrics=metrics,
            schedule=schedule,
            lockstep=lockstep,
            primary=primary,
        ),
        settings=_settings(config, schedule, lockstep, metrics, primary),
    )


def _gating_compared(comparison: Comparison) -> list[MetricComparison]:
    return [m for m in comparison.metrics if m.gating and m.verdict is not Verdict.NO_BASELINE]


def is_open(comparison: Comparison) -> bool:
    """True when running more candidate runs could change the answer: no gating regression
    yet and some gating metric still open (undecided before the cap)."""
    gating = _gating_compared(comparison)
    if any(m.verdict is Verdict.REGRESSION for m in gating):
        return False
    return any(m.verdict is Verdict.INCONCLUSIVE and m.bound is None for m in gating)


def next_look(comparison: Comparison, looks: Sequence[int]) -> int | None:
    """The candidate run count of the next look, or None when the pipeline should stop."""
    if not is_open(comparison):
        return None
    return next((n for n in looks if n > comparison.candidate_runs), None)


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
