"""Warm workers: the ``entry = "module:function"`` contract, run in long-lived processes.

The function is called as ``function(seed=..., data_seed=..., init_seed=..., index=...)``
and returns its metrics as a dict of numbers. Importing TensorFlow and building the
dataset once per worker instead of once per run is what makes this faster than the
subprocess contract.

Each worker is a fresh interpreter (``python -m seedgate.run.worker_process``), never a fork, so no
TensorFlow state is inherited; it is started with the same cleaned environment as the
subprocess runs (so thread limits and the removal of the gate's tokens hold from the
first import) and in its own process group, so a timeout kills the worker and anything it
started. Before every run the worker calls the entry module's ``reset()`` if it has one and
``tf.keras.backend.clear_session()`` when TensorFlow is already imported. A worker is
replaced after ``worker_max_runs`` runs, when it dies (that run fails, the others go on)
and when a run times out.

Why not ``multiprocessing``: its spawn start method re-imports the orchestrator's main
module in every worker and offers no process-group kill; a plain ``Popen`` of the worker
module gives the same fresh-interpreter semantics with full control over environment, output
(each worker writes to its own log file, so progress lines stay whole) and killing.

Parent and worker speak JSON lines over two pipes passed as extra file descriptors, so
the user's code keeps stdin, stdout and stderr for itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedgate.errors import ConfigError, RunnerError
from seedgate.log_text import one_line
from seedgate.records import RunResult, RunStatus
from seedgate.run.identity import run_user, start_command
from seedgate.run.metrics import InvalidMetricsError, tail_text, validate_metrics
from seedgate.run.process_tree import (
    disown,
    kill_tree,
    new_token,
)

if TYPE_CHECKING:
    from seedgate.run.seeds import RunSpec

_ENTRY = re.compile(r"^(?P<module>[^:]+):(?P<function>[A-Za-z_]\w*)$")
_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
STOPPED = "the run was stopped because seedgate is stopping"
_STOP_GRACE_S = 2.0
_LOG_TAIL_BYTES = 64 * 1024
_MAX_MESSAGE_BYTES = 16 << 20  # one answer line from a worker


def parse_entry(entry: str) -> tuple[str, str]:
    """Split ``module:function`` (or ``path/to/file.py:function``), or raise ConfigError."""
    match = _ENTRY.match(entry.strip())
    if match is not None:
        module = match.group("module")
        if _MODULE.match(module) or module.endswith(".py"):
            return module, match.group("function")
    raise ConfigError(
        f"entry = {entry!r}: expected 'module:function' (e.g. 'examples.mnist.train:entry') "
        "or 'path/to/file.py:function'"
    )


# --- the parent's side ----------------------------------------------------------------


class _Worker:
    """One started worker process and the parent's ends of its pipes."""

    def __init__(
        self, proc: subprocess.Popen[bytes], requests: int, responses: int, log: Path, token: str
    ) -> None:
        self.proc = proc
        self.token = token
        self.requests = requests
        self.responses = responses
        self.log = log
        self.runs = 0
        self._buffer = bytearray()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, message: Mapping[str, object]) -> bool:
        data = (json.dumps(message) + "\n").encode()
        try:
            while data:
                written = os.write(self.requests, data)
                data = data[written:]
        except OSError:
            return False
        return True

    def receive(self, deadline: float) -> dict[str, Any] | None:
        """The next message; None when the worker died or the deadline passed."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.responses, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return None
                chunk = os.read(self.responses, 65536)
                if not chunk or len(self._buffer) > _MAX_MESSAGE_BYTES:
                    return None  # dead, or the user's code scribbles on the answer pipe
                self._buffer += chunk
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            return None
        return message if isinstance(message, dict) else None

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except OSError:
            return 0

    def copy_log(self, offset: int, sink: Callable[[bytes], None]) -> None:
        with contextlib.suppress(OSError), self.log.open("rb") as handle:
            handle.seek(offset)
            while chunk := handle.read(_LOG_TAIL_BYTES):
                sink(chunk)

    def log_since(self, offset: int) -> str:
        try:
            with self.log.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(offset, size - _LOG_TAIL_BYTES))
                return tail_text(handle.read())
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the worker and all it started (also what left its process group); only
        while its leader is not reaped yet, so the pid still names this worker."""
        if self.proc.returncode is not None:
            return
        kill_tree(self.proc.pid, self.token)

    def stop(self, *, graceful: bool) -> None:
        """End the worker (closing its request pipe lets it exit on its own) and clean up."""
        with contextlib.suppress(OSError):
            os.close(self.requests)
        if graceful:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=_STOP_GRACE_S)
        self.kill()
        self.proc.wait()
        disown(self.proc.pid)
        kill_tree(None, self.token)  # what a worker that exited on its own left running
        with contextlib.suppress(OSError):
            os.close(self.responses)
        with contextlib.suppress(OSError):
            self.log.unlink()


