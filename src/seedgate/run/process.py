"""Running one command: its own process group, output pumped, a deadline, nothing left.

``execute`` starts ``/bin/sh -c COMMAND`` with a fresh ``SEEDGATE_RUN_TOKEN`` in its
environment, reads its stdout and stderr (the tail, and the last JSON-object line of
stdout) until it exits or its time is up, and then kills whatever it left behind, even
processes that left its process group (see ``seedgate.run.process_tree``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import selectors
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from seedgate.errors import RunnerError
from seedgate.run.identity import start_command
from seedgate.run.metrics import ByteTail, JsonLineTracker
from seedgate.run.process_tree import (
    disown,
    kill_tree,
    new_token,
)
from seedgate.run.workers import STOPPED

SHELL = "/bin/sh"
_READ_SIZE = 1 << 20
_PIPE_SIZE = 1 << 20  # Linux's default maximum for an unprivileged pipe: fewer wake-ups
_F_SETPIPE_SZ = 1031
_POLL_S = 0.1  # without pidfd: how often a silent run is checked for having exited
_LEFTOVER_GRACE_S = 1.0  # how long background children may keep the output open after exit
_FOLLOW_LIMIT_S = 86_400.0  # follow_output has no deadline; select's timeout must still fit


class ProcessGroups:
    """The runs in flight (leader pid and token), so they can all be killed at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[int, str] = {}
        self._stopping = False

    def add(self, leader: int, token: str) -> bool:
        """Track a new run; False (and the run is killed) when stopping."""
        with self._lock:
            if not self._stopping:
                self._runs[leader] = token
                return True
        kill_tree(leader, token)
        return False

    def alone(self, leader: int) -> bool:
        """Whether the run led by ``leader`` is the only one in flight."""
        with self._lock:
            return set(self._runs) <= {leader}

    @property
    def stopping(self) -> bool:
        return self._stopping

    def discard(self, leader: int) -> None:
        with self._lock:
            self._runs.pop(leader, None)

    def kill_all(self) -> None:
        with self._lock:
            self._stopping = True
            runs = tuple(self._runs.items())
        for leader, token in runs:
            kill_tree(leader, token)


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
    near_miss: str | None  # the last line of stdout like {...} that is not JSON
    output: bytes  # the tail of stdout and stderr together


def execute(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    groups: ProcessGroups,
    sink: Callable[[bytes], None] | None = None,
    token: str | None = None,
) -> ProcessOutcome:
    """Run ``command`` through the shell in its own process group, within ``timeout``;
    afterwards nothing it started is left running. ``sink`` gets its output as it comes.
    ``token`` (default: a fresh one) marks the run's processes, for a watchdog that kills
    them if this process dies first (``seedgate.run.ray_task``)."""
    start = time.monotonic()
    deadline = start + timeout
    token = token or new_token()
    proc = start_command(
        [SHELL, "-c", command],
        cwd=cwd,
        env=env,
        token=token,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    tracker = JsonLineTracker()
    tail = ByteTail()
    timed_out = True
    try:
        if not groups.add(proc.pid, token):
            raise RunnerError(STOPPED)
        timed_out = _pump(proc, tracker, tail, deadline, sink)
    finally:
        # The leader is not reaped yet, so its pid still names the group: kill whatever
        # is left (everything on timeout, stray background children otherwise).
        kill_tree(proc.pid, token, alone=groups.alone(proc.pid))
        returncode = proc.wait()
        disown(proc.pid)
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
        near_miss=tracker.near_miss,
        output=tail.value(),
    )


def follow_output(proc: subprocess.Popen[bytes], sink: Callable[[bytes], None]) -> None:
    """Pass the output of ``proc`` (started with stdout and stderr pipes) to ``sink`` until
    it has exited and its output ended; output that background children hold open after
    the exit is followed only a short grace period, and they are left running."""
    _pump(proc, JsonLineTracker(), ByteTail(), time.monotonic() + _FOLLOW_LIMIT_S, sink)


def _widen(fd: int) -> None:
    """Let the pipe hold more, so a run that prints fast is read in fewer, larger pieces."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)


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


@dataclass
class _Watch:
    """What the pump has seen of a run: its open output streams and when it exited."""

    open_streams: int = 2
    exited_at: float | None = None

    def stop(self, now: float, deadline: float) -> bool | None:
        """True: the deadline passed; False: the run and its output are over; None: go on."""
        if self.exited_at is not None and not self.open_streams:
            return False
        if now >= deadline:
            return True
        if self.exited_at is not None and now - self.exited_at >= _LEFTOVER_GRACE_S:
            return False
        return None

    def wait_s(self, now: float, deadline: float, polling: bool) -> float:
        wait = deadline - now
        if self.exited_at is not None:
            return min(wait, self.exited_at + _LEFTOVER_GRACE_S - now)
        if polling:
            return min(wait, _POLL_S if self.open_streams else 0.002)
        return wait

    def read(self, selector: selectors.BaseSelector, key: selectors.SelectorKey) -> bytes:
        """One ready source: a chunk of output, or b"" for an exit or an ended stream."""
        if key.data == "exit":
            self.exited_at = time.monotonic()
            selector.unregister(key.fileobj)
            return b""
        chunk = os.read(key.fd, _READ_SIZE)
        if not chunk:
            selector.unregister(key.fileobj)
            self.open_streams -= 1
        return chunk


def _pump(
    proc: subprocess.Popen[bytes],
    tracker: JsonLineTracker,
    tail: ByteTail,
    deadline: float,
    sink: Callable[[bytes], None] | None,
) -> bool:
    """Read the run's output until the run has exited and its output has ended.

    Returns True when the deadline passed first. The run's exit is watched without reaping
    it (pidfd, else polling), so its pid keeps naming its process group for the final kill.
    Output still held open by background children is waited for only a short grace period.
    """
    assert proc.stdout is not None  # noqa: S101 - Popen was given PIPE
    assert proc.stderr is not None  # noqa: S101
    for stream in (proc.stdout, proc.stderr):
        _widen(stream.fileno())
    exit_watch = _open_exit_watch(proc.pid)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ, data="stdout")
            selector.register(proc.stderr, selectors.EVENT_READ, data="stderr")
            if exit_watch is not None:
                selector.register(exit_watch, selectors.EVENT_READ, data="exit")
            watch = _Watch()
            while True:
                now = time.monotonic()
                if exit_watch is None and watch.exited_at is None and _has_exited(proc.pid):
                    watch.exited_at = now
                stop = watch.stop(now, deadline)
                if stop is not None:
                    return stop
                for key, _ in selector.select(watch.wait_s(now, deadline, exit_watch is None)):
                    chunk = watch.read(selector, key)
                    if chunk:
                        tail.feed(chunk)
                        if sink is not None:
                            sink(chunk)
                        if key.data == "stdout":
                            tracker.feed(chunk)
    finally:
        if exit_watch is not None:
            os.close(exit_watch)
