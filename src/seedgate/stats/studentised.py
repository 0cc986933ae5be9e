"""A studentised rank statistic: the relative effect, Brunner-Munzel style, with a floor.

What the gate tests is the relative effect p = P(candidate run better than baseline run)
(ties 1/2), estimated by p_hat = U / (n m): 1/2 when the typical values agree, whatever the
two spreads. Mann-Whitney's z divides p_hat - 1/2 by its standard error when both sides
have the SAME distribution; when the candidate only spreads more (same median, 3x the seed
SD), p is still 1/2 but p_hat varies more, and that z raises false alarms. Brunner and
Munzel estimate the standard error from the data instead, by placements:

    A_i = share of the baseline that candidate run i beats     (i = 1..n)
    B_j = share of the candidate that baseline run j beats     (j = 1..m)
    V_BM = var(A) / n + var(B) / m                               (sample variances)

The gate's statistic is z = (p_hat - 1/2) / sqrt(max(V_BM, V_0)) with V_0 = (n + m + 1) /
(12 n m), the exchangeable null variance (Mann-Whitney's). The floor keeps three candidate
runs from dividing by a variance estimated at 0 (all placements equal), and under a pure
shift it leaves the Mann-Whitney z as it was; where the spreads differ, V_BM carries the
excess. Ties count for the caller's null (``ties_favour_better``), as in ``ranktest``.
``studentised_z`` then puts that z on the normal scale by its own simulated null at the
look's run counts (``normal_scores``), which the few values of three runs otherwise cap.

Shapes: ``better`` (R, n) and ``worse`` (R, m), one row per experiment (oriented: larger is
better); results (R,).

References: Brunner, E. and Munzel, U. (2000), "The nonparametric Behrens-Fisher problem:
asymptotic theory and a small-sample approximation", Biometrical Journal 42(1), 17-25.
"""

from __future__ import annotations

import functools

import numpy as np

from seedgate.stats import FloatArray

# The twin variance is unbiased, but studentising by it from a few twins gives z heavier
# tails than the normal (an SD of z of 1.06-1.11 at correlations -0.5 to -0.9 and 10-20
# runs, benchmarks/verdict_robustness.py); this factor pays for that noise (1.75: P(regression)
# 0.052 at rho -0.5 and a drop of m/4, where 1.25 gave 0.056).
TWIN_INFLATION = 1.75
NORMALISER_DRAWS = 20_000  # null draws of the statistic per (n, m), both signs used
NORMALISER_SEED = 26
_SCORE_DECIMALS = 9


def _wins(better: FloatArray, worse: FloatArray, *, ties_favour_better: bool) -> FloatArray:
    """1.0 where better[r, i] beats worse[r, j] (ties: the favoured side): (R, n, m)."""
    x, y = better[:, :, None], worse[:, None, :]
    wins: FloatArray = (x >= y if ties_favour_better else x > y).astype(float)
    return wins


def _sample_variance(values: FloatArray) -> FloatArray:
    """Row variances with ddof=1 (0 for one column): (R, k) -> (R,)."""
    if values.shape[1] < 2:
        return np.zeros(values.shape[0])
    variance: FloatArray = values.var(axis=1, ddof=1)
    return variance


def null_variance(n: int, m: int) -> float:
    """V_0: the variance of p_hat when both sides have one distribution (no ties)."""
    return (n + m + 1) / (12 * n * m)


def relative_effect_parts(
    better: FloatArray, worse: FloatArray, *, ties_favour_better: bool
) -> tuple[FloatArray, FloatArray]:
    """(p_hat, V_BM) for each row: (R,), (R,)."""
    wins = _wins(better, worse, ties_favour_better=ties_favour_better)
    placements_better = wins.mean(axis=2)  # A_i
    placements_worse = 1 - wins.mean(axis=1)  # B_j
    p_hat: FloatArray = placements_better.mean(axis=1)
    variance: FloatArray = (
        _sample_variance(placements_better) / better.shape[1]
        + _sample_variance(placements_worse) / worse.shape[1]
    )
    return p_hat, variance


