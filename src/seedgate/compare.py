"""Baseline + candidate + config -> Comparison. Pure: no I/O, deterministic for a config.

The candidate's runs are in order, so the evidence at each look of the design is computed on
prefixes of its successful runs (and of the baseline's in lockstep mode): calling compare()
after every look, as the pipeline does, and calling it once with all runs give the same
verdicts. A metric's verdict is fixed at the first look where a bound is crossed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from seedgate import outcome
from seedgate.config.settings import Config, MetricSpec
from seedgate.errors import RunSetError
from seedgate.outcome import is_open, runs_used
from seedgate.records import (
    Analysis,
    Bound,
    Comparison,
    Design,
    ExtraRuns,
    FailedRuns,
    GateSettings,
    Interval,
    LockstepShort,
    Look,
    MetricComparison,
    MinEffectSetting,
    NoBaselineYet,
    Note,
    NotInBaseline,
    Pairing,
    PairingStatus,
    PowerPlan,
    PrimaryAlone,
    RunSet,
    Stability,
    Unpaired,
    Verdict,
)
from seedgate.stats import design as sequential
from seedgate.stats import evidence, paired
from seedgate.stats.outliers import bad_seeds
from seedgate.stats.planning import plan_runs
from seedgate.stats.ranktest import hodges_lehmann, probability_better
from seedgate.stats.summary import summarize
from seedgate.stats.twins import Twins, pair_seeds, replayed_runs, same_seed_correlation

__all__ = ["compare", "is_open", "runs_used"]

_VERDICT_OF_BOUND = {
    Bound.REGRESSION: Verdict.REGRESSION,
    Bound.IMPROVEMENT: Verdict.IMPROVEMENT,
    Bound.NO_CHANGE: Verdict.NO_CHANGE,
    Bound.CAP: Verdict.INCONCLUSIVE,
}


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


def _shift(metric: _Metric, looks: tuple[Look, ...]) -> tuple[float, Interval]:
    """Hodges-Lehmann shift, and the interval the deciding look's tests leave open
    (``stats.inversion``): all of the candidate's runs for a single-look design."""
    assert metric.baseline is not None  # noqa: S101 - callers only pass compared metrics
    assert metric.design is not None  # noqa: S101
    shift, _ = hodges_lehmann(metric.candidate.values, metric.baseline.values)
    design = metric.design
    if not looks:
        return shift, Interval(float("nan"), float("nan"))
    n = looks[-1].n_candidate
    paired_design = bool(design.paired_bounds)
    baseline = _twin_ordered(metric) if paired_design else metric.baseline.values
    candidate = metric.candidate.values[:n] if len(design.looks) > 1 else metric.candidate.values
    interval = evidence.decision_interval(
        candidate,
        baseline[: looks[-1].n_baseline] if not paired_design else baseline,
        metric.spec.goal,
        metric.min_effect,
        design,
        look=len(looks) - 1,
    )
    return shift, interval


def _stability(metric: _Metric, looks: tuple[Look, ...]) -> Stability:
    """Diverged runs on each side at the last look kept (all runs when none was reached)."""
    assert metric.baseline is not None  # noqa: S101 - callers only pass compared metrics
    n = looks[-1].n_candidate if looks else len(metric.candidate.values)
    n_base = looks[-1].n_baseline if looks else len(metric.baseline.values)
    candidate = metric.candidate.values[:n]
    baseline = metric.baseline.values[:n_base]
    mine, theirs = evidence.diverged_counts(candidate, baseline, metric.spec.goal)
    return Stability(mine, len(candidate), theirs, len(baseline))


def _metric_comparison(
    metric: _Metric,
    looks: list[Look],
    schedule: tuple[int, ...],
    config: Config,
    *,
    has_baseline: bool,
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
        return result if not has_baseline else replace(result, verdict=Verdict.METRIC_ABSENT)
    verdict, bound, kept = _verdict(looks, schedule, config, replay=_replay_decides(metric))
    shift, interval = _shift(metric, kept)
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
        stability=_stability(metric, kept),
    )


def _replay_decides(metric: _Metric) -> bool:
    """An exact replay is no-change at the first look, unless min_effect is 0 (then no-change
    is never concluded; the report still says the runs are identical)."""
    return bool(metric.replay) and metric.min_effect > 0


def _pairing(metric: _Metric, kept: tuple[Look, ...]) -> Pairing:
    if metric.twins.status is not PairingStatus.PAIRED or not kept:
        return Pairing(metric.twins.status, (), None)
    n = kept[-1].n_candidate
    correlation = same_seed_correlation(metric.candidate.values[:n], _twin_ordered(metric)[:n])
    return Pairing(PairingStatus.PAIRED, metric.candidate.seeds[:n], correlation, metric.replay)


def _decided_by(metric: _Metric, kept: tuple[Look, ...], bound: Bound | None) -> Analysis | None:
    if _replay_decides(metric) and kept:
        return Analysis.REPLAY
    if not kept or metric.design is None:
        return None
    return evidence.deciding_analysis(kept[-1], bound, metric.design)


_SEED_MISMATCH = (
    PairingStatus.SEEDS_DIFFER,
    PairingStatus.BASELINE_TOO_SHORT,
    PairingStatus.DUPLICATE_SEEDS,
)


