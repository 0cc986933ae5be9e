"""The action uploads its own baseline and shards through the runner's v4 artifact service
(a strict stand-in of what @actions/artifact speaks), mode compare downloads the shards, a
pull request then finds that baseline, and a re-run job replaces what its earlier attempt
uploaded; GHES and `upload-artifacts: false` fall back to upload-artifact steps."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedgate.runset.codec import runset_from_bytes
from tests.testing.github_fake import FakeGitHub
from tests.testing.github_runner import (
    ENTRYPOINT,
    HostLauncher,
    Result,
    Workflow,
    publish_baseline,
    push_event,
    run_pr,
    run_push,
)
from tests.testing.results_service import ResultsService


@pytest.fixture
def service() -> Iterator[ResultsService]:
    with ResultsService() as stand_in:
        yield stand_in
    assert stand_in.errors == [], stand_in.errors


def runner_env(service: ResultsService) -> dict[str, str]:
    return {"ACTIONS_RESULTS_URL": service.url, "ACTIONS_RUNTIME_TOKEN": service.token}


@pytest.fixture
def uploading(service: ResultsService, tmp_path: Path) -> Iterator[Workflow]:
    """Jobs whose runner offers the v4 artifact service."""
    launcher = HostLauncher(ENTRYPOINT.command, extra_env=runner_env(service))
    with FakeGitHub() as fake:
        flow = Workflow(fake, tmp_path, launcher)
        yield flow
        flow.check_no_leaks()
        for result in flow.results:
            assert_runtime_token_kept(result, service.token)
    assert fake.errors == [], fake.errors


def assert_runtime_token_kept(result: Result, token: str) -> None:
    """The runtime token is masked and reaches no run, output, summary or other log line."""
    lines = [line for line in result.stdout.splitlines() if token in line]
    assert lines == [f"::add-mask::{token}"]
    assert token not in result.stderr + result.summary
    assert all(token not in value for value in result.outputs.values())
    for dump in (result.workspace / "env-dumps").glob("*.json"):
        assert token not in dump.read_text(encoding="utf-8"), dump.name
    for path in (result.workspace / ".seedgate").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def only_file(data: bytes) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        return name, archive.read(name)


def test_a_push_uploads_the_baseline_that_a_pull_request_then_finds(
    uploading: Workflow, service: ResultsService
) -> None:
    pushed = run_push(uploading)

    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    data = service.zip_of("seedgate-baseline")
    name, content = only_file(data)
    baseline = pushed.workspace / pushed.outputs["baseline-path"]
    assert (name, content) == ("baseline.json", baseline.read_bytes())
    assert service.artifacts["seedgate-baseline"].requests == ["block", "blocklist"]
    assert "uploaded as artifact 'seedgate-baseline'" in pushed.stdout

    publish_baseline(uploading.fake, data)  # what GitHub lists once the run finished
    gated = run_pr(uploading, level=0.9)

    assert gated.returncode == 0, gated.stdout + gated.stderr
    assert gated.outputs["verdict"] != "no-baseline"
    assert list(service.artifacts) == ["seedgate-baseline"]  # a gate uploads nothing


def test_each_shard_uploads_its_runs_and_compare_downloads_them_all(
    uploading: Workflow, service: ResultsService
) -> None:
    results = [
        uploading.run(
            "push",
            push_event(),
            ref="refs/heads/master",
            sha="a" * 40,
            inputs={"mode": "run", "shard": f"{index}/2", "baseline-runs": "4"},
        )
        for index in (1, 2)
    ]

    for index, result in enumerate(results, 1):
        assert result.returncode == 0, result.stdout + result.stderr
        name, content = only_file(service.zip_of(f"seedgate-shard-{index}-of-2"))
        assert name == f"runset-{index}-of-2.json"
        assert content == (result.workspace / result.outputs["runset-path"]).read_bytes()

    # the gate job: no download step, so runs-path is empty and the action fetches them
    merged = uploading.run(
        "push", push_event(), ref="refs/heads/master", sha="a" * 40, inputs={"mode": "compare"}
    )

    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "downloaded 2 shard artifact(s) of this workflow run into .seedgate/runs" in (
        merged.stdout
    )
    _, content = only_file(service.zip_of("seedgate-baseline"))
    baseline = runset_from_bytes(content, "the baseline artifact")
    shard_seeds = [
        run.seed
        for result in results
        for run in runset_from_bytes(
            (result.workspace / result.outputs["runset-path"]).read_bytes(), "a shard"
        ).runs
    ]
    assert sorted(run.seed for run in baseline.runs) == sorted(shard_seeds)
    assert len(shard_seeds) == 4


def test_compare_with_no_shard_artifacts_says_what_is_missing(
    uploading: Workflow, service: ResultsService
) -> None:
    result = run_push(uploading, inputs={"mode": "compare"})

    assert result.returncode == 2, result.stdout + result.stderr
    assert "this workflow run has no shard artifacts (seedgate-shard-*)" in result.stdout
    assert service.artifacts == {}


def test_on_ghes_the_baseline_is_left_to_an_upload_step_with_a_warning(
    service: ResultsService, tmp_path: Path
) -> None:
    launcher = HostLauncher(
        ENTRYPOINT.command,
        extra_env={
            "ACTIONS_RESULTS_URL": service.url,
            "ACTIONS_RUNTIME_TOKEN": service.token,
            "GITHUB_SERVER_URL": "https://ghes.example.com",
        },
    )
    with FakeGitHub() as fake:
        result = run_push(Workflow(fake, tmp_path, launcher))

    assert result.returncode == 0, result.stdout + result.stderr
    (warning,) = [w for w in result.annotations("warning") if "not uploaded" in w]
    assert "GitHub Enterprise Server has no v4 artifact service" in warning
    assert "actions/upload-artifact@v3" in warning
    assert service.artifacts == {}
    assert (result.workspace / result.outputs["baseline-path"]).is_file()


def test_upload_artifacts_false_leaves_it_to_the_workflow_quietly(
    uploading: Workflow, service: ResultsService
) -> None:
    result = run_push(uploading, inputs={"upload-artifacts": "false"})

    assert result.returncode == 0, result.stdout + result.stderr
    assert service.artifacts == {}
    assert result.annotations("warning") == []
    assert "upload it with actions/upload-artifact as 'seedgate-baseline'" in result.stdout


def test_a_rerun_job_replaces_the_baseline_its_earlier_attempt_uploaded(
    service: ResultsService, tmp_path: Path
) -> None:
    launcher = HostLauncher(ENTRYPOINT.command, extra_env=runner_env(service))
    with FakeGitHub() as fake:
        flow = Workflow(fake, tmp_path, launcher)
        first = run_push(flow)
        assert_runtime_token_kept(first, service.token)
        earlier = service.artifacts["seedgate-baseline"]
        service.new_attempt("job-2b4d")  # re-run: the same workflow run, another job run
        launcher.extra_env.update(runner_env(service))
        again = run_push(flow)
        assert_runtime_token_kept(again, service.token)
        flow.check_no_leaks()
    assert fake.errors == [], fake.errors

    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    assert service.deleted == [earlier]  # deleted with the ids of the job that uploaded it
    now = service.artifacts["seedgate-baseline"]
    assert (now.job_backend_id, now.finalized) == ("job-2b4d", True)
    _, content = only_file(service.zip_of("seedgate-baseline"))
    assert content == (again.workspace / again.outputs["baseline-path"]).read_bytes()
    assert content != (first.workspace / first.outputs["baseline-path"]).read_bytes()
    assert "it replaces the one an earlier attempt of this workflow run uploaded" in again.stdout
