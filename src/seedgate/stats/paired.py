"""Paired seeds: the same seed on both sides, inside the calibrated group-sequential design.

seedgate gives run i the same seed on every branch, so candidate run i and baseline run i
share their data order and initial weights, and their values are correlated (0.7-0.95 for
typical changes, 1 for a change that does not touch the model). When every candidate seed is
among the baseline's seeds (a rule fixed before the data: the seed lists decide, never the
values), the gate watches two statistics at each look and calls a bound crossed when EITHER
crosses its own bound:

- the unpaired studentised rank z of ``stats.studentised`` (candidate against every baseline
  run), its standard error the largest of Brunner-Munzel's, the spread floor and the one the
  twins' dependence gives (``twin_variance``: negative same-seed correlation widens it);
- a paired statistic T = z_M + LAMBDA * z_U: z_M is Munzel's paired rank statistic of the
  candidate against its twins (``paired_placement_t``: the relative effect of the n x n
  pairs over the variance of the placement differences, put on the normal scale by its
  simulated null), z_U the rank z of the candidate against the baseline runs whose seeds it
  has not used yet (3 pairs alone allow few values; z_U orders them). Both are shifted like
  the unpaired test: by indifference x min_effect for regression/improvement, by min_effect
  for no-change.

Pairing counts at a look only where it is valid and helps: when the same-seed rank
correlation of the look's runs is at least PAIRING_CORRELATION (``pairing_counts``). At zero
or negative correlation the pairs sharpen nothing, and Munzel's statistic over a few
negatively correlated pairs crosses its bound too often (0.084 / 0.096 at correlation -0.5 /
-0.9 and a drop of m/4 before this rule); there T and S are -inf and the unpaired z decides
alone. The rule is a function of the data that the calibration simulates with the rest.

What is tested is the relative effect of the two marginal distributions, as unpaired; the
pairs only sharpen its standard error. Munzel's statistic needs neither symmetric
same-seed differences nor exchangeable pairs (the signed rank used before needed both, and
raised 8-12% false alarms where they failed). The bounds are calibrated at rho = 0, where
all runs are independent and the joint null is that of uniform draws, for the actual looks
and baseline size; benchmarks/results/verdict_robustness.md measures positive and negative
correlations, non-exchangeable pairs and skewed differences. Ties (identical values, discrete
metrics, exact replays) count for each test's null.

Calibration: the paired statistic gets PAIRED_SHARE of alpha, EARLY_SHARE of it spent by a
quarter of the cap (looks 3 and 5 of the default 20), where pairing pays most, at looks at
least PAIRED_LOOK_GAP pairs apart (not at 4); later the
unpaired test, whose bound rises a little to make room, carries the power an uncorrelated
change needs (the split is tuned on the frontier in benchmarks/results/paired.md). The
unpaired bound keeps its Wang-Tsiatis shape, its constant raised until the union of both
crossings has probability alpha. No-change: the unpaired z or the paired
S = (z_M + z_U) / sqrt(2), one constant, the union at 1 - power.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from seedgate.records import Design
from seedgate.stats import FloatArray, studentised
from seedgate.stats import design as sequential

BoolArray = NDArray[np.bool_]
LAMBDA = 0.1
PLACEMENT_FLOOR = 0.25  # of the placement-difference variance of independent runs
NORMALISER_DRAWS = 20_000  # null draws of the paired statistic per run count (both signs used)
NORMALISER_SEED = 24
PAIRED_SHARE = 0.65
EARLY_SHARE = 0.9  # of the paired alpha, spent by a quarter of the cap (looks 3 and 5 of 20)
PAIRED_LOOK_GAP = 2  # least pairs between two looks that spend paired alpha
_ROWS_PER_CHUNK = 4_000
PAIRING_CORRELATION = 0.5  # least same-seed rank correlation at a look for pairing to count
LEAST_PAIRED_BOUND = 1.645  # a paired crossing is never weaker than a one-sided 5% test
TYPICAL_CORRELATION = 0.8  # same-seed correlation of a learning-rate or epoch change (planning)


def paired_placement_t(candidate: FloatArray, twins: FloatArray, *, ties_win: bool) -> FloatArray:
    """Munzel's paired rank statistic of each row: (R, n) candidate, (R, n) twins -> (R,).

    D_i = (share of the twins candidate run i beats) - (share of the candidate runs twin i
    beats); mean(D) = 2 p_hat - 1 with p_hat the relative effect of the n x n pairs, and
    T = mean(D) / sqrt(var(D) / n). It tests the relative effect of the two MARGINAL
    distributions, so it needs neither symmetric nor exchangeable pairs (the signed rank
    needs both), and var(D) carries whatever the same-seed dependence is, negative
    included. var(D) is floored at PLACEMENT_FLOOR x its value for independent runs (1/6),
    so that three identical placements do not divide by 0.

    References: Munzel, U. (1999), "Nonparametric methods for paired samples", Statistica
    Neerlandica 53(3), 277-286.
    """
    n = candidate.shape[1]
    beats = (
        candidate[:, :, None] >= twins[:, None, :]
        if ties_win
        else (candidate[:, :, None] > twins[:, None, :])
    )
    differences = beats.mean(axis=2) - (1 - beats.mean(axis=1))
    variance = differences.var(axis=1, ddof=1) if n > 1 else np.zeros(candidate.shape[0])
    floor = PLACEMENT_FLOOR / 6
    t: FloatArray = differences.mean(axis=1) / np.sqrt(np.maximum(variance, floor) / n)
    return t


@functools.lru_cache(maxsize=64)
def _placement_null(n: int) -> FloatArray:
    """Sorted draws of ``paired_placement_t`` for n independent uniform pairs, both signs."""
    rng = np.random.default_rng([NORMALISER_SEED, n])
    t = paired_placement_t(
        rng.random((NORMALISER_DRAWS, n)), rng.random((NORMALISER_DRAWS, n)), ties_win=True
    )
    null = np.sort(np.concatenate([t, -t]))
    null.flags.writeable = False
    return null


def placement_z(t: FloatArray, n: int) -> FloatArray:
    """T on the standard normal scale: Phi^-1 of its mid-rank among the null draws for n
    pairs: (R,) -> (R,). At three pairs T has heavy tails (var(D) from three values); the
    normal scores put it on the scale of the unpaired z, whose bounds it shares."""
    return studentised.normal_scores(t, _placement_null(n))


def _u_z(candidate: FloatArray, baseline: FloatArray, *, ties_win: bool) -> FloatArray:
    """Rank z of each row's candidate (R, n) over its baseline (R, m), tie-free moments."""
    n, m = candidate.shape[1], baseline.shape[1]
    if m == 0:
        return np.zeros(candidate.shape[0])
    above = (
        candidate[:, :, None] >= baseline[:, None, :]
        if ties_win
        else (candidate[:, :, None] > baseline[:, None, :])
    )
    z: FloatArray = (above.sum(axis=(1, 2)) - n * m / 2) / math.sqrt(n * m * (n + m + 1) / 12)
    return z


