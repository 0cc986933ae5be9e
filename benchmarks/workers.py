"""Warm workers: the bundled example, 8 runs, subprocess contract against warm workers.

    python benchmarks/workers.py [--runs 8] [--jobs 1]

Subprocess contract: ``python examples/mnist/train.py --seed {seed}`` (a fresh Python, a
TensorFlow import and a dataset load per run). Warm workers: ``entry =
"examples.mnist.train:entry"`` (one long-lived worker per job imports TensorFlow and
loads the data once; every run starts from ``clear_session()`` and fresh seeds). Both run
the same seeds from the repository root. Two per-run ratios: amortised (wall time over all
runs divided by the runs, so the worker's start-up and whatever the entry imports lazily on
its first call are included) and steady state (median run duration, the warm side without
its first run). The last column compares the metrics of the two contracts seed by seed.

Target: warm workers >= 2.5x faster per run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import statistics
import sys
import time

from common import EXAMPLE, ROOT, metrics_agreement, this_command

from seedgate.config.settings import Config
from seedgate.records import RunResult
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_specs

ENTRY = "examples.mnist.train:entry"


def measure(config: Config, runs: int, label: str) -> tuple[float, tuple[RunResult, ...]]:
    started = time.perf_counter()
    with Runner(config, out=sys.stderr, label=label) as runner:
        results = runner.run(run_specs(range(runs)))
    elapsed = time.perf_counter() - started
    failed = [f"seed {r.seed}: {r.reason}\n{r.log_tail}" for r in results if not r.ok]
    if failed:
        sys.exit(f"{label}: runs failed: {failed}")
    return elapsed, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    if not EXAMPLE.is_file():
        sys.exit(f"{EXAMPLE} does not exist: this benchmark needs the bundled example")
    print(f"$ {this_command()}")
    command = f"{shlex.quote(sys.executable)} examples/mnist/train.py --seed {{seed}}"
    print(f"subprocess: {command.replace(sys.executable, 'python')}")
    print(f"warm:       entry = {ENTRY!r}")
    print(f"{args.runs} runs each, jobs={args.jobs}, from {ROOT}\n", flush=True)
    base = Config(working_directory=ROOT, jobs=args.jobs, timeout=args.timeout)
    cold_s, cold = measure(dataclasses.replace(base, command=command), args.runs, "subprocess")
    warm_s, warm = measure(dataclasses.replace(base, entry=ENTRY), args.runs, "warm")
    cold_run = statistics.median(r.duration_s for r in cold)
    warm_run = statistics.median(r.duration_s for r in warm[1:] or warm)

    print(
        "| contract | wall | per run, amortised | speed-up | per run, steady | speed-up "
        "| metrics vs subprocess |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| subprocess | {cold_s:.1f} s | {cold_s / args.runs:.2f} s | 1.00x "
        f"| {cold_run:.2f} s | 1.00x | |"
    )
    print(
        f"| warm workers | {warm_s:.1f} s | {warm_s / args.runs:.2f} s | {cold_s / warm_s:.2f}x "
        f"| {warm_run:.2f} s | {cold_run / warm_run:.2f}x | {metrics_agreement(cold, warm)} |"
    )
    print(f"\nfirst warm run: {warm[0].duration_s:.2f} s (the entry imports Keras on first call)")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average after the runs: {load}; target: warm >= 2.5x per run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