def placement_variance(ratio: FloatArray) -> FloatArray:
    """Var(Phi(r Z)), Z standard normal: the variance of a run's placement among runs of r
    times less spread (normal model, equal medians): arcsin(r^2 / (1 + r^2)) / (2 pi).
    1/12 at r = 1, 1/4 as r grows, 0 at r = 0."""
    squared = np.square(ratio)
    with np.errstate(invalid="ignore"):
        correlation = np.where(np.isinf(squared), 1.0, squared / (1 + squared))
    variance: FloatArray = np.arcsin(correlation) / (2 * np.pi)
    return variance


def _finite_sd(values: FloatArray) -> FloatArray:
    """Row SDs (ddof=1) of the finite values; NaN with fewer than two: (R, k) -> (R,)."""
    finite = np.where(np.isfinite(values), values, np.nan)
    count = np.sum(np.isfinite(finite), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(finite, axis=1, keepdims=True) if finite.size else finite[:, :1]
        squares = np.nansum(np.square(finite - mean), axis=1)
        sd: FloatArray = np.where(count >= 2, np.sqrt(squares / (count - 1)), np.nan)
    return sd


def spread_floor(better: FloatArray, worse: FloatArray) -> FloatArray:
    """The null variance of p_hat when the sides' spreads differ as their SDs do: (R,).

    V_0 scaled by [v(r) / n + v(1/r) / m] / [(1/n + 1/m) / 12], with r the ratio of the
    sample SDs and v = ``placement_variance``; never below V_0. Three candidate runs give
    too few placements to see a wider spread (all three below the baseline read as a
    placement variance of 0), but their values still show it.
    """
    n, m = better.shape[1], worse.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = _finite_sd(better) / _finite_sd(worse)
    ratio = np.where(np.isnan(ratio), 1.0, ratio)
    with np.errstate(divide="ignore"):  # a candidate without spread: 1 / 0 = inf, as meant
        inverse = 1 / ratio
    scaled = (placement_variance(ratio) / n + placement_variance(inverse) / m) / (
        (1 / n + 1 / m) / 12
    )
    floor: FloatArray = null_variance(n, m) * np.maximum(scaled, 1.0)
    return floor


def twin_variance(better: FloatArray, worse: FloatArray, *, ties_favour_better: bool) -> FloatArray:
    """The variance of p_hat when better[:, i] and worse[:, i] are twins (same seed): (R,).

    By Hajek's projection p_hat - p ~ mean_i (a_i - p) + mean_j (b_j - p), with a_i the
    placement of better run i and b_j the share of ``better`` that worse run j loses to; the
    twins' a_i and b_i are dependent, so the variance is var(a_i + (n/m) b_i) / n over the
    twins plus (m - n) / m^2 var(b_j) over the other runs. Negative same-seed correlation
    makes it larger than V_BM, which assumes independent sides. Multiplied by
    TWIN_INFLATION.
    """
    n, m = better.shape[1], worse.shape[1]
    wins = _wins(better, worse, ties_favour_better=ties_favour_better)
    a = wins.mean(axis=2)
    b = wins.mean(axis=1)
    twins = _sample_variance(a + (n / m) * b[:, :n]) / n
    others = b[:, n:] if m - n >= 2 else b
    variance: FloatArray = TWIN_INFLATION * (twins + (m - n) / m**2 * _sample_variance(others))
    return variance


def relative_effect_z(
    better: FloatArray, worse: FloatArray, *, ties_favour_better: bool, twins: bool = False
) -> FloatArray:
    """(p_hat - 1/2) / sqrt(max(V_BM, floor)) for each row: (R, n), (R, m) -> (R,).

    The floor is ``spread_floor``: V_0 (Mann-Whitney's variance) when the spreads agree.
    ``twins``: worse[:, i] is better[:, i]'s same-seed twin for i < n, and
    ``twin_variance`` joins the maximum (negative dependence widens it)."""
    p_hat, variance = relative_effect_parts(better, worse, ties_favour_better=ties_favour_better)
    variance = np.maximum(variance, spread_floor(better, worse))
    if twins:
        variance = np.maximum(
            variance, twin_variance(better, worse, ties_favour_better=ties_favour_better)
        )
    z: FloatArray = (p_hat - 0.5) / np.sqrt(variance)
    return z


@functools.lru_cache(maxsize=64)
def _marginal_null(n: int, m: int, *, twins: bool) -> FloatArray:
    """Sorted null draws of ``relative_effect_z`` for n against m uniform runs, both signs."""
    rng = np.random.default_rng([NORMALISER_SEED, n, m, int(twins)])
    z = relative_effect_z(
        rng.random((NORMALISER_DRAWS, n)),
        rng.random((NORMALISER_DRAWS, m)),
        ties_favour_better=True,
        twins=twins,
    )
    rounded = np.round(z, _SCORE_DECIMALS)
    null = np.sort(np.concatenate([rounded, -rounded]))
    null.flags.writeable = False
    return null


def normal_scores(values: FloatArray, null: FloatArray) -> FloatArray:
    """Phi^-1 of each value's mid-rank share among the sorted ``null`` draws: (R,) -> (R,).

    Non-decreasing in the value; past the draws' range the scale goes on linearly from the
    outermost score, so a larger statistic never reads as smaller."""
    from scipy.special import ndtri  # scipy stays out of `seedgate --help`

    size = null.size
    rank = np.searchsorted(null, values, side="left") + np.searchsorted(null, values, "right")
    share = np.clip(rank / (2 * size), 0.5 / size, 1 - 0.5 / size)
    scores: FloatArray = ndtri(share)
    beyond = np.where(values > null[-1], values - null[-1], 0.0)
    below = np.where(values < null[0], values - null[0], 0.0)
    result: FloatArray = scores + beyond + below
    return result


def studentised_z(
    better: FloatArray, worse: FloatArray, *, ties_favour_better: bool, twins: bool = False
) -> FloatArray:
    """``relative_effect_z`` on the standard normal scale, by its null at these run counts:
    (R, n), (R, m) -> (R,).

    With three candidate runs the statistic takes few values and its normal approximation
    is short in the tail: three runs below all of 10 baseline runs give z of at most 2.54,
    a chance of 1 in 286 under no change (2.70 or more on the normal scale). Scored against
    its own null (uniform runs, the same n and m), the first look can conclude what its
    ranks show. Elsewhere the scores stay close to z (median difference 0.03-0.05 at 3 to
    10 runs against 20, 0.01 at 20).
    """
    raw = relative_effect_z(better, worse, ties_favour_better=ties_favour_better, twins=twins)
    # rounded: one atom of the statistic computed along two float paths is one value
    return normal_scores(
        np.round(raw, _SCORE_DECIMALS), _marginal_null(better.shape[1], worse.shape[1], twins=twins)
    )


def brunner_munzel_z(better: FloatArray, worse: FloatArray) -> FloatArray:
    """The unfloored statistic (p_hat - 1/2) / sqrt(V_BM) with ties 1/2: (R,).

    Equal to minus scipy.stats.brunnermunzel's statistic of (better, worse) row by row
    (scipy reports the relative effect of its second sample); inf where V_BM is 0.
    """
    half = 0.5 * (
        _wins(better, worse, ties_favour_better=True)
        + _wins(better, worse, ties_favour_better=False)
    )
    a, b = half.mean(axis=2), 1 - half.mean(axis=1)
    variance = _sample_variance(a) / better.shape[1] + _sample_variance(b) / worse.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        z: FloatArray = (a.mean(axis=1) - 0.5) / np.sqrt(variance)
    return z


def look_z(
    candidate: FloatArray,
    baseline: FloatArray,
    looks: tuple[int, ...],
    *,
    lockstep: bool,
    shift: float | FloatArray,
    ties_favour_candidate: bool,
) -> FloatArray:
    """``studentised_z`` of (candidate + shift) over the baseline at each look: (R, K).

    ``candidate`` (R, >= looks[-1]) in run order; the baseline is all of ``baseline`` (a
    stored one) or, in lockstep, its first n_k runs. ``shift``: one number, or (R, K) with
    a margin per experiment and look.
    """
    shifts = np.broadcast_to(np.asarray(shift, dtype=float), (candidate.shape[0], len(looks)))
    columns = []
    for k, n in enumerate(looks):
        reference = baseline[:, :n] if lockstep else baseline
        columns.append(
            studentised_z(
                candidate[:, :n] + shifts[:, k : k + 1],
                reference,
                ties_favour_better=ties_favour_candidate,
            )
        )
    return np.stack(columns, axis=1)
