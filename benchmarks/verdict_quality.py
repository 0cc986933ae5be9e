"""Verdict quality: false alarms, power, runs spent, ties and interval coverage, by simulation.

    python benchmarks/verdict_quality.py [--reps N] [--seed S] [--check N]

The gate's rule for one metric is simulated on many experiments at once
(``seedgate.stats.operating``, the same statistics and bounds as ``compare``); the first
``--check`` experiments of every gate cell are also decided by ``compare()`` itself, and the
two must agree on verdict and runs used (the script fails otherwise).

Continuous cells: min_effect = 1 seed-SD, larger is better, the candidate's runs shifted down
by the drop; a stored 20-run baseline (the same runs at every look) and the default looks
3, 4, 5, 7, 10, 15, 20. Noise: ``normal`` N(0, 1); ``bad-seeds`` 95% N(0, 1) + 5% N(-5, 1).

Discrete cells (no change, so P(regression) is the false-alarm rate): a metric that takes a
few values, min_effect 0.001 (below the grid step, so most values tie):
  two-valued q   0.900, or 0.898 with probability q
  five-valued    0.896 ... 0.904 in steps of 0.002, binomial(4, 1/2) weights
for the sequential gate and for the single-look ``compare`` (5 candidate runs against 20).

The interval shown next to a verdict is the inversion of the tests that decided (issue
24); its coverage by stopping look is measured by benchmarks/verdict_robustness.py.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from common import plus_minus, rate_cell, rate_se, this_command
from numpy.typing import NDArray

from seedgate.compare import compare, runs_used
from seedgate.config.settings import Config, MetricSpec, MinEffect
from seedgate.records import Design, Goal, RunResult, RunSet, RunStatus, Verdict
from seedgate.stats import FloatArray
from seedgate.stats.design import calibrate
from seedgate.stats.operating import Outcome, simulate

Draw = Callable[[np.random.Generator, tuple[int, ...]], FloatArray]
METRIC = "score"
ALPHA = 0.05
BASELINE_RUNS = 20
DROPS = (0.0, 0.25, 0.5, 0.75, 1.0, 2.0)
DISCRETE_MIN_EFFECT = 0.001
_VERDICT_OUTCOME = {
    Verdict.INCONCLUSIVE: Outcome.INCONCLUSIVE,
    Verdict.REGRESSION: Outcome.REGRESSION,
    Verdict.IMPROVEMENT: Outcome.IMPROVEMENT,
    Verdict.NO_CHANGE: Outcome.NO_CHANGE,
}


def draw_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
    return rng.normal(size=shape)


def draw_bad_seeds(rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
    bad = rng.random(shape) < 0.05
    values: FloatArray = rng.normal(size=shape) + np.where(bad, -5.0, 0.0)
    return values


def discrete(values: Sequence[float], weights: Sequence[float]) -> Draw:
    def draw(rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
        drawn: FloatArray = rng.choice(np.asarray(values), size=shape, p=np.asarray(weights))
        return drawn

    return draw


CONTINUOUS: dict[str, Draw] = {"normal": draw_normal, "bad-seeds": draw_bad_seeds}
DISCRETE: dict[str, Draw] = {
    "two-valued 5%": discrete((0.9, 0.898), (0.95, 0.05)),
    "two-valued 20%": discrete((0.9, 0.898), (0.8, 0.2)),
    "five-valued": discrete(
        (0.896, 0.898, 0.9, 0.902, 0.904), (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)
    ),
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One row: P(each outcome) and the runs used, over ``reps`` experiments."""

    label: str
    noise: str
    drop: float
    reps: int
    regression: float
    no_change: float
    inconclusive: float
    runs_mean: float
    runs_se: float


def runset(values: FloatArray, seed_base: int = 0) -> RunSet:
    """A RunSet of successful runs with the given metric values, seeds seed_base + i."""
    runs = tuple(
        RunResult(
            index=i,
            seed=seed_base + i,
            status=RunStatus.OK,
            metrics={METRIC: float(v)},
            duration_s=0.0,
        )
        for i, v in enumerate(values)
    )
    return RunSet(runs, "benchmark", "sha256:bench", None, {}, "1970-01-01T00:00:00Z")


