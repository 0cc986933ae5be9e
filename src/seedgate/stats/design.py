"""The group-sequential design: looks, Monte-Carlo-calibrated bounds, sequential p-values.

At each look (a candidate run count in ``looks``) and for each metric, three one-sided rank
statistics of the candidate prefix against the baseline are watched, each the relative
effect P(candidate run better than baseline run) studentised as in ``stats.studentised``
(Brunner-Munzel's standard error, floored at Mann-Whitney's and at what the two sides'
spreads imply), so that a change of spread alone is not read as a change of the typical
value:

- regression: evidence the candidate is worse by more than ``indifference x min_effect``
  (rounded up to whole grid steps for a metric on a grid, ``stats.grid``)
  (U of the candidate moved up by that much; a drop inside this indifference zone is not a
  regression the gate may report, so its false alarms are bounded there too);
- improvement: the mirror image (the candidate moved down by the same amount);
- no-change: non-inferiority, U after moving the candidate by min_effect in the good direction
  (evidence there is no regression as large as min_effect). min_effect = 0 never concludes it.

Ties between the sides are counted in favour of each test's null (the regression test counts
a tie as a candidate win, the others as a loss). Breaking ties at random would give exactly
the tie-free null distribution; counting them toward the null moves every U of every look the
safe way from there, so the calibrated bounds stay valid for discrete metrics (a conservative
test, where the tie-corrected z of the old engine was anti-conservative).

The bounds are calibrated by simulating the null for the ACTUAL schedule and baseline size:
under exchangeable sides the statistic is distribution-free, so uniform draws suffice, and
with a stored baseline the SAME baseline sample is reused at every look (more correlated
looks than independent increments).

- regression/improvement: a Wang-Tsiatis shape, z_k >= C * t_k ** (shape - 1/2), with t_k the
  information fraction 1 / (1/n_c + 1/n_b) relative to the last look and C the (1 - alpha)
  quantile of max_k z_k / t_k ** (shape - 1/2). shape 1/2 is Pocock's constant bound, 0 is
  O'Brien-Fleming's; 0.1 keeps the fixed-sample power of the old 0.25 on the statistic's
  normal scores while stopping earlier (benchmarks/results/asn_frontier.md).
- no-change: a Pocock constant, the (1 - beta) quantile of max_k z_k (beta = 1 - power):
  under a drop of exactly min_effect the shifted statistic is null-distributed, so the gate
  calls such a drop no-change with probability at most beta.
- the interval shown is the inversion of these tests at the deciding look
  (``stats.inversion``), so it always agrees with the verdict.

Decision rule at a look, per metric (first crossing wins; later looks do not change it):
improvement if its bound is crossed; else no-change if the no-change bound is crossed -- this
INCLUDES the case where the regression bound is crossed at the same look: the candidate is
worse, but by less than min_effect; else regression if its bound is crossed; else run more,
and at the cap the answer is inconclusive.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np

from seedgate.records import Bound, Design
from seedgate.stats import FloatArray, studentised

_DRAW_DECIMALS = 7
_BATCH_CELLS = 4_000_000  # pairwise comparisons simulated per batch (bounds memory)


def validate_looks(looks: Sequence[int]) -> tuple[int, ...]:
    """The schedule as a tuple of strictly increasing run counts >= 1."""
    schedule = tuple(int(n) for n in looks)
    if not schedule or schedule[0] < 1 or any(b <= a for a, b in itertools.pairwise(schedule)):
        raise ValueError(f"looks must be strictly increasing run counts >= 1, got {looks}")
    return schedule


def information_fractions(looks: tuple[int, ...], baseline_n: int | None) -> FloatArray:
    """t_k = I_k / I_K with I_k = 1 / (1/n_c + 1/n_b) at look k: shape (len(looks),)."""
    n_c = np.asarray(looks, dtype=float)
    n_b = n_c if baseline_n is None else np.full_like(n_c, float(baseline_n))
    information = 1 / (1 / n_c + 1 / n_b)
    fractions: FloatArray = information / information[-1]
    return fractions


def shape_weights(looks: tuple[int, ...], baseline_n: int | None, shape: float) -> FloatArray:
    """w_k = t_k ** (shape - 1/2): the bound at look k is C * w_k. Shape (len(looks),)."""
    weights: FloatArray = information_fractions(looks, baseline_n) ** (shape - 0.5)
    return weights


@functools.lru_cache(maxsize=16)
def null_z_draws(
    looks: tuple[int, ...], baseline_n: int | None, simulations: int, seed: int
) -> FloatArray:
    """Simulated null studentised z at every look: shape (2 * simulations, len(looks)).

    The statistic is ``stats.studentised`` (the relative effect over its floored
    Brunner-Munzel standard error); under exchangeable sides it is distribution-free, so
    uniform draws give its null. Both directions (z and -z) are stacked: the null is
    symmetric, so each row is a draw of the same distribution, and pooling halves the
    Monte-Carlo variance for free.
    """
    schedule = validate_looks(looks)
    if baseline_n is not None and baseline_n < 1:
        raise ValueError(f"baseline_n must be >= 1 or None (lockstep), got {baseline_n}")
    if simulations < 100:
        raise ValueError(f"simulations must be >= 100, got {simulations}")
    rng = np.random.default_rng(seed)
    n_baseline = schedule[-1] if baseline_n is None else baseline_n
    batch = max(1, _BATCH_CELLS // (schedule[-1] * n_baseline * len(schedule)))
    draws: list[FloatArray] = []
    for start in range(0, simulations, batch):
        size = min(batch, simulations - start)
        candidate = rng.random((size, schedule[-1]))
        baseline = rng.random((size, n_baseline))
        draws.append(
            studentised.look_z(
                candidate,
                baseline,
                schedule,
                lockstep=baseline_n is None,
                shift=0.0,
                ties_favour_candidate=True,
            )
        )
    # rounded: one atom of the statistic computed along two float paths is one value
    z = np.round(np.concatenate(draws), _DRAW_DECIMALS)
    pooled = np.concatenate([z, -z])
    pooled.flags.writeable = False
    return pooled


@functools.lru_cache(maxsize=64)
def null_max_distribution(
    looks: tuple[int, ...],
    baseline_n: int | None,
    simulations: int,
    seed: int,
    shape: float = 0.5,
) -> FloatArray:
    """Sorted simulated null draws of max_k z_k / w_k (``shape_weights``): shape (2 * sims,)."""
    z = null_z_draws(looks, baseline_n, simulations, seed)
    scaled = z / shape_weights(tuple(looks), baseline_n, shape)
    maxima = np.sort(scaled.max(axis=1))
    maxima.flags.writeable = False
    return maxima


def sequential_p_values(z: FloatArray, null_max: FloatArray) -> FloatArray:
    """P_null(max_k Z_k >= z) from sorted simulated draws, as (1 + count) / (1 + draws),
    elementwise (NaN: 1). Every crossing of a bound is decided by these p-values, in
    ``compare`` and in the vectorised rule alike, so the two never disagree."""
    values = np.asarray(z, dtype=float)
    count = null_max.size - np.searchsorted(null_max, values - 1e-9, side="left")
    p: FloatArray = np.where(np.isnan(values), 1.0, (1 + count) / (1 + null_max.size))
    return p


def sequential_p_value(z: float, null_max: FloatArray) -> float:
    """``sequential_p_values`` of one z."""
    return float(sequential_p_values(np.asarray(z), null_max))


def bound_for(level: float, null_max: FloatArray) -> float:
    """The smallest z whose sequential p-value is <= level (inf when none is)."""
    values, first = np.unique(null_max, return_index=True)
    size = null_max.size
    # p(values[i]) = (1 + size - first[i]) / (1 + size) <= level  <=>  first[i] >= threshold
    threshold = size + 1 - level * (size + 1)
    eligible = values[first >= threshold - 1e-9]
    return float(eligible[0]) if eligible.size else math.inf


REGRESSION_SHAPE = 0.1  # Wang-Tsiatis shape of the regression/improvement bounds
INDIFFERENCE = 0.25  # regression/improvement are tested against this fraction of min_effect
INTERVAL_TAIL = 0.025  # per side: the repeated confidence interval is 95%
INTERVAL_SHAPE = 0.4  # wider at early looks, where a stop is the likeliest to be extreme


@functools.lru_cache(maxsize=64)
def calibrate(  # noqa: PLR0917 - the six arguments are the cache key, passed in one order
    looks: tuple[int, ...],
    baseline_n: int | None,
    alpha: float,
    power: float,
    simulations: int,
    seed: int,
) -> Design:
    """Calibrate the bounds for this schedule and baseline size (cached, reproducible)."""
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    if not 0.5 <= power < 1:
        raise ValueError(f"power must be in [0.5, 1), got {power}")
    schedule = validate_looks(looks)
    pocock = null_max_distribution(schedule, baseline_n, simulations, seed)
    shaped = null_max_distribution(schedule, baseline_n, simulations, seed, REGRESSION_SHAPE)
    weights = shape_weights(schedule, baseline_n, REGRESSION_SHAPE)
    constant = bound_for(alpha, shaped)
    return Design(
        looks=schedule,
        baseline_n=baseline_n,
        alpha=alpha,
        power=power,
        bounds_alpha=tuple(float(constant * w) for w in weights),
        bound_beta=bound_for(1 - power, pocock),
        bounds_interval=_interval_bounds(schedule, baseline_n, simulations, seed),
        indifference=INDIFFERENCE,
        simulations=simulations,
        seed=seed,
    )


def _interval_bounds(
    looks: tuple[int, ...], baseline_n: int | None, simulations: int, seed: int
) -> tuple[float, ...]:
    null_max = null_max_distribution(looks, baseline_n, simulations, seed, INTERVAL_SHAPE)
    constant = bound_for(INTERVAL_TAIL, null_max)
    return tuple(float(constant * w) for w in shape_weights(looks, baseline_n, INTERVAL_SHAPE))


def interval_bound(design: Design, n_candidate: int) -> float:
    """The repeated interval's z for ``n_candidate`` runs: that of the last look reached."""
    reached = [k for k, n in enumerate(design.looks) if n <= n_candidate]
    return design.bounds_interval[reached[-1] if reached else 0]


