"""Parallel speed-up: the bundled example, 8 runs, jobs=1 against jobs=auto.

    python benchmarks/parallel.py [--runs 8] [--jobs 0] [--command CMD]

Default command: ``python examples/mnist/train.py --seed {seed}`` (the Keras MLP on
1,000 training examples) from the repository root; without that file, a CPU-bound NumPy
script is used instead and the table says so. ``--jobs 0`` means one job per usable core.

Also shown: the runs' CPU time per run and how many cores they kept busy on average, which
tells a machine shared with other work apart from a runner that does not overlap runs.

Rows: jobs=1; jobs=N with seedgate's thread limits (each child gets OMP_NUM_THREADS etc.
= cores // N); and jobs=N with the limits overridden to all cores per child, to show what
the limits are for. Every row runs the same seeds; the last column says whether its
metrics equal the jobs=1 row's exactly (thread counts can change float rounding).
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

from common import EXAMPLE, ROOT, metrics_agreement, this_command

from seedgate.config.settings import Config, usable_cores
from seedgate.records import RunResult
from seedgate.run.child_env import THREAD_VARIABLES
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_specs

NUMPY_SCRIPT = (
    "import json, sys, numpy as np; rng = np.random.default_rng(int(sys.argv[1])); "
    "a = rng.standard_normal((700, 700)); "
    "[a := np.tanh(a @ a / 700) for _ in range(150)]; "
    "print(json.dumps({'score': float(a.mean())}))"
)


@dataclass(frozen=True)
class Row:
    label: str
    seconds: float
    child_cpu_s: float  # CPU time of the runs (user + system), all processes
    results: tuple[RunResult, ...]


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def default_command() -> tuple[str, str]:
    python = shlex.quote(sys.executable)
    if EXAMPLE.is_file():
        return f"{python} examples/mnist/train.py --seed {{seed}}", "the bundled Keras example"
    script = f"{python} -c {shlex.quote(NUMPY_SCRIPT)} {{seed}}"
    return script, "a CPU-bound NumPy script (examples/mnist/train.py does not exist yet)"


def measure(
    label: str, command: str, *, runs: int, jobs: int, timeout: float, environ: Mapping[str, str]
) -> Row:
    config = Config(command=command, working_directory=ROOT, jobs=jobs, timeout=timeout)
    cpu = children_cpu_seconds()
    started = time.perf_counter()
    with Runner(config, environ=environ, out=sys.stderr, label=label) as runner:
        results = runner.run(run_specs(range(runs)))
    elapsed = time.perf_counter() - started
    cpu = children_cpu_seconds() - cpu
    failed = [f"seed {r.seed}: {r.reason}" for r in results if not r.ok]
    if failed:
        sys.exit(f"{label}: runs failed: {failed}")
    return Row(label, elapsed, cpu, results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=0, help="0: one per usable core")
    parser.add_argument("--command", default=None, help="default: the bundled example")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    command, what = (args.command, "the given command") if args.command else default_command()
    jobs = Config(jobs=args.jobs).usable_jobs()
    cores = usable_cores()
    print(f"$ {this_command()}")
    print(f"command: {command.replace(sys.executable, 'python')} ({what})")
    print(f"{args.runs} runs, {cores} usable cores, jobs=auto -> {jobs}\n", flush=True)

    parent = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    all_cores = {**parent, **dict.fromkeys(THREAD_VARIABLES, str(cores))}
    sizes = {"runs": args.runs, "timeout": args.timeout}
    serial = measure("jobs=1", command, jobs=1, environ=parent, **sizes)
    rows = [
        serial,
        measure(f"jobs={jobs}", command, jobs=jobs, environ=parent, **sizes),
        measure(
            f"jobs={jobs}, {cores} threads each", command, jobs=jobs, environ=all_cores, **sizes
        ),
    ]
    print(
        "| setting | wall | per run | speed-up vs jobs=1 | CPU per run | cores busy "
        "| metrics vs jobs=1 |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        agreement = metrics_agreement(serial.results, row.results)
        print(
            f"| {row.label} | {row.seconds:.1f} s | {row.seconds / args.runs:.2f} s "
            f"| {serial.seconds / row.seconds:.2f}x | {row.child_cpu_s / args.runs:.2f} s "
            f"| {row.child_cpu_s / row.seconds:.2f} | {agreement} |"
        )
    print(
        "\ncores busy = the runs' CPU time / wall time: below the core count, the runs waited "
        "for CPU (other processes on the machine, or serial parts of a run)."
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average after the runs: {load}; target: speed-up >= 1.8x at jobs=auto, 2 cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
