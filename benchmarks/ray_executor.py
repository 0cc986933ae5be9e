"""The Ray executor against local runs: the overhead per run, and the speed-up of two workers.

    python benchmarks/ray_executor.py [--short-runs 10] [--runs 6] [--rounds 3]

Starts a two-node Ray cluster on this machine (``seedgate.run.ray_local``: one CPU and a
200 MB object store per node, one thread per numerical library) and stops it at the end.

Overhead: a short run (a Python that prints one metric, in an empty directory),
``--short-runs`` times one at a time, locally and as Ray tasks, after one uncounted run
each; the difference of the mean wall time per run is what a run pays for being a task
(submission, the output and the result coming back), with nothing else running.

Speed-up: the scikit-learn example (``examples/sklearn``) ``--runs`` times with one run in
flight and with two (each node runs one: two worker processes), against the local runner
with ``jobs`` 1 and 2 on the same machine, in interleaved rounds (the machine's other load
falls on every case alike). Metrics are compared seed by seed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from common import ROOT, metrics_agreement, this_command

from seedgate.config.settings import Config
from seedgate.records import RunResult
from seedgate.run.ray_executor import RayExecutor, RaySettings
from seedgate.run.ray_local import LocalCluster
from seedgate.run.runner import Runner
from seedgate.run.seeds import RunSpec, run_specs

SKLEARN = ROOT / "examples" / "sklearn"
SKLEARN_COMMAND = "python train.py --data-seed {data_seed} --init-seed {init_seed}"
SHORT_CODE = "print('{\"x\": 1}')"
SHORT = f"{shlex.quote(sys.executable)} -c {shlex.quote(SHORT_CODE)}"
SHORT_SHOWN = f"python -c {shlex.quote(SHORT_CODE)}"
ONE_THREAD = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")


def timed(
    runner: Runner, batches: Sequence[Sequence[RunSpec]]
) -> tuple[float, tuple[RunResult, ...]]:
    """Run the batches one after another; the wall time and every result."""
    results: list[RunResult] = []
    started = time.perf_counter()
    with runner:
        for batch in batches:
            results.extend(runner.run(batch))
    elapsed = time.perf_counter() - started
    failed = [f"seed {r.seed}: {r.reason}\n{r.log_tail}" for r in results if not r.ok]
    if failed:
        sys.exit(f"runs failed: {failed}")
    return elapsed, tuple(results)


def one_by_one(count: int) -> list[list[RunSpec]]:
    return [[spec] for spec in run_specs(range(count))]


def per_run_times(runner_for: Callable[[], Runner], count: int, rounds: int = 3) -> list[float]:
    """Wall seconds per run over ``rounds`` rounds of ``count`` runs one at a time."""
    times = []
    for _ in range(rounds):
        elapsed, _results = timed(runner_for(), one_by_one(count))
        times.append(elapsed / count)
    return times


def cell(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0] * 1000:.0f} ms"
    se = statistics.stdev(values) / len(values) ** 0.5
    return f"{statistics.fmean(values) * 1000:.0f} ± {se * 1000:.0f} ms"


def seconds_cell(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.1f} s"
    se = statistics.stdev(values) / len(values) ** 0.5
    return f"{statistics.fmean(values):.1f} ± {se:.1f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short-runs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"$ {this_command()}")
    environment = {
        **os.environ,
        **ONE_THREAD,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    os.environ.update(ONE_THREAD)  # the local runs get the same thread limits
    started = time.perf_counter()
    with LocalCluster(nodes=2, environment=environment) as cluster:
        print(f"cluster of 2 nodes started in {time.perf_counter() - started:.1f} s\n")

        def ray_runner(command: str, directory: Path) -> Runner:
            remote = RayExecutor(
                RaySettings(address=cluster.address),
                command=command,
                working_directory=directory,
                timeout=600,
            )
            return Runner(Config(command=command, working_directory=directory), remote=remote)

        with tempfile.TemporaryDirectory(prefix="seedgate-bench-") as empty:
            short_dir = Path(empty)
            short_config = Config(command=SHORT, working_directory=short_dir)
            # a first run each, not counted: a fresh Ray worker and its runtime environment
            cold_s, _ = timed(ray_runner(SHORT, short_dir), one_by_one(1))
            timed(Runner(short_config), one_by_one(1))
            local_short = per_run_times(lambda: Runner(short_config), args.short_runs)
            ray_short = per_run_times(lambda: ray_runner(SHORT, short_dir), args.short_runs)
        overhead = [r - lo for r, lo in zip(ray_short, local_short, strict=True)]
        print(f"overhead: `{SHORT_SHOWN}`, {args.short_runs} runs one at a time, 3 rounds\n")
        print("| executor | wall per run | overhead per run |")
        print("|---|---|---|")
        print(f"| local | {cell(local_short)} | |")
        print(f"| ray (task) | {cell(ray_short)} | {cell(overhead)} |")
        print(
            f"\nfirst Ray run on a fresh cluster (not counted above): {cold_s:.2f} s\n", flush=True
        )

        config = Config(command=SKLEARN_COMMAND, working_directory=SKLEARN)
        pair_config = Config(command=SKLEARN_COMMAND, working_directory=SKLEARN, jobs=2)
        cases: dict[str, Callable[[], tuple[float, tuple[RunResult, ...]]]] = {
            "local, jobs=1": lambda: timed(Runner(config), [run_specs(range(args.runs))]),
            "local, jobs=2": lambda: timed(Runner(pair_config), [run_specs(range(args.runs))]),
            "ray, 1 run in flight": lambda: timed(
                ray_runner(SKLEARN_COMMAND, SKLEARN), one_by_one(args.runs)
            ),
            "ray, 2 in flight (2 nodes)": lambda: timed(
                ray_runner(SKLEARN_COMMAND, SKLEARN), [run_specs(range(args.runs))]
            ),
        }
        walls: dict[str, list[float]] = {name: [] for name in cases}
        results: dict[str, tuple[RunResult, ...]] = {}
        names = list(cases)
        for round_number in range(args.rounds):  # interleaved: the machine's load hits all
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                wall, results[name] = cases[name]()
                walls[name].append(wall)
    print(
        f"speed-up: `{SKLEARN_COMMAND}` in examples/sklearn, {args.runs} runs, "
        f"{args.rounds} interleaved rounds\n"
    )
    print("| executor | wall | per run | speed-up vs its serial | nodes used | metrics vs local |")
    print("|---|---|---|---|---|---|")
    reference = results["local, jobs=1"]
    for name in names:
        serial = "local, jobs=1" if name.startswith("local") else "ray, 1 run in flight"
        mean = statistics.fmean(walls[name])
        speed_up = statistics.fmean(walls[serial]) / mean
        nodes = len({r.node for r in results[name] if r.node}) or "-"
        print(
            f"| {name} | {seconds_cell(walls[name])} | {mean / args.runs:.2f} s "
            f"| {speed_up:.2f}x | {nodes} | {metrics_agreement(reference, results[name])} |"
        )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nmachine: {os.cpu_count()} cores; load average after the runs: {load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
