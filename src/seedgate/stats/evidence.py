"""The evidence of one metric at each look: z statistics and the design's p-values.

``candidate`` and ``baseline`` are the metric's values in run order (metric units); for a
paired design the baseline is reordered so that baseline[i] is candidate run i's twin, the
runs no candidate has used after them (``stats.twins``). See ``stats.design`` for the rule
and ``stats.paired`` for the paired statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from seedgate.records import Analysis, Bound, Design, Goal, Interval, Look
from seedgate.stats import FloatArray, grid, inversion, paired, stability, studentised
from seedgate.stats import design as sequential
from seedgate.stats.ranktest import Alternative, one_sided_test, oriented

BoolArray = NDArray[np.bool_]


def alarm_zone(candidate: Sequence[float], baseline: Sequence[float], zone: float) -> float:
    """The indifference zone, rounded up to whole grid steps when every value of the look
    lies on one grid (``stats.grid``)."""
    pooled = np.asarray([*candidate, *baseline], dtype=float)[None, :]
    return float(grid.alarm_margin(zone, grid.grid_steps(pooled))[0])


def diverged_counts(
    candidate: Sequence[float], baseline: Sequence[float], goal: Goal
) -> tuple[int, int]:
    """(candidate runs, baseline runs) that diverged (``stats.stability``)."""
    x = oriented(candidate, goal)[None, :]
    y = oriented(baseline, goal)[None, :]
    cut = stability.cuts(y, grid.grid_steps(np.concatenate([x, y], axis=1)))
    return int(stability.diverged(x, cut).sum()), int(stability.diverged(y, cut).sum())


def stability_blocks(
    candidate: Sequence[float], baseline: Sequence[float], goal: Goal, design: Design
) -> bool:
    """Whether the candidate's diverged runs keep this look from concluding no-change."""
    mine, theirs = diverged_counts(candidate, baseline, goal)
    level = stability.no_change_level(design.power)
    passed = stability.stable_enough(mine, len(candidate), theirs, len(baseline), level)
    return not bool(passed)


def _z(better: FloatArray, worse: FloatArray, *, ties_favour_better: bool) -> float:
    return float(
        studentised.studentised_z(
            better[None, :], worse[None, :], ties_favour_better=ties_favour_better
        )[0]
    )


def unpaired_look(  # noqa: PLR0917 - the data of one look, in the order paired_looks takes
    candidate: Sequence[float],
    baseline: Sequence[float],
    goal: Goal,
    min_effect: float,
    design: Design,
    index: int,
) -> Look:
    """The evidence at look ``index`` (a single-look design: exact U p-values)."""
    zone = alarm_zone(candidate, baseline, design.indifference * min_effect)
    x = oriented(candidate, goal)
    y = oriented(baseline, goal)
    z_regression = -_z(x + zone, y, ties_favour_better=True)
    z_improvement = _z(x - zone, y, ties_favour_better=False)
    z_no_change = _z(x + min_effect, y, ties_favour_better=False)
    if len(design.looks) == 1:
        p_regression = one_sided_test(
            candidate, baseline, goal, Alternative.WORSE, margin=zone
        ).p_value
        p_improvement = one_sided_test(
            candidate, baseline, goal, Alternative.BETTER, margin=-zone
        ).p_value
        p_no_change = one_sided_test(
            candidate, baseline, goal, Alternative.BETTER, margin=min_effect
        ).p_value
    else:
        p_regression = sequential.regression_p_value(z_regression, index, design)
        p_improvement = sequential.regression_p_value(z_improvement, index, design)
        p_no_change = sequential.sequential_p_value(z_no_change, sequential.no_change_null(design))
    blocked = stability_blocks(candidate, baseline, goal, design)
    return Look(
        n_baseline=len(baseline),
        n_candidate=len(candidate),
        z_regression=z_regression,
        z_improvement=z_improvement,
        z_no_change=z_no_change,
        p_regression=p_regression,
        p_improvement=p_improvement,
        p_no_change=p_no_change if min_effect > 0 and not blocked else 1.0,
        stability_blocks=blocked,
    )


def _paired_value(value: float) -> float | None:
    """A paired statistic as a Look keeps it: None where pairing did not count (-inf)."""
    return float(value) if math.isfinite(value) else None


