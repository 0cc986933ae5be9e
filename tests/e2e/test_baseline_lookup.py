"""Issue 22: green means safe. A broken, mismatched or missing baseline never ends as a
silent pass, through the container's entrypoint and ``seedgate github`` alike."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from seedgate.runset.codec import read_runset, runset_to_json
from tests.testing.github_fake import NAME, OWNER
from tests.testing.github_runner import (
    BASE_SHA,
    FIXTURES,
    HOST_LAUNCHERS,
    PR_NUMBER,
    TOKEN,
    HostLauncher,
    Workflow,
    pr_event,
    publish_baseline,
    run_pr,
)
from tests.testing.runsets import runset

OLDER_SHA = "1" * 40


def zipped_runset(metrics: dict[str, list[float]], *, failed: list[int] | None = None) -> bytes:
    baseline = runset(metrics, commit=BASE_SHA, failed=failed or [])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("baseline.json", runset_to_json(baseline))
    return buffer.getvalue()


def add_bad_base_candidate(workflow: Workflow, problem: str, good: bytes) -> None:
    """The base commit's artifact (newest) has ``problem``; an older good one exists."""
    publish_baseline(workflow.fake, good, artifact_id=501, run_id=77, sha=OLDER_SHA)
    fake = workflow.fake
    if problem == "run-failed":
        fake.add_run(78, head_sha=BASE_SHA, conclusion="failure")
        fake.add_artifact(502, run_id=78, data=good)
    elif problem == "corrupt-zip":
        fake.add_run(78, head_sha=BASE_SHA)
        fake.add_artifact(502, run_id=78, data=b"PK\x03\x04 cut short")
    else:
        fake.add_run(78, head_sha=BASE_SHA)
        fake.add_artifact(502, run_id=78, data=good, gone=True)


@pytest.mark.parametrize("launcher", sorted(HOST_LAUNCHERS))
@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        ("run-failed", "did not succeed (failure)"),
        ("corrupt-zip", "not a readable zip"),
        ("gone", "expired (HTTP 410)"),
    ],
)
def test_a_bad_base_commit_baseline_falls_back_to_an_older_good_one(
    workflow: Workflow, baseline_zip: bytes, launcher: str, problem: str, reason: str
) -> None:
    workflow.launcher = HOST_LAUNCHERS[launcher]
    add_bad_base_candidate(workflow, problem, baseline_zip)

    result = run_pr(workflow, level=0.50, inputs={"comment": "always"})

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.outputs["verdict"] == "regression"
    assert "artifact 501 of run 77" in result.stdout  # the older one was used
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert "baseline used: artifact 501 of run 77" in comment.body
    assert "baseline skipped: artifact 502" in comment.body
    assert reason in comment.body


@pytest.mark.parametrize(
    ("baseline", "named", "reported"),
    [
        ({"metrics": {"accuracy_old": [0.9, 0.901, 0.902]}}, "'accuracy'", "accuracy_old"),
        (
            {"metrics": {"accuracy": [0.9, 0.901, 0.902]}, "failed": [0, 1, 2]},
            "'accuracy'",
            "0 successful runs",
        ),
    ],
    ids=["renamed-metric", "empty-baseline"],
)
def test_a_gating_metric_absent_from_the_baseline_fails_naming_it(
    workflow: Workflow, baseline: dict[str, object], named: str, reported: str
) -> None:
    workflow.launcher = HOST_LAUNCHERS["entrypoint"]
    publish_baseline(workflow.fake, zipped_runset(**baseline))  # type: ignore[arg-type]

    result = run_pr(workflow, level=0.9, inputs={"comment": "always"})

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.outputs["verdict"] == "metric-absent"
    (error,) = [e for e in result.annotations("error") if "not in the baseline" in e]
    assert named in error
    assert reported in error
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert "No baseline was found" not in comment.body
    assert "not in the baseline" in comment.body


def test_a_metric_absent_passes_only_when_chosen_and_says_so(workflow: Workflow) -> None:
    assert isinstance(workflow.launcher, HostLauncher)
    publish_baseline(workflow.fake, zipped_runset({"accuracy_old": [0.9, 0.901, 0.902]}))

    result = run_pr(workflow, level=0.9, inputs={"missing-baseline": "pass"})

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["verdict"] == "metric-absent"
    assert any("'accuracy' is not in the baseline" in w for w in result.annotations("warning"))
    assert "Not compared: accuracy not in the baseline" in result.summary


# --- missing-baseline: build -----------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def remote_with_base_commit(root: Path) -> tuple[Path, str]:
    """A bare repository (the server's copy) whose main holds the experiment at 0.9."""
    source = root / "source"
    source.mkdir(parents=True)
    for name in ("gate_experiment.py", "gate_install.py", "seedgate.toml"):
        shutil.copy(FIXTURES / name, source / name)
    (source / "level.txt").write_text("0.9", encoding="utf-8")
    git(source, "init", "-q", "-b", "main")
    git(source, "add", ".")
    git(source, "commit", "-q", "-m", "base")
    bare = root / "server" / OWNER / NAME
    bare.parent.mkdir(parents=True)
    git(root, "clone", "-q", "--bare", str(source), str(bare))
    return root / "server", git(source, "rev-parse", "HEAD")


