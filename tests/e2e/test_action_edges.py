"""The action's edges through entrypoint.py: whose comment it adopts, what a hostile
training command can reach, outputs that cannot be written, and 1,500 moving metrics."""

from __future__ import annotations

import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path

import pytest

from seedgate.github.publish import COMMENT_LIMIT_CHARS
from tests.testing.actions_log import read_log
from tests.testing.github_fake import parse_output_file
from tests.testing.github_runner import (
    ENTRYPOINT,
    FIXTURES,
    MAIN_SHA,
    PR_NUMBER,
    TOKEN,
    HostLauncher,
    Workflow,
    publish_baseline,
    push_event,
    run_pr,
    run_push,
    run_with_a_directory_as,
)

MARKER = "<!-- seedgate:comment-id=default -->"
TEST_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPPED = (sys.executable, str(TEST_FIXTURES / "docker_capabilities.py"))


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie has finished)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_a_forged_marker_comment_is_left_alone_and_a_new_one_posted(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    forged = workflow.fake.add_comment(PR_NUMBER, f"{MARKER}\nAll good, merge it", user="mallory")

    result = run_pr(workflow, level=0.85)

    assert result.returncode == 1, result.stdout + result.stderr
    first, posted = workflow.fake.comments(PR_NUMBER)
    assert (first.id, first.body, first.user) == (forged.id, forged.body, "mallory")
    assert posted.user == "github-actions[bot]"
    assert MARKER in posted.body
    assert result.outputs["comment-url"].endswith(f"#issuecomment-{posted.id}")


def test_comment_author_names_the_account_whose_comment_is_updated(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    own = workflow.fake.add_comment(PR_NUMBER, f"{MARKER}\nold report", user="gate-app[bot]")

    result = run_pr(workflow, level=0.85, inputs={"comment-author": "gate-app[bot]"})

    assert result.returncode == 1, result.stdout + result.stderr
    (updated,) = workflow.fake.comments(PR_NUMBER)
    assert updated.id == own.id
    assert "old report" not in updated.body
    assert "Regression" in updated.body


def test_a_comment_author_that_is_no_login_is_a_configuration_error(
    workflow: Workflow,
) -> None:
    result = run_pr(workflow, inputs={"comment-author": "bob\n::error::x"})

    assert result.returncode == 2, result.stdout + result.stderr
    (error,) = result.annotations("error")
    assert "comment-author = 'bob\\n::error::x': expected a GitHub login" in error
    assert workflow.fake.comments(PR_NUMBER) == []


@pytest.mark.parametrize("step", ["install", "command"])
def test_a_hostile_command_cannot_reach_the_token_the_outputs_or_the_log(
    workflow: Workflow, step: str
) -> None:
    # the entrypoint under a container's capabilities, as root
    workflow.launcher = HostLauncher((*CAPPED, *ENTRYPOINT.command))
    job = workflow.prepare("push", push_event(), ref="refs/heads/master", sha=MAIN_SHA)
    files = job.output.parent
    for name in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"):
        (files / name.lower()).touch()
        job.env[name] = str(files / name.lower())
    report = job.workspace / "attack.json"
    attack = TEST_FIXTURES / "attack_gate.py"
    job.env[f"INPUT_{step.upper()}"] = f"{sys.executable} {attack} {report} {files}"

    result = workflow.finish(job, workflow.start(job))

    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(report.read_text(encoding="utf-8"))
    gate = seen["ancestors"][-1]  # the entrypoint: it ends the walk
    assert gate not in seen["environ_read"]
    assert seen["token_seen"] == []
    assert gate not in seen["fd_written"]
    # the run's own output shows inside its stop-commands fence; no forged command is read
    assert not [c for c in read_log(result.stdout).commands if "FORGED" in c]
    assert "FORGED" not in result.stderr
    assert len(seen["appended"]) >= 5  # it found the runner's files and wrote to them ...
    assert result.outputs["verdict"] == "baseline"  # ... and none of it stayed
    assert "LD_PRELOAD" not in result.outputs
    assert "LD_PRELOAD" not in result.summary
    for name in ("github_env", "github_path", "github_state"):
        assert (files / name).read_text(encoding="utf-8") == ""
    assert TOKEN not in report.read_text(encoding="utf-8")
    # setsid env -i: in its own session with no environment, it still died with the gate
    escapee = int(report.with_name("attack.json.escapee").read_text(encoding="utf-8"))
    time.sleep(1.0)  # it appended every 0.2 s while it lived
    assert not alive(escapee)
    assert parse_output_file(job.output.read_text(encoding="utf-8")) == result.outputs
    for name in ("github_env", "github_path", "github_state"):
        assert (files / name).read_text(encoding="utf-8") == ""


def test_an_unwritable_outputs_file_exits_2_naming_it(workflow: Workflow) -> None:
    result, unwritable = run_with_a_directory_as(workflow, "GITHUB_OUTPUT", "output-is-a-dir")

    assert result.returncode == 2, result.stdout + result.stderr
    (error,) = result.annotations("error")
    assert f"step outputs file {unwritable} cannot be written: Is a directory" in error
    assert "accuracy" in result.summary  # the rest was still delivered


def test_an_unwritable_baseline_path_exits_2_naming_it(workflow: Workflow) -> None:
    result = run_push(
        workflow,
        extra={"blocked/baseline.json/x": b""},
        inputs={
            "baseline-path": "blocked/baseline.json",
        },
    )

    assert result.returncode == 2, result.stdout + result.stderr
    (error,) = result.annotations("error")
    assert error.startswith("::error title=seedgate%3A error::RunSet file ")
    assert "blocked/baseline.json cannot be written: a directory, not a regular file" in error


@pytest.mark.parametrize("name", ["report.md", "results.json"])
def test_a_named_pipe_where_the_report_goes_exits_2_naming_it_without_waiting(
    workflow: Workflow, name: str
) -> None:
    job = workflow.prepare("push", push_event(), ref="refs/heads/master", sha=MAIN_SHA)
    (job.workspace / ".seedgate").mkdir()
    os.mkfifo(job.workspace / ".seedgate" / name)  # nobody ever reads it

    result = workflow.finish(job, workflow.start(job))

    assert result.returncode == 2, result.stdout + result.stderr
    (error,) = result.annotations("error")
    assert f".seedgate/{name} cannot be written: a named pipe, not a regular file" in error
    assert result.outputs["baseline-path"] == ".seedgate/baseline.json"  # the runs are kept


def test_a_run_that_swaps_its_metrics_file_for_a_named_pipe_fails_without_a_hang(
    workflow: Workflow,
) -> None:
    swap = 'rm -f "$SEEDGATE_METRICS_FILE"; mkfifo "$SEEDGATE_METRICS_FILE"; echo \'{"a": 1}\''
    result = run_push(workflow, inputs={"command": swap, "baseline-runs": "2"})

    assert result.returncode == 3, result.stdout + result.stderr
    assert "$SEEDGATE_METRICS_FILE cannot be read: a named pipe, not a regular file" in (
        result.stdout
    )


def _many_metrics_files() -> dict[str, bytes]:
    tables = "".join(
        f'[metric.m{i:04d}]\ngoal = "maximize"\nmin_effect = "0.005"\n' for i in range(1500)
    )
    # one look at 12 runs: Holm across 1,500 metrics needs the exact test's smallest p-values
    config = 'command = "python many_metrics.py"\nsimulations = 2000\nlooks = [12]\n' + tables
    return {
        "seedgate.toml": config.encode(),
        "many_metrics.py": (FIXTURES / "many_metrics.py").read_bytes(),
    }


def test_1500_regressing_metrics_still_give_a_comment_and_outputs(workflow: Workflow) -> None:
    runs = {"baseline-runs": "12", "max-runs": "12"}
    push = run_push(workflow, extra=_many_metrics_files(), inputs=runs)
    assert push.returncode == 0, push.stdout + push.stderr
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(push.workspace / ".seedgate/baseline.json", "baseline.json")
    publish_baseline(workflow.fake, buffer.getvalue())

    result = run_pr(workflow, level=0.85, extra=_many_metrics_files(), inputs=runs)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.outputs["verdict"] == "regression"
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert len(comment.body) <= COMMENT_LIMIT_CHARS
    assert "Regression in m0000, m0001, m0002 and 1497 more" in comment.body
    first_screen = comment.body.split("<details>", 1)[0]
    assert max(len(line) for line in first_screen.splitlines()) < 500
    assert len(result.summary.encode("utf-8")) <= 1024 * 1024
    assert len(result.annotations("error")) <= 10
    (check,) = workflow.fake.check_runs()
    assert check.conclusion == "failure"
    assert len(check.annotations) == 50  # one request's worth; the report has the rest
