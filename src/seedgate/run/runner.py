"""Runs the user's experiment once per seed and collects one RunResult per run.

Subprocess contract: the command runs through ``/bin/sh -c`` from the working directory,
with ``{seed}``, ``{data_seed}``, ``{init_seed}`` and ``{index}`` replaced and the seeds
in ``SEEDGATE_*`` variables; it reports metrics through ``$SEEDGATE_METRICS_FILE`` or the
last JSON line of stdout (see ``seedgate.run.metrics``). Each run is its own process
group, and a timeout kills everything it started, also processes that left the group
(``seedgate.run.process``). The gate is made non-dumpable before the first run, so a
run cannot read the gate's environment or write to its stdout through ``/proc``.

Warm-worker contract (``config.entry``): see ``seedgate.run.workers``.

A failed run never raises: it becomes a RunResult with a reason and its log tail, and the
other runs go on. ``RunnerError`` is for the experiment as a whole (working directory
missing, entry cannot be loaded).
"""

from __future__ import annotations

import os
import statistics
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TextIO

from seedgate.config.settings import Config, usable_cores
from seedgate.errors import ConfigError, RunnerError
from seedgate.log_text import one_line
from seedgate.records import Executor, RunResult, RunStatus
from seedgate.run.child_env import child_environment, thread_limits
from seedgate.run.identity import run_user
from seedgate.run.one_run import exit_reason, fill_placeholders, run_command
from seedgate.run.process import ProcessGroups
from seedgate.run.process_tree import (
    become_subreaper,
    kill_descendants,
    make_non_dumpable,
    start_ticks,
)
from seedgate.run.ray_executor import RayExecutor
from seedgate.run.run_log import RunLog, streaming_for
from seedgate.run.seeds import RunSpec
from seedgate.run.workers import WorkerPool, parse_entry

if TYPE_CHECKING:
    from typing import Self

__all__ = ["Progress", "Runner", "exit_reason", "fill_placeholders", "format_value"]

# --- progress ----------------------------------------------------------------------------


def format_value(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.4g}"


TAIL_LINES = 5  # a failed run's last lines of output, shown under its progress line


class Progress:
    """One whole line per finished run, with running mean ± std over the successes.

    ``run k/N``: k counts the runs finished so far (in the order they finish, which with
    parallel jobs is not the seed order), N is the number planned. A failed run's line is
    followed by its last lines of output; fields that are not numbers are named once.
    """

    def __init__(self, out: TextIO | None, label: str) -> None:
        self._out = out
        self._label = label
        # also held while a run's output group is written, so the group and its line stay whole
        self.lock = threading.RLock()
        self._finished = 0
        self._values: dict[str, list[float]] = {}

    def report(self, result: RunResult, planned: int) -> None:
        with self.lock:
            self._finished += 1
            if result.ok:
                for name, value in result.metrics.items():
                    self._values.setdefault(name, []).append(value)
            if self._out is None:
                return
            self._out.write(one_line(self._line(result, planned)) + "\n")
            if not result.ok and result.log_tail:
                lines = result.log_tail.splitlines()[-TAIL_LINES:]
                self._out.writelines(f"    | {one_line(line)}\n" for line in lines)
            self._out.flush()

    def ignored(self, names: Sequence[str]) -> None:
        """Say once that these reported fields are not numbers and are not metrics."""
        with self.lock:
            if self._out is None:
                return
            listed = ", ".join(repr(n) for n in names)
            self._out.write(
                one_line(f"[{self._label}] ignored (not numbers, not configured): {listed}") + "\n"
            )

    def _line(self, result: RunResult, planned: int) -> str:
        total = max(planned, self._finished)
        head = f"[{self._label}] run {self._finished}/{total} seed={result.seed}"
        if result.ok:
            body = " ".join(f"{n}={format_value(v)}" for n, v in result.metrics.items())
        else:
            word = "TIMED OUT" if result.status is RunStatus.TIMED_OUT else "FAILED"
            reason = " ".join((result.reason or "").split())
            body = f"{word}: {reason}"
        return f"{head}  {body}  {result.duration_s:.1f}s  | {self._running_summary()}"

    def _running_summary(self) -> str:
        if not self._values:
            return "no successful runs yet"
        parts = []
        for name, values in self._values.items():
            mean = statistics.fmean(values)
            if len(values) > 1:
                spread = statistics.stdev(values)
                parts.append(
                    f"{name} {format_value(mean)} ± {format_value(spread)} (n={len(values)})"
                )
            else:
                parts.append(f"{name} {format_value(mean)} (n=1)")
        return ", ".join(parts)


