"""entrypoint.py as the runner starts it, in the scenarios a user meets.

The runner's environment, the fake GitHub and the tiny experiment are set up by
``github_runner``; every test ends by checking that the token leaked nowhere.
"""

from __future__ import annotations

import io
import json
import zipfile

from seedgate.runset.codec import read_runset
from tests.testing.github_fake import FORK_REPO_ID
from tests.testing.github_runner import (
    MAIN_SHA,
    PR_NUMBER,
    Workflow,
    publish_baseline,
    push_event,
    run_pr,
    run_push,
)

# --- scenarios ------------------------------------------------------------------------------


def test_push_to_the_default_branch_writes_the_baseline(workflow: Workflow) -> None:
    result = run_push(workflow)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["verdict"] == "baseline"
    assert result.outputs["runs-used"] == "5"
    assert result.outputs["baseline-path"] == ".seedgate/baseline.json"
    baseline = read_runset(result.workspace / ".seedgate/baseline.json")
    assert len(baseline.ok_runs) == 5
    assert baseline.commit == MAIN_SHA
    assert (result.workspace / result.outputs["report-path"]).is_file()
    results = json.loads((result.workspace / result.outputs["results-path"]).read_text("utf-8"))
    assert results["verdict"] == "baseline"
    assert "accuracy" in result.summary
    assert workflow.fake.requests == []  # making a baseline needs no API call
    install_env = json.loads((result.workspace / "env-dumps/install.json").read_text("utf-8"))
    assert install_env["GITHUB_WORKSPACE"] == str(result.workspace)  # the install step ran


def test_an_experiment_that_fails_keeps_its_finished_runs(workflow: Workflow) -> None:
    result = run_push(workflow, extra={"crash-seeds.txt": b"1,2,3"})

    assert result.returncode == 3, result.stdout + result.stderr
    errors = result.annotations("error")
    assert any("3 of 5 baseline runs failed" in e and "partial-runs.json" in e for e in errors)
    kept = read_runset(result.workspace / ".seedgate/partial-runs.json")
    assert sorted(r.seed for r in kept.ok_runs) == [0, 4]
    assert {r.reason for r in kept.failed_runs} == {"exited with code 1"}
    assert "the experiment failed" in result.summary
    assert "diverged on seed" not in result.summary  # reasons, not whole logs


def test_pull_request_comment_is_created_then_updated_in_place(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)

    first = run_pr(workflow, level=0.85)  # a clear regression

    assert first.returncode == 1, first.stdout + first.stderr
    assert first.outputs["verdict"] == "regression"
    comments = workflow.fake.comments(PR_NUMBER)
    assert len(comments) == 1
    assert "<!-- seedgate:comment-id=default -->" in comments[0].body
    assert first.outputs["comment-url"].endswith(f"#issuecomment-{comments[0].id}")
    assert any("accuracy" in line for line in first.annotations("error"))
    assert "regression" in first.summary.lower()

    second = run_pr(workflow, level=0.9)  # the next push fixes it

    assert second.returncode == 0, second.stdout + second.stderr
    assert second.outputs["verdict"] in ("no-change", "inconclusive")
    after = workflow.fake.comments(PR_NUMBER)
    assert [c.id for c in after] == [comments[0].id]  # one comment, updated in place
    assert after[0].body != comments[0].body
    assert second.outputs["comment-url"] == first.outputs["comment-url"]
    methods = [(r.method, r.path.rsplit("/", 2)[-2]) for r in workflow.fake.requests]
    assert ("PATCH", "comments") in methods
    posts = [r.path.rsplit("/", 1)[-1] for r in workflow.fake.requests if r.method == "POST"]
    assert posts == ["comments", "check-runs", "check-runs"]  # one comment, a check per push


