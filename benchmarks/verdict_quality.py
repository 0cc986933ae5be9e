"""Verdict quality: false alarms, power, inconclusive answers and runs spent, by simulation.

    python benchmarks/verdict_quality.py [--reps N] [--seed S]

Noise models (one metric, larger is better, seed-to-seed SD 1 in the clean component):
  normal     N(0, 1)
  bad-seeds  95% N(0, 1) + 5% N(-5, 1): a few seeds collapse, on both sides

True drops of 0, 0.5, 1 and 2 SD are applied to every candidate run; min_effect is 1 SD.

Methods:
  seedgate (baseline 20)   the product: compare() with the default look schedule against a
                           stored 20-run baseline (the same baseline reused at every look)
  seedgate (lockstep)      compare(lockstep=True): baseline and candidate grow together
                           (the baseline's runs are spent too, as many as the candidate's)
  Welch t, N per side      fixed N, one-sided Welch t-test at alpha 0.05
  Mann-Whitney, N/side     fixed N, one-sided Mann-Whitney U at alpha 0.05
  single run, 1-SD tol.    common practice: one candidate run, flagged when it is below the
                           20-run baseline's mean minus one baseline SD

P(regression) is the false-alarm rate at drop 0 and the power at drops > 0. Fixed-N tests
and the tolerance rule have no "inconclusive" answer (shown as "-"). Every number carries
its Monte-Carlo standard error.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from seedgate.compare import compare, runs_used
from seedgate.config import Config, MetricSpec, MinEffect
from seedgate.records import Goal, RunResult, RunSet, RunStatus, Verdict

FloatArray = NDArray[np.float64]
METRIC = "score"
ALPHA = 0.05
BASELINE_RUNS = 20
SHIFTS = (0.0, 0.5, 1.0, 2.0)
FIXED_NS = (5, 10, 20)
CONFIG = Config(metrics=(MetricSpec(METRIC, Goal.MAXIMIZE, MinEffect(1.0, relative=False)),))


def draw_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
    return rng.normal(size=shape)


def draw_bad_seeds(rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
    bad = rng.random(shape) < 0.05
    values: FloatArray = rng.normal(size=shape) + np.where(bad, -5.0, 0.0)
    return values


NOISE: dict[str, Callable[[np.random.Generator, tuple[int, ...]], FloatArray]] = {
    "normal": draw_normal,
    "bad-seeds": draw_bad_seeds,
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One (method, noise, shift) row of the table."""

    method: str
    noise: str
    shift: float
    reps: int
    regression: float
    inconclusive: float | None
    runs_mean: float
    runs_se: float

    @property
    def regression_se(self) -> float:
        return _rate_se(self.regression, self.reps)

    @property
    def inconclusive_se(self) -> float | None:
        return None if self.inconclusive is None else _rate_se(self.inconclusive, self.reps)


def _rate_se(rate: float, reps: int) -> float:
    return math.sqrt(rate * (1 - rate) / reps)


def runset(values: FloatArray) -> RunSet:
    """A RunSet of successful runs with the given metric values, seeds 0..n-1."""
    runs = tuple(
        RunResult(index=i, seed=i, status=RunStatus.OK, metrics={METRIC: float(v)}, duration_s=0.0)
        for i, v in enumerate(values)
    )
    return RunSet(runs, "benchmark", "sha256:bench", None, {}, "1970-01-01T00:00:00Z")


def seedgate_cell(
    noise: str, shift: float, reps: int, rng: np.random.Generator, *, lockstep: bool
) -> Cell:
    """Run the product's compare() on fresh baselines and candidates."""
    looks = CONFIG.look_schedule()
    cap = looks[-1]
    draw = NOISE[noise]
    verdicts: list[Verdict] = []
    runs: list[int] = []
    for _ in range(reps):
        baseline = draw(rng, (BASELINE_RUNS,))
        candidate = draw(rng, (cap,)) - shift
        comparison = compare(
            runset(baseline), runset(candidate), CONFIG, looks=looks, lockstep=lockstep
        )
        verdicts.append(comparison.verdict)
        runs.append(runs_used(comparison))
    used = np.asarray(runs, dtype=float)
    name = "seedgate (lockstep)" if lockstep else f"seedgate (baseline {BASELINE_RUNS})"
    return Cell(
        method=name,
        noise=noise,
        shift=shift,
        reps=reps,
        regression=sum(v is Verdict.REGRESSION for v in verdicts) / reps,
        inconclusive=sum(v is Verdict.INCONCLUSIVE for v in verdicts) / reps,
        runs_mean=float(used.mean()),
        runs_se=float(used.std(ddof=1) / math.sqrt(reps)),
    )


def fixed_cell(
    test: str, n: int, noise: str, shift: float, *, reps: int, rng: np.random.Generator
) -> Cell:
    """A one-sided fixed-N test, vectorised over repetitions."""
    from scipy import stats  # lazy: only the fixed-N baselines need scipy

    draw = NOISE[noise]
    baseline = draw(rng, (reps, n))
    candidate = draw(rng, (reps, n)) - shift
    if test == "welch":
        p = stats.ttest_ind(candidate, baseline, equal_var=False, alternative="less", axis=1)
        label = f"Welch t, {n} per side"
    else:
        p = stats.mannwhitneyu(candidate, baseline, alternative="less", axis=1)
        label = f"Mann-Whitney, {n} per side"
    rate = float(np.mean(np.asarray(p.pvalue) < ALPHA))
    return Cell(label, noise, shift, reps, rate, None, float(n), 0.0)


