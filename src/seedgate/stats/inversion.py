"""The interval shown beside a verdict: the shifts the deciding tests do not reject.

The tests that decide are shift tests: "regression" rejects a shift of -zone or more (the
candidate moved up by the zone is still worse), "no-change" rejects a drop of min_effect or
more. Moving the candidate by any d instead gives a test of each shift d, and the interval is
every d that neither side rejects at the look's bounds:

    upper end  the smallest d whose "shift >= d" the regression-side test rejects, at the
               regression bound of the look (level alpha over the design's looks);
    lower end  the largest d whose "shift <= d" the no-change-side test rejects, at the
               smaller of the no-change and improvement bounds (level 1 - power).

So a regression's interval lies at or below -zone, a no-change's at or above -min_effect,
an improvement's at or above +zone, by construction: the interval is the decision read on
the shift scale. Its simultaneous coverage is at least 1 - alpha - (1 - power) (75% with
the defaults); what it covers at each stopping look is measured in
benchmarks/results/verdict_robustness.md.

Every statistic is a step function of d that changes only where d equals a difference
x_i - y_j, so the tests are evaluated at all such differences, the midpoints between them,
and the decision points themselves. Values are oriented (larger is better); ``reject``
callbacks take the candidate moved by each of R shifts, (R, n), and return (R,) booleans.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from seedgate.records import Interval
from seedgate.stats import FloatArray

BoolArray = NDArray[np.bool_]
Reject = Callable[[FloatArray], BoolArray]


def candidate_shifts(
    candidate: FloatArray, baseline: FloatArray, decision_points: tuple[float, ...]
) -> FloatArray:
    """Every shift at which a rank statistic of (candidate - d) can change, sorted: (S,)."""
    differences = np.unique((candidate[:, None] - baseline[None, :]).ravel())
    differences = differences[np.isfinite(differences)]
    midpoints = (differences[1:] + differences[:-1]) / 2
    reach = float(np.ptp(differences)) + 1.0 if differences.size else 1.0
    beyond = differences[[0, -1]] + np.asarray([-reach, reach]) if differences.size else []
    finite = np.concatenate(
        [differences, midpoints, beyond, np.asarray(decision_points, dtype=float)]
    )
    return np.unique(finite[np.isfinite(finite)])


def invert(
    candidate: FloatArray,
    baseline: FloatArray,
    *,
    rejects_above: Reject,
    rejects_below: Reject,
    decision_points: tuple[float, ...],
) -> Interval:
    """[largest d rejected below, smallest d rejected above] (oriented shift units).

    ``rejects_above(moved)``: for the candidate moved down by d (rows), True where the test
    rejects "shift >= d"; ``rejects_below``: True where it rejects "shift <= d". An end no
    shift reaches is NaN (too few runs for the level).
    """
    shifts = candidate_shifts(candidate, baseline, decision_points)
    moved = candidate[None, :] - shifts[:, None]
    above = rejects_above(moved)
    below = rejects_below(moved)
    upper = float(shifts[above].min()) if above.any() else math.nan
    lower = float(shifts[below].max()) if below.any() else math.nan
    return Interval(lower, upper)


def to_metric_units(interval: Interval, sign: float) -> Interval:
    """An oriented interval in the metric's own units (``sign`` = goal.sign)."""
    if sign > 0:
        return interval
    return Interval(-interval.high, -interval.low)