def _config(min_effect: float) -> Config:
    spec = MetricSpec(METRIC, Goal.MAXIMIZE, MinEffect(min_effect, relative=False))
    return Config(metrics=(spec,))


def cross_check(
    candidate: FloatArray, baseline: FloatArray, looks: tuple[int, ...], min_effect: float
) -> int:
    """Decide the rows with compare() too; raise when a verdict or run count differs."""
    config = _config(min_effect)
    sequential = len(looks) > 1
    for row in range(candidate.shape[0]):
        cand = candidate[row] if sequential else candidate[row, : looks[0]]
        # independent draws: other seeds than the baseline's, so compare() does not pair them
        comparison = compare(
            runset(baseline[row]),
            runset(cand, seed_base=1000),
            config,
            looks=looks if sequential else None,
        )
        expected = simulate(
            candidate[row : row + 1], baseline[row : row + 1], _design(looks), min_effect
        )
        got = _VERDICT_OUTCOME[comparison.verdict]
        if got != expected.outcome[0] or runs_used(comparison) != expected.runs[0]:
            msg = (
                f"row {row}: compare() says {comparison.verdict} after {runs_used(comparison)} runs"
            )
            raise AssertionError(f"{msg}; the vectorised rule says {Outcome(expected.outcome[0])}")
    return int(candidate.shape[0])


def _design(looks: tuple[int, ...]) -> Design:
    config = _config(1.0)
    return calibrate(
        looks, BASELINE_RUNS, ALPHA, config.power, config.simulations, config.stats_seed
    )


def gate_cell(
    label: str,
    noise: str,
    draw: Draw,
    drop: float,
    *,
    looks: tuple[int, ...],
    min_effect: float,
    reps: int,
    rng: np.random.Generator,
    check: int,
) -> tuple[Cell, int, FloatArray, FloatArray, NDArray[np.int64]]:
    baseline = draw(rng, (reps, BASELINE_RUNS))
    candidate = draw(rng, (reps, looks[-1])) - drop
    result = simulate(candidate, baseline, _design(looks), min_effect)
    checked = cross_check(candidate[:check], baseline[:check], looks, min_effect)
    runs = result.runs.astype(float)

    def rate(outcome: Outcome) -> float:
        return float(np.mean(result.outcome == outcome))

    cell = Cell(
        label,
        noise,
        drop,
        reps,
        rate(Outcome.REGRESSION),
        rate(Outcome.NO_CHANGE),
        rate(Outcome.INCONCLUSIVE),
        float(runs.mean()),
        float(runs.std(ddof=1) / math.sqrt(reps)),
    )
    return cell, checked, candidate, baseline, result.look


def format_cells(cells: Sequence[Cell]) -> list[str]:
    lines = [
        (
            "| cell | noise | drop (x min_effect) | P(regression) | P(no-change) "
            "| P(inconclusive) | mean candidate runs |"
        ),
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.label} | {c.noise} | {c.drop:g} | {rate_cell(c.regression, c.reps)} "
        f"| {rate_cell(c.no_change, c.reps)} "
        f"| {rate_cell(c.inconclusive, c.reps)} | {plus_minus(c.runs_mean, c.runs_se, 2)} |"
        for c in cells
    ]
    return lines


def neyman_pearson_ceiling(n_c: int, n_b: int, null_drop: float, drop: float) -> float:
    """The most power ANY rule can have at ``drop`` (normal noise, known SD, n_c vs n_b runs)
    when its false-alarm rate at ``null_drop`` is at most ALPHA: the one-sided z-test."""
    from statistics import NormalDist

    se = math.sqrt(1 / n_c + 1 / n_b)
    normal = NormalDist()
    return normal.cdf((drop - null_drop) / se - normal.inv_cdf(1 - ALPHA))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reps", type=int, default=20_000, help="experiments per cell (20000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--check", type=int, default=100, help="rows per cell also run by compare()"
    )
    args = parser.parse_args(argv)
    if args.reps < args.check or args.reps < 2:
        parser.error("--reps must be >= 2 and >= --check")
    started = time.perf_counter()
    print(f"$ {this_command()}\n")
    lines, checked = run_all(args.reps, args.seed, args.check)
    print("\n".join(lines))
    print(f"\n{checked} experiments also decided by compare(): all agree with the vectorised rule.")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


