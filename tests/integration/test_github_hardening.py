"""The GitHub layer under hostile or unlucky conditions, against the fake GitHub server."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
import requests

from seedgate.errors import GitHubError
from seedgate.github.client import GitHubClient, RetryPolicy
from seedgate.github.publish import CommentMode, publish_comment
from seedgate.records import Verdict
from tests.testing.github_fake import OWNER, FakeGitHub

TOKEN = "ghs_hardening_test_token_123456"
MARKER = "<!-- seedgate:comment-id=default -->"
PR = 7


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server
    assert server.errors == [], server.errors


def make_client(fake: FakeGitHub, **policy: float) -> GitHubClient:
    retry = RetryPolicy(sleep=lambda _: None, timeout_s=5.0, **policy)  # type: ignore[arg-type]
    return GitHubClient(
        token=TOKEN,
        repository=f"{OWNER}/Hello-World",
        api_url=fake.url,
        session=requests.Session(),
        retry=retry,
    )


def publish(client: GitHubClient, body: str, **kwargs: str) -> str:
    result = publish_comment(
        client,
        PR,
        body=body,
        marker=MARKER,
        mode=CommentMode.ALWAYS,
        verdict=Verdict.NO_CHANGE,
        **kwargs,
    )
    return result.action


# --- only seedgate's own comment is adopted -------------------------------------------------


def test_a_forged_marker_comment_by_someone_else_is_left_alone(fake: FakeGitHub) -> None:
    forged = fake.add_comment(PR, f"{MARKER} trust me", user="mallory")
    bot_impostor = fake.add_comment(PR, f"{MARKER} me too", user="github-actions")

    assert publish(make_client(fake), f"{MARKER} the real report") == "created"

    comments = {c.id: c for c in fake.comments(PR)}
    assert comments[forged.id].body == f"{MARKER} trust me"
    assert comments[bot_impostor.id].body == f"{MARKER} me too"
    ours = [c for c in comments.values() if c.user == "github-actions[bot]"]
    assert [c.body for c in ours] == [f"{MARKER} the real report"]
    assert not [r for r in fake.requests if r.method == "PATCH"]


def test_our_own_comment_is_updated_in_place(fake: FakeGitHub) -> None:
    fake.add_comment(PR, f"{MARKER} someone's copy", user="mallory")
    ours = fake.add_comment(PR, f"{MARKER} old report", user="github-actions[bot]")

    assert publish(make_client(fake), f"{MARKER} new report") == "updated"

    assert {c.id: c.body for c in fake.comments(PR)}[ours.id] == f"{MARKER} new report"
    assert len(fake.comments(PR)) == 2


def test_a_custom_token_adopts_the_comments_of_its_own_account(fake: FakeGitHub) -> None:
    ours = fake.add_comment(PR, f"{MARKER} old", user="release-bot-user")
    fake.add_comment(PR, f"{MARKER} by actions", user="github-actions[bot]")

    action = publish(make_client(fake), f"{MARKER} new", author="Release-Bot-User")

    assert action == "updated"  # logins compare case-insensitively, as GitHub's do
    assert {c.id: c.body for c in fake.comments(PR)}[ours.id] == f"{MARKER} new"


# --- a POST is never repeated blindly ------------------------------------------------------


def test_a_comment_created_behind_a_502_is_not_posted_twice(fake: FakeGitHub) -> None:
    fake.fail("POST", r"/issues/\d+/comments$", 502, after=True)

    assert publish(make_client(fake), f"{MARKER} report") == "created"

    assert [c.body for c in fake.comments(PR)] == [f"{MARKER} report"]
    posts = [r for r in fake.requests if r.method == "POST"]
    assert len(posts) == 1


def test_a_comment_lost_behind_a_502_is_posted_once_more(fake: FakeGitHub) -> None:
    fake.fail("POST", r"/issues/\d+/comments$", 502)

    assert publish(make_client(fake), f"{MARKER} report") == "created"

    assert [c.body for c in fake.comments(PR)] == [f"{MARKER} report"]
    methods = [r.method for r in fake.requests]
    assert methods == ["GET", "POST", "GET", "POST"]  # looked before posting again


def test_a_post_that_fails_twice_is_an_error_not_a_loop(fake: FakeGitHub) -> None:
    fake.fail("POST", r"/issues/\d+/comments$", 503, times=5)
    with pytest.raises(GitHubError) as info:
        publish(make_client(fake), f"{MARKER} report")
    assert info.value.status == 503
    assert len([r for r in fake.requests if r.method == "POST"]) == 2


def test_a_refused_post_is_not_looked_for_again(fake: FakeGitHub) -> None:
    fake.state.read_only = True
    with pytest.raises(GitHubError) as info:
        publish(make_client(fake), f"{MARKER} report")
    assert info.value.status == 403
    assert [r.method for r in fake.requests] == ["GET", "POST"]


# --- downloads ----------------------------------------------------------------------------


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("baseline.json", "{}" + " " * 400)
    return buffer.getvalue()


def test_a_trickling_download_fails_at_its_deadline(fake: FakeGitHub) -> None:
    fake.add_run(1)
    fake.add_artifact(9, run_id=1, data=_zip())  # ~0.5 KB at 2 bytes/s: minutes
    fake.state.trickle_s = 0.5
    client = make_client(fake, download_deadline_s=1.0)

    with pytest.raises(GitHubError, match="did not finish in time"):
        client.download_artifact(9, max_bytes=1 << 20)


def test_a_relative_location_is_resolved_against_the_request(fake: FakeGitHub) -> None:
    fake.add_run(1)
    data = _zip()
    fake.add_artifact(9, run_id=1, data=data)
    fake.state.relative_redirect = True

    assert make_client(fake).download_artifact(9, max_bytes=1 << 20) == data

    blob = [r for r in fake.requests if "/_blob/" in r.path]
    assert len(blob) == 1
    assert blob[0].status == 200
    assert "Authorization" not in blob[0].headers


# --- bounded answers: size, rate limits, time ---------------------------------------------


def test_an_answer_larger_than_the_cap_is_refused_not_held_in_memory(fake: FakeGitHub) -> None:
    client = make_client(fake, max_body_bytes=200)  # the repository's JSON is ~24 kB
    with pytest.raises(GitHubError, match=r"read the repository: \d+ bytes, more than the 200"):
        client.get_repository()


def test_a_short_rate_limit_that_persists_says_so_not_that_it_is_too_long(
    fake: FakeGitHub,
) -> None:
    fake.fail("GET", r"/repos/[^/]+/[^/]+$", 429, headers={"retry-after": "2"}, times=10)
    with pytest.raises(GitHubError) as caught:
        make_client(fake, rate_limit_attempts=2).get_repository()
    assert str(caught.value) == (
        "GitHub API: read the repository is still rate limited (HTTP 429) after 2 waits; "
        "seedgate gives up"
    )


def test_a_rate_limit_longer_than_seedgate_waits_names_both_times(fake: FakeGitHub) -> None:
    fake.fail("GET", r"/repos/[^/]+/[^/]+$", 429, headers={"retry-after": "3600"})
    with pytest.raises(
        GitHubError, match=r"resets in 3600 s, longer than seedgate waits \(300 s\)"
    ):
        make_client(fake).get_repository()


def test_retries_stop_at_the_calls_overall_deadline(fake: FakeGitHub) -> None:
    fake.fail("GET", r"/repos/[^/]+/[^/]+$", 429, headers={"retry-after": "120"}, times=10)
    with pytest.raises(GitHubError, match="did not succeed within 100 s with its retries"):
        make_client(fake, call_deadline_s=100.0).get_repository()
    assert len(fake.requests) == 1  # it gave up instead of waiting past the deadline