def test_separate_comment_ids_keep_separate_comments(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    run_pr(workflow, level=0.85, inputs={"comment-id": "model-a", "comment": "always"})
    run_pr(workflow, level=0.85, inputs={"comment-id": "model-b", "comment": "always"})
    bodies = [c.body for c in workflow.fake.comments(PR_NUMBER)]
    assert len(bodies) == 2
    assert "comment-id=model-a" in bodies[0]
    assert "comment-id=model-b" in bodies[1]


def test_pull_request_without_a_baseline_fails_before_any_run(workflow: Workflow) -> None:
    result = run_pr(workflow, inputs={"comment": "on-change"})

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.outputs["verdict"] == "no-baseline"
    (error,) = result.annotations("error")
    assert "upload-artifact" in error
    assert "seedgate-baseline" in error
    assert "missing-baseline: pass" in error
    assert not list(result.workspace.glob("env-dumps/run-*"))  # not one run was made
    assert workflow.fake.comments(PR_NUMBER) == []


def test_pull_request_without_a_baseline_passes_only_when_chosen(workflow: Workflow) -> None:
    result = run_pr(workflow, inputs={"comment": "on-change", "missing-baseline": "pass"})

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["verdict"] == "no-baseline"
    warnings = result.annotations("warning")
    assert any("upload-artifact" in w and "seedgate-baseline" in w for w in warnings)
    assert "No baseline: nothing was compared" in result.summary
    assert workflow.fake.comments(PR_NUMBER) == []  # on-change: nothing to say yet
    assert "comment-url" not in result.outputs
    assert result.summary


def test_fork_pull_request_cannot_comment_but_reports(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    workflow.fake.state.read_only = True

    result = run_pr(workflow, fork=True, level=0.85, inputs={"comment": "always"})

    assert result.returncode == 1  # the verdict alone decides
    assert result.outputs["verdict"] == "regression"
    assert "comment-url" not in result.outputs
    assert any("workflow_run" in w for w in result.annotations("warning"))
    assert any("job's own status still gates" in w for w in result.annotations("warning"))
    assert "regression" in result.summary.lower()
    assert (result.workspace / result.outputs["report-path"]).is_file()
    posts = [r for r in workflow.fake.requests if r.method == "POST"]
    assert [r.status for r in posts] == [403]  # the comment; a check run is not even tried


def test_an_expired_artifact_falls_back_to_the_next(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip, artifact_id=501, run_id=77, sha="1" * 40)
    workflow.fake.add_run(78, head_sha="2" * 40)
    workflow.fake.add_artifact(502, run_id=78, data=b"", gone=True)

    result = run_pr(workflow, level=0.85)

    assert result.outputs["verdict"] == "regression"
    assert "410" in result.stdout
    statuses = {
        r.path.rsplit("/", 2)[-2]: r.status
        for r in workflow.fake.requests
        if r.path.endswith("/zip")
    }
    assert statuses == {"502": 410, "501": 302}


def test_a_forks_artifact_on_a_branch_named_like_main_is_ignored(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    workflow.fake.add_run(90, head_sha="e" * 40, head_repository_id=FORK_REPO_ID)
    workflow.fake.add_artifact(590, run_id=90, data=baseline_zip)  # newest, but a fork's

    result = run_pr(workflow, level=0.85)

    assert result.outputs["verdict"] == "regression"
    assert "fork" in result.stdout
    assert not any("/590/" in r.path for r in workflow.fake.requests)
    assert not any("590" in r.path for r in workflow.fake.blob_requests)


def test_rate_limit_then_success(workflow: Workflow, baseline_zip: bytes) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    workflow.fake.fail("GET", r"/actions/artifacts$", 429, headers={"retry-after": "1"})

    result = run_pr(workflow, level=0.85)

    assert result.returncode == 1
    assert result.outputs["verdict"] == "regression"
    listing = [r.status for r in workflow.fake.requests if r.path.endswith("/actions/artifacts")]
    assert listing == [429, 200]


def test_server_errors_then_success(workflow: Workflow, baseline_zip: bytes) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    workflow.fake.fail("GET", r"/actions/runs/\d+$", 502, times=2)

    result = run_pr(workflow, level=0.85)

    assert result.outputs["verdict"] == "regression"
    runs = [r.status for r in workflow.fake.requests if "/actions/runs/" in r.path]
    assert runs == [502, 502, 200]


def test_a_zip_with_a_path_escape_is_rejected(workflow: Workflow, baseline_zip: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "baseline.json", zipfile.ZipFile(io.BytesIO(baseline_zip)).read("baseline.json")
        )
        archive.writestr("../../../escaped.txt", "owned")
    publish_baseline(workflow.fake, buffer.getvalue())

    result = run_pr(workflow, level=0.85)

    assert result.returncode == 2
    assert result.outputs["verdict"] == "no-baseline"
    assert any("escapes the archive" in w for w in result.annotations("warning"))
    assert any("No usable baseline artifact" in e for e in result.annotations("error"))
    assert not list(workflow.root.rglob("escaped.txt"))
    assert not (workflow.root.parent / "escaped.txt").exists()


def test_a_missing_config_file_is_a_usage_error(workflow: Workflow) -> None:
    result = workflow.run(
        "push",
        push_event(),
        ref="refs/heads/master",
        sha=MAIN_SHA,
        inputs={"config": "missing.toml"},
    )
    assert result.returncode == 2
    assert result.annotations("error")
    assert "config = 'missing.toml'" in result.stdout


def test_matrix_shards_then_compare_gate_the_pull_request(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    shards = {}
    for index in (1, 2):
        result = run_pr(
            workflow, level=0.85, inputs={"mode": "run", "shard": f"{index}/2", "runs": "6"}
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.outputs["runset-path"] == f".seedgate/runs/runset-{index}-of-2.json"
        assert result.outputs["runs-used"] == "3"
        shards[f"downloaded/runset-{index}-of-2.json"] = (
            result.workspace / result.outputs["runset-path"]
        ).read_bytes()
    assert workflow.fake.requests == []  # shards only run

    result = run_pr(
        workflow, level=0.85, extra=shards, inputs={"mode": "compare", "runs-path": "downloaded"}
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.outputs["verdict"] == "regression"
    assert result.outputs["runs-used"] == "6"
    assert len(workflow.fake.comments(PR_NUMBER)) == 1
    assert not list(result.workspace.glob("env-dumps/run-*.json"))  # compare runs nothing


def test_matrix_compare_on_the_default_branch_makes_the_baseline(workflow: Workflow) -> None:
    shards = {}
    for index in (1, 2):
        result = run_push(workflow, inputs={"mode": "run", "shard": f"{index}/2"})
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.outputs["runs-used"] in ("2", "3")  # 5 baseline runs over 2 shards
        shards[f".seedgate/runs/{index}.json"] = (
            result.workspace / result.outputs["runset-path"]
        ).read_bytes()

    result = run_push(workflow, extra=shards, inputs={"mode": "compare"})

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["baseline-path"] == ".seedgate/baseline.json"
    merged = read_runset(result.workspace / ".seedgate/baseline.json")
    assert sorted(r.seed for r in merged.ok_runs) == [0, 1, 2, 3, 4]


def test_a_missing_comment_permission_fails_after_reporting(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    workflow.fake.state.read_only = True  # not a fork: the workflow lacks pull-requests: write

    result = run_pr(workflow, level=0.85)

    assert result.returncode == 2
    errors = result.annotations("error")
    assert any("pull-requests: write" in line for line in errors), errors
    assert result.outputs["verdict"] == "regression"  # outputs and summary came first
    assert "regression" in result.summary.lower()
