"""The evidence of one metric at each look: z statistics and the design's p-values.

``candidate`` and ``baseline`` are the metric's values in run order (metric units); for a
paired design the baseline is reordered so that baseline[i] is candidate run i's twin, the
runs no candidate has used after them (``stats.twins``). See ``stats.design`` for the rule
and ``stats.paired`` for the paired statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from seedgate.records import Analysis, Bound, Design, Goal, Look
from seedgate.stats import FloatArray, paired
from seedgate.stats import design as sequential
from seedgate.stats.ranktest import Alternative, one_sided_test, oriented, resolved_u


def _z(better: FloatArray, worse: FloatArray, *, ties_favour_better: bool) -> float:
    return resolved_u(better, worse, ties_favour_better=ties_favour_better).z


def unpaired_look(  # noqa: PLR0917 - the data of one look, in the order paired_looks takes
    candidate: Sequence[float],
    baseline: Sequence[float],
    goal: Goal,
    min_effect: float,
    design: Design,
    index: int,
) -> Look:
    """The evidence at look ``index`` (a single-look design: exact U p-values)."""
    zone = design.indifference * min_effect
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
    return Look(
        n_baseline=len(baseline),
        n_candidate=len(candidate),
        z_regression=z_regression,
        z_improvement=z_improvement,
        z_no_change=z_no_change,
        p_regression=p_regression,
        p_improvement=p_improvement,
        p_no_change=p_no_change if min_effect > 0 else 1.0,
    )


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
    zone = design.indifference * min_effect
    u_reg, t_reg, _ = paired.evidence(x, y, reached, zone, worse=True)
    u_imp, t_imp, _ = paired.evidence(x, y, reached, -zone, worse=False)
    u_nc, _, s_nc = paired.evidence(x, y, reached, min_effect, worse=False)
    p_reg = paired.regression_p(u_reg, t_reg, design)[0]
    p_imp = paired.regression_p(u_imp, t_imp, design)[0]
    p_nc = paired.no_change_p(u_nc, s_nc, design)[0]
    return [
        Look(
            n_baseline=len(baseline),
            n_candidate=n,
            z_regression=float(u_reg[0, k]),
            z_improvement=float(u_imp[0, k]),
            z_no_change=float(u_nc[0, k]),
            p_regression=float(p_reg[k]),
            p_improvement=float(p_imp[k]),
            p_no_change=float(p_nc[k]) if min_effect > 0 else 1.0,
            t_regression=float(t_reg[0, k]),
            t_improvement=float(t_imp[0, k]),
            s_no_change=float(s_nc[0, k]),
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
