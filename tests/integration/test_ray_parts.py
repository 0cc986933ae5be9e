"""The Ray executor's parts that need no cluster: the run on a node (install, environment,
the same contract as a local run), the watchdog, and the errors before anything starts."""

from __future__ import annotations

import io
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedgate.errors import ConfigError
from seedgate.records import RunStatus
from seedgate.run import ray_task
from seedgate.run.one_run import run_command
from seedgate.run.process import ProcessGroups
from seedgate.run.process_tree import TOKEN_VARIABLE
from seedgate.run.ray_executor import (
    RayExecutor,
    RaySettings,
    cluster_address,
    host_and_port,
    merged_fingerprint,
)
from seedgate.run.ray_task import TaskRequest, install_once, run_on_node
from seedgate.run.seeds import run_spec
from seedgate.run.watchdog import Watchdog, watch
from tests.testing.cli_runner import seedgate

PY = shlex.quote(sys.executable)
METRICS = (
    f"{PY} -c \"import json, os; print('hello'); "
    "print(json.dumps({'seed': float(os.environ['SEEDGATE_SEED']), "
    "'token_here': float('GITHUB_TOKEN' in os.environ)}))\""
)


@pytest.fixture(autouse=True)
def worker_watchdog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process stands in for a Ray worker, whose watchdog lives as long as the worker:
    each test gets its own and ends it (end of input) rather than leave it, with its pipe,
    running until the test process exits."""
    dog = Watchdog()
    monkeypatch.setattr(ray_task, "_WATCHDOG", dog)
    yield
    if dog._proc is not None and dog._proc.stdin is not None:
        dog._proc.stdin.close()
        assert dog._proc.wait(timeout=10) == 0


def test_a_run_on_a_node_is_the_local_run(tmp_path: Path) -> None:
    spec = run_spec(3)
    environ = {**os.environ, "GITHUB_TOKEN": "ghs_secret"}
    seen: list[bytes] = []
    request = TaskRequest(template=METRICS, spec=spec, timeout=30, required=("seed",))
    remote = run_on_node(request, tmp_path, seen.append, environ)
    local = run_command(
        METRICS,
        spec,
        cwd=tmp_path,
        environment={k: v for k, v in environ.items() if k != "GITHUB_TOKEN"},
        timeout=30,
        required=("seed",),
        groups=ProcessGroups(),
    )
    assert remote.metrics == local.metrics == {"seed": 3.0, "token_here": 0.0}
    assert (remote.index, remote.seed, remote.data_seed) == (local.index, 3, local.data_seed)
    assert b"hello" in b"".join(seen)


def test_a_failed_run_on_a_node_has_its_reason_and_log_tail(tmp_path: Path) -> None:
    request = TaskRequest(template="echo going down; exit 7", spec=run_spec(0), timeout=30)
    result = run_on_node(request, tmp_path, lambda _: None)
    assert result.status is RunStatus.FAILED
    assert result.reason == "exited with code 7"
    assert result.log_tail == "going down"


def test_install_runs_once_per_directory_and_its_failure_fails_every_run(tmp_path: Path) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    counter = tmp_path / "count"
    install = f"echo installing; echo x >> {shlex.quote(str(counter))}"
    for _ in range(3):
        assert install_once(install, shipped, dict(os.environ), 30, lambda _: None) is None
    assert counter.read_text().count("x") == 1

    broken = "echo no such package >&2; exit 1"
    first = install_once(broken, shipped, dict(os.environ), 30, lambda _: None)
    again = install_once(broken, shipped, dict(os.environ), 30, lambda _: None)
    assert (
        first
        == again
        == ("the install command failed on this node: exited with code 1", "no such package")
    )
    request = TaskRequest(template=METRICS, spec=run_spec(0), timeout=30, install=broken)
    result = run_on_node(request, shipped, lambda _: None)
    assert result.status is RunStatus.FAILED
    assert result.reason is not None
    assert "install command failed" in result.reason


def test_watch_follows_runs_to_the_end_of_input() -> None:
    lines = io.StringIO("+aaa\n+bbb\n-aaa\n+ccc\n-ccc\n")
    assert watch(lines) == {"bbb"}


def test_the_watchdog_kills_a_run_whose_worker_died(tmp_path: Path) -> None:
    """A stand-in worker starts a run in its own session, registers it and is killed."""
    pid_file = tmp_path / "run.pid"
    worker = f"""
