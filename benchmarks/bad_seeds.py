"""How often the bad-seed flag fires when nothing is wrong: the share of seeds flagged.

    python benchmarks/bad_seeds.py [RUNSET.json ...]

Simulated: a 20-run baseline and a candidate of 3, 5, 10 or 20 runs drawn from the same
distribution (normal; log-normal with sigma 0.5, skewed like a log loss; a binomial accuracy
on 171 test examples, discrete like a small test set; two clusters, as a random forest's
log loss on load_breast_cancer falls), 2,000 repetitions each. Real: each
RunSet given (all runs of one code) split into a baseline of its first 20 successful runs
and the rest as the candidate, each metric on its own. The target is at most about 1 in 20.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from seedgate.runset.codec import read_runset
from seedgate.stats.outliers import bad_seeds

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


def flagged_share(baseline: np.ndarray, candidate: np.ndarray) -> int:
    base = list(enumerate(baseline.tolist()))
    cand = [(BASELINE + i, v) for i, v in enumerate(candidate.tolist())]
    return len(bad_seeds(base, cand))


def simulated_rows() -> list[str]:
    rows = []
    for name, draw in NULLS.items():
        for n_candidate in (3, 5, 10, 20):
            rng = np.random.default_rng(20_261_203)
            flagged = sum(
                flagged_share(draw(rng, BASELINE), draw(rng, n_candidate)) for _ in range(REPEATS)
            )
            share = flagged / (REPEATS * (BASELINE + n_candidate))
            rows.append(f"| {name} | {BASELINE} + {n_candidate} | {share:.3f} |")
    return rows


def real_rows(paths: list[Path]) -> list[str]:
    rows = []
    for path in paths:
        runs = read_runset(path)
        ok = runs.ok_runs
        for metric in runs.metric_names():
            values = np.array([r.metrics[metric] for r in ok if metric in r.metrics])
            base, cand = values[:BASELINE], values[BASELINE:]
            flagged = flagged_share(base, cand)
            rows.append(
                f"| {path.name}: {metric} | {len(base)} + {len(cand)} | "
                f"{flagged / len(values):.3f} ({flagged} of {len(values)}) |"
            )
    return rows


def main(argv: list[str]) -> None:
    print("$ python benchmarks/bad_seeds.py " + " ".join(argv))
    print()
    print("| values (nothing wrong) | runs (baseline + candidate) | share of seeds flagged |")
    print("|---|---:|---:|")
    for row in simulated_rows() + real_rows([Path(a) for a in argv]):
        print(row)


if __name__ == "__main__":
    main(sys.argv[1:])
