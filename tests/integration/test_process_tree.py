"""A run's whole process tree dies with it, even processes that left its process group."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from seedgate.config.settings import Config
from seedgate.records import RunResult, RunStatus
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_specs

HOSTILE = Path(__file__).parents[1] / "fixtures" / "hostile_run.py"
METRICS = "echo '{\"accuracy\": 0.5}'"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def run(config: Config, environ: dict[str, str] | None = None) -> RunResult:
    with Runner(config, environ={**os.environ, **(environ or {})}) as runner:
        (result,) = runner.run(run_specs(range(1)))
    return result


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie has finished; it only waits to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def assert_gone(pid_file: Path) -> None:
    pid = int(pid_file.read_text(encoding="utf-8"))
    for _ in range(100):  # SIGKILL is delivered asynchronously
        if not alive(pid):
            return
        time.sleep(0.02)
    os.kill(pid, 9)  # do not leave it behind for the rest of the suite
    pytest.fail(f"process {pid} outlived its run")


def test_a_setsid_child_dies_with_a_timed_out_run(tmp_path: Path) -> None:
    command = "setsid sleep 1000 & echo $! > escaped.pid; sleep 1000"
    result = run(Config(command=command, working_directory=tmp_path, timeout=1.0))
    assert result.status is RunStatus.TIMED_OUT
    assert_gone(tmp_path / "escaped.pid")


def test_a_setsid_orphan_dies_with_a_finished_run(tmp_path: Path) -> None:
    command = f"setsid sh -c 'echo $$ > escaped.pid; exec sleep 1000' & sleep 0.3; {METRICS}"
    result = run(Config(command=command, working_directory=tmp_path, timeout=30))
    assert result.ok, result.reason
    assert_gone(tmp_path / "escaped.pid")


def test_a_child_that_wiped_its_environment_dies_while_still_a_descendant(
    tmp_path: Path,
) -> None:
    command = "setsid env -i sleep 1000 & echo $! > escaped.pid; sleep 1000"
    result = run(Config(command=command, working_directory=tmp_path, timeout=1.0))
    assert result.status is RunStatus.TIMED_OUT
    assert_gone(tmp_path / "escaped.pid")


def test_a_warm_workers_setsid_child_dies_with_its_timed_out_run(tmp_path: Path) -> None:
    pid_file = tmp_path / "escaped.pid"
    config = Config(entry=f"{HOSTILE}:escape", working_directory=tmp_path, timeout=3.0)
    result = run(config, {"HOSTILE_PID_FILE": str(pid_file)})
    assert result.status is RunStatus.TIMED_OUT
    assert_gone(pid_file)


def test_a_warm_workers_setsid_child_dies_when_the_pool_closes(tmp_path: Path) -> None:
    pid_file = tmp_path / "escaped.pid"
    config = Config(entry=f"{HOSTILE}:escape", working_directory=tmp_path, timeout=30)
    result = run(config, {"HOSTILE_PID_FILE": str(pid_file), "HOSTILE_RETURN": "1"})
    assert result.ok, result.reason
    assert_gone(pid_file)