# --- the runner ----------------------------------------------------------------------------


class RemoteRuns(Protocol):
    """An executor that runs each spec elsewhere (a cluster), many at once."""

    def run(self, spec: RunSpec, sink: Callable[[bytes], None] | None = None) -> RunResult: ...

    def fingerprint(self) -> dict[str, str] | None: ...

    def close(self) -> None: ...


class Runner:
    """Runs RunSpecs of one experiment, ``config.usable_jobs()`` at a time; with a
    ``remote`` executor, every spec of a batch at once (the cluster queues them)."""

    def __init__(
        self,
        config: Config,
        *,
        command: str | None = None,
        out: TextIO | None = None,
        label: str = "candidate",
        required_metrics: tuple[str, ...] = (),
        planned: int | None = None,
        environ: Mapping[str, str] | None = None,
        remote: RemoteRuns | None = None,
    ) -> None:
        self._config = config
        self._entry = config.entry
        template = command if command is not None else config.command
        remote_chosen = remote is not None or config.executor is Executor.RAY
        if self._entry is not None and remote_chosen:
            raise ConfigError(
                'entry (warm workers) runs on the gate\'s machine only: with executor = "ray" '
                "set `command` instead"
            )
        if self._entry is not None:
            parse_entry(self._entry)
        elif template is None or not template.strip():
            raise ConfigError(
                'no command to run: set `command` (e.g. "python train.py --seed {seed}") '
                'or `entry` (e.g. "train:entry")'
            )
        self._command = template or ""
        if remote is None and config.executor is Executor.RAY:
            # connects (or fails with a ConfigError) now, before any run starts
            remote = RayExecutor.for_config(
                config, command=self._command, required_metrics=tuple(required_metrics)
            )
        self._remote = remote
        self._cwd = Path(config.working_directory)
        self._jobs = config.usable_jobs()
        self._timeout = config.timeout
        self._required = tuple(required_metrics)
        self._planned = planned
        parent = os.environ if environ is None else environ
        base = child_environment(parent, pass_env=config.pass_env, drop_env=config.drop_env)
        base.update(thread_limits(base, cores=usable_cores(), jobs=self._jobs))
        who = run_user()
        self._environment = who.environment(base) if who is not None else base
        self._progress = Progress(out, label)
        self._label = label
        in_parallel = 2 if remote is not None else self._jobs
        self._log = RunLog(out, streaming_for(parent, jobs=in_parallel), self._progress.lock)
        self._groups = ProcessGroups()
        self._results: list[RunResult] = []
        self._ignored: set[str] = set()
        self._pool: WorkerPool | None = None
        self._closed = False
        self._since: int | None = None  # when the first run started (clock ticks)

    @property
    def results(self) -> tuple[RunResult, ...]:
        return tuple(self._results)

    def fingerprint(self) -> dict[str, str] | None:
        """Where the runs ran, when that is not this machine (a remote executor's
        workers); None for local runs, whose fingerprint is this machine's."""
        return self._remote.fingerprint() if self._remote is not None else None

    @property
    def required_metrics(self) -> tuple[str, ...]:
        return self._required

    @property
    def environment(self) -> Mapping[str, str]:
        """The cleaned environment every run starts from (before its SEEDGATE_* seeds)."""
        return dict(self._environment)

    def run(self, specs: Sequence[RunSpec]) -> tuple[RunResult, ...]:
        """Run the specs and return their results in spec order (also kept in ``results``)."""
        if self._closed:
            raise RunnerError("this Runner was closed; create a new one to run more seeds")
        batch = tuple(specs)
        if not batch:
            return ()
        if not self._cwd.is_dir():
            raise RunnerError(
                f"working_directory {str(self._cwd)!r} does not exist or is not a directory"
            )
        make_non_dumpable()  # before the first child: it must not read the gate's memory
        become_subreaper()  # and whatever it leaves behind stays below the gate
        if self._since is None:
            self._since = start_ticks()
        planned = self._planned or len(self._results) + len(batch)
        if self._entry is not None and self._pool is None:
            self._pool = WorkerPool(
                self._entry,
                size=self._jobs,
                environment=self._environment,
                working_directory=self._cwd,
                max_runs=self._config.worker_max_runs,
                timeout=self._timeout,
                required_metrics=self._required,
            )
        finished: dict[int, RunResult] = {}
        try:
            # remote runs always wait in threads, so the main thread stays interruptible
            if self._remote is None and (self._jobs == 1 or len(batch) == 1):
                for position, spec in enumerate(batch):
                    self._run_one(spec, planned, finished, position)
            else:
                self._run_parallel(batch, planned, finished)
        except RunnerError as exc:
            # The experiment cannot go on (e.g. the entry cannot load): stop what runs.
            self.close()
            raise RunnerError(str(exc), partial=self._keep(batch, finished)) from exc
        except BaseException:
            self.close()  # interrupted: no run may outlive the orchestrator
            self._keep(batch, finished)
            raise
        return self._keep(batch, finished)

    def _keep(
        self, batch: tuple[RunSpec, ...], finished: dict[int, RunResult]
    ) -> tuple[RunResult, ...]:
        done = tuple(finished[p] for p in range(len(batch)) if p in finished)
        self._results.extend(done)
        return done

    def _run_parallel(
        self, batch: tuple[RunSpec, ...], planned: int, finished: dict[int, RunResult]
    ) -> None:
        workers = len(batch) if self._remote is not None else min(self._jobs, len(batch))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seedgate-run") as pool:
            futures: list[Future[RunResult]] = [
                pool.submit(self._run_one, spec, planned, {}, position)
                for position, spec in enumerate(batch)
            ]
            try:
                for position, future in enumerate(futures):
                    finished[position] = future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                self._stop_everything()
                for position, future in enumerate(futures):
                    if future.done() and not future.cancelled() and future.exception() is None:
                        finished[position] = future.result()
                raise

    def _run_one(
        self, spec: RunSpec, planned: int, finished: dict[int, RunResult], position: int
    ) -> RunResult:
        """Run one spec; it is kept in ``finished`` before its progress line is printed, so
        a Ctrl-C that lands while printing never loses a run that finished."""
        pool = self._pool
        output = self._log.start(self._group_title(spec), live=pool is None)
        sink = output.feed if output is not None else None
        try:
            if pool is not None:
                result = pool.run(spec, sink)
            elif self._remote is not None:
                result = self._remote.run(spec, sink)
            else:
                result = self._run_subprocess(spec, sink)
            finished[position] = result
        except BaseException:
            if output is not None:
                output.finish()
            raise
        with self._progress.lock:  # the run's output group, then its line
            if output is not None:
                output.finish()
            self._progress.report(result, planned)
        return result

    def _group_title(self, spec: RunSpec) -> str:
        return f"seedgate [{self._label}] run {spec.index + 1} (seed {spec.seed})"

    def _run_subprocess(self, spec: RunSpec, sink: Callable[[bytes], None] | None) -> RunResult:
        return run_command(
            self._command,
            spec,
            cwd=self._cwd,
            environment=self._environment,
            timeout=self._timeout,
            required=self._required,
            groups=self._groups,
            sink=sink,
            on_ignored=self._note_ignored,
        )

    def _note_ignored(self, names: Sequence[str]) -> None:
        with self._progress.lock:
            new = [n for n in names if n not in self._ignored]
            self._ignored.update(new)
        if new:
            self._progress.ignored(new)

    def _stop_everything(self) -> None:
        self._groups.kill_all()
        if self._pool is not None:
            self._pool.close()
        if self._remote is not None:
            self._remote.close()
        elif self._since is not None:  # what local runs left that no single run could claim
            kill_descendants(self._since)

    def close(self) -> None:
        """Stop warm workers and any run still in flight."""
        if self._closed:
            return
        self._closed = True
        self._stop_everything()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
