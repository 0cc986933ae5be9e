"""`seedgate explain` checked against many independent runs of the bundled example.

    python benchmarks/noise_sources.py [--runs-per-factor 6] [--repeats 3] [--independent 20]
        [--train-sizes 1000,4000] [--test-sizes 500,10000] [--jobs 0] [--cache DIR]

For every (training-set size, test-set size) setting of `examples/mnist/train.py` (seeds
read from SEEDGATE_DATA_SEED / SEEDGATE_INIT_SEED):

1. `seedgate explain` as the CLI runs it: seedgate.planning.explain.run_explain (runs varying only
   the data seed, runs varying only the init seed, repeats of identical seeds), its advice
   with accuracy's min_effect set to 1 percentage point, and render_explain (each report
   is kept under --cache as explain-<setting>.md).
2. --independent runs whose seeds all differ (pipeline.run_fixed, seeds 100000, 100001, ...),
   cached as RunSet files under --cache and reused (topped up) by the next invocation.
3. Per metric: explain's total SD against the independent runs' SD (exact chi-square 95%
   interval) and their ratio (F interval, explain's degrees of freedom by Satterthwaite),
   explain's shares with their intervals, whether identical seeds reproduced, the test-set
   sampling error sqrt(p(1-p)/n) against the observed SD, and explain's advice on whether
   the test set limits a 1-point min_effect.
4. Where identical seeds reproduce, the independent runs of one training size with the same
   seeds are the same trained models: their accuracy on the small test set against the
   large one shows the small set's own error, shared by every run.

The Markdown table goes to stdout and to --results (benchmarks/results/noise_sources.md);
progress goes to stderr. The orchestrator never imports TensorFlow: runs are subprocesses.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from common import this_command
from noise_report import Timing, notes, shared_test_sets, table
from noise_runs import Row, Setting, example_config, explain, independent_runs, make_rows

from seedgate.errors import SeedgateError
from seedgate.records import RunResult

# --- main --------------------------------------------------------------------------------


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected sizes like 1000,4000") from None
    if not sizes or any(s < 1 for s in sizes) or len(set(sizes)) < len(sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: expected distinct whole numbers >= 1")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--runs-per-factor", type=int, default=6, help="explain's runs per varied seed (6)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="identical-seed runs (3)")
    parser.add_argument(
        "--independent", type=int, default=20, help="independent runs per setting (20)"
    )
    parser.add_argument(
        "--train-sizes", type=_sizes, default=(1000, 4000), help="training-set sizes (1000,4000)"
    )
    parser.add_argument(
        "--test-sizes", type=_sizes, default=(500, 10000), help="test-set sizes (500,10000)"
    )
    parser.add_argument("--jobs", type=int, default=0, help="parallel runs, 0 = auto (0)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(".seedgate/bench-noise"),
        help="RunSets of the independent runs, explain reports (.seedgate/bench-noise)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("benchmarks/results/noise_sources.md"),
        help="table (benchmarks/results/noise_sources.md)",
    )
    args = parser.parse_args(argv)
    if args.runs_per_factor < 2:
        parser.error("--runs-per-factor must be >= 2")
    if args.repeats < 0 or args.repeats == 1:
        parser.error("--repeats must be 0 or >= 2")
    if args.independent < 2:
        parser.error("--independent must be >= 2")
    if args.jobs < 0:
        parser.error("--jobs must be >= 0 (0 = one per usable core)")
    args.cache = args.cache.resolve()
    return args


def run(
    args: argparse.Namespace, log: TextIO
) -> tuple[list[Row], list[Timing], dict[Setting, tuple[RunResult, ...]]]:
    # The runs' scratch folders go to a private temporary directory, as in a CI job, out of
    # reach of whatever else cleans the shared /tmp of a busy machine.
    scratch = args.cache / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(scratch)
    rows: list[Row] = []
    timings: list[Timing] = []
    runs: dict[Setting, tuple[RunResult, ...]] = {}
    for train_size in args.train_sizes:
        for test_size in args.test_sizes:
            setting = Setting(train_size, test_size)
            explained = explain(setting, args, log)
            started = time.perf_counter()
            independent = independent_runs(
                setting, args.independent, cache=args.cache, jobs=args.jobs, log=log
            )
            jobs = example_config(setting.command, jobs=args.jobs).usable_jobs()
            cold = sum(r.duration_s for r in independent) / jobs
            wall = time.perf_counter() - started
            timings.append(Timing(setting, explained.wall_s, wall, cold))
            rows += make_rows(setting, explained, independent, args)
            runs[setting] = independent
    return rows, timings, runs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = this_command()
    started = time.perf_counter()
    try:
        rows, timings, runs = run(args, sys.stderr)
    except SeedgateError as exc:
        print(f"noise_sources: error: {exc}", file=sys.stderr)
        return 2
    report = io.StringIO()
    report.write(f"$ {command}\n\n")
    report.write("\n".join(table(rows)) + "\n\n")
    shared = shared_test_sets(runs, rows)
    report.write("\n".join(notes(args, rows, timings, shared)) + "\n\n")
    report.write(f"Total wall time {time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs.\n")
    text = report.getvalue()
    print(text, end="")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(f"noise_sources: table written to {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
