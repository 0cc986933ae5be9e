"""The GitHub client against a local server validated by GitHub's OpenAPI description."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests

from seedgate.errors import GitHubError
from seedgate.github.client import GitHubClient, RetryPolicy
from tests.testing.github_fake import OWNER, REPO_ID, FakeGitHub

TOKEN = "ghs_client_test_token_123456"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server
    assert server.errors == [], server.errors


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(url: str, sleeps: list[float], **policy: float) -> GitHubClient:
    retry = RetryPolicy(sleep=sleeps.append, timeout_s=5.0, **policy)  # type: ignore[arg-type]
    return GitHubClient(
        token=TOKEN,
        repository=f"{OWNER}/Hello-World",
        api_url=url,
        session=requests.Session(),
        retry=retry,
    )


@pytest.fixture
def client(fake: FakeGitHub, sleeps: list[float]) -> GitHubClient:
    return make_client(fake.url, sleeps)


def test_sends_the_headers_github_asks_for(fake: FakeGitHub, client: GitHubClient) -> None:
    repo = client.get_repository()
    assert repo["id"] == REPO_ID
    assert repo["default_branch"] == "master"
    headers = {k.lower(): v for k, v in fake.requests[0].headers.items()}
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["user-agent"].startswith("seedgate/")


def test_repr_hides_the_token(client: GitHubClient) -> None:
    assert TOKEN not in repr(client)


def test_paginates_through_link_headers(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.add_run(1)
    for artifact_id in range(10, 15):
        fake.add_artifact(artifact_id, run_id=1, data=b"zip")
    fake.add_artifact(99, run_id=1, data=b"zip", name="other")
    fake.state.max_per_page = 2

    ids = [a["id"] for a in client.list_artifacts("seedgate-baseline")]

    assert ids == [14, 13, 12, 11, 10]
    paths = [r.path for r in fake.requests]
    assert paths[0] == f"/repos/{OWNER}/Hello-World/actions/artifacts"
    assert paths[1:] == [f"/repositories/{REPO_ID}/actions/artifacts"] * 2  # as GitHub links


def test_comment_create_list_update(fake: FakeGitHub, client: GitHubClient) -> None:
    created = client.create_issue_comment(2, "first <!-- marker -->")
    listed = list(client.list_issue_comments(2))
    assert [c["id"] for c in listed] == [created["id"]]
    updated = client.update_issue_comment(created["id"], "second <!-- marker -->")
    assert updated["body"] == "second <!-- marker -->"
    assert [c.body for c in fake.comments(2)] == ["second <!-- marker -->"]
    assert [r.method for r in fake.requests] == ["POST", "GET", "PATCH"]


def test_download_follows_the_redirect_without_the_token(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    fake.add_run(1)
    fake.add_artifact(7, run_id=1, data=b"PK-zip-bytes")

    assert client.download_artifact(7, max_bytes=1000) == b"PK-zip-bytes"

    assert len(fake.blob_requests) == 1
    assert "Authorization" not in fake.blob_requests[0].headers
    assert fake.blob_requests[0].status == 200


def test_blob_server_rejects_a_token_like_github_does(fake: FakeGitHub) -> None:
    fake.add_run(1)
    fake.add_artifact(7, run_id=1, data=b"x")
    answer = requests.get(f"{fake.blob_url}/blob/7.zip", headers={"Authorization": "x"}, timeout=5)
    assert answer.status_code == 401


def test_download_size_is_capped(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.add_run(1)
    fake.add_artifact(7, run_id=1, data=b"x" * 5000)
    with pytest.raises(GitHubError, match="more than the 100 bytes"):
        client.download_artifact(7, max_bytes=100)


def test_expired_artifact_is_410(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.add_run(1)
    fake.add_artifact(7, run_id=1, data=b"x", gone=True)
    with pytest.raises(GitHubError) as info:
        client.download_artifact(7, max_bytes=100)
    assert info.value.status == 410


def test_server_errors_are_retried_with_backoff(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    fake.fail("GET", r"^/repos/[^/]+/[^/]+$", 502, times=2)
    assert client.get_repository()["id"] == REPO_ID
    assert sleeps == [1.0, 2.0]


def test_server_errors_give_up_after_the_attempts(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    fake.fail("GET", r"/actions/runs/", 500, times=10)
    with pytest.raises(GitHubError, match="read workflow run 5 answered HTTP 500") as info:
        client.get_workflow_run(5)
    assert info.value.status == 500
    assert len(sleeps) == 3  # 4 attempts
    assert len(fake.requests) == 4


def test_connection_errors_are_retried_then_reported(sleeps: list[float]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}", sleeps)
    with pytest.raises(GitHubError, match="failed after 4 tries"):
        client.get_repository()
    assert sleeps == [1.0, 2.0, 4.0]


def test_retry_after_is_honoured(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    fake.fail("POST", r"/comments$", 429, headers={"retry-after": "7"})
    client.create_issue_comment(2, "hello")
    assert sleeps == [7.0]
    assert len(fake.comments(2)) == 1


def test_primary_rate_limit_waits_until_the_reset(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    reset = int(time.time()) + 30
    fake.fail(
        "GET",
        r"^/repos/[^/]+/[^/]+$",
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        message="API rate limit exceeded",
    )
    client.get_repository()
    assert len(sleeps) == 1
    assert 25 <= sleeps[0] <= 32


def test_secondary_rate_limit_without_headers_backs_off_a_minute_then_more(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    fake.fail(
        "GET",
        r"^/repos/[^/]+/[^/]+$",
        403,
        message="You have exceeded a secondary rate limit",
        times=2,
    )
    client.get_repository()
    assert sleeps == [60.0, 120.0]


def test_a_rate_limit_far_away_fails_at_once(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    reset = int(time.time()) + 3600
    fake.fail(
        "GET",
        r"^/repos/[^/]+/[^/]+$",
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    with pytest.raises(GitHubError, match="rate limited") as info:
        client.get_repository()
    assert info.value.status == 403
    assert sleeps == []


def test_forbidden_names_the_missing_permission(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.state.read_only = True
    with pytest.raises(GitHubError) as info:
        client.create_issue_comment(2, "hello")
    assert info.value.status == 403
    message = str(info.value)
    assert "comment on pull request #2" in message
    assert "Resource not accessible by integration" in message
    assert "pull-requests: write" in message


def test_artifact_calls_name_actions_read(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.fail("GET", r"/actions/artifacts$", 403, message="Resource not accessible")
    with pytest.raises(GitHubError, match="actions: read"):
        list(client.list_artifacts("seedgate-baseline"))


def test_links_to_another_host_are_not_followed(client: GitHubClient) -> None:
    with pytest.raises(GitHubError, match="another host"):
        client._url("https://evil.example.com/repos/x/y")


def test_the_fake_rejects_requests_github_would_reject(fake: FakeGitHub) -> None:
    answer = requests.post(
        f"{fake.url}/repos/{OWNER}/Hello-World/issues/2/comments", json={"text": "x"}, timeout=5
    )
    assert answer.status_code == 400
    assert len(fake.errors) == 1
    fake.errors.clear()  # expected here; the fixture checks that nothing else failed


def test_ghes_api_root() -> None:
    sleeps: list[float] = []
    with FakeGitHub(ghes=True) as fake:
        assert fake.url.endswith("/api/v3")
        client = make_client(fake.url, sleeps)
        assert client.get_repository()["id"] == REPO_ID
        client.create_issue_comment(3, "on GHES")
        assert [c["body"] for c in client.list_issue_comments(3)] == ["on GHES"]
        assert all(r.path.startswith("/api/v3/") for r in fake.requests)
    assert fake.errors == []
