"""The group-sequential design: looks, Monte-Carlo-calibrated bounds, sequential p-values.

At each look (a candidate run count in ``looks``) and for each metric, the U statistic of
the candidate prefix against the baseline is turned into z (tie-corrected, no continuity
correction). Three one-sided z's are watched:

- regression: evidence the candidate is worse (z = (E U - U) / sd);
- improvement: evidence it is better (z = (U - E U) / sd);
- no-change: non-inferiority, U computed after moving the candidate by min_effect in the
  good direction (evidence there is no regression as large as min_effect).

The bounds are Pocock-style constants (one z per bound, the same at every look) calibrated by
simulating the null for the ACTUAL schedule and baseline size: ranks are distribution-free,
so uniform draws suffice. With a stored baseline, the SAME baseline sample is reused at every
look; that correlates the looks more than independent increments would, so textbook Pocock
constants would be wrong (conservative here); simulation gets them right. In lockstep mode
(``baseline_n=None``) both sides grow together and the baseline prefix has the candidate's n.

The regression/improvement bound is the (1 - alpha) quantile of max_k Z_k under the null. The
no-change bound is its (1 - beta) quantile, beta = 1 - power: under a true regression of exactly
min_effect the shifted statistic is null-distributed, so this bounds the chance of calling
"no-change" when there is a regression of min_effect by beta.

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
from numpy.typing import NDArray

from seedgate.records import Bound, Design

FloatArray = NDArray[np.float64]
_BATCH_CELLS = 4_000_000  # pairwise comparisons simulated per batch (bounds memory)


def validate_looks(looks: Sequence[int]) -> tuple[int, ...]:
    """The schedule as a tuple of strictly increasing run counts >= 1."""
    schedule = tuple(int(n) for n in looks)
    if not schedule or schedule[0] < 1 or any(b <= a for a, b in itertools.pairwise(schedule)):
        raise ValueError(f"looks must be strictly increasing run counts >= 1, got {looks}")
    return schedule


def _look_moments(looks: tuple[int, ...], baseline_n: int | None) -> tuple[FloatArray, FloatArray]:
    """Null mean and sd of U at each look: two arrays of shape (len(looks),)."""
    n_c = np.asarray(looks, dtype=float)
    n_b = n_c if baseline_n is None else np.full_like(n_c, float(baseline_n))
    mean = n_c * n_b / 2
    sd = np.sqrt(n_c * n_b * (n_c + n_b + 1) / 12)
    return mean, sd


def _simulate_u(
    rng: np.random.Generator, size: int, looks: tuple[int, ...], baseline_n: int | None
) -> NDArray[np.int64]:
    """U at each look for ``size`` null experiments: shape (size, len(looks))."""
    n_max = looks[-1]
    index = np.asarray(looks) - 1
    if baseline_n is None:  # lockstep: U_k counts pairs within the first n_k of each side
        candidate = rng.random((size, n_max))
        baseline = rng.random((size, n_max))
        wins = candidate[:, :, None] > baseline[:, None, :]
        grid = wins.cumsum(axis=1, dtype=np.int32).cumsum(axis=2, dtype=np.int32)
        return grid[:, index, index].astype(np.int64)
    candidate = rng.random((size, n_max))
    baseline = np.sort(rng.random((size, baseline_n)), axis=1)
    # One searchsorted for all rows: shift row r into [r, r + 1) so rows never mix.
    offsets = np.arange(size, dtype=float)[:, None]
    positions = np.searchsorted((baseline + offsets).ravel(), (candidate + offsets).ravel())
    beaten = positions.reshape(size, n_max) - np.arange(size)[:, None] * baseline_n
    return np.cumsum(beaten, axis=1)[:, index]


@functools.lru_cache(maxsize=64)
def null_max_distribution(
    looks: tuple[int, ...], baseline_n: int | None, simulations: int, seed: int
) -> FloatArray:
    """Sorted simulated null draws of max_k Z_k: shape (2 * simulations,).

    Both directions (max_k Z_k and max_k -Z_k) are pooled: the null is symmetric, so each is a
    draw of the same distribution, and pooling halves the Monte-Carlo variance for free.
    """
    schedule = validate_looks(looks)
    if baseline_n is not None and baseline_n < 1:
        raise ValueError(f"baseline_n must be >= 1 or None (lockstep), got {baseline_n}")
    if simulations < 100:
        raise ValueError(f"simulations must be >= 100, got {simulations}")
    rng = np.random.default_rng(seed)
    mean, sd = _look_moments(schedule, baseline_n)
    width = schedule[-1] * (baseline_n if baseline_n is not None else schedule[-1])
    batch = max(1, _BATCH_CELLS // width)
    maxima: list[FloatArray] = []
    for start in range(0, simulations, batch):
        size = min(batch, simulations - start)
        z = (_simulate_u(rng, size, schedule, baseline_n) - mean) / sd
        maxima.extend((z.max(axis=1), (-z).max(axis=1)))
    pooled = np.sort(np.concatenate(maxima))
    pooled.flags.writeable = False
    return pooled


def sequential_p_value(z: float, null_max: FloatArray) -> float:
    """P_null(max_k Z_k >= z) from sorted simulated draws, as (1 + count) / (1 + draws)."""
    if math.isnan(z):
        return 1.0
    count = null_max.size - int(np.searchsorted(null_max, z - 1e-9, side="left"))
    return (1 + count) / (1 + null_max.size)


def bound_for(level: float, null_max: FloatArray) -> float:
    """The smallest z whose sequential p-value is <= level (inf when none is)."""
    values, first = np.unique(null_max, return_index=True)
    size = null_max.size
    # p(values[i]) = (1 + size - first[i]) / (1 + size) <= level  <=>  first[i] >= threshold
    threshold = size + 1 - level * (size + 1)
    eligible = values[first >= threshold - 1e-9]
    return float(eligible[0]) if eligible.size else math.inf


@functools.lru_cache(maxsize=64)
def calibrate(  # noqa: PLR0917 - the six arguments are the cache key, passed in one order
    looks: tuple[int, ...],
    baseline_n: int | None,
    alpha: float,
    power: float,
    simulations: int,
    seed: int,
) -> Design:
    """Calibrate both bounds for this schedule and baseline size (cached, reproducible)."""
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    if not 0.5 <= power < 1:
        raise ValueError(f"power must be in [0.5, 1), got {power}")
    schedule = validate_looks(looks)
    null_max = null_max_distribution(schedule, baseline_n, simulations, seed)
    return Design(
        looks=schedule,
        baseline_n=baseline_n,
        alpha=alpha,
        power=power,
        bound_alpha=bound_for(alpha, null_max),
        bound_beta=bound_for(1 - power, null_max),
        simulations=simulations,
        seed=seed,
    )


def design_null(design: Design) -> FloatArray:
    """The simulated null max distribution behind a calibrated design."""
    return null_max_distribution(design.looks, design.baseline_n, design.simulations, design.seed)


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
