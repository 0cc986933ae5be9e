"""Drift of main: how soon a slow slide is reported, and how often an unchanged main is.

    python benchmarks/drift.py [--reps N] [--seed S] [--baselines T]

Simulated histories of main, ``--baselines`` baselines each (20 by default). Baseline t
(1-based) has ``runs`` seeded runs drawn from N(-slide * (t - 1), 1): the slide is in seed
SDs per merge, and the metric is to be maximised, so the slide is a loss. Every history goes
through ``seedgate.stats.drift.detect_drift`` (the detector the report uses: each
baseline's own mean, SD and run count, pooled SD, k = 0.5, h = 5).

Per row: the share of histories with a report by the 10th baseline and by the last, the
median baseline (1-based) of the first report, the median first baseline of the named
range, and the largest single merge in the range (seed SDs). ``env step`` rows put an
environment change with a step of 3 seed SDs at baseline 11 (marked in its fingerprint):
that step is not drift. ``bad seeds``: 5% of runs 5 seed SDs worse (heavy tails).
± is the Monte-Carlo standard error (for the median: from the binomial order-statistic
interval, halved).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

import numpy as np
from common import rate_cell, rate_se, this_command

from seedgate.stats import FloatArray
from seedgate.stats.drift import BaselinePoint, DriftAlarm, detect_drift

BY = 10  # the target: reported by the tenth baseline
MAX_FALSE = 0.05


@dataclass(frozen=True)
class Case:
    label: str
    slide: float  # seed SDs per merge, in the worse direction
    runs: int
    env_step_at: int | None = None  # 0-based index of a baseline with a new environment
    env_step: float = 3.0
    bad_seeds: float = 0.0  # share of runs 5 seed SDs worse (bad seeds)


CASES = (
    Case("no slide", 0.0, 20),
    Case("no slide", 0.0, 10),
    Case("no slide", 0.0, 5),
    Case("no slide, env step", 0.0, 20, env_step_at=10),
    Case("no slide, 5% bad seeds", 0.0, 10, bad_seeds=0.05),
    Case("slide 0.25 SD/merge", 0.25, 20),
    Case("slide 0.25 SD/merge", 0.25, 10),
    Case("slide 0.25 SD/merge", 0.25, 5),
    Case("slide 0.25 SD/merge, env step", 0.25, 20, env_step_at=10),
    Case("slide 0.1 SD/merge", 0.1, 20),
)


def history(rng: np.random.Generator, case: Case, baselines: int) -> list[BaselinePoint]:
    """One simulated history: shape (baselines,) points of ``case.runs`` runs each."""
    level = -case.slide * np.arange(baselines, dtype=float)
    if case.env_step_at is not None:
        level[case.env_step_at :] += case.env_step
    runs: FloatArray = rng.normal(size=(baselines, case.runs)) + level[:, None]
    runs -= 5.0 * (rng.random(size=runs.shape) < case.bad_seeds)
    return [
        BaselinePoint(
            mean=float(row.mean()),
            sd=float(row.std(ddof=1)),
            n=case.runs,
            new_environment=index == case.env_step_at,
        )
        for index, row in enumerate(runs)
    ]


@dataclass(frozen=True)
class Row:
    case: Case
    by_ten: float
    ever: float
    median_alarm: float
    median_alarm_se: float
    median_first: float
    largest_step: float
    example: DriftAlarm | None


def median_with_se(values: list[int]) -> tuple[float, float]:
    """The median and half the width of its ~68% distribution-free interval."""
    if not values:
        return math.nan, math.nan
    ordered = sorted(values)
    n = len(ordered)
    half = math.sqrt(n) / 2
    low, high = ordered[max(0, int(n / 2 - half))], ordered[min(n - 1, int(n / 2 + half))]
    return float(np.median(ordered)), (high - low) / 2


def _median(values: list[float] | list[int]) -> float:
    return float(np.median(values)) if values else math.nan


def measure(case: Case, reps: int, baselines: int, rng: np.random.Generator) -> Row:
    firsts: list[DriftAlarm | None] = []
    for _ in range(reps):
        alarms = detect_drift(history(rng, case, baselines), goal_sign=1)
        firsts.append(alarms[0] if alarms else None)
    found = [a for a in firsts if a is not None]
    median, median_se = median_with_se([a.alarm + 1 for a in found])
    return Row(
        case=case,
        by_ten=sum(a.alarm + 1 <= BY for a in found) / reps,
        ever=len(found) / reps,
        median_alarm=median,
        median_alarm_se=median_se,
        median_first=_median([a.first + 1 for a in found]),
        largest_step=_median([a.largest_step_in_sd for a in found]),
        example=found[0] if found else None,
    )


def table(rows: list[Row], reps: int, baselines: int) -> list[str]:
    header = (
        f"| case | runs per baseline | reported by baseline {BY} | reported in {baselines} "
        "| median report at baseline | median range starts at | median largest single "
        "merge in range (SD) |"
    )
    lines = [
        header,
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        median = (
            "-"
            if math.isnan(row.median_alarm)
            else f"{row.median_alarm:.1f} ± {row.median_alarm_se:.1f}"
        )
        first = "-" if math.isnan(row.median_first) else f"{row.median_first:.0f}"
        step = "-" if math.isnan(row.largest_step) else f"{row.largest_step:.2f}"
        lines.append(
            f"| {row.case.label} | {row.case.runs} | {rate_cell(row.by_ten, reps)} "
            f"| {rate_cell(row.ever, reps)} | {median} | {first} | {step} |"
        )
    return lines


def verdicts(rows: list[Row], reps: int) -> tuple[list[str], bool]:
    lines, ok = [], True
    for row in rows:
        if row.case.slide == 0:
            met = row.ever <= MAX_FALSE
            what = f"false report in {row.ever:.3f} ± {rate_se(row.ever, reps):.3f} of histories"
            target = f"target <= {MAX_FALSE}"
        elif row.case.slide == 0.25 and row.case.runs >= 10:
            met = row.median_alarm <= BY and row.by_ten >= 0.9
            what = f"reported by baseline {BY} in {row.by_ten:.3f}, median at {row.median_alarm}"
            target = f"target: median <= {BY}"
        else:
            continue
        ok &= met
        state = "met   " if met else "MISSED"
        lines.append(f"- {state} {row.case.label}, {row.case.runs} runs: {what} ({target})")
    return lines, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baselines", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = [measure(case, args.reps, args.baselines, rng) for case in CASES]
    print(f"$ {this_command()}\n")
    print(
        f"{args.reps} simulated histories of {args.baselines} baselines per row; runs ~ "
        "N(-slide * (t - 1), 1), larger is better; detector k = 0.5, h = 5. "
        "± is the Monte-Carlo standard error.\n"
    )
    print("\n".join(table(rows, args.reps, args.baselines)))
    lines, ok = verdicts(rows, args.reps)
    print("\n" + "\n".join(lines))
    example = next((r for r in rows if r.case.slide == 0.25 and r.example), None)
    if example is not None and example.example is not None:
        alarm = example.example
        print(
            f"\nExample report ({example.case.label}, {example.case.runs} runs): slide over "
            f"baselines {alarm.first + 1} to {alarm.alarm + 1}, {alarm.shift_in_sd:+.2f} seed SD "
            f"in all, the largest single merge {alarm.largest_step_in_sd:.2f} SD."
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
