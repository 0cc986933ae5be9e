"""The decision rule of one metric, vectorised over many simulated experiments.

``compare`` decides one experiment at a time; planning (the power a design delivers) and the
benchmarks need the same rule on thousands of simulated experiments at once. This module is
that rule on arrays, with the same statistics (ties counted for each test's null, tie-free
null moments), the same bounds and the same order of decisions (see ``stats.design``); the
verdict-quality benchmark checks that it agrees with ``compare`` experiment by experiment.

Shapes: ``candidate`` (R, n_c) and ``baseline`` (R, n_b), oriented (larger is better), one
row per experiment; candidate runs in the order the gate would see them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from seedgate.records import Design
from seedgate.stats import FloatArray, grid, paired, stability, studentised
from seedgate.stats import design as sequential
from seedgate.stats.ranktest import exact_u_cdf

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
_ROWS_PER_CHUNK = 2_000


class Outcome(enum.IntEnum):
    """A simulated experiment's verdict (an int, so that outcomes fit in arrays)."""

    INCONCLUSIVE = 0
    REGRESSION = 1
    IMPROVEMENT = 2
    NO_CHANGE = 3


@dataclass(frozen=True, slots=True)
class Simulated:
    """Outcomes of R experiments: ``outcome`` (R,) Outcome values, ``runs`` (R,) candidate
    runs used (the deciding look, else the cap), ``look`` (R,) index of that look."""

    outcome: IntArray
    runs: IntArray
    look: IntArray


def _look_u(
    candidate: FloatArray,
    baseline: FloatArray,
    looks: tuple[int, ...],
    *,
    lockstep: bool,
    shift: float | FloatArray,
    ties_favour_candidate: bool,
) -> FloatArray:
    """U of (candidate + shift) over the baseline at each look: shape (R, len(looks)).

    ``shift``: one number or (R, 1) (single-look designs only then)."""
    x = candidate + (shift if np.ndim(shift) == 0 else np.asarray(shift)[:, :1])
    wins = (
        x[:, :, None] >= baseline[:, None, :]
        if ties_favour_candidate
        else (x[:, :, None] > baseline[:, None, :])
    )
    index = np.asarray(looks) - 1
    if lockstep:
        table = wins.cumsum(axis=1, dtype=np.int32).cumsum(axis=2, dtype=np.int32)
        at_looks: FloatArray = table[:, index, index].astype(float)
    else:
        at_looks = wins.sum(axis=2).cumsum(axis=1)[:, index].astype(float)
    return at_looks


def look_margins(
    candidate: FloatArray, baseline: FloatArray, design: Design, zone: float
) -> FloatArray:
    """The regression/improvement margin at each look, ``zone`` rounded up to whole grid
    steps where the look's values lie on a grid (``stats.grid``): (R, K)."""
    lockstep = design.baseline_n is None
    columns = []
    for n in design.looks:
        reference = baseline[:, :n] if lockstep else baseline
        steps = grid.grid_steps(np.concatenate([candidate[:, :n], reference], axis=1))
        columns.append(grid.alarm_margin(zone, steps))
    return np.stack(columns, axis=1)


def unstable(candidate: FloatArray, baseline: FloatArray, design: Design) -> BoolArray:
    """Looks where the candidate diverged more often than the baseline (``stats.stability``):
    no-change is not concluded there. (R, K)."""
    lockstep = design.baseline_n is None
    columns = []
    for n in design.looks:
        reference = baseline[:, :n] if lockstep else baseline
        steps = grid.grid_steps(np.concatenate([candidate[:, :n], reference], axis=1))
        cut = stability.cuts(reference, steps)
        mine = stability.diverged(candidate[:, :n], cut).sum(axis=1)
        theirs = stability.diverged(reference, cut).sum(axis=1)
        columns.append(
            ~stability.stable_enough(
                mine, n, theirs, reference.shape[1], stability.no_change_level(design.power)
            )
        )
    return np.stack(columns, axis=1)


