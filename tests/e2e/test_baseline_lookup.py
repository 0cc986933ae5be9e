"""Issue 22: green means safe. A broken, mismatched or missing baseline never ends as a
silent pass, through the container's entrypoint and ``seedgate github`` alike."""

from __future__ import annotations

import io
import zipfile

import pytest

from seedgate.runset.codec import runset_to_json
from tests.testing.github_runner import (
    BASE_SHA,
    HOST_LAUNCHERS,
    PR_NUMBER,
    HostLauncher,
    Workflow,
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
