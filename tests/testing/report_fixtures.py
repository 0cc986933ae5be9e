"""Hand-built Comparison objects for the report tests (no compare engine involved).

Runs come from `runsets`, the one factory of runs and run sets.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence

import numpy as np

from seedgate.records import (
    Bound,
    Comparison,
    Design,
    EnvironmentDifference,
    FailedRuns,
    GateSettings,
    Goal,
    Interval,
    Look,
    MetricComparison,
    MinEffectSetting,
    Multiplicity,
    NoiseAdvice,
    NoiseBreakdown,
    NotInBaseline,
    PlanStatus,
    PowerPlan,
    Stop,
    StopKind,
    Summary,
    VarianceComponent,
    Verdict,
)
from tests.testing.runsets import failed_run

HOSTILE_NAME = "acc|<script>alert(1)</script>*_`x`_ [link](javascript:alert(1)) <!-- @bob\nrow"
HOSTILE_REASON = "exit 1 | <img src=x onerror=alert(1)> ``` [a](javascript:x) </details>"
HOSTILE_LOG = "line 1\n```\n</details>\n<script>alert(1)</script>\n````` five\nlast line"


def values(mean: float, std: float, n: int, seed: int) -> tuple[float, ...]:
    rng = np.random.default_rng(seed)
    return tuple(float(v) for v in rng.normal(mean, std, n))


def summary(data: Sequence[float]) -> Summary:
    n = len(data)
    mean = statistics.fmean(data)
    std = statistics.stdev(data) if n > 1 else float("nan")
    half = 2.0 * std / n**0.5 if n > 1 else float("nan")
    return Summary(
        n=n,
        mean=mean,
        std=std,
        median=statistics.median(data),
        min=min(data),
        max=max(data),
        mean_interval=Interval(mean - half, mean + half),
    )


def look(n_baseline: int, n_candidate: int, z: float) -> Look:
    return Look(
        n_baseline=n_baseline,
        n_candidate=n_candidate,
        z_regression=z,
        z_improvement=-z,
        z_no_change=0.5,
        p_regression=0.0004 if z > 2 else 0.3,
        p_improvement=0.9,
        p_no_change=0.2,
    )


def _shift_and_p_better(
    base: tuple[float, ...], cand: tuple[float, ...], goal: Goal
) -> tuple[float | None, Interval | None, float | None]:
    """Median pairwise shift, its 5th-95th percentile range and P(better); None without a base."""
    if not base:
        return None, None, None
    diffs = sorted(c - b for c in cand for b in base)
    shift_interval = Interval(diffs[len(diffs) // 20], diffs[-1 - len(diffs) // 20])
    wins = sum(
        (1.0 if (c - b) * goal.sign > 0 else 0.5 if c == b else 0.0) for c in cand for b in base
    )
    return float(np.median(diffs)), shift_interval, wins / len(diffs)


def metric(
    name: str = "accuracy",
    *,
    baseline: Sequence[float] | None = None,
    candidate: Sequence[float] | None = None,
    verdict: Verdict = Verdict.NO_CHANGE,
    goal: Goal = Goal.MAXIMIZE,
    primary: bool = False,
    gating: bool = True,
    bad_seeds: tuple[int, ...] = (),
    looks: tuple[Look, ...] = (),
    min_effect: float = 0.005,
) -> MetricComparison:
    """A MetricComparison whose shift and P(better) are computed from the values."""
    cand = tuple(candidate) if candidate is not None else values(0.85, 0.004, 5, 2)
    base = tuple(baseline) if baseline is not None else ()
    shift, shift_interval, p_better = _shift_and_p_better(base, cand, goal)
    return MetricComparison(
        name=name,
        goal=goal,
        min_effect=min_effect,
        primary=primary,
        baseline=summary(base) if base else None,
        candidate=summary(cand),
        shift=shift,
        shift_interval=shift_interval,
        p_better=p_better,
        looks=looks,
        verdict=verdict,
        bound=None
        if not base
        else Bound.CAP
        if verdict is Verdict.INCONCLUSIVE
        else Bound.NO_CHANGE,
        gating=gating,
        bad_seeds=bad_seeds,
        baseline_values=base,
        candidate_values=cand,
        baseline_seeds=tuple(range(len(base))),
        candidate_seeds=tuple(range(len(cand))),
    )


SETTINGS = GateSettings(
    lockstep=False,
    bad_seed_threshold=3.5,
    multiplicity=Multiplicity.PRIMARY,
    gating=1,
    primary="accuracy",
    min_effects=(MinEffectSetting("accuracy", "0.005"),),
    single_look=False,
    alpha=0.05,
    power=0.9,
)

DESIGN = Design(
    looks=(3, 5, 10, 15, 20),
    baseline_n=20,
    alpha=0.05,
    power=0.9,
    bounds_alpha=(2.6, 2.34, 2.06, 1.93, 1.86),
    bound_beta=1.77,
    bounds_interval=(2.52, 2.41, 2.29, 2.23, 2.2),
    indifference=0.25,
    simulations=20000,
    seed=20240917,
)


def comparison(
    verdict: Verdict = Verdict.NO_CHANGE,
    metrics: Sequence[MetricComparison] | None = None,
    **extra: object,
) -> Comparison:
    """A Comparison with one metric by default; extra keyword fields override defaults."""
    if metrics is None:
        metrics = (
            metric(
                baseline=values(0.85, 0.004, 20, 1),
                candidate=values(0.85, 0.004, 5, 2),
                verdict=verdict,
                looks=(look(20, 3, 0.4), look(20, 5, 0.2)),
            ),
        )
    base_runs = max((m.baseline.n for m in metrics if m.baseline), default=0)
    fields: dict[str, object] = {
        "verdict": verdict,
        "metrics": tuple(metrics),
        "design": None if verdict is Verdict.NO_BASELINE else DESIGN,
        "stop": Stop(StopKind.SETTLED, ("accuracy",), (Verdict.NO_CHANGE,), runs=5, look=2, cap=20),
        "baseline_commit": None if verdict is Verdict.NO_BASELINE else "a" * 40,
        "candidate_commit": "b" * 40,
        "baseline_runs": base_runs,
        "candidate_runs": max(m.candidate.n for m in metrics),
    }
    fields.update(extra)
    return Comparison(**fields)  # type: ignore[arg-type]


def regressed_accuracy(
    name: str = "accuracy",
    *,
    primary: bool = False,
    looks: tuple[Look, ...] = (),
    bad_seeds: tuple[int, ...] = (),
) -> MetricComparison:
    """Accuracy from 0.85 (20 baseline runs) down to 0.83 (5 candidate runs): a regression."""
    return metric(
        name,
        baseline=values(0.85, 0.004, 20, 1),
        candidate=values(0.83, 0.004, 5, 3),
        verdict=Verdict.REGRESSION,
        primary=primary,
        looks=looks,
        bad_seeds=bad_seeds,
    )


def unresolvable_plan(
    name: str, *, seed_std: float, effect_in_sd: float, power_at_cap: float
) -> PowerPlan:
    """The plan of a metric whose min_effect of 0.004 the cap of 20 runs cannot resolve."""
    return PowerPlan(
        metric=name,
        seed_std=seed_std,
        effect_in_sd=effect_in_sd,
        runs_needed=None,
        cap=20,
        resolvable=False,
        status=PlanStatus.SHORT,
        baseline_n=20,
        power_at_cap=power_at_cap,
    )


def regression_comparison() -> Comparison:
    accuracy = regressed_accuracy(
        primary=True, looks=(look(20, 3, 1.9), look(20, 5, 3.1)), bad_seeds=(4,)
    )
    loss = metric(
        "val_loss",
        baseline=values(0.41, 0.01, 20, 4),
        candidate=values(0.44, 0.01, 5, 5),
        verdict=Verdict.INCONCLUSIVE,
        goal=Goal.MINIMIZE,
        min_effect=0.004,  # 0.4 seed-SDs, as its plan says
        gating=False,
        looks=(look(20, 3, 0.3), look(20, 5, 0.9)),
    )
    return comparison(
        Verdict.REGRESSION,
        (accuracy, loss),
        stop=Stop(StopKind.REGRESSION, ("accuracy",), runs=5, look=2, cap=20),
        failed_runs=(
            failed_run(5, 105, "exit code 137 (killed: out of memory)", "step 1\nKilled"),
        ),
        plans=(unresolvable_plan("val_loss", seed_std=0.01, effect_in_sd=0.4, power_at_cap=0.35),),
        environment_differences=(EnvironmentDifference("tensorflow", "2.15.0", "2.16.1"),),
        notes=(FailedRuns((105,)),),
        settings=SETTINGS,
        noise=(
            NoiseBreakdown(
                metric="accuracy",
                total_variance=1.6e-5,
                components=(
                    VarianceComponent("data order", 9e-6, 0.5625, Interval(4e-6, 2e-5)),
                    VarianceComponent("initialisation", 7e-6, 0.4375, Interval(3e-6, 1.8e-5)),
                ),
                deterministic=True,
                identical_seed_max_diff=0.0,
                test_set_error=0.0036,
                advice=NoiseAdvice(
                    min_effect=0.005,
                    alpha=0.05,
                    power=0.9,
                    cap=20,
                    runs_unpaired=10,
                    runs_paired=5,
                    paired_correlation=0.5,
                    n_test=None,
                    test_set_half_width=0.00706,
                    test_examples_needed=None,
                ),
            ),
        ),
    )


def hostile_comparison() -> Comparison:
    """The regression with hostile text in every field the report prints."""
    base = regression_comparison()
    named = dataclasses.replace(base.metrics[0], name=HOSTILE_NAME)
    return dataclasses.replace(
        base,
        metrics=(named, base.metrics[1]),
        failed_runs=(failed_run(5, 105, HOSTILE_REASON, HOSTILE_LOG),),
        notes=(NotInBaseline("note with <iframe src=x> and | pipe", ()),),
        stop=Stop(StopKind.REGRESSION, ("stopped <b>now</b> | [x](javascript:y)",), runs=5, cap=20),
        settings=dataclasses.replace(
            SETTINGS,
            primary="python -c 'print(`x`)' | tee <out>",
            min_effects=(MinEffectSetting("a|b", "c\nd"),),
        ),
    )