def paired_looks(
    candidate: Sequence[float],
    baseline: Sequence[float],
    goal: Goal,
    min_effect: float,
    design: Design,
) -> list[Look]:
    """The evidence at every look the candidate's runs reach, candidate run i paired with
    baseline[i] (the baseline in twin order)."""
    reached = tuple(n for n in design.looks if n <= len(candidate))
    if not reached:
        return []
    x = oriented(candidate, goal)[None, :]
    y = oriented(baseline, goal)[None, :]
    base = design.indifference * min_effect
    zone = np.asarray([[alarm_zone(candidate[:n], baseline, base) for n in reached]])
    u_reg, t_reg, _ = paired.evidence(x, y, reached, zone, worse=True)
    u_imp, t_imp, _ = paired.evidence(x, y, reached, -zone, worse=False)
    u_nc, _, s_nc = paired.evidence(x, y, reached, min_effect, worse=False)
    p_reg = paired.regression_p(u_reg, t_reg, design)[0]
    p_imp = paired.regression_p(u_imp, t_imp, design)[0]
    p_nc = paired.no_change_p(u_nc, s_nc, design)[0]
    blocked = [stability_blocks(candidate[:n], baseline, goal, design) for n in reached]
    return [
        Look(
            n_baseline=len(baseline),
            n_candidate=n,
            z_regression=float(u_reg[0, k]),
            z_improvement=float(u_imp[0, k]),
            z_no_change=float(u_nc[0, k]),
            p_regression=float(p_reg[k]),
            p_improvement=float(p_imp[k]),
            p_no_change=float(p_nc[k]) if min_effect > 0 and not blocked[k] else 1.0,
            t_regression=_paired_value(t_reg[0, k]),
            t_improvement=_paired_value(t_imp[0, k]),
            s_no_change=_paired_value(s_nc[0, k]),
            stability_blocks=blocked[k],
        )
        for k, n in enumerate(reached)
    ]


def deciding_analysis(look: Look, bound: Bound | None, design: Design) -> Analysis | None:
    """Which statistic carried the crossing at ``look`` (None: no bound crossed)."""
    if bound is None or bound is Bound.CAP:
        return None
    if not design.paired_bounds:
        return Analysis.UNPAIRED
    index = design.looks.index(look.n_candidate)
    if bound is Bound.NO_CHANGE:
        paired_side = look.s_no_change is not None and look.s_no_change > look.z_no_change
        return Analysis.PAIRED if paired_side else Analysis.UNPAIRED
    z, t = (
        (look.z_regression, look.t_regression)
        if bound is Bound.REGRESSION
        else (look.z_improvement, look.t_improvement)
    )
    paired_bound = design.paired_bounds[index]
    paired_ratio = t / paired_bound if t is not None and math.isfinite(paired_bound) else -math.inf
    return Analysis.PAIRED if paired_ratio > z / design.bounds_alpha[index] else Analysis.UNPAIRED


def _exact_rejects(
    moved: FloatArray, baseline: FloatArray, alternative: Alternative, level: float
) -> BoolArray:
    """Single-look designs: the exact U test of each row (oriented values, goal MAXIMIZE)."""
    return np.asarray(
        [
            one_sided_test(row, baseline, Goal.MAXIMIZE, alternative).p_value <= level
            for row in moved
        ],
        dtype=bool,
    )


def decision_interval(
    candidate: Sequence[float],
    baseline: Sequence[float],
    goal: Goal,
    min_effect: float,
    design: Design,
    *,
    look: int,
) -> Interval:
    """The shifts (candidate - baseline, metric units) that the tests of look index ``look``
    do not reject (``stats.inversion``). For a paired design ``baseline`` is in twin order."""
    x = oriented(candidate, goal)
    y = oriented(baseline, goal)
    zone = alarm_zone(candidate, baseline, design.indifference * min_effect)
    points = (-zone, zone, -min_effect)
    beta = 1 - design.power
    if design.paired_bounds:
        reached = design.looks[: look + 1]

        def rows(moved: FloatArray) -> FloatArray:
            return np.broadcast_to(y, (moved.shape[0], y.size))

        def above(moved: FloatArray) -> BoolArray:
            u, t, _ = paired.evidence(moved, rows(moved), reached, 0.0, worse=True)
            return np.asarray(paired.regression_p(u, t, design)[:, look] <= design.alpha)

        def below(moved: FloatArray) -> BoolArray:
            u, t, s = paired.evidence(moved, rows(moved), reached, 0.0, worse=False)
            improvement = paired.regression_p(u, t, design)[:, look] <= design.alpha
            return np.asarray(improvement | (paired.no_change_p(u, s, design)[:, look] <= beta))

    elif len(design.looks) == 1:

        def above(moved: FloatArray) -> BoolArray:
            return _exact_rejects(moved, y, Alternative.WORSE, design.alpha)

        def below(moved: FloatArray) -> BoolArray:
            return _exact_rejects(moved, y, Alternative.BETTER, min(beta, design.alpha))

    else:

        def z_rows(moved: FloatArray, *, ties: bool) -> FloatArray:
            rows = np.broadcast_to(y, (moved.shape[0], y.size))
            return studentised.studentised_z(moved, rows, ties_favour_better=ties)

        def above(moved: FloatArray) -> BoolArray:
            return np.asarray(
                sequential.regression_p_at(-z_rows(moved, ties=True), look, design) <= design.alpha
            )

        def below(moved: FloatArray) -> BoolArray:
            z = z_rows(moved, ties=False)
            improvement = sequential.regression_p_at(z, look, design) <= design.alpha
            return np.asarray(improvement | (sequential.no_change_p_values(z, design) <= beta))

    interval = inversion.invert(
        x, y, rejects_above=above, rejects_below=below, decision_points=points
    )
    return inversion.to_metric_units(interval, goal.sign)
