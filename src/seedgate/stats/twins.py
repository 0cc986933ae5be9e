"""Which runs are twins (the same seed on both sides), decided from the seed lists alone.

The rule is fixed before any value is looked at, so choosing between the paired and the
unpaired analysis cannot inflate false alarms: a design is paired exactly when every
candidate seed is among the baseline's seeds, no seed repeats, the baseline is a stored one
with a twin for every run up to the cap, and the gate looks more than once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seedgate.records import PairingStatus, RunSet


@dataclass(frozen=True, slots=True)
class Twins:
    """The pairing decision and, when paired, the baseline order that puts twins first:
    ``order[i]`` is the baseline index of candidate run i's twin for i < len(candidate),
    followed by the baseline runs no candidate run has used."""

    status: PairingStatus
    order: tuple[int, ...] = ()


def pair_seeds(
    candidate_seeds: Sequence[int],
    baseline_seeds: Sequence[int],
    *,
    cap: int,
    lockstep: bool,
    looks: int,
) -> Twins:
    """Decide the pairing of one metric's successful runs (seeds in run order)."""
    if looks < 2:
        return Twins(PairingStatus.SINGLE_LOOK)
    if lockstep:
        return Twins(PairingStatus.LOCKSTEP)
    if len(set(candidate_seeds)) < len(candidate_seeds) or len(set(baseline_seeds)) < len(
        baseline_seeds
    ):
        return Twins(PairingStatus.DUPLICATE_SEEDS)
    position = {seed: i for i, seed in enumerate(baseline_seeds)}
    if any(seed not in position for seed in candidate_seeds):
        return Twins(PairingStatus.SEEDS_DIFFER)
    if len(baseline_seeds) < cap:
        return Twins(PairingStatus.BASELINE_TOO_SHORT)
    twins = [position[seed] for seed in candidate_seeds]
    used = set(twins)
    rest = [i for i in range(len(baseline_seeds)) if i not in used]
    return Twins(PairingStatus.PAIRED, tuple(twins + rest))


def replayed_seeds(
    candidate: Sequence[tuple[int, Mapping[str, float]]],
    baseline: Mapping[int, Mapping[str, float]],
    first_look: int,
) -> tuple[int, ...]:
    """The seeds of the first look when the candidate replays the baseline there, else ().

    Replay: each of the first ``first_look`` candidate runs reports exactly the metrics of
    its twin, bit for bit, and some metric differs between those twins (so a coarse
    metric's chance ties, e.g. three runs at 0.900, do not count as a replay).
    """
    runs = candidate[:first_look]
    if len(runs) < first_look or any(seed not in baseline for seed, _ in runs):
        return ()
    if any(dict(metrics) != dict(baseline[seed]) for seed, metrics in runs):
        return ()
    names = set.intersection(*(set(metrics) for _, metrics in runs))
    distinct = any(
        len({baseline[seed][name] for seed, _ in runs}) == len(runs) for name in sorted(names)
    )
    return tuple(seed for seed, _ in runs) if distinct else ()


def replayed_runs(baseline: RunSet | None, candidate: RunSet, first_look: int) -> tuple[int, ...]:
    """``replayed_seeds`` of two RunSets' successful runs (() without a baseline)."""
    if baseline is None:
        return ()
    return replayed_seeds(
        [(r.seed, r.metrics) for r in candidate.ok_runs],
        {r.seed: r.metrics for r in baseline.ok_runs},
        first_look,
    )


def same_seed_correlation(candidate: Sequence[float], twins: Sequence[float]) -> float | None:
    """Pearson correlation of the values of the same seeds (None: fewer than 3, or constant)."""
    x = np.asarray(candidate, dtype=float)
    y = np.asarray(twins, dtype=float)
    if x.size < 3 or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return None
    if np.array_equal(x, y):
        return 1.0
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])
