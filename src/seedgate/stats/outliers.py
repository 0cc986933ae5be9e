"""Runs that look like bad seeds: far in the tail of the pooled distribution.

Each side is centred on its own median before pooling, so that a real shift between
baseline and candidate does not make every run of the shifted side look like a bad seed.

They are shown, never removed: the rank test is already robust to them, and a run that
collapses is information about the training, not noise to hide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

DEFAULT_THRESHOLD = 3.5  # Iglewicz & Hoaglin's cut-off for the modified z-score
_MAD_TO_SD = 0.6745  # Phi^-1(0.75): makes the MAD comparable to a normal SD
_MEAN_AD_TO_SD = 0.7979  # sqrt(2/pi): the mean absolute deviation of N(0, 1)
_IQR_TO_SD = 1.349  # the interquartile range of N(0, 1)


def robust_z(values: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
    """Modified z-scores 0.6745 (x - median) / MAD: shape (n,).

    When more than half the values are equal (MAD = 0), the mean absolute deviation is used
    instead; when every value is equal, all scores are 0.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return np.zeros(0)
    centre = np.median(data)
    deviations = np.abs(data - centre)
    mad = float(np.median(deviations))
    mean_ad = float(deviations.mean())
    if mad > 0:
        factor = _MAD_TO_SD / mad
    elif mean_ad > 0:
        factor = _MEAN_AD_TO_SD / mean_ad
    else:
        factor = 0.0
    scores: NDArray[np.float64] = factor * (data - centre)
    return scores


def outlier_mask(
    values: Sequence[float] | NDArray[np.float64], threshold: float = DEFAULT_THRESHOLD
) -> NDArray[np.bool_]:
    """True where a value is more than ``threshold`` robust SDs from the median: shape (n,).

    The robust SD is the larger of MAD / 0.6745 (``robust_z``) and IQR / 1.349: for normal
    noise they agree, but when the runs fall in two clusters (a random forest's log loss does)
    and more than half sit in one, the MAD measures only that cluster and would flag the
    whole other one; the IQR spans both.
    """
    data = np.asarray(values, dtype=float)
    scores = np.abs(robust_z(data))
    if data.size:
        low, high = np.percentile(data, [25, 75])
        if high > low:
            iqr_scores = np.abs(_IQR_TO_SD * (data - np.median(data)) / (high - low))
            scores = np.minimum(scores, iqr_scores)
    flagged: NDArray[np.bool_] = scores > threshold
    return flagged


def bad_seeds(
    baseline: Sequence[tuple[int, float]],
    candidate: Sequence[tuple[int, float]],
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[int, ...]:
    """Seeds of (seed, value) runs from either side that sit far in the pooled tail, sorted.

    The tail is judged on residuals from each side's median (a shift is not an outlier).
    """
    pooled = [*baseline, *candidate]
    if len(pooled) < 3:
        return ()
    residuals = [*_centred(baseline), *_centred(candidate)]
    mask = outlier_mask(residuals, threshold)
    return tuple(sorted({seed for (seed, _), flagged in zip(pooled, mask, strict=True) if flagged}))


def _centred(runs: Sequence[tuple[int, float]]) -> list[float]:
    if not runs:
        return []
    centre = float(np.median([value for _, value in runs]))
    return [value - centre for _, value in runs]
