"""Where the answer goes on GitHub: the sticky PR comment and sizes that fit.

The comment is found by the report's hidden marker (which includes ``comment-id``, so
several gated models or matrix jobs keep separate comments) and updated in place. Anyone
can write the marker into a comment, so a comment counts as seedgate's only when its
author is also the identity behind the token (``github-actions[bot]`` for the job's
``GITHUB_TOKEN``; the account's login, or ``<app-slug>[bot]``, for a custom token);
a forged one is left alone and a new comment is posted.

Creating a comment is not idempotent: when the POST fails with a 5xx or a broken
connection, GitHub may have created it all the same, so seedgate looks for its marker
before it posts once more.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from seedgate.errors import GitHubError
from seedgate.github.client import GitHubClient
from seedgate.github.commands import STEP_SUMMARY_LIMIT_BYTES
from seedgate.records import Verdict

COMMENT_LIMIT_CHARS = 65_536  # characters in a PR comment body
GITHUB_ACTIONS_BOT = "github-actions[bot]"  # the author of comments made with GITHUB_TOKEN
# the runner's cap, less room for what other steps append
SUMMARY_LIMIT_BYTES = STEP_SUMMARY_LIMIT_BYTES - 4096
HTTP_FORBIDDEN = 403
HTTP_SERVER_ERROR = 500
MIN_RENDER_CAP = 1000


class CommentMode(str, enum.Enum):
    ALWAYS = "always"
    ON_CHANGE = "on-change"  # only for a regression or improvement, or to update one
    NEVER = "never"


@dataclass(frozen=True)
class CommentResult:
    action: str  # "created", "updated", "skipped"
    url: str | None
    comment_id: int | None


def is_authored_by(comment: Mapping[str, Any], author: str) -> bool:
    """Whether ``author`` (a login; ``name[bot]`` for apps) wrote ``comment``."""
    user = comment.get("user")
    if not isinstance(user, Mapping):
        return False
    login = user.get("login")
    if not isinstance(login, str) or login.lower() != author.lower():
        return False
    return not author.endswith("[bot]") or user.get("type") == "Bot"


def find_sticky_comment(
    client: GitHubClient, number: int, marker: str, *, author: str = GITHUB_ACTIONS_BOT
) -> dict[str, Any] | None:
    """The first comment on the pull request by ``author`` whose body carries ``marker``."""
    for comment in client.list_issue_comments(number):
        body = comment.get("body")
        if isinstance(body, str) and marker in body and is_authored_by(comment, author):
            return comment
    return None


def wants_new_comment(mode: CommentMode, verdict: Verdict) -> bool:
    if mode is CommentMode.ALWAYS:
        return True
    if mode is CommentMode.ON_CHANGE:
        return verdict in (Verdict.REGRESSION, Verdict.IMPROVEMENT)
    if mode is CommentMode.NEVER:
        return False
    raise AssertionError(mode)  # pragma: no cover - closed enum


def publish_comment(
    client: GitHubClient,
    number: int,
    *,
    body: str,
    marker: str,
    mode: CommentMode,
    verdict: Verdict,
    author: str = GITHUB_ACTIONS_BOT,
) -> CommentResult:
    """Create or update the sticky comment that ``author`` wrote, as ``mode`` allows."""
    if mode is CommentMode.NEVER:
        return CommentResult("skipped", None, None)
    if marker not in body:
        raise ValueError("the comment body lacks its marker: it could never be found again")
    existing = find_sticky_comment(client, number, marker, author=author)
    if existing is not None:
        updated = client.update_issue_comment(int(existing["id"]), body)
        return CommentResult("updated", _html_url(updated), int(existing["id"]))
    if not wants_new_comment(mode, verdict):
        return CommentResult("skipped", None, None)
    return _create_once(client, number, body=body, marker=marker, author=author)


def _create_once(
    client: GitHubClient, number: int, *, body: str, marker: str, author: str
) -> CommentResult:
    """POST the comment; after an unclear failure, look for it before posting again."""
    try:
        created = client.create_issue_comment(number, body)
    except GitHubError as exc:
        if not _may_have_landed(exc):
            raise
        landed = find_sticky_comment(client, number, marker, author=author)
        if landed is not None:
            if landed.get("body") != body:
                landed = client.update_issue_comment(int(landed["id"]), body)
            return CommentResult("created", _html_url(landed), _int_or_none(landed.get("id")))
        created = client.create_issue_comment(number, body)
    return CommentResult("created", _html_url(created), _int_or_none(created.get("id")))


def _may_have_landed(error: GitHubError) -> bool:
    """A 5xx or no answer at all: GitHub may have carried the request out."""
    return error.status is None or error.status >= HTTP_SERVER_ERROR


def is_read_only_token(error: GitHubError) -> bool:
    return error.status == HTTP_FORBIDDEN


def fit_to_bytes(render: Callable[[int], str], limit_bytes: int) -> str:
    """Render with a character cap small enough that the UTF-8 text fits ``limit_bytes``.

    When even a small cap renders too much (a renderer that ignores it), the text is cut
    at the byte limit, on a character boundary, rather than failing the gate.
    """
    cap = limit_bytes
    while True:
        text = render(cap)
        size = len(text.encode("utf-8"))
        if size <= limit_bytes:
            return text
        if cap <= MIN_RENDER_CAP:
            return _cut_to_bytes(text, limit_bytes)
        cap = max(MIN_RENDER_CAP, min(cap - 1, int(cap * limit_bytes / size * 0.95)))


def _cut_to_bytes(text: str, limit_bytes: int) -> str:
    note = "\n\n_(cut to fit GitHub's size limit)_\n"
    room = max(0, limit_bytes - len(note.encode("utf-8")))
    head = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return head + note if len(note.encode("utf-8")) <= limit_bytes else head


def _html_url(comment: dict[str, Any]) -> str | None:
    url = comment.get("html_url")
    return url if isinstance(url, str) else None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
