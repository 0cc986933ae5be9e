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


def test_an_orphan_that_left_the_session_and_wiped_its_environment_dies_with_its_run(
    tmp_path: Path,
) -> None:
    # orphaned (its setsid parent exits at once) and without the run's token: only the
    # subreaper keeps it below the gate, where the end of the run finds it
    command = (
        "setsid env -i /bin/sh -c 'echo $$ > escaped.pid; exec sleep 1000' "
        f"< /dev/null > /dev/null 2>&1 & sleep 0.3; {METRICS}"
    )
    result = run(Config(command=command, working_directory=tmp_path, timeout=30))
    assert result.ok, result.reason
    assert_gone(tmp_path / "escaped.pid")


def test_with_two_runs_at_once_an_orphan_dies_with_its_own_run_only(tmp_path: Path) -> None:
    # seed 1 leaves an orphan that keeps its token; seed 0 ends meanwhile, and the orphan
    # must still live when seed 1 looks half a second later, then die with seed 1
    command = (
        'if [ "$SEEDGATE_SEED" = 1 ]; then '
        "setsid sh -c 'echo $$ > kept.pid; exec sleep 1000' < /dev/null > /dev/null 2>&1 & "
        "while [ ! -e first.done ]; do sleep 0.05; done; sleep 0.5; "
        f'kill -0 "$(cat kept.pid)" && {METRICS}; '
        "else while [ ! -s kept.pid ]; do sleep 0.05; done; sleep 0.2; "
        f"touch first.done; {METRICS}; fi"
    )
    config = Config(command=command, working_directory=tmp_path, timeout=30, jobs=2)
    with Runner(config, environ=dict(os.environ)) as runner:
        results = runner.run(run_specs(range(2)))
    assert all(r.ok for r in results), [r.reason for r in results]
    assert_gone(tmp_path / "kept.pid")


def test_with_two_runs_at_once_an_orphan_without_any_token_dies_when_the_runner_closes(
    tmp_path: Path,
) -> None:
    # no token: no single run can claim it while another runs; the Runner's close does
    command = (
        "setsid env -i /bin/sh -c 'echo $$ > wiped-$SEEDGATE_SEED.pid; exec sleep 1000' "
        f"< /dev/null > /dev/null 2>&1 & sleep 0.3; {METRICS}"
    ).replace("$SEEDGATE_SEED", "{seed}")
    config = Config(command=command, working_directory=tmp_path, timeout=30, jobs=2)
    with Runner(config, environ=dict(os.environ)) as runner:
        results = runner.run(run_specs(range(2)))
    assert all(r.ok for r in results), [r.reason for r in results]
    assert_gone(tmp_path / "wiped-0.pid")
    assert_gone(tmp_path / "wiped-1.pid")


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
