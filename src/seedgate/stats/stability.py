"""Stability as its own finding: runs that diverged, on each side.

A run diverged when its value is not finite (NaN loss) or lies more than DIVERGED_CUT robust
SDs on the bad side of the baseline's median, the SD read off the baseline's good side
(``cuts``). Rank statistics
give such runs the weight of any other bad run, so a candidate that diverges three times as
often can look like no change; the gate therefore counts them, reports the two counts in
words, and never concludes no-change at a look where the candidate's share of diverged
runs is above the baseline's.

Values are oriented (larger is better). Shapes: ``candidate`` (R, n), ``baseline`` (R, m),
one row per experiment.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from seedgate.stats import FloatArray

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
DIVERGED_CUT = 4.0  # robust SDs below the baseline's median
_MAD_TO_SD = 1.4826  # 1 / Phi^-1(0.75)


def cuts(baseline: FloatArray, steps: FloatArray) -> FloatArray:
    """The value below which a run counts as diverged, per row: (R, m), (R,) -> (R,).

    The baseline's median minus DIVERGED_CUT robust SDs. The SD is the mean of two robust
    ones: 1.4826 x the MAD, and the root mean square distance from the median of the runs
    above it, read off the GOOD side, which diverged runs (all on the bad side) barely move
    where they widen a MAD. (The good side's RMS uses half the runs where the 84th
    percentile used one order statistic: with a normal 20-run baseline, fewer runs are
    flagged by chance, and fewer no-change verdicts are held back.) ``steps``: the row's
    grid step (NaN: none), the least SD. No spread at all gives -inf: only non-finite
    values count as diverged then.
    """
    base = np.where(np.isfinite(baseline), baseline, np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, as wanted
        centre = np.nanmedian(base, axis=1)
        mad_sd = _MAD_TO_SD * np.nanmedian(np.abs(base - centre[:, None]), axis=1)
        above = np.where(base > centre[:, None], base - centre[:, None], np.nan)
        good_side_sd = np.sqrt(np.nanmean(np.square(above), axis=1))
        scale = (mad_sd + good_side_sd) / 2
    scale = np.fmax(np.nan_to_num(scale, nan=0.0), np.nan_to_num(steps, nan=0.0))
    cut: FloatArray = np.where(scale > 0, centre - DIVERGED_CUT * scale, -np.inf)
    return cut


def diverged(values: FloatArray, cut: FloatArray) -> BoolArray:
    """True where a run diverged: not finite, or below its row's cut: (R, k), (R,) -> (R, k)."""
    mask: BoolArray = ~np.isfinite(values) | (values < cut[:, None])
    return mask


def counts_at_looks(mask: BoolArray, looks: tuple[int, ...]) -> IntArray:
    """Diverged runs among the first n_k of each row: (R, >= looks[-1]) -> (R, K)."""
    cumulative = np.cumsum(mask, axis=1)
    counts: IntArray = cumulative[:, np.asarray(looks) - 1].astype(np.int64)
    return counts


def no_change_level(power: float) -> float:
    """The level of the stability check at each look: half the no-change test's own."""
    return (1 - power) / 2


STABILITY_MARGIN = 0.08  # a diverged share this much above the baseline's is never no-change


def stable_enough(
    candidate_counts: IntArray | int,
    candidate_n: IntArray | int,
    baseline_counts: IntArray | int,
    baseline_n: IntArray | int,
    level: float,
) -> BoolArray:
    """Whether the candidate shows it diverges less than STABILITY_MARGIN more often than
    the baseline: all arrays broadcast together, result of their shape.

    A one-sided binomial test of H0: candidate share >= baseline share + margin, the
    baseline's share taken as observed: passes when P(Bin(n, share + margin) <= c) <= level.
    When neither side has diverged there is nothing to test and it passes.
    """
    from scipy import stats  # scipy stays out of `seedgate --help`

    mine, theirs = np.asarray(candidate_counts), np.asarray(baseline_counts)
    null_share = np.minimum(1.0, theirs / np.asarray(baseline_n) + STABILITY_MARGIN)
    tail = stats.binom.cdf(mine, np.asarray(candidate_n), null_share)
    quiet = (mine == 0) & (theirs == 0)
    passed: BoolArray = np.asarray(quiet | (tail <= level))
    return passed
