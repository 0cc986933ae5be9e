"""Runner overhead: seedgate's Runner against a plain shell loop running the same command.

    python benchmarks/overhead.py [--runs 20] [--repeats 7] [--help-samples 9] [--sleep-ms 0]

The command only prints its metrics (``python -c ...``), so the time is the cost of
starting processes, and whatever seedgate adds on top shows. Both sides run it ``--runs``
times, one at a time; the Runner takes the real path (``/bin/sh -c``, its own process group,
a fresh metrics file, output captured and parsed). Each side is measured ``--repeats`` times,
interleaved; the best repeat is the headline (as ``timeit`` does: other processes on the
machine only ever add time), the median is shown next to it. The orchestrator's own CPU time
per run (``getrusage``) is the part of the overhead that does not depend on machine load.

Also measured: the orchestrator's peak memory (a child ``python -c`` that runs the same
Runner and reports ``resource.getrusage`` max RSS, children not included) and the start-up
time of ``python -m seedgate --help`` (median of ``--help-samples`` runs).

Targets: overhead <= 10% and <= 50 ms per run; peak memory < 100 MB; --help < 0.5 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import this_command

from seedgate.config.settings import Config
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_specs

METRICS_SCRIPT = (
    "import json, sys; seed = int(sys.argv[1]); "
    "print(json.dumps({'accuracy': 0.9 + seed / 1000, 'loss': 0.1}))"
)
PEAK_MEMORY_SCRIPT = """
import json, resource, sys, tempfile
from seedgate.config.settings import Config
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_specs
command, runs = sys.argv[1], int(sys.argv[2])
with tempfile.TemporaryDirectory() as tmp:
    with Runner(Config(command=command, working_directory=tmp)) as runner:
        results = runner.run(run_specs(range(runs)))
assert all(r.ok for r in results), [r.reason for r in results]
print(json.dumps({"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_runner(command: str, runs: int, workdir: Path) -> tuple[float, float]:
    """Wall seconds and the orchestrator's own CPU seconds for ``runs`` runs."""
    cpu = own_cpu_seconds()
    started = time.perf_counter()
    with Runner(Config(command=command, working_directory=workdir, jobs=1)) as runner:
        results = runner.run(run_specs(range(runs)))
    elapsed = time.perf_counter() - started
    cpu = own_cpu_seconds() - cpu
    if not all(r.ok for r in results):
        sys.exit(f"benchmark command failed: {[r.reason for r in results if not r.ok]}")
    return elapsed, cpu


def time_shell_loop(command: str, runs: int, workdir: Path) -> float:
    loop = f"for i in $(seq 0 {runs - 1}); do {command.replace('{seed}', '$i')} > /dev/null; done"
    started = time.perf_counter()
    subprocess.run(["bash", "-c", loop], cwd=workdir, check=True)
    return time.perf_counter() - started


def peak_memory_mb(command: str, runs: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_SCRIPT, command, str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    kilobytes = json.loads(done.stdout.strip().splitlines()[-1])["maxrss_kb"]
    return float(kilobytes) / 1024


def help_startup(samples: int) -> tuple[str, list[float]]:
    """Median wall time of ``seedgate --help`` (or of importing the runner, if no CLI yet)."""
    if importlib.util.find_spec("seedgate.cli.main") is not None:
        label, argv = "python -m seedgate --help", [sys.executable, "-m", "seedgate", "--help"]
    else:
        label = 'python -c "import seedgate.run.runner" (no seedgate.cli.main yet)'
        argv = [sys.executable, "-c", "import seedgate.run.runner"]
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return label, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--help-samples", type=int, default=9)
    parser.add_argument("--sleep-ms", type=int, default=0, help="each run sleeps this long first")
    args = parser.parse_args()
    script = METRICS_SCRIPT
    if args.sleep_ms > 0:
        script = f"import time; time.sleep({args.sleep_ms / 1000}); {METRICS_SCRIPT}"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} {{seed}}"

    print(f"$ {this_command()}")
    print(f"command per run: {command.replace(sys.executable, 'python')}\n")
    runner_times: list[float] = []
    runner_cpu: list[float] = []
    loop_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        time_shell_loop(command, 2, workdir)  # warm the page cache for both sides
        for _ in range(args.repeats):
            loop_times.append(time_shell_loop(command, args.runs, workdir))
            wall, cpu = time_runner(command, args.runs, workdir)
            runner_times.append(wall)
            runner_cpu.append(cpu)
    memory = peak_memory_mb(command, args.runs)
    help_label, help_s = help_startup(args.help_samples)

    def per_run_ms(seconds: float) -> str:
        return f"{seconds / args.runs * 1000:.1f} ms"

    best_runner, best_loop = min(runner_times), min(loop_times)
    median_runner, median_loop = statistics.median(runner_times), statistics.median(loop_times)
    best_over = best_runner - best_loop
    median_over = median_runner - median_loop
    rows = [
        ("shell loop, per run", per_run_ms(best_loop), per_run_ms(median_loop), ""),
        ("seedgate Runner, per run", per_run_ms(best_runner), per_run_ms(median_runner), ""),
        ("overhead, per run", per_run_ms(best_over), per_run_ms(median_over), "<= 50 ms"),
        (
            "overhead, relative",
            f"{best_over / best_loop * 100:+.1f} %",
            f"{median_over / median_loop * 100:+.1f} %",
            "<= 10 %",
        ),
        (
            "orchestrator CPU, per run",
            per_run_ms(min(runner_cpu)),
            per_run_ms(statistics.median(runner_cpu)),
            "",
        ),
        ("orchestrator peak RSS", f"{memory:.1f} MB", "", "< 100 MB"),
        (help_label, f"{min(help_s):.3f} s", f"{statistics.median(help_s):.3f} s", "< 0.5 s"),
    ]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.runs} runs, jobs=1, {args.repeats} interleaved repeats; load average {load}\n")
    print("| measure | best | median | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