def regression_null(design: Design) -> FloatArray:
    """The null of max_k z_k / w_k behind the regression/improvement bounds."""
    return null_max_distribution(
        design.looks, design.baseline_n, design.simulations, design.seed, REGRESSION_SHAPE
    )


def no_change_null(design: Design) -> FloatArray:
    """The null of max_k z_k (Pocock) behind the no-change bound."""
    return null_max_distribution(design.looks, design.baseline_n, design.simulations, design.seed)


def regression_p_values(z: FloatArray, design: Design) -> FloatArray:
    """Sequential p-values of regression (or improvement) z at the first k looks: (R, k)."""
    weights = shape_weights(design.looks, design.baseline_n, REGRESSION_SHAPE)
    return sequential_p_values(z / weights[: np.shape(z)[-1]], regression_null(design))


def regression_p_at(z: FloatArray, look: int, design: Design) -> FloatArray:
    """Sequential p-values of regression (or improvement) z at look index ``look``."""
    weight = shape_weights(design.looks, design.baseline_n, REGRESSION_SHAPE)[look]
    return sequential_p_values(z / weight, regression_null(design))


def regression_p_value(z: float, look: int, design: Design) -> float:
    """``regression_p_at`` of one z."""
    return float(regression_p_at(np.asarray(z), look, design))


def no_change_p_values(z: FloatArray, design: Design) -> FloatArray:
    """Sequential p-values of no-change z, elementwise."""
    return sequential_p_values(z, no_change_null(design))


def holm(p_values: Sequence[float]) -> tuple[float, ...]:
    """Holm step-down adjusted p-values, in the input order."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return ()
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return tuple(float(v) for v in adjusted)


def decide(
    p_regression: float, p_improvement: float, p_no_change: float, alpha: float, beta: float
) -> Bound | None:
    """Which bound a look crosses (None: none). See the module docstring for the order."""
    if p_improvement <= alpha:
        return Bound.IMPROVEMENT
    if p_no_change <= beta:
        return Bound.NO_CHANGE  # also when p_regression <= alpha: worse, but by < min_effect
    if p_regression <= alpha:
        return Bound.REGRESSION
    return None