def test_build_makes_the_baseline_from_the_base_commit_and_catches_a_drop(
    workflow: Workflow, tmp_path: Path
) -> None:
    server, base_sha = remote_with_base_commit(tmp_path / "remote")
    event = pr_event()
    event["pull_request"]["base"]["sha"] = base_sha
    job = workflow.prepare(
        "pull_request",
        event,
        ref=f"refs/pull/{PR_NUMBER}/merge",
        sha="9" * 40,
        level=0.5,  # the pull request lowers what the model reaches
        inputs={"missing-baseline": "build", "comment": "always"},
    )
    git(job.workspace, "init", "-q")  # a checkout without the base commit: it is fetched
    git(job.workspace, "add", ".")
    git(job.workspace, "commit", "-q", "-m", "pull request")
    # the checkout's own git maps the server to the local copy, as a mirror would
    git(job.workspace, "config", f"url.{server.as_uri()}/.insteadOf", "https://github.com/")
    planted = tmp_path / "hook-ran"  # hooks a checkout could carry: none runs near the token
    for name in ("post-checkout", "reference-transaction", "fsmonitor-watchman"):
        hook = job.workspace / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\nenv >> {planted}\n", encoding="utf-8")
        hook.chmod(0o755)

    result = workflow.finish(job, workflow.start(job))

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.outputs["verdict"] == "regression"
    built = read_runset(job.workspace / ".seedgate" / "built-baseline.json")
    assert built.commit == base_sha
    assert len(built.ok_runs) == 5
    assert sorted(r.seed for r in built.ok_runs) == list(range(5))  # the gate's seeds
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert f"built in this job from the base commit {base_sha[:12]}" in comment.body
    worktree = job.workspace / ".seedgate" / "base-worktree"
    assert (worktree / "level.txt").read_text(encoding="utf-8") == "0.9"
    assert len(list(worktree.glob("env-dumps/run-*"))) == 5  # the base's runs ran there
    assert "pull request" in git(job.workspace, "log", "-1", "--format=%s")  # HEAD untouched
    assert_token_nowhere(job.workspace)
    assert not planted.exists()


def assert_token_nowhere(workspace: Path) -> None:
    """Not in .git (config, FETCH_HEAD, logs), the worktree, or any file a run can read."""
    secrets = [TOKEN.encode(), base64.b64encode(f"x-access-token:{TOKEN}".encode())]
    checked = 0
    for path in workspace.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            assert not [s for s in secrets if s in data], path
            checked += 1
    assert checked > 20
    assert (workspace / ".git" / "config").is_file()


def test_build_without_a_base_commit_says_what_is_missing(workflow: Workflow) -> None:
    event = pr_event()
    del event["pull_request"]["base"]["sha"]
    result = workflow.run(
        "pull_request",
        event,
        ref=f"refs/pull/{PR_NUMBER}/merge",
        sha="9" * 40,
        inputs={"missing-baseline": "build"},
    )

    assert result.returncode == 2, result.stdout + result.stderr
    (error,) = result.annotations("error")
    assert "needs the pull request's base commit" in error
    assert not list(result.workspace.glob("env-dumps/run-*"))


KERAS = Path(__file__).resolve().parents[2] / "examples" / "mnist"
TRAIN = "python examples/mnist/train.py --data-seed {data_seed} --init-seed {init_seed}"
SMALL = "--train-size 500 --epochs 2 --test-size 2000"
KERAS_CONFIG = f"""
command = "{TRAIN} {SMALL}"
timeout = 300
[metric.accuracy]
goal = "maximize"
min_effect = 0.015
primary = true
"""


def keras_files(lr: str) -> dict[str, bytes]:
    train = (KERAS / "train.py").read_text(encoding="utf-8")
    assert "    lr: float = 1e-3\n" in train
    return {
        "seedgate.toml": KERAS_CONFIG.encode(),
        "examples/__init__.py": b"",
        "examples/mnist/__init__.py": b"",
        "examples/mnist/data.py": (KERAS / "data.py").read_bytes(),
        "examples/mnist/train.py": train.replace("lr: float = 1e-3", f"lr: float = {lr}").encode(),
    }


@pytest.mark.slow
@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist").is_dir(),
    reason="no MNIST-format data offline (install dataset-fashion-mnist)",
)
def test_build_with_the_keras_example_catches_a_lowered_learning_rate(
    workflow: Workflow, tmp_path: Path
) -> None:
    base = tmp_path / "base"
    base.mkdir()
    for name, data in keras_files("1e-3").items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(data)
    shutil.copy(FIXTURES / "gate_install.py", base / "gate_install.py")
    git(base, "init", "-q", "-b", "main")
    git(base, "add", ".")
    git(base, "commit", "-q", "-m", "base")
    base_sha = git(base, "rev-parse", "HEAD")
    event = pr_event()
    event["pull_request"]["base"]["sha"] = base_sha
    job = workflow.prepare(
        "pull_request",
        event,
        ref=f"refs/pull/{PR_NUMBER}/merge",
        sha="9" * 40,
        extra=keras_files("1e-5"),  # the pull request lowers the learning rate
        inputs={"missing-baseline": "build", "comment": "always"},
    )
    git(job.workspace, "init", "-q")
    git(job.workspace, "fetch", "-q", str(base), "main")  # the base commit is in the checkout
    git(job.workspace, "add", ".")
    git(job.workspace, "commit", "-q", "-m", "pull request: lr 1e-5")

    result = workflow.finish(job, workflow.start(job), timeout=1200)  # real training

    assert result.returncode == 1, result.stdout[-5000:] + result.stderr
    assert result.outputs["verdict"] == "regression"
    built = read_runset(job.workspace / ".seedgate" / "built-baseline.json")
    assert built.commit == base_sha
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert f"built in this job from the base commit {base_sha[:12]}" in comment.body
    assert_token_nowhere(job.workspace)
