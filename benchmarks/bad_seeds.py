"""How often the bad-seed flag fires when nothing is wrong: the share of seeds flagged.

    python benchmarks/bad_seeds.py [RUNSET.json[+MORE.json] ...]

Simulated: a 20-run baseline and a candidate of 3, 5, 10 or 20 runs drawn from the same
distribution (normal; log-normal with sigma 0.5, skewed like a log loss; a binomial accuracy
on 171 test examples, discrete like a small test set; two clusters, as a random forest's
log loss on load_breast_cancer falls), 2,000 repetitions each. Real: the runs of each pool
given (RunSets of one code, joined by "+") split at random into a 20-run baseline and a
candidate, 2,000 times, each metric on its own. The target is at most about 1 in 20; the last
column is the rule before (median/MAD alone), for contrast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from seedgate.runset.codec import read_runset
from seedgate.stats.outliers import DEFAULT_THRESHOLD, bad_seeds, robust_z

REPEATS = 2_000
BASELINE = 20
Draw = Callable[[np.random.Generator, int], np.ndarray]
NULLS: dict[str, Draw] = {
    "normal": lambda rng, n: rng.normal(0.9, 0.01, n),
    "log-normal sigma 0.5": lambda rng, n: rng.lognormal(-1.8, 0.5, n),
    "binomial accuracy, 171 examples": lambda rng, n: rng.binomial(171, 0.95, n) / 171,
    "two clusters (a random forest's log loss)": lambda rng, n: np.where(
        rng.random(n) < 0.5, rng.normal(0.12, 0.02, n), rng.normal(0.32, 0.015, n)
    ),
}


def _flags(baseline: np.ndarray, candidate: np.ndarray) -> tuple[int, int]:
    """(seeds flagged by the rule, by the MAD-only rule it replaced) for one comparison."""
    base = list(enumerate(baseline.tolist()))
    cand = [(BASELINE + i, v) for i, v in enumerate(candidate.tolist())]
    residuals = np.concatenate([baseline - np.median(baseline), candidate - np.median(candidate)])
    mad_only = int((np.abs(robust_z(residuals)) > DEFAULT_THRESHOLD).sum())
    return len(bad_seeds(base, cand)), mad_only


def _row(name: str, n_candidate: int, pairs: list[tuple[np.ndarray, np.ndarray]]) -> str:
    flagged = np.array([_flags(b, c) for b, c in pairs])
    seeds = len(pairs) * (BASELINE + n_candidate)
    rule, mad = flagged.sum(axis=0) / seeds
    return f"| {name} | {BASELINE} + {n_candidate} | {rule:.3f} | {mad:.3f} |"


def simulated_rows() -> list[str]:
    rows = []
    for name, draw in NULLS.items():
        for n_candidate in (3, 5, 10, 20):
            rng = np.random.default_rng(20_261_203)
            pairs = [(draw(rng, BASELINE), draw(rng, n_candidate)) for _ in range(REPEATS)]
            rows.append(_row(name, n_candidate, pairs))
    return rows


def real_rows(pools: list[str]) -> list[str]:
    """Each pool (RunSet files of one code, joined by "+") split at random into a 20-run
    baseline and a candidate, REPEATS times per candidate size."""
    rows = []
    for pool in pools:
        paths = [Path(p) for p in pool.split("+")]
        ok = [run for path in paths for run in read_runset(path).ok_runs]
        for metric in sorted({name for run in ok for name in run.metrics}):
            values = np.array([run.metrics[metric] for run in ok if metric in run.metrics])
            if np.ptp(values) == 0:
                continue
            for n_candidate in (3, 5, 10, 20):
                if BASELINE + n_candidate > len(values):
                    continue
                rng = np.random.default_rng(20_261_203)
                splits = (rng.permutation(values)[: BASELINE + n_candidate] for _ in range(REPEATS))
                pairs = [(s[:BASELINE], s[BASELINE:]) for s in splits]
                name = f"{'+'.join(p.name for p in paths)} ({len(values)} runs): {metric}"
                rows.append(_row(name, n_candidate, pairs))
    return rows


def main(argv: list[str]) -> None:
    print("$ python benchmarks/bad_seeds.py " + " ".join(argv))
    print()
    print(
        "| values (nothing wrong) | runs (baseline + candidate) | share of seeds flagged "
        "| with the MAD alone (before) |"
    )
    print("|---|---:|---:|---:|")
    for row in simulated_rows() + real_rows(argv):
        print(row)


if __name__ == "__main__":
    main(sys.argv[1:])
