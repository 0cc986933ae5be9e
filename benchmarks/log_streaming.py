"""Live log streaming: how fast a run's output reaches the Actions log with ``jobs: 1``.

    python benchmarks/log_streaming.py [--megabytes 200] [--line-bytes 100] [--repeats 3]

The run prints ``--megabytes`` of text lines (``--line-bytes`` each, some with an ANSI
escape and a ``::`` line, as real training logs have) and its metrics; the Runner runs it
as inside GitHub Actions (``GITHUB_ACTIONS=true``, one run at a time, so its output is
shown live in a fenced group) and writes the log to a file. The rate is the run's output
divided by the Runner's wall time (the best of ``--repeats``; the command alone is timed
too, so its own cost shows), and per CPU second the orchestrator itself spent (``getrusage``,
which does not depend on how busy the machine is). Target: >= 50 MB/s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import sys
import tempfile
import time
from pathlib import Path

from common import this_command

from seedgate.config.settings import Config
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_specs

WRITER = """
import json, sys
total, width = int(sys.argv[1]), int(sys.argv[2])
plain = ("x" * (width - 1) + "\\n").encode()
fancy = ("\\x1b[32mepoch\\x1b[0m ::warning::" + "y" * (width - 30) + "\\n").encode()
block = (plain * 9 + fancy) * 100
out = sys.stdout.buffer
for _ in range(total // len(block)):
    out.write(block)
out.write(json.dumps({"accuracy": 0.5}).encode() + b"\\n")
"""


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_runner(command: str, workdir: Path, log: Path) -> tuple[float, float]:
    """Wall seconds and the orchestrator's own CPU seconds for the one run."""
    environ = {**os.environ, "GITHUB_ACTIONS": "true"}
    with log.open("w", encoding="utf-8") as out:
        cpu = own_cpu_seconds()
        started = time.perf_counter()
        with Runner(
            Config(command=command, working_directory=workdir, jobs=1, timeout=3600),
            out=out,
            environ=environ,
        ) as runner:
            (result,) = runner.run(run_specs(range(1)))
        elapsed = time.perf_counter() - started
        cpu = own_cpu_seconds() - cpu
    if not result.ok:
        sys.exit(f"benchmark command failed: {result.reason}")
    return elapsed, cpu


def time_alone(command: str, workdir: Path) -> float:
    started = time.perf_counter()
    os.system(f"cd {shlex.quote(str(workdir))} && {command} > /dev/null")  # noqa: S605 - ours
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--line-bytes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    total = args.megabytes * 1_000_000
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(WRITER)} {total} {args.line_bytes}"
    print(f"$ {this_command()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        log = workdir / "actions.log"
        alone = min(time_alone(command, workdir) for _ in range(args.repeats))
        through, cpu = min(time_runner(command, workdir, log) for _ in range(args.repeats))
        shown = log.stat().st_size
    print("| what | seconds | MB/s of run output |")
    print("| --- | ---: | ---: |")
    print(f"| the command alone, to /dev/null | {alone:.2f} | {total / alone / 1e6:.0f} |")
    print(f"| through the Runner, live in the log | {through:.2f} | {total / through / 1e6:.0f} |")
    print(f"| the orchestrator's own CPU time | {cpu:.2f} | {total / cpu / 1e6:.0f} |")
    print(f"\n{total / 1e6:.0f} MB in lines of {args.line_bytes} bytes; log written: "
          f"{shown / 1e6:.0f} MB. Target: >= 50 MB/s through the Runner.")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
