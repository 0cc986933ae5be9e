"""Accepting a regression on purpose: a label or a `/seedgate accept <reason>` comment.

Runs on the `pull_request_target` (labeled) or `issue_comment` event, whose token may
write, so it never runs or reads the pull request's code: it asks the API whether the
person may write to the repository, finds the gate's failing check run on the pull
request's head commit, turns it green and records who, when, why and which commit in the
check and in the sticky comment. A new push gets a new check run from the gate: the
acceptance does not carry over.

Steps: request (from the event) -> permission -> head commit -> check run -> record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from seedgate.action.check import VERDICT_ID_PREFIX
from seedgate.action.services import Services
from seedgate.action.settings import ActionSettings
from seedgate.errors import ExitCode, GitHubError
from seedgate.github.checks import Conclusion, latest_check_run
from seedgate.github.publish import find_sticky_comment
from seedgate.report import comment_marker
from seedgate.report.checks import (
    ACCEPTED_MARK,
    Acceptance,
    acceptance_record,
    accepted_summary,
    accepted_title,
    already_accepted_text,
    late_comment_text,
    no_check_text,
    no_reason_text,
    not_failing_text,
    refused_text,
)

COMMAND = re.compile(r"/seedgate[ \t]+accept(?:[ \t]+(?P<reason>.*))?", re.IGNORECASE)
WRITE_PERMISSIONS = ("admin", "write")  # `permission` folds maintain into write


@dataclass(frozen=True)
class Request:
    """An acceptance asked for by ``login`` on pull request ``number``."""

    login: str
    reason: str
    how: str
    number: int
    head_sha: str | None  # known from a label event; a comment's is read from the API
    asked_at: datetime | None  # when the comment was written


def accept_step(settings: ActionSettings, services: Services) -> ExitCode:
    request = read_request(settings)
    if request is None:
        services.say("this event asks for no acceptance: nothing to do")
        return ExitCode.OK
    services.say(f"@{request.login} asks to accept a regression on #{request.number}")
    if not request.reason:
        return _reply(services, request, no_reason_text())
    client = services.github.client
    permission = _permission(client.collaborator_permission(request.login))
    if permission not in WRITE_PERMISSIONS:
        return _reply(services, request, refused_text(request.login, permission))
    sha = request.head_sha or _head_sha(client.get_pull_request(request.number))
    check = latest_check_run(client, sha, settings.check_name)
    if check is None:
        return _reply(services, request, no_check_text(settings.check_name, sha))
    if check.get("external_id") == ACCEPTED_MARK:
        return _reply(services, request, already_accepted_text(sha))
    if check.get("conclusion") != Conclusion.FAILURE.value:
        conclusion = str(check.get("conclusion") or check.get("status"))
        return _reply(services, request, not_failing_text(settings.check_name, sha, conclusion))
    if _after(check.get("completed_at"), request.asked_at):
        return _reply(services, request, late_comment_text(sha))
    acceptance = Acceptance(
        login=request.login,
        when=datetime.now(tz=UTC),
        reason=request.reason,
        commit=sha,
        how=request.how,
        verdict=_verdict(check),
    )
    _accept_check(services, check, acceptance)
    _record_in_comment(settings, services, request.number, acceptance)
    services.say(f"regression on {sha[:12]} accepted by @{request.login}")
    return ExitCode.OK


def read_request(settings: ActionSettings) -> Request | None:
    """The acceptance this event asks for, or None (another label, another comment)."""
    event = settings.context.event
    if settings.context.event_name == "issue_comment":
        return _comment_request(event)
    if event.get("action") == "labeled":
        return _label_request(event, settings.accept_label)
    return None


def _comment_request(event: Mapping[str, Any]) -> Request | None:
    comment, issue = _mapping(event, "comment"), _mapping(event, "issue")
    if event.get("action") != "created" or "pull_request" not in issue:
        return None  # an edit, or a comment on an issue that is no pull request
    body = comment.get("body")
    first_line = body.strip().splitlines()[0] if isinstance(body, str) and body.strip() else ""
    match = COMMAND.fullmatch(first_line.strip())
    login, number = _mapping(comment, "user").get("login"), issue.get("number")
    if match is None or not isinstance(login, str) or not isinstance(number, int):
        return None
    return Request(
        login=login,
        reason=(match.group("reason") or "").strip(),
        how="comment /seedgate accept",
        number=number,
        head_sha=None,
        asked_at=_time(comment.get("created_at")),
    )


def _label_request(event: Mapping[str, Any], label: str) -> Request | None:
    pull = _mapping(event, "pull_request")
    name = _mapping(event, "label").get("name")
    login = _mapping(event, "sender").get("login")
    number, sha = pull.get("number"), _mapping(pull, "head").get("sha")
    if name != label or not isinstance(login, str) or not isinstance(number, int):
        return None
    return Request(
        login=login,
        reason=f"labelled {label!r}",
        how=f"label {label!r}",
        number=number,
        head_sha=sha if isinstance(sha, str) and sha else None,
        asked_at=None,  # the label event carries the head commit it was given on
    )


def _accept_check(services: Services, check: Mapping[str, Any], acceptance: Acceptance) -> None:
    output = _mapping(check, "output")
    summary = output.get("summary")
    services.github.client.update_check_run(
        int(check["id"]),
        {
            "status": "completed",
            "conclusion": Conclusion.SUCCESS.value,
            "external_id": ACCEPTED_MARK,
            "output": {
                "title": accepted_title(acceptance),
                "summary": accepted_summary(
                    acceptance, summary if isinstance(summary, str) else ""
                ),
            },
        },
    )


def _record_in_comment(
    settings: ActionSettings, services: Services, number: int, acceptance: Acceptance
) -> None:
    """The record goes under the sticky comment's marker; without one, in a new comment."""
    client, marker = services.github.client, comment_marker(settings.comment_id)
    record = acceptance_record(acceptance)
    sticky = find_sticky_comment(client, number, marker, author=settings.comment_author)
    if sticky is None:
        client.create_issue_comment(number, record)
        return
    body = str(sticky.get("body") or "")
    head, _, rest = body.partition(marker)
    client.update_issue_comment(int(sticky["id"]), f"{head}{marker}\n{record}\n{rest}")


def _reply(services: Services, request: Request, text: str) -> ExitCode:
    """Say why nothing changed, in the log and on the pull request."""
    services.say(text)
    try:
        services.github.client.create_issue_comment(request.number, text)
    except GitHubError as exc:
        services.warn(f"{text} (the reply could not be posted: {exc})", title="accept")
    return ExitCode.OK


def _permission(answer: Mapping[str, Any]) -> str:
    value = answer.get("permission")
    return value if isinstance(value, str) else "none"


def _head_sha(pull: Mapping[str, Any]) -> str:
    sha = _mapping(pull, "head").get("sha")
    if not isinstance(sha, str) or not sha:
        raise GitHubError("GitHub API: the pull request has no head commit")
    return sha


def _verdict(check: Mapping[str, Any]) -> str:
    external = check.get("external_id")
    if isinstance(external, str) and external.startswith(VERDICT_ID_PREFIX):
        return external.removeprefix(VERDICT_ID_PREFIX)
    return "failing"


def _after(completed_at: object, asked_at: datetime | None) -> bool:
    """Whether the check finished after the comment was written: its writer cannot have
    seen that result (a push landed in between)."""
    done = _time(completed_at)
    return done is not None and asked_at is not None and done > asked_at


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}
