"""Runs the user's experiment once per seed and collects one RunResult per run.

Subprocess contract: the command runs through ``/bin/sh -c`` from the working directory,
with ``{seed}``, ``{data_seed}``, ``{init_seed}`` and ``{index}`` replaced and the seeds
in ``SEEDGATE_*`` variables; it reports metrics through ``$SEEDGATE_METRICS_FILE`` or the
last JSON line of stdout (see ``seedgate.run.metrics``). Each run is its own process
group (``start_new_session``), so a timeout kills the shell and everything it started.

Warm-worker contract (``config.entry``): see ``seedgate.run.workers``.

A failed run never raises: it becomes a RunResult with a reason and its log tail, and the
other runs go on. ``RunnerError`` is for the experiment as a whole (working directory
missing, entry cannot be loaded).
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from seedgate.config import Config
from seedgate.errors import ConfigError, RunnerError
from seedgate.log_text import one_line
from seedgate.records import RunResult, RunStatus
from seedgate.run.child_env import child_environment, thread_limits
from seedgate.run.metrics import (
    ByteTail,
    InvalidMetricsError,
    JsonLineTracker,
    collect_metrics,
    tail_text,
)
from seedgate.run.seeds import RunSpec
from seedgate.run.workers import STOPPED, WorkerPool, parse_entry

if TYPE_CHECKING:
    from typing import Self

SHELL = "/bin/sh"
_PLACEHOLDER = re.compile(r"\{(seed|data_seed|init_seed|index)\}")
_READ_SIZE = 64 * 1024
_POLL_S = 0.1  # without pidfd: how often a silent run is checked for having exited
_LEFTOVER_GRACE_S = 1.0  # how long background children may keep the output open after exit


def format_command(template: str, spec: RunSpec) -> str:
    """Replace ``{seed}``, ``{data_seed}``, ``{init_seed}``, ``{index}``; other braces stay."""
    values = {
        "seed": spec.seed,
        "data_seed": spec.data_seed,
        "init_seed": spec.init_seed,
        "index": spec.index,
    }
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


def seed_variables(spec: RunSpec) -> dict[str, str]:
    """The ``SEEDGATE_*`` variables that tell a run its seeds."""
    return {
        "SEEDGATE_SEED": str(spec.seed),
        "SEEDGATE_RUN_INDEX": str(spec.index),
        "SEEDGATE_DATA_SEED": str(spec.data_seed),
        "SEEDGATE_INIT_SEED": str(spec.init_seed),
    }


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def exit_reason(code: int) -> str:
    """A readable reason for a non-zero exit status of ``/bin/sh -c``."""
    if code < 0:
        return f"killed by signal {_signal_name(-code)}"
    hints = {126: " (command not executable)", 127: " (command not found)"}
    hint = hints.get(code, "")
    if not hint and code > 128 and _signal_name(code - 128) != str(code - 128):
        hint = f" (killed by signal {_signal_name(code - 128)})"
    return f"exited with code {code}{hint}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


# --- running one process ---------------------------------------------------------------


class ProcessGroups:
    """The process groups of the runs in flight, so they can all be killed at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self._stopping = False

    def add(self, pgid: int) -> bool:
        """Track a new group; False (and the group is killed) when stopping."""
        with self._lock:
            if not self._stopping:
                self._groups.add(pgid)
                return True
        kill_group(pgid)
        return False

    @property
    def stopping(self) -> bool:
        return self._stopping

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._groups.discard(pgid)

    def kill_all(self) -> None:
        with self._lock:
            self._stopping = True
            groups = tuple(self._groups)
        for pgid in groups:
            kill_group(pgid)


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _has_exited(pid: int) -> bool:
    """Whether the process has exited, without reaping it (its pid stays reserved)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


@dataclass(frozen=True, slots=True)
class ProcessOutcome:
    returncode: int
    timed_out: bool
    duration_s: float
    stdout_object: dict[str, object] | None  # the last JSON-object line of stdout
    output: bytes  # the tail of stdout and stderr together


def execute(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    groups: ProcessGroups,
) -> ProcessOutcome:
    """Run ``command`` through the shell in its own process group, within ``timeout``."""
    start = time.monotonic()
    deadline = start + timeout
    proc = subprocess.Popen(
        [SHELL, "-c", command],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    tracker = JsonLineTracker()
    tail = ByteTail()
    timed_out = True
    try:
        if not groups.add(proc.pid):
            raise RunnerError(STOPPED)
        timed_out = _pump(proc, tracker, tail, deadline)
    finally:
        # The leader is not reaped yet, so its pid still names the group: kill whatever
        # is left (everything on timeout, stray background children otherwise).
        kill_group(proc.pid)
        returncode = proc.wait()
        groups.discard(proc.pid)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    tracker.close()
    return ProcessOutcome(
        returncode=returncode,
        timed_out=timed_out,
        duration_s=time.monotonic() - start,
        stdout_object=tracker.last,
        output=tail.value(),
    )


def _open_exit_watch(pid: int) -> int | None:
    """A pidfd that turns readable when ``pid`` exits (Linux >= 5.3); None elsewhere."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        fd: int = pidfd_open(pid)
    except OSError:
        return None
    return fd