def _death_reason(code: int | None) -> str:
    if code is None:
        return "the warm worker stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"the warm worker was killed by signal {name} during the run"
    return f"the warm worker exited with code {code} during the run"


class WorkerPool:
    """``size`` warm workers running one entry; ``run`` is safe to call from many threads."""

    def __init__(
        self,
        entry: str,
        *,
        size: int,
        environment: Mapping[str, str],
        working_directory: Path,
        max_runs: int,
        timeout: float,
        required_metrics: tuple[str, ...] = (),
        startup_timeout: float | None = None,
    ) -> None:
        parse_entry(entry)
        self._entry = entry.strip()
        self._environment = dict(environment)
        self._cwd = Path(working_directory).resolve()
        self._max_runs = max(1, max_runs)
        self._timeout = timeout
        self._startup_timeout = timeout if startup_timeout is None else startup_timeout
        self._required = required_metrics
        self._slots: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
        for _ in range(max(1, size)):
            self._slots.put(None)
        self._lock = threading.Lock()
        self._live: set[_Worker] = set()
        self._started = 0
        self._closed = False
        self._scratch = Path(tempfile.mkdtemp(prefix="seedgate-workers-"))

    @property
    def started(self) -> int:
        """How many worker processes were started so far (replacements included)."""
        return self._started

    def run(self, spec: RunSpec, output: Callable[[bytes], None] | None = None) -> RunResult:
        """Run one spec on a free worker; ``output`` gets what the run printed, afterwards."""
        worker = self._slots.get()
        try:
            if worker is None:
                worker = self._start()
            offset = worker.log_size()
            result, healthy = self._run_on(worker, spec)
            if output is not None:
                worker.copy_log(offset, output)
        except BaseException:
            if worker is not None:
                self._retire(worker, graceful=False)
            self._slots.put(None)
            raise
        if healthy and worker.runs < self._max_runs and not self._closed:
            self._slots.put(worker)
        else:
            self._retire(worker, graceful=healthy)
            self._slots.put(None)
        if self._closed:  # killed by close(), not a result of the experiment
            raise RunnerError(STOPPED)
        return result

    def _start(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RunnerError(STOPPED)
            self._started += 1
            number = self._started
        worker = self._spawn(self._scratch / f"worker-{number}.log")
        with self._lock:
            self._live.add(worker)
            closed = self._closed
        if closed:
            self._retire(worker, graceful=False)
            raise RunnerError(STOPPED)
        self._await_ready(worker)
        return worker

    def _spawn(self, log: Path) -> _Worker:
        """A worker process that talks over two pipes; its output goes to ``log``."""
        token = new_token()
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        who = run_user()
        command = [
            who.python if who is not None else sys.executable,
            "-m",
            "seedgate.run.worker_process",
            str(request_read),
            str(response_write),
            self._entry,
            str(self._cwd),
        ]
        try:
            with log.open("wb") as log_handle:
                proc = start_command(
                    command,
                    cwd=self._cwd,
                    env=self._environment,
                    token=token,
                    stdout=log_handle,
                    stderr=subprocess.STDOUT,
                    pass_fds=(request_read, response_write),
                )
        except OSError as exc:
            for fd in (request_read, request_write, response_read, response_write):
                os.close(fd)
            raise RunnerError(
                f"cannot start a warm worker for entry {self._entry!r}: {exc}"
            ) from exc
        os.close(request_read)
        os.close(response_write)
        return _Worker(proc, request_write, response_read, log, token)

    def _await_ready(self, worker: _Worker) -> None:
        """The worker's hello, or a RunnerError with its log when the entry cannot load."""
        hello = worker.receive(time.monotonic() + self._startup_timeout)
        if hello is not None and hello.get("status") == "ready":
            return
        reason = (
            str(hello.get("reason"))
            if hello is not None
            else f"no answer within {self._startup_timeout:g}s or the worker died"
        )
        log_tail = worker.log_since(0)
        self._retire(worker, graceful=False)
        detail = "".join(f"\n  | {one_line(line)}" for line in log_tail.splitlines())
        raise RunnerError(f"entry {self._entry!r} could not be loaded: {reason}{detail}")

    def _retire(self, worker: _Worker, *, graceful: bool) -> None:
        with self._lock:
            self._live.discard(worker)
        worker.stop(graceful=graceful)

    def _run_on(self, worker: _Worker, spec: RunSpec) -> tuple[RunResult, bool]:
        """Run one spec on a worker; the flag says whether the worker may be reused."""
        offset = worker.log_size()
        start = time.monotonic()
        deadline = start + self._timeout
        worker.runs += 1
        request = {
            "seed": spec.seed,
            "data_seed": spec.data_seed,
            "init_seed": spec.init_seed,
            "index": spec.index,
        }
        answer = worker.receive(deadline) if worker.send(request) else None
        duration = time.monotonic() - start

        def failed(status: RunStatus, reason: str) -> RunResult:
            return spec.failed(
                status, reason, duration_s=duration, log_tail=worker.log_since(offset)
            )

        if answer is None:
            if worker.proc.poll() is None and time.monotonic() >= deadline:
                worker.kill()
                worker.proc.wait()
                reason = f"timed out after {self._timeout:g}s; the warm worker was killed"
                return failed(RunStatus.TIMED_OUT, reason), False
            # The worker closed its answer pipe by dying: kill what it may have left running
            # (a dead leader keeps its exit status), then collect that status.
            worker.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(timeout=_STOP_GRACE_S)
            return failed(RunStatus.FAILED, _death_reason(worker.proc.poll())), False
        if answer.get("status") != "ok":
            reason = one_line(answer.get("reason", "the entry failed"))  # the run's own text
            return failed(RunStatus.FAILED, reason), True
        try:
            metrics = validate_metrics(
                answer.get("metrics"), source="the entry's return value", required=self._required
            )
        except InvalidMetricsError as exc:
            return failed(RunStatus.FAILED, str(exc)), True
        result = spec.succeeded(metrics, duration)
        return result, True

    def close(self) -> None:
        """Stop every worker, busy ones included (their runs fail), and remove the logs.

        Idle workers exit on their own when their request pipe closes; busy ones are
        killed, and the thread that runs on one cleans it up when the run returns.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        idle: list[_Worker] = []
        with contextlib.suppress(queue.Empty):
            while True:
                slot = self._slots.get_nowait()
                if slot is not None:
                    idle.append(slot)
        with self._lock:
            busy = tuple(w for w in self._live if w not in idle)
            self._live.clear()
        for worker in busy:
            worker.kill()
        for worker in idle:
            with contextlib.suppress(OSError):
                os.close(worker.requests)
        deadline = time.monotonic() + _STOP_GRACE_S
        for worker in idle:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            worker.kill()
            worker.proc.wait()
            disown(worker.proc.pid)
            kill_tree(None, worker.token)  # what the worker left running when it exited
            with contextlib.suppress(OSError):
                os.close(worker.responses)
        for _ in range(len(idle)):
            self._slots.put(None)
        shutil.rmtree(self._scratch, ignore_errors=True)