import os, subprocess, sys, time
from seedgate.run.watchdog import Watchdog
dog = Watchdog()
token = "tok" + str(os.getpid())
dog.started(token)
run = subprocess.Popen(["sleep", "300"], env={{**os.environ, "{TOKEN_VARIABLE}": token}},
                       start_new_session=True)
open({str(pid_file)!r}, "w").write(str(run.pid))
time.sleep(300)
"""
    proc = subprocess.Popen([sys.executable, "-c", worker], env={**os.environ})
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the stand-in worker did not start its run"
        time.sleep(0.05)
    run_pid = int(pid_file.read_text())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    while _alive(run_pid):
        assert time.monotonic() < deadline, "the run outlived its worker"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize(
    ("address", "endpoint"),
    [
        ("ray://head.example:10001", ("head.example", 10001)),
        ("ray://head.example", ("head.example", 10001)),
        ("10.0.0.5:6379", ("10.0.0.5", 6379)),
        ("10.0.0.5", ("10.0.0.5", 6379)),
        ("auto", None),
    ],
)
def test_addresses(address: str, endpoint: tuple[str, int] | None) -> None:
    assert host_and_port(address) == endpoint


@pytest.mark.parametrize("address", ["http://head:8265", "head:port", "ray://:10001"])
def test_a_malformed_address_names_the_setting(address: str) -> None:
    with pytest.raises(ConfigError, match="ray_address"):
        host_and_port(address)


def test_no_address_anywhere_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="RAY_ADDRESS"):
        cluster_address(None, {})
    assert cluster_address(None, {"RAY_ADDRESS": "ray://h:1"}) == "ray://h:1"
    assert cluster_address("h:2", {"RAY_ADDRESS": "ray://h:1"}) == "h:2"
    with pytest.raises(ConfigError, match="running cluster"):
        cluster_address("local", {})


def test_an_unreachable_cluster_is_a_config_error_within_the_timeout(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConfigError, match=r"cannot be reached.*no run was started"):
        RayExecutor(
            RaySettings(address=f"127.0.0.1:{port}", connect_timeout=2),
            command="true",
            working_directory=tmp_path,
            timeout=10,
        )


def test_without_ray_installed_the_error_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` sees without the package
    with pytest.raises(ConfigError, match=r"seedgate\[ray\]"):
        RayExecutor(
            RaySettings(address="127.0.0.1:1"),
            command="true",
            working_directory=tmp_path,
            timeout=10,
        )


def test_workers_that_differ_show_each_value_once() -> None:
    merged = merged_fingerprint(
        [
            {"gpu": "NVIDIA A100", "python": "3.11.7"},
            {"gpu": "NVIDIA H100", "python": "3.11.7"},
            {"gpu": "NVIDIA A100", "python": "3.11.7", "cuda": "12.4"},
        ]
    )
    assert merged == {
        "gpu": "NVIDIA A100 | NVIDIA H100",
        "python": "3.11.7",
        "cuda": "12.4 | none",
    }


def test_the_gate_exits_2_before_any_run_when_the_cluster_cannot_be_reached(
    tmp_path: Path,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ran = tmp_path / "ran"
    (tmp_path / ".seedgate").mkdir()
    address = ["--executor", "ray", "--ray-address", f"127.0.0.1:{port}"]
    for command in (["run", "--runs", "2"], ["gate", "--baseline-command", f"touch {ran}"]):
        done = seedgate(tmp_path, *command, *address, "--", f"touch {ran}")
        assert done.returncode == 2, done.stderr
        assert "cannot be reached" in done.stderr
        assert "Traceback" not in done.stderr
        assert not ran.exists()


def test_the_ray_executor_without_an_address_exits_2_naming_both_places(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    done = subprocess.run(
        [sys.executable, "-m", "seedgate", "run", "--runs", "2", "--executor", "ray", "--",
         "true"],
        cwd=tmp_path, capture_output=True, text=True, env=environ, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "ray_address" in done.stderr
    assert "RAY_ADDRESS" in done.stderr


def test_a_watchdog_that_died_is_replaced_without_leaking_its_pipe() -> None:
    dog = Watchdog()
    dog.started("token-a")
    first = dog._proc
    assert first is not None
    assert first.stdin is not None
    first.kill()  # as a sweep of the worker's process tree would
    first.wait(timeout=10)
    dog.started("token-b")
    second = dog._proc
    assert second is not None
    assert second is not first
    assert second.poll() is None
    assert first.stdin.closed
    assert second.stdin is not None
    second.stdin.close()  # end of input: the watchdog exits
    assert second.wait(timeout=10) == 0
