"""The Ray executor on a real two-node Ray cluster started on this machine.

Slow: starting the cluster alone takes tens of seconds. One cluster serves the module.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedgate.config.settings import Config, load_config
from seedgate.errors import RunnerError
from seedgate.pipeline import run_fixed, run_gate
from seedgate.records import Executor, RunResult, RunStatus
from seedgate.run.ray_executor import RayExecutor, RaySettings
from seedgate.run.ray_local import LocalCluster
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_specs
from tests.testing.cli_runner import seedgate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SKLEARN = ROOT / "examples" / "sklearn"
SKLEARN_COMMAND = "python train.py --data-seed {data_seed} --init-seed {init_seed}"
ONE_THREAD = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
PY = shlex.quote(sys.executable)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    bin_dir = str(Path(sys.executable).parent)
    environment = {
        **os.environ,
        **ONE_THREAD,
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
    }
    with LocalCluster(nodes=2, environment=environment) as started:
        yield started
        _ray_shutdown()
    assert not started.processes(), "the cluster's processes outlived its stop"


def _ray_shutdown() -> None:
    import ray

    ray.shutdown()


def executor(cluster: LocalCluster, command: str, directory: Path, **kwargs: float) -> RayExecutor:
    return RayExecutor(
        RaySettings(address=cluster.address),
        command=command,
        working_directory=directory,
        timeout=kwargs.get("timeout", 300.0),
        required_metrics=(),
    )


def run_with(runner: Runner, count: int) -> tuple[RunResult, ...]:
    with runner:
        return runner.run(run_specs(range(count)))


def running_tasks(cluster: LocalCluster) -> list[object]:
    from ray.util.state import list_tasks

    return list(
        list_tasks(
            address=cluster.address,
            filters=[("state", "=", "RUNNING")],
            raise_on_missing_output=False,
        )
    )


def test_a_run_that_kills_its_worker_is_a_failed_run_with_a_reason(
    cluster: LocalCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kill_parent = (
        f"exec {PY} -c \"import os, signal, time; print('about to kill', flush=True); "
        'time.sleep(1); os.kill(os.getppid(), signal.SIGKILL)"'
    )
    runner = Runner(
        Config(command=kill_parent, working_directory=tmp_path),
        remote=executor(cluster, kill_parent, tmp_path),
    )
    (result,) = run_with(runner, 1)
    assert result.status is RunStatus.FAILED
    assert result.reason is not None
    assert "Ray worker process running the run died" in result.reason
    assert result.log_tail == "about to kill"
    # Ray's own message about the dead worker goes to stderr: stdout is the report's
    deadline = time.monotonic() + 15
    out, err = capsys.readouterr()
    while "worker died" not in err:
        assert time.monotonic() < deadline, "Ray did not report the dead worker"
        time.sleep(0.2)
        more_out, more_err = capsys.readouterr()
        out, err = out + more_out, err + more_err
    assert "worker died" not in out


def test_closing_mid_look_leaves_no_task_and_no_run_process(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    mark = shlex.quote(str(marks))
    command = f"touch {mark}/{{seed}}; exec {PY} -c 'import time; time.sleep(600)' {mark}"
    config = Config(command=command, working_directory=tmp_path)
    runner = Runner(config, remote=executor(cluster, command, tmp_path))
    caught: list[BaseException] = []

    def look() -> None:
        try:
            runner.run(run_specs(range(2)))
        except RunnerError as exc:
            caught.append(exc)

    thread = threading.Thread(target=look)
    thread.start()
    deadline = time.monotonic() + 120
    while len(list(marks.iterdir())) < 2:
        assert time.monotonic() < deadline, "the two runs did not start"
        time.sleep(0.1)
    runner.close()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert caught, "a look whose runs were cancelled must not pass as finished"
    _wait_until_cancelled(cluster, marks)


def _wait_until_cancelled(cluster: LocalCluster, marks: Path) -> None:
    """Until the cluster runs no task and no process of the runs marked in ``marks`` is left
    (the state API is eventually consistent: task events reach it within seconds)."""
    deadline = time.monotonic() + 30
    while still_running := running_tasks(cluster):
        assert time.monotonic() < deadline, f"tasks still running: {still_running}"
        time.sleep(0.5)
    deadline = time.monotonic() + 20
    while _processes_with(str(marks)):
        assert time.monotonic() < deadline, "a cancelled run's process is still running"
        time.sleep(0.1)


def _processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if text in command and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


def test_the_gate_on_ray_reaches_the_local_verdict_with_the_local_metrics(
    cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(SKLEARN)  # the example's paths are relative to its folder
    for name, value in ONE_THREAD.items():
        monkeypatch.setenv(name, value)
    small = {"baseline_runs": 6, "looks": [3], "max_runs": 6, "jobs": 2}
    local_config = load_config(small, search_dir=Path())
    ray_config = load_config(
        {**small, "executor": "ray", "ray_address": cluster.address}, search_dir=Path()
    )
    assert ray_config.executor is Executor.RAY
    out = io.StringIO()
    baseline = run_fixed(local_config, runs=6, out=out)
    local = run_gate(local_config, baseline, out=out)
    on_ray = run_gate(ray_config, baseline, out=out)
    assert on_ray.comparison.verdict is local.comparison.verdict
    assert [(r.seed, dict(r.metrics)) for r in on_ray.candidate.runs] == [
        (r.seed, dict(r.metrics)) for r in local.candidate.runs
    ]
    assert len({r.node for r in on_ray.candidate.runs}) == 2  # spread over both nodes
    assert all(r.node is None for r in local.candidate.runs)
    # the fingerprint is the workers': in this cluster they are this machine, so no drift
    assert on_ray.candidate.environment["python"] == baseline.environment["python"]
    assert on_ray.comparison.environment_differences == ()


def test_sigterm_mid_look_cancels_the_tasks_keeps_the_finished_run_and_exits_3(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    (tmp_path / "seedgate.toml").write_text(
        "baseline_runs = 3\nlooks = [3]\nmax_runs = 3\nmax_failed_runs = 3\n"
        '[metric.accuracy]\ngoal = "maximize"\nmin_effect = 0.1\n'
    )
    quick = f'{PY} -c "print(\'{{\\"accuracy\\": 0.9}}\')"'
    done = seedgate(tmp_path, "baseline", "--runs", "3", "--", quick)
    assert done.returncode == 0, done.stderr
    marks = tmp_path / "marks"
    marks.mkdir()
    mark = shlex.quote(str(marks))
    held = f"touch {mark}/{{seed}}; exec {PY} -c 'import time; time.sleep(600)' {mark}"
    command = f"if [ {{seed}} = 0 ]; then {quick}; else {held}; fi"
    candidate = tmp_path / "candidate.json"
    gate = [
        sys.executable, "-m", "seedgate", "gate", "--candidate-out", str(candidate),
        "--executor", "ray", "--ray-address", cluster.address, "--", command,
    ]  # fmt: skip
    with subprocess.Popen(gate, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True) as proc:  # fmt: skip
        deadline = time.monotonic() + 120
        while len(list(marks.iterdir())) < 2:  # the look's two held runs are on the cluster
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the held runs did not start"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 3, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    kept = json.loads(candidate.read_text())["runs"]
    assert [(r["seed"], r["status"], r["node"] is not None) for r in kept] == [(0, "ok", True)]
    _wait_until_cancelled(cluster, marks)
