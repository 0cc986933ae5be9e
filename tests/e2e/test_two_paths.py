"""The container's entry point and ``seedgate github`` (the host action's command) give the
same answers: each scenario runs through both against its own fake GitHub, passes the same
checks on each path, and the two paths' codes, outputs, summaries, logs and comments agree
up to run-specific text (durations, the job's folders, the fence tokens around each run's
output)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from seedgate.report import isolation
from seedgate.runset.codec import read_runset
from tests.testing.actions_log import read_log
from tests.testing.github_fake import FakeGitHub
from tests.testing.github_runner import (
    HOST_LAUNCHERS,
    PR_NUMBER,
    Result,
    Workflow,
    publish_baseline,
    run_pr,
    run_push,
)

Scenario = Callable[[Workflow, bytes], Result]


def push_baseline(workflow: Workflow, _: bytes) -> Result:
    result = run_push(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["verdict"] == "baseline"
    assert len(read_runset(result.workspace / result.outputs["baseline-path"]).ok_runs) == 5
    titles = [line for line in result.stdout.splitlines() if line.startswith("::group::")]
    assert titles == ["::group::seedgate: install"] + [
        f"::group::seedgate [baseline] run {i + 1} (seed {i})" for i in range(5)
    ]
    assert read_log(result.stdout).open_fence is None
    return result


def pr_comment_and_verdict(workflow: Workflow, baseline_zip: bytes) -> Result:
    publish_baseline(workflow.fake, baseline_zip)
    result = run_pr(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["verdict"] in ("no-change", "inconclusive")
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert result.outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")
    return result


def regression_exits_1(workflow: Workflow, baseline_zip: bytes) -> Result:
    publish_baseline(workflow.fake, baseline_zip)
    result = run_pr(workflow, level=0.85)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.outputs["verdict"] == "regression"
    assert any("accuracy" in line for line in result.annotations("error"))
    return result


def config_error_exits_2(workflow: Workflow, _: bytes) -> Result:
    result = run_push(workflow, inputs={"config": "missing.toml"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert any("missing.toml" in line for line in result.annotations("error"))
    return result


def failed_runs_exit_3(workflow: Workflow, _: bytes) -> Result:
    result = run_push(workflow, extra={"crash-seeds.txt": b"1,2,3"})
    assert result.returncode == 3, result.stdout + result.stderr
    kept = read_runset(result.workspace / ".seedgate/partial-runs.json")
    assert sorted(r.seed for r in kept.ok_runs) == [0, 4]
    assert "diverged on seed 2" in result.stdout  # the failed run's own output, in its group
    return result


def fork_pr_read_only_token(workflow: Workflow, baseline_zip: bytes) -> Result:
    publish_baseline(workflow.fake, baseline_zip)
    workflow.fake.state.read_only = True
    result = run_pr(workflow, fork=True, level=0.85, inputs={"comment": "always"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "comment-url" not in result.outputs
    assert any("workflow_run" in w for w in result.annotations("warning"))
    assert [r.status for r in workflow.fake.requests if r.method == "POST"] == [403]
    return result


SCENARIOS: dict[str, Scenario] = {
    scenario.__name__: scenario
    for scenario in (
        push_baseline,
        pr_comment_and_verdict,
        regression_exits_1,
        config_error_exits_2,
        failed_runs_exit_3,
        fork_pr_read_only_token,
    )
}


@dataclass(frozen=True)
class Answer:
    """What a workflow sees of one job, with run-specific text made neutral."""

    returncode: int
    outputs: dict[str, str]
    summary: str
    log: list[str]
    comments: list[str]
    requests: list[tuple[str, str, int]]


def neutral(text: str, root: Path) -> str:
    durations = re.compile(r"\b\d+(\.\d+)?\s?(ms|s)\b")
    fences = re.compile(r"seedgate-[0-9a-f]{32}")  # a fresh token for every run's output
    return fences.sub("<fence>", durations.sub("<time>", text.replace(str(root), "<job>")))


# Where the paths differ by design: who runs install and the runs (the container action
# switches to the workspace's owner; here the workspace is root's, so it says it cannot).
WHO_RUNS = {f"seedgate: {isolation.HOST_MODE}", f"seedgate: {isolation.STAYS_ROOT}"}


def answer(workflow: Workflow, result: Result) -> Answer:
    root = workflow.root
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line in WHO_RUNS]) <= 1
    return Answer(
        returncode=result.returncode,
        outputs=result.outputs,
        summary=neutral(result.summary, root),
        log=[neutral(line, root) for line in lines if line not in WHO_RUNS],
        comments=[neutral(c.body, root) for c in workflow.fake.comments(PR_NUMBER)],
        requests=[(r.method, r.path, r.status) for r in workflow.fake.requests],
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_entrypoint_and_seedgate_github_give_the_same_answer(
    scenario: str, tmp_path: Path, baseline_zip: bytes
) -> None:
    answers = {}
    for name, launcher in HOST_LAUNCHERS.items():
        with FakeGitHub() as fake:
            workflow = Workflow(fake, tmp_path / name, launcher)
            workflow.root.mkdir()
            result = SCENARIOS[scenario](workflow, baseline_zip)
            workflow.check_no_leaks()
            answers[name] = answer(workflow, result)
        assert fake.errors == [], fake.errors
    assert answers["entrypoint"] == answers["seedgate-github"]
