"""A Ray cluster of a few nodes on this machine: for the tests, the benchmark, and trying
the Ray executor before pointing it at a real cluster.

Each node is started by ``ray start`` in a process group of its own, so stopping the
cluster kills exactly its processes by their group ids (``ray stop`` would stop every Ray
node of this user on the machine). Memory is kept small: one CPU and a 200 MB object store
per node unless told otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from seedgate.errors import RunnerError

if TYPE_CHECKING:
    from typing import Self

OBJECT_STORE_BYTES = 200_000_000
_START_TIMEOUT_S = 120.0
_STOP_GRACE_S = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ray_command() -> list[str]:
    """``ray`` beside this interpreter (a virtualenv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("ray")
    return [str(beside)] if beside.exists() else ["ray"]


class LocalCluster:
    """A head node and ``nodes - 1`` worker nodes, started and stopped together."""

    def __init__(
        self,
        nodes: int = 2,
        *,
        cpus_per_node: int = 1,
        object_store_bytes: int = OBJECT_STORE_BYTES,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self._nodes = nodes
        self._cpus = cpus_per_node
        self._store = object_store_bytes
        self._env = dict(os.environ if environment is None else environment)
        self._groups: list[int] = []
        self._temp: Path | None = None
        self.port = 0

    @property
    def address(self) -> str:
        """The GCS address a driver on this machine connects to."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> Self:
        # Ray's socket paths must stay short: a temp dir right under /tmp
        self._temp = Path(tempfile.mkdtemp(prefix="sgray-", dir="/tmp"))
        self.port = free_port()
        common = [
            f"--num-cpus={self._cpus}",
            f"--object-store-memory={self._store}",
            "--disable-usage-stats",
        ]
        try:
            self._start_node(
                [
                    "--head",
                    f"--port={self.port}",
                    f"--temp-dir={self._temp}",
                    "--include-dashboard=true",
                    f"--dashboard-port={free_port()}",
                    # outside Ray's default worker port range (10002-19999)
                    f"--ray-client-server-port={20000 + free_port() % 10000}",
                    *common,
                ],
                "head",
            )
            for number in range(1, self._nodes):
                self._start_node([f"--address={self.address}", *common], f"node-{number}")
        except BaseException:
            self.stop()
            raise
        return self

    def _start_node(self, arguments: list[str], name: str) -> None:
        assert self._temp is not None  # noqa: S101 - start() made it
        log = self._temp / f"{name}.log"
        with log.open("wb") as handle:
            proc = subprocess.Popen(
                [*ray_command(), "start", *arguments],
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the node's daemons inherit this group
            )
        self._groups.append(proc.pid)
        try:
            code = proc.wait(timeout=_START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            code = None
        if code != 0:
            text = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RunnerError(f"`ray start` of the {name} node failed ({code}):\n{text}")

    def processes(self) -> set[int]:
        """The live (not zombie) processes of the cluster's groups."""
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if fields[0] not in ("Z", "X") and int(fields[2]) in self._groups:
                    found.add(int(entry.name))
        return found

    def stop(self) -> None:
        """Kill the cluster's process groups (TERM, then KILL) and remove its files."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for group in self._groups:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, sig)
            deadline = time.monotonic() + _STOP_GRACE_S
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.1)
            if not self.processes():
                break
        self._groups.clear()
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