def _baseline_notes(baseline: RunSet | None, metrics: Sequence[_Metric]) -> list[Note]:
    if baseline is None:
        return [NoBaselineYet()]
    present = baseline.metric_names()
    notes: list[Note] = [NotInBaseline(m.spec.name, present) for m in metrics if m.baseline is None]
    notes += [
        Unpaired(m.spec.name, m.twins.status, m.candidate.seeds, m.baseline.seeds)
        for m in metrics
        if m.baseline is not None and m.gating and m.twins.status in _SEED_MISMATCH
    ]
    return notes


def _notes(
    baseline: RunSet | None,
    candidate: RunSet,
    metrics: Sequence[_Metric],
    schedule: tuple[int, ...],
    primary: str | None,
) -> tuple[Note, ...]:
    notes = _baseline_notes(baseline, metrics)
    if candidate.failed_runs:
        notes.append(FailedRuns(tuple(r.seed for r in candidate.failed_runs)))
    n_ok = len(candidate.ok_runs)
    if n_ok > schedule[-1]:
        notes.append(ExtraRuns(successful=n_ok, used=schedule[-1]))
    if any(m.twins.status is PairingStatus.LOCKSTEP for m in metrics):
        short = tuple(m.spec.name for m in metrics if m.baseline and len(m.baseline.values) < n_ok)
        if short:
            notes.append(LockstepShort(short))
    if primary is not None:
        notes.append(PrimaryAlone(primary))
    return tuple(notes)


def _specs(candidate: RunSet, config: Config) -> list[MetricSpec]:
    if not candidate.ok_runs:
        raise RunSetError("the candidate has no successful runs: there is nothing to compare")
    reported = candidate.metric_names()
    names = config.gated_metric_names(reported)
    missing = [n for n in names if n not in reported]
    if missing:
        raise RunSetError(
            f"metric {missing[0]!r} is configured but not reported by every successful "
            f"candidate run; the runs report: {', '.join(reported) or 'nothing'}"
        )
    return list(config.metric_specs(reported))


def _metric(
    spec: MetricSpec,
    sides: tuple[RunSet | None, RunSet],
    primary: str | None,
    schedule: tuple[int, ...],
    lockstep: bool,
) -> _Metric:
    baseline, candidate = sides
    cand = _side(candidate, spec.name)
    base = _side(baseline, spec.name) if baseline is not None else None
    if base is not None and not base.values:
        base = None
    metric = _Metric(
        spec=spec,
        gating=primary is None or spec.name == primary,
        candidate=cand,
        baseline=base,
        min_effect=spec.min_effect.absolute(base.values if base is not None else cand.values),
        design=None,
        raw=[],
    )
    if base is not None:
        metric.twins = pair_seeds(
            cand.seeds, base.seeds, cap=schedule[-1], lockstep=lockstep, looks=len(schedule)
        )
    return metric


def _plans(
    metrics: Sequence[_Metric], results: Sequence[MetricComparison]
) -> tuple[PowerPlan, ...]:
    correlation = {r.name: r.pairing.correlation if r.pairing else None for r in results}
    return tuple(
        plan_runs(
            m.baseline.values,
            m.min_effect,
            m.design,
            metric=m.spec.name,
            correlation=correlation[m.spec.name],
        )
        for m in metrics
        if m.baseline is not None and m.design is not None and m.gating
    )


def _settings(
    schedule: tuple[int, ...],
    lockstep: bool,
    metrics: Sequence[_Metric],
    primary: str | None,
    config: Config,
) -> GateSettings:
    min_effects = tuple(MinEffectSetting(m.spec.name, str(m.spec.min_effect)) for m in metrics)
    gating = sum(m.gating for m in metrics)
    levels = (config.alpha, config.power)
    return outcome.settings(schedule, lockstep, min_effects, primary, gating=gating, levels=levels)


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
    Otherwise the group-sequential schedule (the pipeline passes config.look_schedule()).
    ``lockstep``: the baseline grows with the candidate (its prefix of the same length).
    Metrics whose seeds match are compared seed by seed (stats.paired).
    """
    specs = _specs(candidate, config)
    n_ok = len(candidate.ok_runs)
    schedule = sequential.validate_looks(looks) if looks is not None else (n_ok,)
    primary = next((s.name for s in specs if s.primary), None)
    replay = replayed_runs(baseline, candidate, schedule[0])
    metrics = [_metric(s, (baseline, candidate), primary, schedule, lockstep) for s in specs]
    for metric in metrics:
        if metric.baseline is not None:
            metric.replay = replay if metric.twins.status is PairingStatus.PAIRED else ()
            _evaluate_looks(metric, schedule, lockstep, config)
    adjusted = _adjust([m for m in metrics if m.baseline is not None])
    results = tuple(
        _metric_comparison(
            m, adjusted.get(m.spec.name, []), schedule, config, has_baseline=baseline is not None
        )
        for m in metrics
    )
    verdict = outcome.overall(results, baseline is not None)
    return Comparison(
        verdict=verdict,
        metrics=results,
        design=next((m.design for m in metrics if m.gating and m.design is not None), None),
        stop=outcome.stop(verdict, results, schedule, n_ok),
        baseline_commit=baseline.commit if baseline is not None else None,
        candidate_commit=candidate.commit,
        baseline_runs=len(baseline.ok_runs) if baseline is not None else 0,
        candidate_runs=n_ok,
        failed_runs=candidate.failed_runs,
        plans=_plans(metrics, results),
        notes=_notes(baseline, candidate, metrics, schedule, primary),
        settings=_settings(schedule, lockstep, metrics, primary, config),
    )
