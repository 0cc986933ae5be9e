"""Paired seeds: false alarms across same-seed correlations, runs saved, exact replays.

    python benchmarks/paired.py [--reps N] [--seed S] [--check N]

Candidate run i and baseline run i share a seed. Their values are drawn with same-seed
correlation rho (a Gaussian copula: latent normals with correlation rho, mapped through the
metric's distribution, so rho = 1 is an exact replay), min_effect = 1 seed-SD, larger is
better, a stored 20-run baseline, the default looks 3, 4, 5, 7, 10, 15, 20.

The gate's rule is simulated on many experiments at once (``seedgate.stats.operating``); the
first ``--check`` experiments of every cell are also decided by ``compare()`` itself (on
RunSets whose seeds match, so ``compare`` pairs them) and must agree. Each cell is run with
the paired design and, on the same draws, with the unpaired design the gate uses when seeds
do not match.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from common import plus_minus, rate_cell, rate_se, this_command
from verdict_quality import ALPHA, BASELINE_RUNS, _config, runset

from seedgate.compare import compare, runs_used
from seedgate.config.settings import DEFAULT_LOOKS
from seedgate.records import Design, Verdict
from seedgate.stats import FloatArray, paired
from seedgate.stats import design as sequential
from seedgate.stats.operating import Outcome, simulate

Quantile = Callable[[FloatArray], FloatArray]
LOOKS = DEFAULT_LOOKS
_OUTCOME = {
    Verdict.INCONCLUSIVE: Outcome.INCONCLUSIVE,
    Verdict.REGRESSION: Outcome.REGRESSION,
    Verdict.IMPROVEMENT: Outcome.IMPROVEMENT,
    Verdict.NO_CHANGE: Outcome.NO_CHANGE,
}


def normal_quantile(u: FloatArray) -> FloatArray:
    return u  # the latent normal itself


def discrete_quantile(values: Sequence[float], weights: Sequence[float]) -> Quantile:
    """Map latent normals to a metric taking ``values`` with ``weights``."""
    cuts = np.asarray([NormalDist().inv_cdf(c) for c in np.cumsum(weights)[:-1]])
    levels = np.asarray(values)

    def quantile(latent: FloatArray) -> FloatArray:
        mapped: FloatArray = levels[np.searchsorted(cuts, latent)]
        return mapped

    return quantile


NOISE: dict[str, tuple[Quantile, float]] = {  # quantile map and min_effect
    "normal": (normal_quantile, 1.0),
    "two-valued 20%": (discrete_quantile((0.898, 0.9), (0.2, 0.8)), 0.001),
    "five-valued": (
        discrete_quantile(
            (0.896, 0.898, 0.9, 0.902, 0.904), (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)
        ),
        0.001,
    ),
}


@dataclass(frozen=True, slots=True)
class Cell:
    noise: str
    rho: float
    drop: float
    design: str
    reps: int
    regression: float
    no_change: float
    first_look: float  # decided at the first look
    runs_mean: float
    runs_se: float


def draw(
    rng: np.random.Generator, reps: int, rho: float, noise: str, drop: float
) -> tuple[FloatArray, FloatArray]:
    """(candidate (reps, 20), baseline (reps, 20)): run i of each side shares seed i."""
    quantile, _ = NOISE[noise]
    latent_base = rng.normal(size=(reps, BASELINE_RUNS))
    own = rng.normal(size=(reps, LOOKS[-1]))
    latent_cand = rho * latent_base[:, : LOOKS[-1]] + math.sqrt(max(0.0, 1 - rho**2)) * own
    return quantile(latent_cand) - drop, quantile(latent_base)


def designs() -> dict[str, Design]:
    config = _config(1.0)
    levels = (ALPHA, config.power, config.simulations, config.stats_seed)
    return {
        "paired": paired.calibrate(LOOKS, BASELINE_RUNS, *levels),
        "unpaired": sequential.calibrate(LOOKS, BASELINE_RUNS, *levels),
    }


def cross_check(
    candidate: FloatArray, baseline: FloatArray, design: Design, min_effect: float
) -> int:
    """compare() on RunSets with matching seeds must decide like the vectorised rule."""
    config = _config(min_effect)
    for row in range(candidate.shape[0]):
        comparison = compare(runset(baseline[row]), runset(candidate[row]), config, looks=LOOKS)
        expected = simulate(candidate[row : row + 1], baseline[row : row + 1], design, min_effect)
        got = _OUTCOME[comparison.verdict]
        if got != expected.outcome[0] or runs_used(comparison) != expected.runs[0]:
            raise AssertionError(
                f"row {row}: compare() says {comparison.verdict} after {runs_used(comparison)} "
                f"runs, the vectorised rule {Outcome(expected.outcome[0])} after {expected.runs[0]}"
            )
    return int(candidate.shape[0])


def cells_for(
    noise: str, rho: float, drop: float, *, reps: int, rng: np.random.Generator, check: int
) -> tuple[list[Cell], int]:
    candidate, baseline = draw(rng, reps, rho, noise, drop)
    min_effect = NOISE[noise][1]
    cells = []
    for name, design in designs().items():
        result = simulate(candidate, baseline, design, min_effect)
        runs = result.runs.astype(float)
        cells.append(
            Cell(
                noise,
                rho,
                drop,
                name,
                reps,
                float(np.mean(result.outcome == Outcome.REGRESSION)),
                float(np.mean(result.outcome == Outcome.NO_CHANGE)),
                float(np.mean((result.look == 0) & (result.outcome != Outcome.INCONCLUSIVE))),
                float(runs.mean()),
                float(runs.std(ddof=1) / math.sqrt(reps)),
            )
        )
    checked = cross_check(candidate[:check], baseline[:check], designs()["paired"], min_effect)
    return cells, checked


def format_cells(cells: Sequence[Cell]) -> list[str]:
    lines = [
        (
            "| noise | same-seed rho | drop (x min_effect) | design | P(regression) "
            "| P(no-change) | decided at look 1 | mean candidate runs |"
        ),
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.noise} | {c.rho:g} | {c.drop:g} | {c.design} "
        f"| {rate_cell(c.regression, c.reps)} "
        f"| {rate_cell(c.no_change, c.reps)} "
        f"| {rate_cell(c.first_look, c.reps)} | {plus_minus(c.runs_mean, c.runs_se, 2)} |"
        for c in cells
    ]
    return lines


PLAN: tuple[tuple[str, float, float], ...] = (
    *((noise, rho, 0.0) for noise in NOISE for rho in (0.0, 0.5, 0.9, 1.0)),
    *(("normal", rho, 0.25) for rho in (0.0, 0.5, 0.9)),
    *(("normal", rho, drop) for rho in (0.0, 0.5, 0.8, 0.9) for drop in (1.0, 2.0)),
)


def _targets(cells: Sequence[Cell], reps: int) -> list[str]:
    def find(noise: str, rho: float, drop: float, design: str = "paired") -> Cell:
        return next(
            c for c in cells if (c.noise, c.rho, c.drop, c.design) == (noise, rho, drop, design)
        )

    limit = ALPHA + 2 * rate_se(ALPHA, reps)
    checks: list[tuple[str, float, str, float]] = [
        (f"false alarm, {c.noise}, rho {c.rho:g}, drop {c.drop:g}", c.regression, "<=", limit)
        for c in cells
        if c.design == "paired" and c.drop <= 0.25
    ]
    checks.append(("rho 0.8, drop 2: mean runs", find("normal", 0.8, 2.0).runs_mean, "<=", 3.5))
    checks.append(
        ("exact replay decided at look 1", find("normal", 1.0, 0.0).first_look, ">=", 1.0)
    )
    base_power = find("normal", 0.0, 1.0, "unpaired").regression
    checks.append(
        (
            "rho 0, drop 1: power vs unpaired",
            find("normal", 0.0, 1.0).regression,
            ">=",
            0.9 * base_power,
        )
    )
    for drop in (0.0, 1.0):
        base_runs = find("normal", 0.0, drop, "unpaired").runs_mean
        checks.append(
            (
                f"rho 0, drop {drop:g}: mean runs vs unpaired",
                find("normal", 0.0, drop).runs_mean,
                "<=",
                1.1 * base_runs,
            )
        )
    lines = ["Targets (issue 12):"]
    for label, value, sign, target in checks:
        met = value <= target if sign == "<=" else value >= target
        lines.append(
            f"{'met   ' if met else 'MISSED'} {label}: {value:.4f} (target {sign} {target:.4g})"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reps", type=int, default=20_000, help="experiments per cell (20000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--check", type=int, default=50, help="rows per cell also run by compare()")
    args = parser.parse_args(argv)
    if args.reps < max(2, args.check):
        parser.error("--reps must be >= 2 and >= --check")
    started = time.perf_counter()
    print(f"$ {this_command()}\n")
    streams = iter(np.random.SeedSequence(args.seed).spawn(len(PLAN)))
    cells: list[Cell] = []
    checked = 0
    for noise, rho, drop in PLAN:
        rng = np.random.default_rng(next(streams))
        more, n = cells_for(noise, rho, drop, reps=args.reps, rng=rng, check=args.check)
        cells += more
        checked += n
    print("\n".join(format_cells(cells)))
    print("\n" + "\n".join(_targets(cells, args.reps)))
    print(f"\n{checked} experiments also decided by compare() (paired): all agree.")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
