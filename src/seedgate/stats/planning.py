"""How many candidate runs resolve min_effect, from the baseline's seed-to-seed spread.

Normal approximation of the rank test: with seed SD sigma, a shift delta = effect / sigma
moves the Mann-Whitney z by about

    delta / sqrt(pi / 3 * (1 / n_c + 1 / n_b))

(3/pi is the test's efficiency relative to the t-test under normal noise; the 1/n_b term is
the finite baseline, which no number of candidate runs removes). The regression test is
against a drop of ``indifference x min_effect``, so a drop of min_effect moves z by the
remaining (1 - indifference) part; it is detected with the requested power when that drift
reaches the last look's regression bound plus the power's normal quantile.

That formula sizes a plan; the power a design actually delivers for the configured baseline
and cap is simulated with the gate's own rule (``delivered_power``, normal noise).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import replace
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from seedgate.records import Design, PlanStatus, PowerPlan
from seedgate.stats.operating import Outcome, simulate

_STANDARD_NORMAL = NormalDist()
_EFFICIENCY = 3 / math.pi


def _variance_factor(n_candidate: int, n_baseline: int | None) -> float:
    """pi/3 * (1/n_c + 1/n_b); lockstep (n_b None) means n_b = n_c."""
    other = n_candidate if n_baseline is None else n_baseline
    return (1 / n_candidate + 1 / other) / _EFFICIENCY


def approximate_power(
    effect_sd: float, n_candidate: int, n_baseline: int | None, bound: float
) -> float:
    """P(the regression z reaches ``bound``) at one look, for a drop of effect_sd seed-SDs."""
    drift = effect_sd / math.sqrt(_variance_factor(n_candidate, n_baseline))
    return _STANDARD_NORMAL.cdf(drift - bound)


def _max_rank_z(n_candidate: int, n_baseline: int | None) -> float:
    """The largest z the U statistic can reach at these sizes (all candidate runs worse)."""
    n_b = n_candidate if n_baseline is None else n_baseline
    return (n_candidate * n_b / 2) / math.sqrt(n_candidate * n_b * (n_candidate + n_b + 1) / 12)


def _paired_factor(n_candidate: int, correlation: float) -> float:
    """pi/3 * 2 (1 - rho) / n_c: the variance factor of n same-seed differences."""
    return 2 * (1 - correlation) / n_candidate / _EFFICIENCY


def runs_needed(
    effect_sd: float, design: Design, *, correlation: float | None = None, limit: int = 10_000
) -> int | None:
    """Smallest candidate n with approximate power >= design.power (None: never reached).

    The one formula behind every runs-needed figure (plan, report, explain). The test is
    against the indifference zone's edge, so a drop of effect_sd moves z by the remaining
    (1 - indifference) part; ``correlation`` (paired seeds) uses the better of the unpaired
    and the paired variance factor.
    """
    bound = design.bounds_alpha[-1]
    target = bound + _STANDARD_NORMAL.inv_cdf(design.power)
    detectable = effect_sd * (1 - design.indifference)
    if detectable <= 0:
        return None
    for n in range(1, limit + 1):
        factor = _variance_factor(n, design.baseline_n)
        if correlation is not None:
            factor = min(factor, _paired_factor(n, correlation))
        drift = math.inf if factor <= 0 else detectable / math.sqrt(factor)
        # ranks saturate: with few runs even a huge shift cannot push z past the bound
        if drift >= target and _max_rank_z(n, design.baseline_n) >= bound:
            return n
    return None


def candidate_runs_needed(
    effect_sd: float, design: Design, *, correlation: float | None = None
) -> int | None:
    """``runs_needed``, but never fewer than the first look: the design decides no sooner."""
    needed = runs_needed(effect_sd, design, correlation=correlation)
    return None if needed is None else max(needed, design.looks[0])


def _correlated_normals(
    rng: np.random.Generator, reps: int, design: Design, correlation: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(candidate (reps, cap), baseline (reps, n_b)) with run i of each side correlated."""
    cap = design.looks[-1]
    baseline = rng.normal(size=(reps, design.baseline_n or cap))
    own = rng.normal(size=(reps, cap))
    if correlation == 0:
        return own, baseline
    twins = min(cap, baseline.shape[1])  # paired designs always have a twin for every run
    candidate = own.copy()
    candidate[:, :twins] = (
        correlation * baseline[:, :twins] + math.sqrt(1 - correlation**2) * own[:, :twins]
    )
    return candidate, baseline


