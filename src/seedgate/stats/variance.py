"""Where a metric's run-to-run variance comes from (``seedgate explain``). Pure.

The model is additive: ``y = mu + D(data_seed) + I(init_seed) + e`` with independent
zero-mean parts of variances ``s_D``, ``s_I`` and ``s_e`` (``e``: what identical seeds
still change, i.e. non-determinism). A small factorial design estimates them:

* data varied (init fixed): sample variance estimates ``s_D + s_e``
* init varied (data fixed): ``s_I + s_e``
* identical seeds repeated: ``s_e``
* optionally a crossed grid (rows: data seeds, columns: init seeds, one run per cell):
  the two-way ANOVA mean squares estimate ``s_e + h s_D``, ``s_e + g s_I`` and ``s_e``
  (plus any data x init interaction).

Components are differences of mean squares, so their 95% intervals use the modified
large-sample (MLS) method of Graybill & Wang / Ting et al. (Burdick & Graybill 1992,
"Confidence Intervals on Variance Components", sec. 3.2); a single mean square gets the
exact chi-square interval. Both are deterministic: no random generator is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seedgate.records import Interval, NoiseBreakdown, VarianceComponent

DATA_ORDER = "data order"
INITIALISATION = "initialisation"
NON_DETERMINISM = "non-determinism"
INTERACTION = "interaction + non-determinism"

# A metric counts as a proportion of the test set when every value * n_test is this close
# to a whole number (float32 accuracies carry ~1e-7 relative error).
_COUNT_TOLERANCE = 0.02


@dataclass(frozen=True, slots=True)
class NoiseDesign:
    """One metric's values, grouped by which seed varied.

    ``grid[j][k]`` is the run with data seed j and init seed k; when a grid of at least
    2 x 2 is given it is used for the data and init components instead of the one-factor
    groups. ``repeated`` always measures non-determinism.
    """

    data_varied: tuple[float, ...] = ()
    init_varied: tuple[float, ...] = ()
    repeated: tuple[float, ...] = ()
    grid: tuple[tuple[float, ...], ...] = ()

    def all_values(self) -> tuple[float, ...]:
        cells = tuple(v for row in self.grid for v in row)
        return (*self.data_varied, *self.init_varied, *self.repeated, *cells)


@dataclass(frozen=True, slots=True)
class MeanSquare:
    """An unbiased variance estimate with its degrees of freedom."""

    value: float
    df: int


def sample_mean_square(values: Sequence[float]) -> MeanSquare | None:
    """Sample variance (ddof=1) of ``values`` (shape (n,)); None when n < 2."""
    array = np.asarray(values, dtype=float)
    if array.size < 2:
        return None
    if np.all(array == array[0]):  # np.var of equal floats can round to ~1e-33, not 0
        return MeanSquare(0.0, int(array.size - 1))
    return MeanSquare(float(np.var(array, ddof=1)), int(array.size - 1))


def _chi2_quantiles(df: int, confidence: float) -> tuple[float, float]:
    from scipy import stats  # scipy stays out of `seedgate --help`

    tail = (1 - confidence) / 2
    return float(stats.chi2.ppf(tail, df)), float(stats.chi2.ppf(1 - tail, df))


def variance_interval(ms: MeanSquare, scale: float, confidence: float) -> Interval:
    """Exact chi-square interval of ``scale * E[ms]``."""
    low_q, high_q = _chi2_quantiles(ms.df, confidence)
    estimate = scale * ms.value
    return Interval(ms.df * estimate / high_q, ms.df * estimate / low_q)


def difference_interval(
    first: MeanSquare, second: MeanSquare, scale: float, confidence: float
) -> Interval:
    """MLS interval of ``scale * (E[first] - E[second])``, clipped at 0.

    With ``F(q; a, b)`` the q-quantile of F(a, b) (b = inf: chi2(a)/a) and a tail
    ``t = (1 - confidence) / 2``, the bounds are ``est -/+ scale * sqrt(V)`` with
    ``V_L = G1^2 S1^2 + H2^2 S2^2 + G12 S1 S2`` and
    ``V_U = H1^2 S1^2 + G2^2 S2^2 + H12 S1 S2`` (Burdick & Graybill 1992, eq. 3.8-3.9).
    """
    from scipy import stats

    tail = (1 - confidence) / 2
    n1, n2 = first.df, second.df
    s1, s2 = first.value, second.value
    f_hi_1 = stats.chi2.ppf(1 - tail, n1) / n1  # F upper point, (n1, inf)
    f_lo_1 = stats.chi2.ppf(tail, n1) / n1
    f_hi_2 = stats.chi2.ppf(1 - tail, n2) / n2
    f_lo_2 = stats.chi2.ppf(tail, n2) / n2
    f_hi_12 = stats.f.ppf(1 - tail, n1, n2)
    f_lo_12 = stats.f.ppf(tail, n1, n2)
    g1, h1 = 1 - 1 / f_hi_1, 1 / f_lo_1 - 1
    g2, h2 = 1 - 1 / f_hi_2, 1 / f_lo_2 - 1
    g12 = ((f_hi_12 - 1) ** 2 - g1**2 * f_hi_12**2 - h2**2) / f_hi_12
    h12 = ((1 - f_lo_12) ** 2 - h1**2 * f_lo_12**2 - g2**2) / f_lo_12
    v_low = g1**2 * s1**2 + h2**2 * s2**2 + g12 * s1 * s2
    v_high = h1**2 * s1**2 + g2**2 * s2**2 + h12 * s1 * s2
    estimate = s1 - s2
    low = scale * (estimate - math.sqrt(max(v_low, 0.0)))
    high = scale * (estimate + math.sqrt(max(v_high, 0.0)))
    return Interval(max(low, 0.0), max(high, 0.0))


@dataclass(frozen=True, slots=True)
class _Part:
    source: str
    variance: float
    interval: Interval


def _component(
    source: str, total: MeanSquare, noise: MeanSquare | None, scale: float, confidence: float
) -> _Part:
    """``scale * (total - noise)``: a factor's variance once the noise is taken out."""
    if noise is None:
        return _Part(source, scale * total.value, variance_interval(total, scale, confidence))
    estimate = max(scale * (total.value - noise.value), 0.0)
    return _Part(source, estimate, difference_interval(total, noise, scale, confidence))


