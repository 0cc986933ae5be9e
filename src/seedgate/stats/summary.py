"""Descriptive statistics of one metric on one side."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from seedgate.records import Interval, Summary

_NAN_INTERVAL = Interval(math.nan, math.nan)


@functools.lru_cache(maxsize=256)
def t_quantile(probability: float, df: int) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (cached: scipy is slow per call).

    ``scipy.special.stdtrit`` is what ``scipy.stats.t.ppf`` evaluates, without importing
    ``scipy.stats`` (about a second more in every process that compares).
    """
    from scipy import special  # lazy: keep `seedgate --help` light

    return float(special.stdtrit(df, probability))


def summarize(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Summary:
    """n, mean, std (ddof=1), median, min, max and the t-interval of the mean.

    ``values``: shape (n,), n >= 1. std and the interval are NaN when n < 2.
    """
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size == 0:
        raise ValueError(f"summarize needs a non-empty 1-d sequence, got shape {data.shape}")
    n = int(data.size)
    mean = float(data.mean())
    if n < 2:
        std = math.nan
        interval = _NAN_INTERVAL
    else:
        std = float(data.std(ddof=1))
        half = t_quantile(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)
        interval = Interval(mean - half, mean + half)
    return Summary(
        n=n,
        mean=mean,
        std=std,
        median=float(np.median(data)),
        min=float(data.min()),
        max=float(data.max()),
        mean_interval=interval,
    )
