"""The Ray executor: each run is a Ray task on a cluster; the gate stays on its machine.

Why tasks and not the Ray Jobs API: a job is a driver process of its own per run (seconds
to start, a runtime environment set up per job), it returns nothing but its log (the
metrics would be scraped back out of text), and it is placed by the cluster only as a
whole. A task is submitted with the run's own resources (``num_cpus``, ``num_gpus``,
``memory``), returns the RunResult as data, is placed on any node with room, and is
cancelled with ``ray.cancel(force=True)``. The price: the gate is a Ray driver, so its
Ray (and Python minor version) must match the cluster's, through Ray Client
(``ray://HOST:10001``) from outside the cluster or the GCS address (``HOST:6379``) from
inside it.

The task is a streaming generator (``seedgate.run.ray_task``): it yields the run's output
as it comes, then a ``TaskOutcome`` with the RunResult, the node it ran on and that
worker's environment fingerprint. The runtime environment ships the working directory
and seedgate itself (``py_modules``), so a node needs only Ray and the experiment's own
packages (which the ``install`` command can add). Tasks are never retried
(``max_retries=0``): a run that kills its worker is a failed run with that reason.

Connecting first checks that the address answers within a short timeout, since Ray itself
waits minutes for an absent cluster: a missing package, a missing address or an
unreachable cluster is a ConfigError (exit 2) before any run starts.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import seedgate
from seedgate.config.settings import Config
from seedgate.errors import ConfigError, RunnerError
from seedgate.log_text import one_line
from seedgate.records import RunResult, RunStatus
from seedgate.run.metrics import ByteTail, tail_text
from seedgate.run.ray_task import TaskOutcome, TaskRequest, run_task
from seedgate.run.seeds import RunSpec
from seedgate.run.workers import STOPPED

ADDRESS_ENV = "RAY_ADDRESS"
CLIENT_PORT = 10001  # Ray Client's default, for ray://HOST without a port
GCS_PORT = 6379
CONNECT_TIMEOUT_S = 10.0
_CANCEL_WAIT_S = 30.0  # how long close() waits for cancelled tasks to be gone
_RAY_HINT = (
    "install it on the gate's machine with `pip install \"seedgate[ray]\"` (or the cluster's "
    "Ray version); in GitHub Actions use the host action (host/action.yml): the Docker "
    "action's image leaves Ray out"
)


@dataclass(frozen=True)
class RaySettings:
    """Where the runs go and what each one asks the cluster for."""

    address: str | None = None  # None: $RAY_ADDRESS
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory: int | None = None  # bytes; None: no reservation
    install: str | None = None  # run once per node before the first run there
    connect_timeout: float = CONNECT_TIMEOUT_S


def import_ray() -> ModuleType:
    """The ``ray`` module, or a ConfigError saying how to get it."""
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise ConfigError(
            f'executor = "ray" but the Ray package cannot be imported ({exc}): {_RAY_HINT}'
        ) from None


def cluster_address(setting: str | None, environ: Mapping[str, str]) -> str:
    """The configured ``ray_address``, else $RAY_ADDRESS, else a ConfigError."""
    address = (setting or environ.get(ADDRESS_ENV) or "").strip()
    if not address:
        raise ConfigError(
            'executor = "ray" needs the cluster\'s address: set `ray_address` (e.g. '
            '"ray://head.example:10001") or the RAY_ADDRESS environment variable'
        )
    if address == "local":
        raise ConfigError(
            'ray_address = "local" would start a new Ray instance inside the gate; give the '
            "address of a running cluster"
        )
    return address


def host_and_port(address: str) -> tuple[str, int] | None:
    """The TCP endpoint to probe; None for ``auto`` (Ray looks up the local cluster)."""
    if address == "auto":
        return None
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "", address
    if scheme not in ("", "ray"):
        raise ConfigError(
            f"ray_address = {address!r}: expected HOST:PORT (the GCS address, inside the "
            "cluster) or ray://HOST:PORT (Ray Client, from outside it)"
        )
    host, colon, port = rest.rstrip("/").rpartition(":")
    if not colon:
        host, port = rest.rstrip("/"), str(CLIENT_PORT if scheme else GCS_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"ray_address = {address!r}: expected HOST:PORT with a port number")
    return host.strip("[]"), int(port)


def probe(address: str, timeout: float) -> None:
    """A ConfigError unless the cluster's port accepts a connection within ``timeout``."""
    endpoint = host_and_port(address)
    if endpoint is None:
        return
    try:
        with socket.create_connection(endpoint, timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(
            f"the Ray cluster at {address!r} cannot be reached ({exc}); no run was started. "
            "Check ray_address / RAY_ADDRESS and that the runner can reach that port"
        ) from None


def runtime_env(working_directory: Path, excludes: tuple[str, ...] = ()) -> dict[str, Any]:
    """What every task's worker gets: the working directory and seedgate's own code."""
    return {
        "working_dir": str(working_directory.resolve()),
        "py_modules": [str(Path(seedgate.__file__).parent)],
        "excludes": [".git", *excludes],
    }


class _Connection:
    """The process's one Ray connection (ray.init is process-wide), reused while the
    address and runtime environment stay the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: str | None = None

    def open(self, ray: ModuleType, address: str, env: Mapping[str, Any]) -> None:
        key = json.dumps([address, env], sort_keys=True)
        with self._lock:
            if self._key == key and ray.is_initialized():
                return
            if ray.is_initialized():
                ray.shutdown()
            self._key = None
            self._init(ray, address, env)
            self._key = key

    @staticmethod
    def _init(ray: ModuleType, address: str, env: Mapping[str, Any]) -> None:
        on_sigterm = signal.getsignal(signal.SIGTERM)
        try:
            ray.init(
                address=address,
                runtime_env=dict(env),
                log_to_driver=False,  # the run's output comes back through the task
                logging_level="ERROR",
                namespace="seedgate",
            )
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the same user error
            raise ConfigError(
                f"cannot connect to the Ray cluster at {address!r}: {one_line(str(exc))[:300]}"
            ) from None
        finally:
            # ray.init makes SIGTERM exit the process; a cancelled job must instead stop
            # the runs and keep the finished ones (seedgate.run.interrupts)
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, on_sigterm)
        _errors_to_stderr()


def _errors_to_stderr() -> None:
    """Ray prints the cluster's error messages for this driver (a worker died, ...) to
    stdout, where the gate writes its report and JSON: send them to stderr instead."""
    worker = importlib.import_module("ray._private.worker")
    original = getattr(worker, "print_to_stdstream", None)
    if original is None or getattr(original, "seedgate_stderr", False):
        return

    def to_stderr(data: dict[str, Any], ignore_prefix: bool) -> None:
        original({**data, "is_err": True}, ignore_prefix)

    to_stderr.seedgate_stderr = True  # type: ignore[attr-defined]
    worker.__dict__["print_to_stdstream"] = to_stderr


_CONNECTION = _Connection()


def failure_reason(exc: BaseException) -> str:
    """Why a run's task ended without its result, from Ray's exception."""
    ray_exceptions = importlib.import_module("ray.exceptions")
    first = one_line(str(exc).strip().splitlines()[0] if str(exc).strip() else "")[:300]
    if isinstance(exc, ray_exceptions.WorkerCrashedError):
        return (
            "the Ray worker process running the run died (killed by the run, by the node's "
            "memory monitor, or by a signal)"
        )
    if isinstance(exc, ray_exceptions.OutOfMemoryError):
        return f"Ray killed the run's worker: the node ran out of memory ({first})"
    if isinstance(exc, (ray_exceptions.NodeDiedError, ray_exceptions.LocalRayletDiedError)):
        return f"the Ray node running the run died ({first})"
    if isinstance(exc, ray_exceptions.TaskCancelledError):
        return "the run's Ray task was cancelled on the cluster, not by seedgate"
    if isinstance(exc, ray_exceptions.RuntimeEnvSetupError):
        return f"Ray could not set up the run's environment on the node ({first})"
    return f"the Ray task failed: {type(exc).__name__}: {first}"


def _inside(path: Path, directory: Path) -> tuple[str, ...]:
    """``path`` relative to ``directory`` when it lies inside it (to leave out of the
    upload), else nothing."""
    try:
        return (str(path.resolve().relative_to(directory.resolve())),)
    except ValueError:
        return ()


def merged_fingerprint(environments: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """One fingerprint for runs on several workers: a key whose value differed between
    them lists each value once, sorted (``a | b``); a key one worker lacks counts as "none"."""
    keys = dict.fromkeys(key for environment in environments for key in environment)
    return {
        key: " | ".join(sorted({environment.get(key, "none") for environment in environments}))
        for key in keys
    }


class RayExecutor:
    """Runs specs as Ray tasks; ``run`` is called from many threads, one run each."""

    def __init__(
        self,
        settings: RaySettings,
        *,
        command: str,
        working_directory: Path,
        timeout: float,
        required_metrics: tuple[str, ...] = (),
        pass_env: tuple[str, ...] = (),
        drop_env: tuple[str, ...] = (),
        excludes: tuple[str, ...] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._ray = import_ray()
        self._exceptions = importlib.import_module("ray.exceptions")
        address = cluster_address(settings.address, os.environ if environ is None else environ)
        if not Path(working_directory).is_dir():
            raise RunnerError(
                f"working_directory {str(working_directory)!r} does not exist or is not a directory"
            )
        probe(address, settings.connect_timeout)
        _CONNECTION.open(self._ray, address, runtime_env(Path(working_directory), excludes))
        self._address = address
        self._request = TaskRequest(
            template=command,
            spec=RunSpec(0, 0, 0, 0),
            timeout=timeout,
            required=required_metrics,
            pass_env=pass_env,
            drop_env=drop_env,
            install=settings.install,
        )
        options: dict[str, Any] = {
            "num_returns": "streaming",
            "max_retries": 0,
            "num_cpus": settings.num_cpus,
            "num_gpus": settings.num_gpus,
        }
        if settings.memory is not None:
            options["memory"] = settings.memory
        self._remote = self._ray.remote(run_task).options(**options)
        self._lock = threading.Lock()
        self._in_flight: set[Any] = set()
        self._closed = False
        self._environments: list[Mapping[str, str]] = []

    @classmethod
    def for_config(
        cls,
        config: Config,
        *,
        command: str,
        required_metrics: tuple[str, ...] = (),
        environ: Mapping[str, str] | None = None,
    ) -> RayExecutor:
        """The executor ``executor = "ray"`` and the ``ray_*`` settings describe."""
        settings = RaySettings(
            address=config.ray_address,
            num_cpus=config.ray_num_cpus,
            num_gpus=config.ray_num_gpus,
            memory=config.ray_memory,
            install=config.ray_install,
        )
        return cls(
            settings,
            command=command,
            working_directory=config.working_directory,
            timeout=config.timeout,
            required_metrics=required_metrics,
            pass_env=config.pass_env,
            drop_env=config.drop_env,
            excludes=_inside(config.store, config.working_directory),
            environ=environ,
        )

    @property
    def address(self) -> str:
        return self._address

    def run(self, spec: RunSpec, sink: Callable[[bytes], None] | None = None) -> RunResult:
        """Run one spec on the cluster and wait for it; its output goes to ``sink``."""
        start = time.monotonic()
        tail = ByteTail()
        generator = self._submit(replace(self._request, spec=spec))
        outcome: TaskOutcome | None = None
        try:
            for item in self._items(generator):
                if isinstance(item, TaskOutcome):
                    outcome = item
                    continue
                tail.feed(item)
                if sink is not None:
                    sink(item)
        except self._exceptions.RayError as exc:
            if self._closed:  # cancelled by close(), not a result of the experiment
                raise RunnerError(STOPPED) from None
            return spec.failed(
                RunStatus.FAILED,
                failure_reason(exc),
                duration_s=time.monotonic() - start,
                log_tail=tail_text(tail.value()),
            )
        except BaseException:
            self._cancel(generator)  # interrupted here: the task must not outlive the gate
            raise
        finally:
            with self._lock:
                self._in_flight.discard(generator)
        if outcome is None:
            raise RunnerError("the Ray task ended without its result")  # pragma: no cover
        with self._lock:
            self._environments.append(outcome.environment)
        return replace(outcome.result, node=outcome.node)

    def _submit(self, request: TaskRequest) -> Any:
        with self._lock:
            if self._closed:
                raise RunnerError(STOPPED)
            generator = self._remote.remote(request)
            self._in_flight.add(generator)
        return generator

    def _items(self, generator: Any) -> Iterator[bytes | TaskOutcome]:
        for ref in generator:
            item = self._ray.get(ref)
            if not isinstance(item, (bytes, TaskOutcome)):
                raise RunnerError(f"the Ray task sent {type(item).__name__}, not a run's data")
            yield item

    def _cancel(self, generator: Any) -> None:
        with contextlib.suppress(Exception):
            self._ray.cancel(generator, force=True)

    def fingerprint(self) -> dict[str, str] | None:
        """The environment the runs ran in, from the workers; None before the first run."""
        with self._lock:
            seen = tuple(self._environments)
        return merged_fingerprint(seen) if seen else None

    def close(self) -> None:
        """Cancel every task still in flight (force: their workers are killed) and wait
        until they are gone; the runs that finished keep their results."""
        with self._lock:
            self._closed = True
            in_flight = tuple(self._in_flight)
        for generator in in_flight:
            self._cancel(generator)
        if in_flight:  # ended on the cluster, not just given up here
            with contextlib.suppress(Exception):
                self._ray.wait(
                    [generator.completed() for generator in in_flight],
                    num_returns=len(in_flight),
                    timeout=_CANCEL_WAIT_S,
                )