def _grid_mean_squares(
    grid: tuple[tuple[float, ...], ...],
) -> tuple[MeanSquare, MeanSquare, MeanSquare]:
    """Two-way ANOVA without replication on ``grid`` (shape (g, h)): rows, columns, residual."""
    y = np.asarray(grid, dtype=float)
    g, h = y.shape
    row_means = y.mean(axis=1)
    col_means = y.mean(axis=0)
    residual = y - row_means[:, None] - col_means[None, :] + y.mean()
    return (
        MeanSquare(float(h * np.var(row_means, ddof=1)), g - 1),
        MeanSquare(float(g * np.var(col_means, ddof=1)), h - 1),
        MeanSquare(float((residual**2).sum() / ((g - 1) * (h - 1))), (g - 1) * (h - 1)),
    )


def _validate(metric: str, design: NoiseDesign) -> None:
    values = design.all_values()
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"metric {metric!r}: non-finite values cannot be decomposed")
    if design.grid:
        widths = {len(row) for row in design.grid}
        if len(widths) != 1 or len(design.grid) < 2 or min(widths) < 2:
            raise ValueError(f"metric {metric!r}: the grid must be rectangular and at least 2 x 2")
    elif len(design.data_varied) < 2 and len(design.init_varied) < 2:
        raise ValueError(
            f"metric {metric!r}: need at least 2 runs varying the data seed or the init seed"
        )


def _parts(design: NoiseDesign, confidence: float) -> list[_Part]:
    repeated = sample_mean_square(design.repeated)
    parts: list[_Part] = []
    if design.grid:
        rows, cols, residual = _grid_mean_squares(design.grid)
        g, h = len(design.grid), len(design.grid[0])
        parts.append(_component(DATA_ORDER, rows, residual, 1 / h, confidence))
        parts.append(_component(INITIALISATION, cols, residual, 1 / g, confidence))
        if repeated is None:
            interval = variance_interval(residual, 1.0, confidence)
            parts.append(_Part(INTERACTION, residual.value, interval))
    else:
        for source, values in (
            (DATA_ORDER, design.data_varied),
            (INITIALISATION, design.init_varied),
        ):
            ms = sample_mean_square(values)
            if ms is not None:
                parts.append(_component(source, ms, repeated, 1.0, confidence))
    if repeated is not None:
        interval = variance_interval(repeated, 1.0, confidence)
        parts.append(_Part(NON_DETERMINISM, repeated.value, interval))
    return parts


def proportion_error(values: Sequence[float], n_test: int | None) -> float | None:
    """sqrt(p(1-p)/n) when the values are proportions of ``n_test`` examples, else None.

    A metric is taken as a proportion when every value lies in [0, 1] and is a whole
    number of test examples (``value * n_test`` within 0.02 of an integer), which tells an
    accuracy from a loss that happens to lie in [0, 1].
    """
    if n_test is None or n_test < 1 or not values:
        return None
    array = np.asarray(values, dtype=float)
    if array.min() < 0 or array.max() > 1:
        return None
    counts = array * n_test
    if np.max(np.abs(counts - np.round(counts))) > _COUNT_TOLERANCE:
        return None
    p = float(array.mean())
    return math.sqrt(p * (1 - p) / n_test)


def identical_seed_spread(repeated: Sequence[float]) -> tuple[bool | None, float | None]:
    """(all repeats exactly equal, max - min) for runs with identical seeds."""
    if len(repeated) < 2:
        return None, None
    spread = float(max(repeated) - min(repeated))
    return spread == 0.0, spread


def decompose(
    metric: str,
    design: NoiseDesign,
    *,
    n_test: int | None = None,
    confidence: float = 0.95,
) -> NoiseBreakdown:
    """Split ``metric``'s seed-to-seed variance into data order, init and non-determinism.

    Shares are of the sum of the components (the variance of a run whose seeds all
    change). ``test_set_error`` is the binomial standard error of a proportion metric
    over ``n_test`` test examples (None for other metrics or unknown n_test).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence = {confidence}: expected a number in (0, 1)")
    _validate(metric, design)
    parts = _parts(design, confidence)
    total = sum(p.variance for p in parts)
    components = tuple(
        VarianceComponent(
            p.source, p.variance, p.variance / total if total > 0 else 0.0, p.interval
        )
        for p in parts
    )
    deterministic, spread = identical_seed_spread(design.repeated)
    return NoiseBreakdown(
        metric=metric,
        total_variance=total,
        components=components,
        deterministic=deterministic,
        identical_seed_max_diff=spread,
        test_set_error=proportion_error(design.all_values(), n_test),
    )
