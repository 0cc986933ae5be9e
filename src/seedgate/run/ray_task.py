"""The Ray task: one run on a cluster node, by the same code as a local run.

``run_task`` is the body of a streaming-generator Ray task (``seedgate.run.ray_executor``
submits it). On the node it runs ``seedgate.run.one_run.run_command`` (the local runner's
code) in the working directory Ray shipped, yields the run's output in chunks as it comes
(so the gate shows live lines), and finally a ``TaskOutcome``: the RunResult, the node's id
and the environment fingerprint of this worker (its packages and GPU, not the gate's).

The run's environment is this worker's, cleaned as a local run's is (the same credentials
removed, ``pass_env`` / ``drop_env`` applied). The ``install`` command runs once per node
and shipped working directory, before the first run there; the other runs on that node wait
for it and share its outcome. A watchdog kills the run if the worker dies first.

Nothing here imports Ray at module level, so the module loads without it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from seedgate.errors import RunnerError
from seedgate.records import RunResult, RunStatus
from seedgate.run import fingerprint
from seedgate.run.child_env import child_environment
from seedgate.run.metrics import tail_text
from seedgate.run.one_run import exit_reason, run_command
from seedgate.run.process import ProcessGroups, execute
from seedgate.run.process_tree import new_token
from seedgate.run.seeds import RunSpec
from seedgate.run.watchdog import Watchdog

FLUSH_S = 0.2  # how often output gathered on the node is sent to the gate
FLUSH_BYTES = 64 * 1024
_INSTALL_MARKER = ".seedgate-install-{digest}.json"


@dataclass(frozen=True, slots=True)
class TaskRequest:
    """What the gate sends with each run: plain data, pickled by Ray."""

    template: str
    spec: RunSpec
    timeout: float
    required: tuple[str, ...] = ()
    pass_env: tuple[str, ...] = ()
    drop_env: tuple[str, ...] = ()
    install: str | None = None


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """The task's last item: the run's record, where it ran, and that place's fingerprint."""

    result: RunResult
    node: str
    environment: Mapping[str, str] = field(default_factory=dict)


_WATCHDOG = Watchdog()
_FINGERPRINT: dict[str, str] = {}


def worker_fingerprint() -> dict[str, str]:
    """This worker's environment fingerprint, probed once per worker process."""
    if not _FINGERPRINT:
        _FINGERPRINT.update(fingerprint.fingerprint())
    return dict(_FINGERPRINT)


def node_id() -> str:
    import ray  # only ever called inside a Ray task

    return str(ray.get_runtime_context().get_node_id())


def run_task(request: TaskRequest) -> Iterator[bytes | TaskOutcome]:
    """Run one spec here; yield its output chunks, then its TaskOutcome."""
    chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    answer: list[RunResult] = []
    worker = threading.Thread(
        target=_run_here, args=(request, chunks, answer), name="seedgate-ray-run", daemon=True
    )
    worker.start()
    yield from _gathered(chunks)
    worker.join()
    yield TaskOutcome(answer[0], node_id(), worker_fingerprint())


def _gathered(chunks: queue.SimpleQueue[bytes | None]) -> Iterator[bytes]:
    """The output as it comes, in pieces of at most FLUSH_S seconds, until the None."""
    pending = bytearray()
    sent_at = time.monotonic()
    while True:
        try:
            chunk = chunks.get(timeout=max(0.0, sent_at + FLUSH_S - time.monotonic()))
        except queue.Empty:
            chunk = b""
        if chunk is not None:
            pending += chunk
        now = time.monotonic()
        if pending and (chunk is None or len(pending) >= FLUSH_BYTES or now >= sent_at + FLUSH_S):
            yield bytes(pending)
            pending.clear()
        if chunk is None:
            return
        if now >= sent_at + FLUSH_S:
            sent_at = now


def _run_here(
    request: TaskRequest, chunks: queue.SimpleQueue[bytes | None], answer: list[RunResult]
) -> None:
    try:
        answer.append(run_on_node(request, Path.cwd(), chunks.put))
    finally:
        chunks.put(None)


def run_on_node(
    request: TaskRequest,
    cwd: Path,
    sink: Callable[[bytes], None],
    environ: Mapping[str, str] | None = None,
) -> RunResult:
    """The install (once per node), then the run, with this process's environment."""
    base = child_environment(
        os.environ if environ is None else environ,
        pass_env=request.pass_env,
        drop_env=request.drop_env,
    )
    spec = request.spec
    if request.install:
        problem = install_once(request.install, cwd, base, request.timeout, sink)
        if problem is not None:
            reason, log_tail = problem
            return spec.failed(RunStatus.FAILED, reason, duration_s=0.0, log_tail=log_tail)
    token = new_token()
    _WATCHDOG.started(token)
    start = time.monotonic()
    try:
        return run_command(
            request.template,
            spec,
            cwd=cwd,
            environment=base,
            timeout=request.timeout,
            required=request.required,
            groups=ProcessGroups(),
            sink=sink,
            token=token,
        )
    except RunnerError as exc:  # the shell cannot start on this node
        return spec.failed(
            RunStatus.FAILED, str(exc), duration_s=time.monotonic() - start, log_tail=""
        )
    finally:
        _WATCHDOG.ended(token)


def install_once(
    install: str,
    cwd: Path,
    environment: Mapping[str, str],
    timeout: float,
    sink: Callable[[bytes], None],
) -> tuple[str, str] | None:
    """Run ``install`` in ``cwd`` unless this node already did for this directory.

    None when it succeeded (now or before); else the reason and the log tail, which every
    run on this node then fails with. The marker lies beside the shipped directory (Ray
    keeps one copy per content hash and node), so a changed directory installs again.
    """
    digest = hashlib.sha256(install.encode()).hexdigest()[:16]
    marker = cwd.parent / f"{cwd.name}{_INSTALL_MARKER.format(digest=digest)}"
    lock = marker.with_suffix(".lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # the other runs on this node wait here
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            done = json.loads(marker.read_text(encoding="utf-8"))
            return None if done["ok"] else (str(done["reason"]), str(done["log_tail"]))
        outcome = execute(
            install, cwd=cwd, env=environment, timeout=timeout, groups=ProcessGroups(), sink=sink
        )
        ok = outcome.returncode == 0 and not outcome.timed_out
        cause = f"timed out after {timeout:g}s" if outcome.timed_out else None
        why = cause or exit_reason(outcome.returncode)
        reason = f"the install command failed on this node: {why}"
        log_tail = tail_text(outcome.output)
        record = {"ok": ok, "reason": reason, "log_tail": log_tail}
        marker.write_text(json.dumps(record), encoding="utf-8")
        return None if ok else (reason, log_tail)


def with_node(result: RunResult, node: str) -> RunResult:
    return replace(result, node=node)