def plan(looks: tuple[int, ...]) -> list[tuple[str, str, Draw, float, tuple[int, ...], float]]:
    """Every cell: (label, noise, draw, drop, looks, min_effect)."""
    cells = [
        ("gate", noise, draw, drop, looks, 1.0)
        for noise, draw in CONTINUOUS.items()
        for drop in DROPS
    ]
    cells.append(("gate, min_effect 0", "normal", draw_normal, 0.0, looks, 0.0))
    cells += [
        (label, noise, draw, 0.0, schedule, DISCRETE_MIN_EFFECT)
        for noise, draw in DISCRETE.items()
        for label, schedule in (("gate", looks), ("single look 5 vs 20", (5,)))
    ]
    return cells


def run_all(reps: int, seed: int, check: int) -> tuple[list[str], int]:
    looks = _config(1.0).look_schedule()
    cells: list[Cell] = []
    checked = 0
    todo = plan(looks)
    streams = np.random.SeedSequence(seed).spawn(len(todo))
    for (label, noise, draw, drop, schedule, min_effect), stream in zip(todo, streams, strict=True):
        cell, n, _, _, _ = gate_cell(
            label, noise, draw, drop, looks=schedule, min_effect=min_effect, reps=reps,
            rng=np.random.default_rng(stream), check=check,
        )  # fmt: skip
        cells.append(cell)
        checked += n
    lines = format_cells(cells)
    lines += ["", "The interval's coverage by look: python benchmarks/verdict_robustness.py."]
    lines += ["", *_targets(cells, reps)]
    return lines, checked


def _targets(cells: Sequence[Cell], reps: int) -> list[str]:
    def find(label: str, noise: str, drop: float) -> Cell:
        return next(c for c in cells if c.label == label and c.noise == noise and c.drop == drop)

    checks: list[tuple[str, float, str, float]] = [
        (f"P(regression), drop {d:g}", find("gate", "normal", d).regression, "<=", ALPHA)
        for d in (0.0, 0.25)
    ]
    checks += [
        ("P(regression), drop 0.5", find("gate", "normal", 0.5).regression, "<=", 0.25),
        ("P(regression), drop 1", find("gate", "normal", 1.0).regression, ">=", 0.78),
        ("P(regression), drop 2", find("gate", "normal", 2.0).regression, ">=", 0.99),
        ("mean runs, no change", find("gate", "normal", 0.0).runs_mean, "<=", 8.0),
        (
            "P(no-change), min_effect 0",
            find("gate, min_effect 0", "normal", 0.0).no_change,
            "<=",
            0.0,
        ),
    ]
    checks += [
        (f"false alarm, {c.noise}, {c.label}", c.regression, "<=", ALPHA + 2 * rate_se(ALPHA, reps))
        for c in cells
        if c.noise in DISCRETE
    ]
    lines = ["Floors (issue 11):"]
    for label, value, sign, target in checks:
        met = value <= target if sign == "<=" else value >= target
        lines.append(
            f"{'met   ' if met else 'MISSED'} {label}: {value:.4f} (floor {sign} {target:.4g})"
        )
    ceiling = neyman_pearson_ceiling(BASELINE_RUNS, BASELINE_RUNS, 0.25, 1.0)
    lines.append(
        f"ceiling: no rule using at most 20 candidate and 20 baseline normal runs with "
        f"P(regression | drop 0.25) <= {ALPHA} has P(regression | drop 1) above {ceiling:.3f} "
        "(Neyman-Pearson, known SD)"
    )
    return lines


if __name__ == "__main__":
    sys.exit(main())