def rank_correlation(candidate: FloatArray, twins: FloatArray) -> FloatArray:
    """Spearman's correlation of each row's runs with their twins: (R, n), (R, n) -> (R,).

    Mid-ranks for ties; NaN where a side has no spread (one value repeated).
    """
    from scipy.stats import rankdata  # scipy stays out of `seedgate --help`

    a = rankdata(candidate, axis=1)
    b = rankdata(twins, axis=1)
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r: FloatArray = (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return r


def pairing_counts(candidate: FloatArray, twins: FloatArray) -> BoolArray:
    """Whether pairing is used for each row: the same-seed rank correlation is at least
    PAIRING_CORRELATION (NaN, a side without spread, refuses): (R, n), (R, n) -> (R,).

    Pairing sharpens the test only when twins move together; at zero or negative
    correlation it adds nothing but its small-sample errors (Munzel's statistic at three
    pairs of negatively correlated runs crosses its bound several times too often), so the
    unpaired analysis decides alone there. The rule is part of the statistic and is
    simulated in the calibration, so the level holds with it."""
    mask: BoolArray = np.asarray(rank_correlation(candidate, twins) >= PAIRING_CORRELATION - 1e-12)
    return mask


def evidence(
    candidate: FloatArray,
    baseline: FloatArray,
    looks: tuple[int, ...],
    shift: float | FloatArray,
    *,
    worse: bool,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(unpaired z, paired T, paired S) at each look, each (R, len(looks)), oriented so that
    larger is more evidence: that the candidate moved up by ``shift`` (one number, or (R, K):
    one per experiment and look) is still worse (``worse``), or is better. Candidate run i
    is the twin of baseline run i; ``candidate`` (R, >= looks[-1]) and ``baseline``
    (R, n_b >= looks[-1]) are oriented (larger is better). T and S are -inf at looks where
    ``pairing_counts`` refuses pairing (the unpaired z decides alone there).
    """
    sign = -1.0 if worse else 1.0
    shifts = np.broadcast_to(np.asarray(shift, dtype=float), (candidate.shape[0], len(looks)))
    unpaired, paired, summed = [], [], []
    for k, n in enumerate(looks):
        x = candidate[:, :n] + shifts[:, k : k + 1]
        z_all = sign * studentised.studentised_z(x, baseline, ties_favour_better=worse, twins=True)
        z_w = sign * placement_z(paired_placement_t(x, baseline[:, :n], ties_win=worse), n)
        z_u = sign * _u_z(x, baseline[:, n:], ties_win=worse)
        used = pairing_counts(candidate[:, :n], baseline[:, :n])
        unpaired.append(z_all)
        paired.append(np.where(used, z_w + LAMBDA * z_u, -math.inf))
        both = z_w if n >= baseline.shape[1] else (z_w + z_u) / math.sqrt(2)
        summed.append(np.where(used, both, -math.inf))
    return np.stack(unpaired, 1), np.stack(paired, 1), np.stack(summed, 1)


def _spent(looks: tuple[int, ...], early_share: float) -> FloatArray:
    """Share of the paired alpha spent at each look (sums to 1): ``early_share`` linearly up
    to a quarter of the cap, the rest linearly after it, only at looks at least
    PAIRED_LOOK_GAP pairs after the last one that spent (0.54, 0, 0.36, 0.013, 0.02, 0.033,
    0.033 for the default looks 3, 4, 5, 7, 10, 15, 20 and EARLY_SHARE). One more pair adds
    little to a paired statistic of three or four pairs, and its share of alpha is better
    spent a look later."""
    spending = [0]
    for k, n in enumerate(looks[1:], start=1):
        if n - looks[spending[-1]] >= PAIRED_LOOK_GAP or k == len(looks) - 1:
            spending.append(k)
    t = np.asarray([looks[k] for k in spending], dtype=float) / looks[-1]
    early = early_share * np.minimum(1.0, 4 * t)
    late = (1 - early_share) * np.maximum(0.0, (t - 0.25) / 0.75)
    shares: FloatArray = np.zeros(len(looks))
    shares[spending] = np.diff(early + late, prepend=0.0)
    return shares


def _spending_bounds(draws: FloatArray, level: float, shares: FloatArray) -> FloatArray:
    """Per-look bounds: P(crossing by look k) <= level * (shares[0] + ... + shares[k]).

    ``draws``: (D, K) null draws. Counts follow ``sequential.sequential_p_value``'s
    convention, (1 + count) / (1 + D), and a bound never splits an atom of tied draws.
    """
    size = draws.shape[0]
    alive = np.ones(size, dtype=bool)
    bounds = np.full(draws.shape[1], math.inf)
    used = 0
    for k, cumulative in enumerate(np.cumsum(shares)):
        allowed = math.floor(level * cumulative * (1 + size) - 1 + 1e-9) - used
        column = draws[alive, k]
        values = np.sort(column[np.isfinite(column)])[::-1]  # -inf: pairing refused
        if allowed >= 1 and values.size:
            bound = float(values[min(allowed, values.size) - 1])
            if np.count_nonzero(values >= bound) > allowed:
                above = values[values > bound]
                bound = float(above.min()) if above.size else math.inf
            bounds[k] = max(bound, LEAST_PAIRED_BOUND)
        crossed = alive & (draws[:, k] >= bounds[k])
        used += int(np.count_nonzero(crossed))
        alive &= ~crossed
    return bounds


@functools.lru_cache(maxsize=16)
def _null_draws(
    looks: tuple[int, ...], baseline_n: int, simulations: int, seed: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(unpaired, T, S) under no change at rho = 0, both directions stacked: (2 sims, K)."""
    rng = np.random.default_rng([seed, 2])
    parts: list[tuple[FloatArray, FloatArray, FloatArray]] = []
    for start in range(0, simulations, _ROWS_PER_CHUNK):
        size = min(_ROWS_PER_CHUNK, simulations - start)
        candidate = rng.random((size, looks[-1]))
        baseline = rng.random((size, baseline_n))
        parts.append(evidence(candidate, baseline, looks, 0.0, worse=True))
        parts.append(evidence(candidate, baseline, looks, 0.0, worse=False))
    stacked = tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
    return stacked[0], stacked[1], stacked[2]


def _union_constant(maxima: FloatArray, crossed: BoolArray, level: float) -> float:
    """Smallest c with (1 + #(crossed or maxima >= c)) / (1 + D) <= level."""
    size = maxima.size
    allowed = level * (1 + size) - 1 - np.count_nonzero(crossed)
    others = np.sort(maxima[~crossed])[::-1]
    if allowed < 0:
        return math.inf
    index = math.floor(allowed + 1e-9)
    if index >= others.size:
        return float(others[-1]) if others.size else -math.inf
    return float(np.nextafter(others[index], math.inf))


@functools.lru_cache(maxsize=32)
def calibrate(  # noqa: PLR0917 - the six arguments are the cache key, passed in one order
    looks: tuple[int, ...],
    baseline_n: int,
    alpha: float,
    power: float,
    simulations: int,
    seed: int,
    *,
    paired_share: float = PAIRED_SHARE,
    early_share: float = EARLY_SHARE,
) -> Design:
    """The paired design for this schedule and stored baseline size (cached, reproducible).

    Needs ``baseline_n >= looks[-1]`` (every candidate run has its twin). ``paired_share``
    and ``early_share`` split alpha (the defaults are the gate's; benchmarks/
    paired_frontier.py sweeps them).
    """
    if not (0 < paired_share < 1 and 0 < early_share <= 1):
        raise ValueError(
            f"paired_share must be in (0, 1) and early_share in (0, 1], "
            f"got {paired_share} and {early_share}"
        )
    schedule = sequential.validate_looks(looks)
    if baseline_n < schedule[-1]:
        raise ValueError(f"pairing needs a twin for every run: {baseline_n} < {schedule[-1]}")
    base = sequential.calibrate(schedule, baseline_n, alpha, power, simulations, seed)
    unpaired, paired, summed = _null_draws(schedule, baseline_n, simulations, seed)
    paired_bounds = _spending_bounds(paired, alpha * paired_share, _spent(schedule, early_share))
    weights = sequential.shape_weights(schedule, baseline_n, sequential.REGRESSION_SHAPE)
    crossed: BoolArray = np.asarray((paired >= paired_bounds).any(axis=1))
    constant = _union_constant((unpaired / weights).max(axis=1), crossed, alpha)
    no_change = np.sort(np.maximum(unpaired, summed).max(axis=1))
    return replace(
        base,
        bounds_alpha=tuple(float(constant * w) for w in weights),
        bound_beta=sequential.bound_for(1 - power, no_change),
        paired_bounds=tuple(float(b) for b in paired_bounds),
    )


def scaled(unpaired: FloatArray, paired: FloatArray, design: Design) -> FloatArray:
    """max(unpaired / its bound, T / its bound) per look: >= 1 means the union is crossed.

    Shapes (R, k) -> (R, k) for the first k <= K looks. A paired bound of inf (no alpha at
    that look) never crosses.
    """
    looks = unpaired.shape[1]  # the first ``looks`` looks of the design
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_u = unpaired / np.asarray(design.bounds_alpha[:looks])
        bounds_p = np.asarray(design.paired_bounds[:looks])
        ratio_p = np.where(np.isinf(bounds_p), -math.inf, paired / bounds_p)
    result: FloatArray = np.maximum(ratio_u, ratio_p)
    return result


@functools.lru_cache(maxsize=16)
def _union_nulls(design: Design) -> tuple[FloatArray, FloatArray]:
    assert design.baseline_n is not None  # noqa: S101 - paired designs have a stored baseline
    unpaired, paired, summed = _null_draws(
        design.looks, design.baseline_n, design.simulations, design.seed
    )
    regression = np.sort(scaled(unpaired, paired, design).max(axis=1))
    no_change = np.sort(np.maximum(unpaired, summed).max(axis=1))
    regression.flags.writeable = False
    no_change.flags.writeable = False
    return regression, no_change


def p_values(statistic: FloatArray, null: FloatArray) -> FloatArray:
    """(1 + #null >= s) / (1 + draws), as ``sequential.sequential_p_value`` but with no
    tolerance: the union's ratios sit at exactly 1 on its bounds, and draws a hair below
    must not count (the calibration did not count them)."""
    count = null.size - np.searchsorted(null, statistic, side="left")
    result: FloatArray = (1 + count) / (1 + null.size)
    return result


def regression_p(unpaired: FloatArray, paired: FloatArray, design: Design) -> FloatArray:
    """Sequential p-values of the union at each look: (R, K) -> (R, K)."""
    return p_values(scaled(unpaired, paired, design), _union_nulls(design)[0])


def no_change_p(unpaired: FloatArray, summed: FloatArray, design: Design) -> FloatArray:
    """Sequential p-values of the no-change union at each look: (R, K) -> (R, K)."""
    return p_values(np.maximum(unpaired, summed), _union_nulls(design)[1])