def _crossings(
    candidate: FloatArray, baseline: FloatArray, design: Design, min_effect: float
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """(improvement, no-change, regression) crossed at each look: each (R, len(looks))."""
    looks, lockstep = design.looks, design.baseline_n is None
    zone = look_margins(candidate, baseline, design, design.indifference * min_effect)
    if len(looks) == 1:

        def u(shift: FloatArray | float, *, ties: bool) -> FloatArray:
            return _look_u(
                candidate, baseline, looks, lockstep=lockstep, shift=shift,
                ties_favour_candidate=ties,
            )  # fmt: skip

        improvement, no_change, regression = _single_look(
            u(-zone, ties=False),
            u(min_effect, ties=False),
            u(zone, ties=True),
            design,
            baseline.shape[1],
        )
    else:

        def z(shift: FloatArray | float, *, ties: bool) -> FloatArray:
            return studentised.look_z(
                candidate, baseline, looks, lockstep=lockstep, shift=shift,
                ties_favour_candidate=ties,
            )  # fmt: skip

        beta = 1 - design.power
        improvement = sequential.regression_p_values(z(-zone, ties=False), design) <= design.alpha
        regression = sequential.regression_p_values(-z(zone, ties=True), design) <= design.alpha
        no_change = sequential.no_change_p_values(z(min_effect, ties=False), design) <= beta
    no_change &= (min_effect > 0) & ~unstable(candidate, baseline, design)
    return improvement, no_change, regression


def _single_look(
    u_improvement: FloatArray,
    u_no_change: FloatArray,
    u_regression: FloatArray,
    design: Design,
    n_baseline: int,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Exact tie-free U p-values at one look, as the single-look compare uses them."""
    n_c = design.looks[0]
    cdf = exact_u_cdf(n_c, n_baseline)
    pairs = n_c * n_baseline

    def upper(u: FloatArray) -> FloatArray:  # P(U >= u) = P(U <= mn - u)
        result: FloatArray = cdf[(pairs - u).astype(np.int64)]
        return result

    improvement = upper(u_improvement) <= design.alpha
    no_change = upper(u_no_change) <= 1 - design.power
    regression = cdf[u_regression.astype(np.int64)] <= design.alpha
    return improvement, no_change, regression


def _paired_crossings(
    candidate: FloatArray, baseline: FloatArray, design: Design, min_effect: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """The crossings of a paired design (``stats.paired``), candidate run i the twin of
    baseline run i; a first look that replays the baseline exactly is no-change there."""
    looks = design.looks
    zone = look_margins(candidate, baseline, design, design.indifference * min_effect)
    u_reg, t_reg, _ = paired.evidence(candidate, baseline, looks, zone, worse=True)
    u_imp, t_imp, _ = paired.evidence(candidate, baseline, looks, -zone, worse=False)
    u_nc, _, s_nc = paired.evidence(candidate, baseline, looks, min_effect, worse=False)
    regression = paired.regression_p(u_reg, t_reg, design) <= design.alpha
    improvement = paired.regression_p(u_imp, t_imp, design) <= design.alpha
    no_change = (paired.no_change_p(u_nc, s_nc, design) <= 1 - design.power) & (min_effect > 0)
    no_change &= ~unstable(candidate, baseline, design)
    replay = replays(candidate[:, : looks[0]], baseline[:, : looks[0]]) & (min_effect > 0)
    no_change[:, 0] |= replay
    regression[:, 0] &= ~replay
    improvement[:, 0] &= ~replay
    return improvement, no_change, regression


def replays(candidate: FloatArray, baseline: FloatArray) -> NDArray[np.bool_]:
    """Rows whose candidate equals its twins bit for bit, on twins that differ from each
    other (a coarse metric's chance ties are not a replay): (R, n) -> (R,)."""
    identical = (candidate == baseline).all(axis=1)
    ordered = np.sort(baseline, axis=1)
    distinct = (np.diff(ordered, axis=1) != 0).all(axis=1)
    result: NDArray[np.bool_] = identical & distinct
    return result


def simulate(
    candidate: FloatArray, baseline: FloatArray, design: Design, min_effect: float
) -> Simulated:
    """The gate's verdict for each row (one metric, no multiplicity correction).

    Stored-baseline designs need ``baseline`` (R, design.baseline_n); lockstep designs a
    baseline at least as long as the last look. Single-look designs use exact p-values.
    Paired designs (``design.paired_bounds``) take candidate run i as baseline run i's twin.
    """
    outcomes, runs, looks = [], [], []
    for start in range(0, candidate.shape[0], _ROWS_PER_CHUNK):
        chunk = slice(start, start + _ROWS_PER_CHUNK)
        crossings = _paired_crossings if design.paired_bounds else _crossings
        improvement, no_change, regression = crossings(
            candidate[chunk], baseline[chunk], design, min_effect
        )
        crossed = improvement | no_change | regression
        first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), len(design.looks) - 1)
        rows = np.arange(first.size)
        outcome = np.select(
            [improvement[rows, first], no_change[rows, first], regression[rows, first]],
            [Outcome.IMPROVEMENT, Outcome.NO_CHANGE, Outcome.REGRESSION],
            Outcome.INCONCLUSIVE,
        )
        outcomes.append(outcome)
        looks.append(first)
        runs.append(np.asarray(design.looks)[first])
    return Simulated(
        np.concatenate(outcomes).astype(np.int64),
        np.concatenate(runs).astype(np.int64),
        np.concatenate(looks).astype(np.int64),
    )
