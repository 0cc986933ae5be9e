"""Paired seeds: what each split of alpha buys, and what it costs an uncorrelated change.

    python benchmarks/paired_frontier.py [--reps N] [--seed S] [--pool N]

Issue 12 asks for three things at once: a correlated change (same-seed rho 0.8, a drop of 2
seed-SDs) decided in <= 3.5 candidate runs on average; the real example's lr 0.8x detected in
<= 4; and, with no correlation, power within 10% of the unpaired engine's. The paired design
trades them through how much of alpha the paired statistic gets (``paired_share``) and how
much of that it spends by a quarter of the cap (``early_share``), and through the look
schedule. This sweeps those levers with everything else as the gate has it:

- synthetic cells as in benchmarks/paired.py (normal noise, a 20-run baseline, min_effect one
  seed SD, the same draws for every design);
- the real example as in benchmarks/paired_real.py (its cached pools: the reference and lr
  0.8x on seeds 0..N-1; each replay a random 20 of them, paired), min_effect one seed SD,
  decided by the same vectorised rule (``stats.operating.simulate``, which
  benchmarks/paired.py checks against ``compare()``).

The pools are made (TensorFlow, a few minutes) when --cache lacks them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import this_command
from paired import draw
from paired_real import CHANGED_LR
from real_example_runs import BASELINE_RUNS, REFERENCE_LR, Pool, build_pool, values
from verdict_quality import ALPHA, _config

from seedgate.config.settings import DEFAULT_LOOKS
from seedgate.records import Design
from seedgate.stats import FloatArray, paired
from seedgate.stats import design as sequential
from seedgate.stats.operating import Outcome, simulate

PREVIOUS_LOOKS = (3, 5, 10, 15, 20)  # the default before issue 24


@dataclass(frozen=True, slots=True)
class Lever:
    looks: tuple[int, ...]
    paired_share: float
    early_share: float

    @property
    def cells(self) -> str:
        return f"{', '.join(map(str, self.looks))} | {self.paired_share:g} | {self.early_share:g}"


LEVERS: tuple[Lever, ...] = (
    *(Lever(DEFAULT_LOOKS, share, 0.9) for share in (0.5, 0.65, 0.8)),
    Lever(DEFAULT_LOOKS, 0.95, 0.99),
    Lever(PREVIOUS_LOOKS, 0.65, 0.9),
    Lever(PREVIOUS_LOOKS, 0.95, 0.99),
)


@dataclass(frozen=True, slots=True)
class Draws:
    """The same experiments for every lever: (candidate, baseline) per cell."""

    no_correlation: tuple[FloatArray, FloatArray]  # rho 0, drop 1
    correlated: tuple[FloatArray, FloatArray]  # rho 0.8, drop 2
    real: tuple[FloatArray, FloatArray]  # lr 0.8x against the reference, in seed-SDs


def real_replays(
    reference: FloatArray, changed: FloatArray, reps: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """``reps`` replays of the gate on the real pools: a random 20 of the seeds per replay,
    the candidate the changed runs of the SAME seeds in the same order (paired), in units
    of the reference's seed SD."""
    order = np.argsort(rng.random((reps, reference.size)), axis=1)[:, :BASELINE_RUNS]
    seed_sd = float(reference.std(ddof=1))
    return changed[order] / seed_sd, reference[order] / seed_sd


def make_draws(args: argparse.Namespace) -> Draws:
    streams = iter(np.random.SeedSequence(args.seed).spawn(3))
    made = {
        pool.name: values(
            build_pool(pool, args.pool, cache=args.cache, train_size=1000, jobs=0, log=sys.stderr)
        )
        for pool in (
            Pool("paired-reference", REFERENCE_LR, 0),
            Pool(f"paired-lr-{CHANGED_LR:g}", CHANGED_LR, 0),
        )
    }
    return Draws(
        draw(np.random.default_rng(next(streams)), args.reps, 0.0, "normal", 1.0),
        draw(np.random.default_rng(next(streams)), args.reps, 0.8, "normal", 2.0),
        real_replays(
            made["paired-reference"],
            made[f"paired-lr-{CHANGED_LR:g}"],
            args.reps,
            np.random.default_rng(next(streams)),
        ),
    )


def _levels() -> tuple[float, float, int, int]:
    config = _config(1.0)
    return ALPHA, config.power, config.simulations, config.stats_seed


def power(design: Design, cell: tuple[FloatArray, FloatArray]) -> float:
    candidate, baseline = cell
    result = simulate(candidate[:, : design.looks[-1]], baseline, design, 1.0)
    return float(np.mean(result.outcome == Outcome.REGRESSION))


def mean_runs(design: Design, cell: tuple[FloatArray, FloatArray]) -> float:
    candidate, baseline = cell
    return float(simulate(candidate[:, : design.looks[-1]], baseline, design, 1.0).runs.mean())


def row(lever: Lever, draws: Draws) -> str:
    levels = _levels()
    unpaired = sequential.calibrate(lever.looks, BASELINE_RUNS, *levels)
    design = paired.calibrate(
        lever.looks,
        BASELINE_RUNS,
        *levels,
        paired_share=lever.paired_share,
        early_share=lever.early_share,
    )
    ratio = power(design, draws.no_correlation) / power(unpaired, draws.no_correlation)
    default = (lever.looks, lever.paired_share, lever.early_share) == (
        DEFAULT_LOOKS,
        paired.PAIRED_SHARE,
        paired.EARLY_SHARE,
    )
    return (
        f"| {lever.cells}{' (the gate)' if default else ''} | {ratio:.3f} "
        f"| {mean_runs(design, draws.correlated):.2f} | {mean_runs(design, draws.real):.2f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reps", type=int, default=20_000, help="experiments per cell (20000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--pool", type=int, default=24, help="real runs per pool (24)")
    parser.add_argument(
        "--cache", type=Path, default=Path(".seedgate/bench-paired"), help="pool RunSets"
    )
    args = parser.parse_args(argv)
    if args.reps < 2 or args.pool < BASELINE_RUNS:
        parser.error(f"--reps must be >= 2 and --pool >= {BASELINE_RUNS}")
    args.cache = args.cache.resolve()
    started = time.perf_counter()
    draws = make_draws(args)
    print(f"$ {this_command()}\n")
    print(
        "| looks | paired_share | early_share | rho 0, drop 1: power / unpaired's "
        "(target >= 0.9) | rho 0.8, drop 2: mean runs (target <= 3.5) "
        "| real lr 0.8x: mean runs (target <= 4) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for lever in LEVERS:
        print(row(lever, draws), flush=True)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