@functools.lru_cache(maxsize=256)
def delivered_power(
    effect_sd: float, design: Design, correlation: float = 0.0, reps: int = 2_000
) -> float:
    """P(regression) for a drop of ``effect_sd`` seed-SDs under normal noise, simulated with
    the gate's rule for this design's baseline size and cap (seeded by the design).
    ``correlation``: same-seed correlation of candidate run i and baseline run i (it matters
    for paired designs only). 2,000 simulated gates: a Monte-Carlo SE of at most 0.011; plans
    round the effect to 0.01 SD and the correlation to 0.05 so that the cache serves a gate's
    repeated looks."""
    rng = np.random.default_rng([design.seed, 1])
    candidate, baseline = _correlated_normals(rng, reps, design, correlation)
    outcome = simulate(candidate - effect_sd, baseline, design, min_effect=effect_sd).outcome
    return float(np.mean(outcome == Outcome.REGRESSION))


def _inconclusive_threshold_sd(design: Design, cap: int) -> float:
    """Effect (in seed-SDs) below which, with nothing changed, most outcomes at the cap are
    inconclusive: the no-change z's drift at the cap only reaches its bound."""
    return design.bound_beta * math.sqrt(_variance_factor(cap, design.baseline_n))


def plan_runs(
    baseline_values: Sequence[float] | NDArray[np.float64],
    min_effect: float,
    design: Design,
    cap: int | None = None,
    *,
    metric: str,
    correlation: float | None = None,
) -> PowerPlan:
    """The plan for one metric (data; report.wording says it in words): candidate runs needed
    for min_effect (absolute, metric units) at the design's alpha/power, the power the
    design delivers with this baseline and cap, and whether the cap falls short.
    ``baseline_values``: shape (n_b,). ``correlation``: the observed same-seed correlation
    of a paired design."""
    cap = design.looks[-1] if cap is None else cap
    values = np.asarray(baseline_values, dtype=float)
    seed_std = float(values.std(ddof=1)) if values.size >= 2 else math.nan
    base = PowerPlan(
        metric=metric,
        seed_std=seed_std,
        effect_in_sd=math.nan,
        runs_needed=None,
        cap=cap,
        resolvable=False,
        status=PlanStatus.NO_SPREAD,
        alpha=design.alpha,
        power=design.power,
        baseline_n=design.baseline_n,
    )
    if math.isnan(seed_std):
        return base
    if min_effect <= 0:
        return replace(base, effect_in_sd=0.0, status=PlanStatus.ZERO_MIN_EFFECT)
    if seed_std == 0:
        first = design.looks[0]
        return replace(
            base,
            effect_in_sd=math.inf,
            runs_needed=first,
            resolvable=first <= cap,
            status=PlanStatus.DETERMINISTIC,
        )
    return _resolved(base, design, min_effect / seed_std, correlation)


def _resolved(
    base: PowerPlan, design: Design, effect_sd: float, correlation: float | None
) -> PowerPlan:
    """The plan of a metric with a seed SD and a min_effect: runs, delivered power, shortfall."""
    cap = base.cap
    paired = correlation is not None and bool(design.paired_bounds)
    needed = candidate_runs_needed(effect_sd, design, correlation=correlation if paired else None)
    plan = replace(
        base,
        effect_in_sd=effect_sd,
        runs_needed=needed,
        resolvable=needed is not None and needed <= cap,
        status=PlanStatus.RESOLVABLE,
        delivered_power=delivered_power(round(effect_sd, 2), design),
    )
    if paired and correlation is not None:
        rho = min(max(round(correlation * 20) / 20, 0.0), 0.95)
        plan = replace(
            plan,
            paired_correlation=rho,
            delivered_power_paired=delivered_power(round(effect_sd, 2), design, rho),
        )
    if plan.resolvable:
        return plan
    threshold = _inconclusive_threshold_sd(design, cap)
    return replace(
        plan,
        status=PlanStatus.SHORT,
        power_at_cap=approximate_power(
            effect_sd * (1 - design.indifference), cap, design.baseline_n, design.bounds_alpha[-1]
        ),
        inconclusive_below_sd=threshold if effect_sd < threshold else None,
    )