def _pump(
    proc: subprocess.Popen[bytes], tracker: JsonLineTracker, tail: ByteTail, deadline: float
) -> bool:
    """Read the run's output until the run has exited and its output has ended.

    Returns True when the deadline passed first. The run's exit is watched without reaping
    it (pidfd, else polling), so its pid keeps naming its process group for the final kill.
    Output still held open by background children is waited for only a short grace period.
    """
    assert proc.stdout is not None  # noqa: S101 - Popen was given PIPE
    assert proc.stderr is not None  # noqa: S101
    exit_watch = _open_exit_watch(proc.pid)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ, data="stdout")
            selector.register(proc.stderr, selectors.EVENT_READ, data="stderr")
            if exit_watch is not None:
                selector.register(exit_watch, selectors.EVENT_READ, data="exit")
            open_streams = 2
            exited_at: float | None = None
            while True:
                now = time.monotonic()
                if exit_watch is None and exited_at is None and _has_exited(proc.pid):
                    exited_at = now
                if exited_at is not None and not open_streams:
                    return False
                if now >= deadline:
                    return True
                wait = deadline - now
                if exited_at is not None:
                    if now - exited_at >= _LEFTOVER_GRACE_S:
                        return False
                    wait = min(wait, exited_at + _LEFTOVER_GRACE_S - now)
                elif exit_watch is None:
                    wait = min(wait, _POLL_S if open_streams else 0.002)
                for key, _ in selector.select(wait):
                    if key.data == "exit":
                        exited_at = time.monotonic()
                        selector.unregister(key.fileobj)
                        continue
                    chunk = os.read(key.fd, _READ_SIZE)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        open_streams -= 1
                        continue
                    tail.feed(chunk)
                    if key.data == "stdout":
                        tracker.feed(chunk)
    finally:
        if exit_watch is not None:
            os.close(exit_watch)


# --- progress ----------------------------------------------------------------------------


def format_value(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.4g}"


class Progress:
    """One whole line per finished run, with running mean ± std over the successes.

    ``run k/N``: k counts the runs finished so far (in the order they finish, which with
    parallel jobs is not the seed order), N is the number planned.
    """

    def __init__(self, out: TextIO | None, label: str) -> None:
        self._out = out
        self._label = label
        self._lock = threading.Lock()
        self._finished = 0
        self._values: dict[str, list[float]] = {}

    def report(self, result: RunResult, planned: int) -> None:
        with self._lock:
            self._finished += 1
            if result.ok:
                for name, value in result.metrics.items():
                    self._values.setdefault(name, []).append(value)
            if self._out is None:
                return
            self._out.write(one_line(self._line(result, planned)) + "\n")
            self._out.flush()

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


class Runner:
    """Runs RunSpecs of one experiment, ``config.usable_jobs()`` at a time."""

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
    ) -> None:
        self._config = config
        self._entry = config.entry
        template = command if command is not None else config.command
        if self._entry is not None:
            parse_entry(self._entry)
        elif template is None or not template.strip():
            raise ConfigError(
                'no command to run: set `command` (e.g. "python train.py --seed {seed}") '
                'or `entry` (e.g. "train:entry")'
            )
        self._command = template or ""
        self._cwd = Path(config.working_directory)
        self._jobs = config.usable_jobs()
        self._timeout = config.timeout
        self._required = tuple(required_metrics)
        self._planned = planned
        parent = os.environ if environ is None else environ
        base = child_environment(parent, pass_env=config.pass_env, drop_env=config.drop_env)
        base.update(thread_limits(base, cores=usable_cores(), jobs=self._jobs))
        self._environment = base
        self._progress = Progress(out, label)
        self._groups = ProcessGroups()
        self._results: list[RunResult] = []
        self._pool: WorkerPool | None = None
        self._closed = False

    @property
    def results(self) -> tuple[RunResult, ...]:
        return tuple(self._results)

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
            if self._jobs == 1 or len(batch) == 1:
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
        workers = min(self._jobs, len(batch))
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
        result = pool.run(spec) if pool is not None else self._run_subprocess(spec)
        finished[position] = result
        self._progress.report(result, planned)
        return result

    def _run_subprocess(self, spec: RunSpec) -> RunResult:
        command = format_command(self._command, spec)
        with tempfile.TemporaryDirectory(prefix="seedgate-run-") as scratch:
            metrics_file = Path(scratch) / "metrics.json"
            env = {
                **self._environment,
                **seed_variables(spec),
                "SEEDGATE_METRICS_FILE": str(metrics_file),
            }
            try:
                outcome = execute(
                    command, cwd=self._cwd, env=env, timeout=self._timeout, groups=self._groups
                )
            except OSError as exc:
                raise RunnerError(f"cannot start {SHELL} to run {command!r}: {exc}") from exc
            if self._groups.stopping:  # killed by close(), not a result of the experiment
                raise RunnerError(STOPPED)
            return self._judge(spec, outcome, metrics_file)

    def _judge(self, spec: RunSpec, outcome: ProcessOutcome, metrics_file: Path) -> RunResult:
        def failed(status: RunStatus, reason: str) -> RunResult:
            log_tail = tail_text(outcome.output)
            return spec.failed(status, reason, duration_s=outcome.duration_s, log_tail=log_tail)

        if outcome.timed_out:
            return failed(
                RunStatus.TIMED_OUT,
                f"timed out after {self._timeout:g}s; its process group was killed",
            )
        if outcome.returncode != 0:
            return failed(RunStatus.FAILED, exit_reason(outcome.returncode))
        try:
            metrics = collect_metrics(metrics_file, outcome.stdout_object, required=self._required)
        except InvalidMetricsError as exc:
            return failed(RunStatus.FAILED, str(exc))
        return spec.succeeded(metrics, outcome.duration_s)

    def _stop_everything(self) -> None:
        self._groups.kill_all()
        if self._pool is not None:
            self._pool.close()

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
