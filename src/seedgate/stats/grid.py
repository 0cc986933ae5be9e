"""Metrics on a grid (accuracy in steps of 1/n_test): margins that never round toward an alarm.

On a grid with step g, "the candidate moved up by 0.75 g is still worse" reads x + 0.75 g >= y,
which for grid values is the same as x >= y: the indifference zone would silently shrink to
nothing and a drop inside it would count as a regression. When every value of a comparison
lies on one lattice, the regression and improvement margins are rounded UP to whole steps:
if the latent drop is at most ``zone``, the rounded candidate moved up by ceil(zone / g) g is
at least as good as the rounded baseline, so the test's null still holds.

The no-change margin is left as configured (it decides no-change, never an alarm).

Shapes: ``values`` (R, k), one row per experiment; results (R,).
"""

from __future__ import annotations

import numpy as np

from seedgate.stats import FloatArray

_RELATIVE_TOLERANCE = 1e-6  # float noise in a step count (0.004 / 0.002 = 2.0000000000000018)


def grid_steps(values: FloatArray) -> FloatArray:
    """The lattice step of each row's finite values, NaN when they lie on none: (R, k) -> (R,).

    The step is the smallest gap between distinct values; the row is on a grid when every
    gap is a whole multiple of it. A row with fewer than two distinct finite values has none.
    """
    data = np.where(np.isfinite(values), values, np.nan)
    ordered = np.sort(data, axis=1)
    gaps = np.diff(ordered, axis=1)
    positive = np.where(gaps > 0, gaps, np.nan)
    with np.errstate(invalid="ignore"):
        all_nan = np.all(np.isnan(positive), axis=1)
        step = np.where(all_nan, np.nan, np.nanmin(np.where(all_nan[:, None], 1.0, positive), 1))
        ratios = positive / step[:, None]
        off_grid = np.abs(ratios - np.round(ratios)) > _RELATIVE_TOLERANCE * np.maximum(ratios, 1)
    on_grid = ~np.any(off_grid & ~np.isnan(positive), axis=1) & ~all_nan
    steps: FloatArray = np.where(on_grid, step, np.nan)
    return steps


def alarm_margin(zone: float, steps: FloatArray) -> FloatArray:
    """The regression/improvement margin per row: ``zone`` rounded up to whole grid steps
    where the row is on a grid, else ``zone``: (R,) -> (R,)."""
    with np.errstate(invalid="ignore"):
        whole = np.ceil(zone / steps - _RELATIVE_TOLERANCE) * steps
    margin: FloatArray = np.where(np.isnan(steps), zone, np.maximum(whole, zone))
    return margin
