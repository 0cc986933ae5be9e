"""The exit-code contract end to end, through entrypoint.py with the runner's environment:
0 pass, 1 only a failing verdict, 2 configuration/GitHub/internal errors (with an ``::error``
and the outputs known so far), 3 failed or cancelled runs with the finished ones kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from seedgate.runset.codec import read_runset
from tests.testing.github_runner import (
    MAIN_SHA,
    PR_NUMBER,
    ROOT,
    HostJob,
    Result,
    Workflow,
    pr_event,
    publish_baseline,
    push_event,
    run_with_a_directory_as,
)


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while not condition():
        assert proc.poll() is None, "the action ended before the moment to cancel it"
        assert time.monotonic() < deadline, "the moment to cancel never came"
        time.sleep(0.05)


def cancel_when(workflow: Workflow, job: HostJob, condition: Callable[[], bool]) -> Result:
    """Start the job, send SIGTERM (what a cancelled job gets) once ``condition`` holds."""
    proc = workflow.start(job)
    wait_for(condition, proc)
    proc.send_signal(signal.SIGTERM)
    return workflow.finish(job, proc)


def test_cancelled_during_the_runs_exits_3_keeping_the_finished_ones(
    workflow: Workflow,
) -> None:
    job = workflow.prepare(
        "push",
        push_event(),
        ref="refs/heads/master",
        sha=MAIN_SHA,
        inputs={"baseline-runs": "20", "command": "sleep 0.3; python gate_experiment.py"},
    )
    dumps = job.workspace / "env-dumps"
    result = cancel_when(workflow, job, lambda: len(list(dumps.glob("run-*.json"))) >= 3)

    assert result.returncode == 3, result.stdout + result.stderr
    (error,) = result.annotations("error")
    assert error.startswith("::error title=seedgate%3A cancelled::interrupted after")
    assert "partial-runs.json" in error
    kept = read_runset(job.workspace / ".seedgate/partial-runs.json")
    assert 2 <= len(kept.ok_runs) < 20
    assert "the experiment failed" in result.summary


def test_cancelled_while_publishing_exits_3_keeping_the_runs_and_outputs(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    comments = f"/issues/{PR_NUMBER}/comments"
    # GitHub asks the action to wait a minute before it may list the comments
    workflow.fake.fail("GET", comments + "$", 429, headers={"retry-after": "60"})
    job = workflow.prepare(
        "pull_request", pr_event(), ref=f"refs/pull/{PR_NUMBER}/merge", sha="9" * 40, level=0.85
    )
    asked = lambda: any(r.path.endswith(comments) for r in workflow.fake.requests)  # noqa: E731
    result = cancel_when(workflow, job, asked)

    assert result.returncode == 3, result.stdout + result.stderr
    error = result.annotations("error")[-1]  # after the regression's own annotation
    assert "seedgate%3A cancelled" in error
    kept = read_runset(job.workspace / ".seedgate/partial-runs.json")
    assert len(kept.ok_runs) == int(result.outputs["runs-used"])
    assert result.outputs["verdict"] == "regression"  # known before the cancellation
    assert workflow.fake.comments(PR_NUMBER) == []


def test_an_unwritable_summary_exits_2_with_the_outputs_known_so_far(workflow: Workflow) -> None:
    result, _ = run_with_a_directory_as(workflow, "GITHUB_STEP_SUMMARY", "summary-is-a-directory")

    assert result.returncode == 2, result.stdout + result.stderr
    (error,) = result.annotations("error")
    assert error.startswith("::error title=seedgate%3A error::step summary ")
    assert "summary-is-a-directory cannot be written" in error
    assert result.outputs["verdict"] == "baseline"
    assert result.outputs["baseline-path"] == ".seedgate/baseline.json"


def test_a_passing_and_a_failing_verdict_are_0_and_1(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    codes = {}
    for level in (0.9, 0.85):
        result = workflow.run(
            "pull_request",
            pr_event(),
            ref=f"refs/pull/{PR_NUMBER}/merge",
            sha="9" * 40,
            level=level,
        )
        codes[result.outputs["verdict"]] = result.returncode
        assert not result.annotations("error") or result.returncode == 1
    assert codes == {"no-change": 0, "regression": 1}


def test_an_image_whose_seedgate_cannot_load_exits_2_not_1(tmp_path: Path) -> None:
    broken = tmp_path / "seedgate"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise RuntimeError('half-installed')\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout.startswith("::error title=seedgate%3A internal error::cannot load seedgate")
    assert "Traceback" not in done.stderr


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_cancelled_during_install_kills_what_install_detached(workflow: Workflow) -> None:
    # install leaves a child in its own session with an empty environment, then hangs
    install = (
        "setsid env -i /bin/sh -c 'echo $$ > detached.pid; exec sleep 1000' "
        "< /dev/null > /dev/null 2>&1 & sleep 1000"
    )
    job = workflow.prepare(
        "push", push_event(), ref="refs/heads/master", sha=MAIN_SHA, inputs={"install": install}
    )
    pid_file = job.workspace / "detached.pid"
    result = cancel_when(workflow, job, lambda: pid_file.exists() and bool(pid_file.read_text()))

    assert result.returncode == 3, result.stdout + result.stderr
    (error,) = result.annotations("error")
    assert error.startswith("::error title=seedgate%3A cancelled::")
    assert not _alive(int(pid_file.read_text(encoding="utf-8")))
