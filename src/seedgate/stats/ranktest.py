"""The Mann-Whitney U rank test, the Hodges-Lehmann shift and P(candidate better).

Conventions: ``candidate`` and ``baseline`` are 1-d arrays of one metric's values, in the
metric's own units. Tests are oriented by the goal: values are multiplied by ``goal.sign`` so
that larger always means better, and U counts the (candidate, baseline) pairs where the
candidate is better. In the tests a tie between the sides counts in favour of the test's null
(``resolved_u``), and U is referred to the tie-free null distribution: breaking ties at random
would give exactly that distribution, and counting them toward the null only moves U the safe
way from there, so the p-values stay valid (conservative) for discrete metrics. P(better) is
descriptive and counts ties 1/2.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Literal

import numpy as np

from seedgate.records import Goal, Interval
from seedgate.stats import FloatArray

ArrayLike = Sequence[float] | FloatArray

# Beyond this many pairs the exact null distribution is replaced by the normal one
# (the two agree to ~1e-4 there, and the exact table would cost memory for nothing).
EXACT_MAX_PAIRS = 2500
_STANDARD_NORMAL = NormalDist()


class Alternative(str, enum.Enum):
    """The direction a one-sided test looks in, in goal terms."""

    WORSE = "worse"  # the candidate is worse than the baseline
    BETTER = "better"  # the candidate is better than the baseline


@dataclass(frozen=True, slots=True)
class UStatistic:
    """U of the oriented candidate over the oriented baseline, with its null moments."""

    u: float  # pairs where the candidate is better, ties 1/2
    n_candidate: int
    n_baseline: int
    mean: float  # null mean n_c * n_b / 2
    std: float  # null standard deviation, tie-corrected (0 when every value is tied)
    ties: bool

    @property
    def z(self) -> float:
        """(U - mean) / std without continuity correction; 0 when every value is tied."""
        return 0.0 if self.std == 0 else (self.u - self.mean) / self.std


@dataclass(frozen=True, slots=True)
class RankTest:
    """A one-sided Mann-Whitney U test."""

    statistic: UStatistic
    alternative: Alternative
    margin: float
    p_value: float
    exact: bool


def oriented(values: ArrayLike, goal: Goal) -> FloatArray:
    """The values times the goal's sign, so that larger is better.

    NaN (a diverged run's loss, say) becomes -inf: the worst value, tied with other NaNs,
    so that the ranks stay defined.
    """
    result: FloatArray = np.asarray(values, dtype=float) * goal.sign
    return np.where(np.isnan(result), -np.inf, result)


def u_statistic(better: ArrayLike, worse: ArrayLike) -> UStatistic:
    """U of ``better`` over ``worse`` (both oriented: larger is better), tie-corrected moments.

    ``better``: shape (n_c,), ``worse``: shape (n_b,), both non-empty.
    """
    x = np.asarray(better, dtype=float)
    y = np.asarray(worse, dtype=float)
    if x.size == 0 or y.size == 0:
        raise ValueError("the U statistic needs at least one value on each side")
    u = float(np.sum(x[:, None] > y[None, :]) + 0.5 * np.sum(x[:, None] == y[None, :]))
    n_c, n_b = int(x.size), int(y.size)
    total = n_c + n_b
    _, counts = np.unique(np.concatenate([x, y]), return_counts=True)
    tie_term = float(np.sum(counts.astype(float) ** 3 - counts))
    variance = n_c * n_b / 12.0 * ((total + 1) - tie_term / (total * (total - 1)))
    return UStatistic(
        u=u,
        n_candidate=n_c,
        n_baseline=n_b,
        mean=n_c * n_b / 2.0,
        std=math.sqrt(max(variance, 0.0)),
        ties=bool(np.any(counts > 1)),
    )


def resolved_u(better: ArrayLike, worse: ArrayLike, *, ties_favour_better: bool) -> UStatistic:
    """U of ``better`` over ``worse`` with cross ties counted for one side, tie-free moments.

    ``ties_favour_better``: a tie counts 1 (True) or 0 (False) instead of 1/2. The tests call
    this with the side their null favours, which keeps the tie-free null a valid reference.
    """
    x = np.asarray(better, dtype=float)
    y = np.sort(np.asarray(worse, dtype=float))
    if x.size == 0 or y.size == 0:
        raise ValueError("the U statistic needs at least one value on each side")
    side: Literal["left", "right"] = "right" if ties_favour_better else "left"
    u = float(np.searchsorted(y, x, side=side).sum())
    n_c, n_b = int(x.size), int(y.size)
    tied = bool(np.any(np.searchsorted(y, x, side="right") != np.searchsorted(y, x, side="left")))
    return UStatistic(
        u=u,
        n_candidate=n_c,
        n_baseline=n_b,
        mean=n_c * n_b / 2.0,
        std=math.sqrt(n_c * n_b * (n_c + n_b + 1) / 12.0),
        ties=tied,
    )


@functools.lru_cache(maxsize=512)
def exact_u_cdf(n_x: int, n_y: int) -> FloatArray:
    """P(U <= u) for u = 0..n_x*n_y under the null, no ties: shape (n_x*n_y + 1,).

    U counts pairs (x_i > y_j). Recurrence on the largest of i x's and j y's: if it is an x
    it beats all j y's, else it beats nothing: f(i, j)[u] = f(i-1, j)[u-j] + f(i, j-1)[u].
    Only additions, so the small tail counts that p-values need stay exact.
    """
    if n_x < 1 or n_y < 1:
        raise ValueError(f"exact_u_cdf needs sizes >= 1, got {n_x} and {n_y}")
    size = n_x * n_y + 1
    previous = [np.zeros(size) for _ in range(n_y + 1)]  # row i-1, indexed by j
    for j in range(n_y + 1):
        previous[j][0] = 1.0  # zero x's: U = 0 in exactly one arrangement
    for _ in range(1, n_x + 1):
        row = [previous[0].copy()]  # zero y's: U = 0 in one arrangement
        for j in range(1, n_y + 1):
            counts = row[j - 1].copy()
            counts[j:] += previous[j][: size - j]
            row.append(counts)
        previous = row
    counts = previous[n_y]
    cdf: FloatArray = np.cumsum(counts) / counts.sum()
    cdf.flags.writeable = False
    return cdf


def _p_lower(statistic: UStatistic) -> tuple[float, bool]:
    """P_null(U <= u), tie-free null: exact for few pairs, else normal + continuity."""
    if statistic.n_candidate * statistic.n_baseline <= EXACT_MAX_PAIRS:
        cdf = exact_u_cdf(statistic.n_candidate, statistic.n_baseline)
        return float(cdf[round(statistic.u)]), True
    z = (statistic.u - statistic.mean + 0.5) / statistic.std
    return min(1.0, _STANDARD_NORMAL.cdf(z)), False


def one_sided_test(
    candidate: ArrayLike,
    baseline: ArrayLike,
    goal: Goal,
    alternative: Alternative,
    *,
    margin: float = 0.0,
) -> RankTest:
    """One-sided Mann-Whitney U test of candidate against baseline.

    ``margin`` (metric units, either sign) moves the candidate in the GOOD direction before
    testing: ``alternative=BETTER, margin=min_effect`` is the non-inferiority test "no
    regression as large as min_effect"; ``alternative=WORSE, margin=d`` tests "worse by more
    than d"; ``alternative=BETTER, margin=-d`` tests "better by more than d". Cross ties count
    for the null; exact for n_c * n_b <= EXACT_MAX_PAIRS, else normal with continuity.
    """
    if not math.isfinite(margin):
        raise ValueError(f"margin must be finite, got {margin}")
    x = oriented(candidate, goal) + margin
    y = oriented(baseline, goal)
    if alternative is Alternative.WORSE:
        statistic = resolved_u(x, y, ties_favour_better=True)
        p_value, exact = _p_lower(statistic)
    else:
        # P(U >= u) = P(U' <= n_c n_b - u) with U' the U of the reversed comparison.
        statistic = resolved_u(x, y, ties_favour_better=False)
        reversed_statistic = replace(
            statistic, u=statistic.n_candidate * statistic.n_baseline - statistic.u
        )
        p_value, exact = _p_lower(reversed_statistic)
    return RankTest(statistic, alternative, margin, p_value, exact)


def pairwise_differences(candidate: ArrayLike, baseline: ArrayLike) -> FloatArray:
    """All candidate - baseline differences, sorted: shape (n_c * n_b,)."""
    x = np.asarray(candidate, dtype=float)
    y = np.asarray(baseline, dtype=float)
    return np.sort((x[:, None] - y[None, :]).ravel())


def _moses_rank(n_c: int, n_b: int, confidence: float, z_bound: float | None) -> int:
    """k such that [d_(k), d_(mn-k+1)] covers the shift with the given confidence (0: none).

    ``z_bound``: take k from this z instead (a sequential design's repeated-interval bound).
    """
    if z_bound is not None:
        spread = math.sqrt(n_c * n_b * (n_c + n_b + 1) / 12)
        return max(0, math.floor(n_c * n_b / 2 - z_bound * spread))
    tail = (1 - confidence) / 2
    if n_c * n_b <= EXACT_MAX_PAIRS:
        cdf = exact_u_cdf(n_c, n_b)
        # largest k with P(U <= k - 1) <= tail
        return int(np.searchsorted(cdf, tail, side="right"))
    z = _STANDARD_NORMAL.inv_cdf(1 - tail)
    return max(0, math.floor(n_c * n_b / 2 - z * math.sqrt(n_c * n_b * (n_c + n_b + 1) / 12)))


def hodges_lehmann(
    candidate: ArrayLike,
    baseline: ArrayLike,
    confidence: float = 0.95,
    *,
    z_bound: float | None = None,
) -> tuple[float, Interval]:
    """Shift estimate candidate - baseline (median of pairwise differences) with its interval.

    The interval is Moses' distribution-free one, from the exact U distribution (normal
    approximation for many pairs). NaN bounds when the samples are too small for the
    requested confidence (e.g. 2 vs 2 runs can never give a 95% interval). ``z_bound``: the
    interval at that z (a repeated confidence interval, valid at every look of a design).
    """
    differences = pairwise_differences(candidate, baseline)
    if differences.size == 0:
        raise ValueError("the Hodges-Lehmann shift needs at least one value on each side")
    shift = float(np.median(differences))
    k = _moses_rank(len(candidate), len(baseline), confidence, z_bound)
    if k < 1:
        return shift, Interval(math.nan, math.nan)
    return shift, Interval(float(differences[k - 1]), float(differences[differences.size - k]))


def probability_better(candidate: ArrayLike, baseline: ArrayLike, goal: Goal) -> float:
    """P(a candidate run is better than a baseline run), ties count 1/2 (= U / (n_c n_b))."""
    statistic = u_statistic(oriented(candidate, goal), oriented(baseline, goal))
    return statistic.u / (statistic.n_candidate * statistic.n_baseline)
