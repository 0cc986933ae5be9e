"""GitHub answers are data too: odd shapes are refused with the layer's error."""

from __future__ import annotations

import pytest
import requests

from seedgate.errors import GitHubError
from seedgate.github.client import GitHubClient
from seedgate.github.responses import decode
from seedgate.store.github_artifact import GitHubArtifactStore


def _response(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    return response


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b"<html>", b"9" * 5000])
def test_answers_that_are_not_sane_json_are_a_github_error(body: bytes) -> None:
    with pytest.raises(GitHubError, match="not JSON"):
        decode(_response(body), "list the artifacts")


def _store() -> GitHubArtifactStore:
    client = GitHubClient(token="", repository="octo/repo", api_url="http://127.0.0.1:9")
    return GitHubArtifactStore(
        client,
        artifact_name="seedgate-baseline",
        file_name="baseline.json",
        repository_id=1,
        default_branch="main",
    )


@pytest.mark.parametrize(
    ("artifact", "reason"),
    [
        ({"id": "7\n::error::x", "workflow_run": {"id": 1}}, "is not a number"),
        ({"id": True, "workflow_run": {"id": 1}}, "is not a number"),
        ({"id": 7, "workflow_run": {"id": "1"}}, "no workflow run recorded"),
        ({"id": 7, "workflow_run": {"id": 2**64}}, "no workflow run recorded"),
    ],
)
def test_artifacts_with_odd_ids_are_skipped(artifact: dict[str, object], reason: str) -> None:
    problem = _store()._untrusted_artifact(artifact)
    assert problem is not None
    assert reason in problem
    assert "\n" not in problem
