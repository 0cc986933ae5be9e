"""The history of main in the action, end to end: push jobs record their baselines on a git
data branch (a bare repository standing in for the GitHub repository, the workspace a clone
of it as actions/checkout leaves one), and a pull request's comment shows the history."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from seedgate.history.codec import record_from_bytes
from seedgate.history.record import record_from_runset
from seedgate.records import Goal
from seedgate.store.history_git import GitHistory
from tests.testing.github_runner import (
    MAIN_SHA,
    PR_NUMBER,
    Result,
    Workflow,
    pr_event,
    push_event,
)
from tests.testing.runsets import runset

BRANCH = "seedgate-history"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def remote_repository(root: Path) -> Path:
    bare = root / "origin.git"
    git(root, "init", "--quiet", "--bare", str(bare))
    return bare


def run_job(
    workflow: Workflow,
    remote: Path,
    *,
    push: bool,
    sha: str,
    level: float = 0.9,
    planted_hook: Path | None = None,
) -> Result:
    """One job whose workspace is a checkout with ``remote`` as origin; ``planted_hook``:
    the checkout gets git hooks (as a pull request's code could write) that touch it."""
    event, name = (push_event(), "push") if push else (pr_event(), "pull_request")
    ref = "refs/heads/master" if push else f"refs/pull/{PR_NUMBER}/merge"
    job = workflow.prepare(
        name,
        event,
        ref=ref,
        sha=sha,
        level=level,
        # no baseline artifact here: the history is what these jobs are about
        inputs={"history-branch": BRANCH, "missing-baseline": "pass"},
    )
    git(job.workspace, "init", "--quiet")
    git(job.workspace, "remote", "add", "origin", str(remote))
    if planted_hook is not None:
        for name in ("reference-transaction", "pre-push", "post-checkout"):
            hook = job.workspace / ".git" / "hooks" / name
            hook.write_text(f"#!/bin/sh\nenv > {planted_hook}\n", encoding="utf-8")
            hook.chmod(0o755)
    return workflow.finish(job, workflow.start(job))


def branch_records(remote: Path) -> list[str]:
    names = git(remote, "ls-tree", "-r", "--name-only", BRANCH).split()
    return [
        record_from_bytes(git(remote, "show", f"{BRANCH}:{n}").encode(), n).commit or ""
        for n in names
    ]


def test_push_jobs_record_and_a_pull_request_shows_the_history(
    workflow: Workflow, tmp_path: Path
) -> None:
    remote = remote_repository(tmp_path)
    first = run_job(workflow, remote, push=True, sha=MAIN_SHA)
    assert first.returncode == 0, first.stdout
    assert "History of main: 1 baseline, no drift found" in first.summary
    second = run_job(workflow, remote, push=True, sha="a" * 40, level=0.89)
    assert second.returncode == 0, second.stdout
    assert "history: the baseline is recorded as records/" in second.stdout
    assert sorted(branch_records(remote)) == sorted([MAIN_SHA, "a" * 40])

    planted = tmp_path / "hook-ran"
    pr = run_job(workflow, remote, push=False, sha="9" * 40, planted_hook=planted)
    assert pr.returncode == 0, pr.stdout
    assert not planted.exists()  # the checkout's hooks never run with the token around
    (comment,) = workflow.fake.comments(PR_NUMBER)
    section = comment.body[comment.body.index("<details>\n<summary><b>History of main") :]
    assert "History of main: 2 baselines" in section
    assert '"6113728", "aaaaaaa", "PR"]' in section  # main's two baselines, then this PR
    assert "| PR | `9999999` |" in section
    assert section in pr.summary
    assert sorted(branch_records(remote)) == sorted([MAIN_SHA, "a" * 40])  # PRs only read


def test_a_corrupt_history_is_a_warning_and_changes_no_verdict(
    workflow: Workflow, tmp_path: Path
) -> None:
    remote = remote_repository(tmp_path)
    assert run_job(workflow, remote, push=True, sha=MAIN_SHA).returncode == 0
    vandal = tmp_path / "vandal"
    git(tmp_path, "clone", "--quiet", "--branch", BRANCH, str(remote), str(vandal))
    (vandal / "records" / "payload.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    git(vandal, "add", "records")
    git(vandal, "-c", "user.name=v", "-c", "user.email=v@v", "commit", "-q", "-m", "x")
    git(vandal, "push", "--quiet", "origin", BRANCH)

    pr = run_job(workflow, remote, push=False, sha="9" * 40)
    assert pr.returncode == 0, pr.stdout
    (warning,) = [w for w in pr.annotations("warning") if "seedgate%3A history" in w]
    assert "payload.sh" in warning
    assert "the verdict does not depend on it" in warning
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert "History of main" not in comment.body


def test_a_workspace_that_is_no_checkout_is_a_warning(workflow: Workflow) -> None:
    job = workflow.prepare(
        "push",
        push_event(),
        ref="refs/heads/master",
        sha=MAIN_SHA,
        inputs={"history-branch": BRANCH},
    )
    result = workflow.finish(job, workflow.start(job))
    assert result.returncode == 0, result.stdout
    (warning,) = [w for w in result.annotations("warning") if "seedgate%3A history" in w]
    assert "not a git checkout with a remote 'origin'" in warning
    assert (job.workspace / ".seedgate" / "baseline.json").is_file()


def test_without_the_input_no_git_is_touched(workflow: Workflow) -> None:
    job = workflow.prepare("push", push_event(), ref="refs/heads/master", sha=MAIN_SHA)
    result = workflow.finish(job, workflow.start(job))  # the workspace is not a git checkout
    assert result.returncode == 0, result.stdout
    assert "History of main" not in result.summary
    assert "history" not in "".join(result.annotations("warning"))


def test_drift_on_main_is_in_the_next_comment_and_changes_no_exit_code(
    workflow: Workflow, tmp_path: Path
) -> None:
    remote = remote_repository(tmp_path)
    seeder = tmp_path / "seeder"
    git(tmp_path, "init", "--quiet", str(seeder))
    git(seeder, "remote", "add", "origin", str(remote))
    store = GitHistory(seeder, "origin", BRANCH)
    rng = np.random.default_rng(4)
    for t in range(10):  # flat, then 0.3 seed SD lower every merge
        level = 0.9 - 0.003 * max(0, t - 3)
        made = runset(
            {"score": level + rng.normal(0, 0.01, size=20)},
            commit=f"{t + 1:x}" * 40,
            created_at=f"2026-11-{t + 1:02d}T09:00:00+00:00",
        )
        store.append(record_from_runset(made, {"score": Goal.MAXIMIZE}))
    pr = run_job(workflow, remote, push=False, sha="9" * 40)
    assert pr.returncode == 0, pr.stdout
    assert pr.outputs["verdict"] == "no-baseline"
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert "drift in score" in comment.body
    assert "- **Drift**: score slid" in comment.body
    assert "never gated on" in comment.body
