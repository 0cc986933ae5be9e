"""What the benchmarks share: where the example is, how a table names its command and
writes a value with its standard error."""

from __future__ import annotations

import dataclasses
import math
import shlex
import sys
from pathlib import Path
from typing import TextIO

from seedgate.config.settings import Config, MinEffect
from seedgate.records import RunResult

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "mnist" / "train.py"


def this_command() -> str:
    """The command line that produced a table, printed above it."""
    return "python " + " ".join(shlex.quote(arg) for arg in sys.argv)


def rate_se(rate: float, reps: int) -> float:
    """The standard error of a rate measured over ``reps`` independent repetitions."""
    return math.sqrt(rate * (1 - rate) / reps)


def plus_minus(value: float, se: float, digits: int = 3) -> str:
    """A table cell: the value and its standard error."""
    return f"{value:.{digits}f} ± {se:.{digits}f}"


def rate_cell(rate: float, reps: int) -> str:
    """A table cell: a rate over ``reps`` repetitions and its standard error."""
    return plus_minus(rate, rate_se(rate, reps))


def with_absolute_min_effect(config: Config, metric: str, min_effect: float) -> Config:
    """The config with ``metric``'s min_effect set to an absolute ``min_effect``."""
    specs = tuple(
        dataclasses.replace(s, min_effect=MinEffect(min_effect, relative=False))
        if s.name == metric
        else s
        for s in config.metrics
    )
    return dataclasses.replace(config, metrics=specs)


def metrics_agreement(a: tuple[RunResult, ...], b: tuple[RunResult, ...]) -> str:
    """'identical' when two runs of the same seeds gave the same metrics, else the largest gap."""
    diffs = [
        abs(x.metrics[name] - y.metrics[name])
        for x, y in zip(a, b, strict=True)
        for name in x.metrics
    ]
    largest = max(diffs, default=0.0)
    return "identical" if largest == 0 else f"differ (max |diff| {largest:.2g})"


def cached_runs(
    path: Path,
    runs: int,
    *,
    config: Config,
    seed_base: int,
    label: str,
    log: TextIO,
) -> tuple[RunResult, ...]:
    """The first ``runs`` successful runs of ``config.command`` with seeds from ``seed_base``,
    kept as a RunSet at ``path``: only the runs the file lacks are made (failed runs,
    tolerated by run_fixed, are replaced by new seeds), and a file made by another command
    is remade."""
    from seedgate.errors import SeedgateError
    from seedgate.pipeline import run_fixed
    from seedgate.runset.codec import read_runset, write_runset

    runset = read_runset(path) if path.is_file() else None
    if runset is not None and runset.command != config.command:
        print(f"[{label}] {path}: made by {runset.command!r}; remade", file=log)
        runset = None
    for _ in range(3):
        have = runset.runs if runset is not None else ()
        missing = runs - sum(r.ok for r in have)
        if missing <= 0:
            break
        print(f"[{label}] running {missing} more runs ({config.command})", file=log)
        more = dataclasses.replace(config, seed_base=seed_base + len(have))
        fresh = run_fixed(more, runs=missing, out=log, label=label)
        reindexed = tuple(dataclasses.replace(r, index=r.index + len(have)) for r in fresh.runs)
        runset = dataclasses.replace(fresh, runs=have + reindexed)
        write_runset(runset, path)
    ok = runset.ok_runs if runset is not None else ()
    if len(ok) < runs:
        raise SeedgateError(f"{label}: {len(ok)} successful runs, {runs} needed")
    return ok[:runs]