def tolerance_cell(noise: str, shift: float, reps: int, rng: np.random.Generator) -> Cell:
    """One candidate run below the baseline mean minus one baseline SD is a regression."""
    draw = NOISE[noise]
    baseline = draw(rng, (reps, BASELINE_RUNS))
    candidate = draw(rng, (reps,)) - shift
    flagged = candidate < baseline.mean(axis=1) - baseline.std(axis=1, ddof=1)
    return Cell("single run, 1-SD tolerance", noise, shift, reps, float(flagged.mean()), None, 1, 0)


def run_all(reps: int, seed: int) -> list[Cell]:
    """Every (method, noise, shift) cell, each from its own reproducible random stream."""
    streams = iter(np.random.SeedSequence(seed).spawn(1000))
    cells: list[Cell] = []
    for noise in NOISE:
        for shift in SHIFTS:
            for lockstep in (False, True):
                rng = np.random.default_rng(next(streams))
                cells.append(seedgate_cell(noise, shift, reps, rng, lockstep=lockstep))
            for test in ("welch", "mann-whitney"):
                for n in FIXED_NS:
                    rng = np.random.default_rng(next(streams))
                    cells.append(fixed_cell(test, n, noise, shift, reps=reps, rng=rng))
            cells.append(tolerance_cell(noise, shift, reps, np.random.default_rng(next(streams))))
    order = {name: i for i, name in enumerate(dict.fromkeys(c.method for c in cells))}
    return sorted(cells, key=lambda c: (order[c.method], list(NOISE).index(c.noise), c.shift))


def _pm(value: float, se: float | None, digits: int = 3) -> str:
    if se is None:
        return "-"
    return f"{value:.{digits}f} ± {se:.{digits}f}"


def format_table(cells: Sequence[Cell], command: str) -> str:
    header = (
        "| method | noise | drop (SD) | P(regression): false alarm / power "
        "| P(inconclusive) | mean candidate runs |"
    )
    lines = [f"$ {command}", "", header, "|---|---|---:|---:|---:|---:|"]
    for c in cells:
        inconclusive = _pm(c.inconclusive, c.inconclusive_se) if c.inconclusive is not None else "-"
        runs = _pm(c.runs_mean, c.runs_se, 2) if c.runs_se > 0 else f"{c.runs_mean:g}"
        lines.append(
            f"| {c.method} | {c.noise} | {c.shift:g} | {_pm(c.regression, c.regression_se)} "
            f"| {inconclusive} | {runs} |"
        )
    return "\n".join(lines)


def _find(cells: Sequence[Cell], method: str, noise: str, shift: float) -> Cell:
    return next(c for c in cells if c.method == method and c.noise == noise and c.shift == shift)


def target_report(cells: Sequence[Cell]) -> list[str]:
    """The issue's targets for the product, each marked met or missed."""
    stored = f"seedgate (baseline {BASELINE_RUNS})"
    at_most: list[tuple[str, float, float]] = [
        (f"{method}, {noise}: false alarm", _find(cells, method, noise, 0).regression, ALPHA)
        for method in (stored, "seedgate (lockstep)")
        for noise in NOISE
    ]
    at_most += [
        (f"{stored}, normal: mean runs, no change", _find(cells, stored, "normal", 0).runs_mean, 8),
        (
            f"{stored}, normal: mean runs, 2-SD drop",
            _find(cells, stored, "normal", 2).runs_mean,
            4.5,
        ),
    ]
    at_least = [
        (f"{stored}, normal: power at 1 SD", _find(cells, stored, "normal", 1).regression, 0.80),
        (
            f"{stored}, bad-seeds: power at 1 SD",
            _find(cells, stored, "bad-seeds", 1).regression,
            0.70,
        ),
        *(
            (f"{stored}, {noise}: power at 2 SD", _find(cells, stored, noise, 2).regression, 0.99)
            for noise in NOISE
        ),
    ]
    lines = [_target_line(label, value, target, higher=False) for label, value, target in at_most]
    lines += [_target_line(label, value, target, higher=True) for label, value, target in at_least]
    return lines


def _target_line(label: str, value: float, target: float, *, higher: bool) -> str:
    met = value >= target if higher else value <= target
    sign = ">=" if higher else "<="
    return f"{'met   ' if met else 'MISSED'} {label}: {value:.3f} (target {sign} {target:g})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reps", type=int, default=2000, help="repetitions per cell (2000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    args = parser.parse_args(argv)
    if args.reps < 2:
        parser.error("--reps must be >= 2")
    shown = ["python", "benchmarks/verdict_quality.py", *(sys.argv[1:] if argv is None else argv)]
    started = time.perf_counter()
    cells = run_all(args.reps, args.seed)
    print(format_table(cells, " ".join(shlex.quote(a) for a in shown)))
    print(f"\n{args.reps} repetitions per cell, seed {args.seed}; min_effect 1 SD; alpha {ALPHA}")
    print()
    print("\n".join(target_report(cells)))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
