"""A thin client for the few GitHub REST calls seedgate makes.

One ``requests.Session`` (passed in, so tests point it at a local server), the headers
GitHub asks for, a timeout on every call, bounded retries with exponential back-off for
5xx answers and connection errors, rate limits honoured (``retry-after``, else
``x-ratelimit-reset`` when ``x-ratelimit-remaining`` is 0, else at least 60 s), and
errors that name the call and the permission it needs.

A POST is never retried blindly: after a 5xx or a broken connection GitHub may have
created the comment anyway, so the caller looks before it posts again
(``seedgate.github.publish``). Every answer's body is read with a size cap
(``max_body_bytes``; downloads have their own) and a deadline, so a server that trickles
a byte at a time or answers 400 MB of JSON cannot hold the job or fill its memory; a call
with all its retries and waits has an overall deadline too.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from seedgate import __version__
from seedgate.errors import GitHubError
from seedgate.github import responses

API_VERSION = "2022-11-28"
DEFAULT_API_URL = "https://api.github.com"
PERMISSION_COMMENTS = "pull-requests: write"
PERMISSION_ARTIFACTS = "actions: read"
PERMISSION_CONTENTS = "contents: read"
PERMISSION_CHECKS = "checks: write"
PERMISSION_CHECKS_READ = "checks: read"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait. ``sleep`` is injectable so tests never sleep."""

    attempts: int = 4  # tries per call for 5xx and connection errors
    backoff_s: float = 1.0  # first back-off; doubles each time
    rate_limit_attempts: int = 3  # waits for a rate limit before giving up
    rate_limit_floor_s: float = 60.0  # when GitHub gives no time to wait
    max_wait_s: float = 300.0  # a longer wait is not worth holding a CI job: fail instead
    timeout_s: float = 30.0
    download_deadline_s: float = 600.0  # the whole artifact, however slowly it arrives
    body_deadline_s: float = 120.0  # one JSON answer, however slowly it arrives
    max_body_bytes: int = 16 << 20  # one JSON answer (a page of 100 artifacts is ~100 kB)
    call_deadline_s: float = 1200.0  # one call with all its retries and waits
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)


class GitHubClient:
    """Calls on one repository. The token is sent only to the API's own origin."""

    def __init__(
        self,
        *,
        token: str,
        repository: str,
        api_url: str = DEFAULT_API_URL,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        max_pages: int = 20,
    ) -> None:
        owner, _, name = repository.partition("/")
        if not owner or not name or "/" in name:
            raise GitHubError(f"repository {repository!r}: expected OWNER/NAME")
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.max_pages = max_pages
        self._repo_path = f"/repos/{_quote(owner)}/{_quote(name)}"
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"seedgate/{__version__} (+https://github.com/seedgate)",
            }
        )
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:  # the session's headers hold the token: never show them
        return f"GitHubClient(repository={self.repository!r}, api_url={self.api_url!r})"

    # --- the calls seedgate makes ---------------------------------------------------

    def get_repository(self) -> dict[str, Any]:
        return self._json("GET", self._repo_path, what="read the repository")

    def list_artifacts(self, name: str) -> Iterator[dict[str, Any]]:
        """Artifacts of this name, newest first, page by page."""
        return self.paginate(
            f"{self._repo_path}/actions/artifacts",
            params={"name": name, "per_page": "100"},
            item_key="artifacts",
            what=f"list the artifacts named {name!r}",
            permission=PERMISSION_ARTIFACTS,
        )

    def get_workflow_run(self, run_id: int) -> dict[str, Any]:
        return self._json(
            "GET",
            f"{self._repo_path}/actions/runs/{int(run_id)}",
            what=f"read workflow run {run_id}",
            permission=PERMISSION_ARTIFACTS,
        )

    def download_artifact(self, artifact_id: int, *, max_bytes: int) -> bytes:
        """The artifact's zip. GitHub answers 302 to a signed URL, 410 once it expired.

        The redirect is followed by hand so that the signed URL (another host, which
        rejects it) never receives the Authorization header.
        """
        what = f"download artifact {artifact_id}"
        path = f"{self._repo_path}/actions/artifacts/{int(artifact_id)}/zip"
        response = self._request(
            "GET",
            path,
            what=what,
            permission=PERMISSION_ARTIFACTS,
            allow_redirects=False,
            stream=True,
        )
        deadline = time.monotonic() + self.retry.download_deadline_s
        if response.status_code == 200:  # some servers answer with the zip directly
            return responses.read_limited(response, max_bytes, what, deadline)
        location = response.headers.get("Location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            raise GitHubError(
                f"GitHub API: {what} answered {response.status_code} without a download location",
                status=response.status_code,
            )
        blob = self._send(
            "GET",
            urllib.parse.urljoin(response.url, location),  # a relative Location is allowed
            what=f"{what} (signed URL)",
            permission=None,
            headers={"Authorization": None},
            allow_redirects=True,
            stream=True,
        )
        if "Authorization" in blob.request.headers:  # never expected; refuse loudly
            raise GitHubError(f"{what}: the token would have been sent to the download host")
        return responses.read_limited(blob, max_bytes, what, deadline)

    def list_issue_comments(self, number: int) -> Iterator[dict[str, Any]]:
        return self.paginate(
            f"{self._repo_path}/issues/{int(number)}/comments",
            params={"per_page": "100"},
            item_key=None,
            what=f"list the comments of pull request #{number}",
            permission=PERMISSION_COMMENTS,
        )

    def create_issue_comment(self, number: int, body: str) -> dict[str, Any]:
        return self._json(
            "POST",
            f"{self._repo_path}/issues/{int(number)}/comments",
            what=f"comment on pull request #{number}",
            permission=PERMISSION_COMMENTS,
            body={"body": body},
        )

    def update_issue_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        return self._json(
            "PATCH",
            f"{self._repo_path}/issues/comments/{int(comment_id)}",
            what=f"update comment {comment_id}",
            permission=PERMISSION_COMMENTS,
            body={"body": body},
        )

    def create_check_run(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A check run; ``fields`` as GitHub's "Create a check run" takes them."""
        return self._json(
            "POST",
            f"{self._repo_path}/check-runs",
            what=f"create check run {fields.get('name')!r}",
            permission=PERMISSION_CHECKS,
            body=fields,
        )

    def update_check_run(self, check_run_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._json(
            "PATCH",
            f"{self._repo_path}/check-runs/{int(check_run_id)}",
            what=f"update check run {check_run_id}",
            permission=PERMISSION_CHECKS,
            body=fields,
        )

    def list_check_runs(self, sha: str, name: str) -> Iterator[dict[str, Any]]:
        """The check runs named ``name`` on commit ``sha``, newest first."""
        return self.paginate(
            f"{self._repo_path}/commits/{_quote(sha)}/check-runs",
            params={"check_name": name, "filter": "latest", "per_page": "100"},
            item_key="check_runs",
            what=f"list the check runs {name!r} of commit {sha[:12]}",
            permission=PERMISSION_CHECKS_READ,
        )

    def get_pull_request(self, number: int) -> dict[str, Any]:
        return self._json(
            "GET",
            f"{self._repo_path}/pulls/{int(number)}",
            what=f"read pull request #{number}",
            permission="pull-requests: read",
        )

    def collaborator_permission(self, login: str) -> dict[str, Any]:
        """What ``login`` may do in this repository (``permission``, ``role_name``)."""
        return self._json(
            "GET",
            f"{self._repo_path}/collaborators/{_quote(login)}/permission",
            what=f"read the permission of {login!r}",
            permission=PERMISSION_CONTENTS,
        )

    # --- plumbing ---------------------------------------------------------------------

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, str],
        item_key: str | None,
        what: str,
        permission: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Items of every page, following ``Link: <...>; rel="next"`` (same origin only)."""
        url: str | None = path
        query: Mapping[str, str] | None = params
        for _ in range(self.max_pages):
            if url is None:
                return
            response = self._request("GET", url, what=what, permission=permission, params=query)
            page = responses.decode(response, what)
            items = page.get(item_key) if item_key and isinstance(page, dict) else page
            if not isinstance(items, list):
                raise GitHubError(f"GitHub API: {what} answered an unexpected page shape")
            yield from (item for item in items if isinstance(item, dict))
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query already

    def _json(
        self,
        method: str,
        path: str,
        *,
        what: str,
        permission: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = self._request(method, path, what=what, permission=permission, body=body)
        data = responses.decode(response, what)
        if not isinstance(data, dict):
            raise GitHubError(f"GitHub API: {what} answered {type(data).__name__}, not an object")
        return data

    def _url(self, path_or_url: str) -> str:
        if not path_or_url.startswith(("http://", "https://")):
            return self.api_url + path_or_url
        if responses.origin(path_or_url) != responses.origin(self.api_url):
            raise GitHubError(
                f"GitHub API answered a link to another host ({responses.origin(path_or_url)}); "
                "not following it with the token"
            )
        return path_or_url

    def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        what: str,
        permission: str | None,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        allow_redirects: bool = True,
        stream: bool = False,
    ) -> requests.Response:
        return self._send(
            method,
            self._url(path_or_url),
            what=what,
            permission=permission,
            params=params,
            body=body,
            allow_redirects=allow_redirects,
            stream=stream,
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        permission: str | None,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        allow_redirects: bool = True,
        stream: bool = False,
    ) -> requests.Response:
        """One call, retried as the policy says. ``stream``: the caller reads the body
        (bounded); otherwise it is read here, at most ``max_body_bytes`` in time."""
        policy = self.retry
        tries = _Tries(attempts=policy.attempts if method.upper() != "POST" else 1)
        call_deadline = time.monotonic() + policy.call_deadline_s
        while True:
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers=headers,  # a None value removes a session header
                    timeout=policy.timeout_s,
                    allow_redirects=allow_redirects,
                    stream=True,  # read below, bounded, or by the caller
                )
                if not stream:
                    responses.read_body(
                        response, policy.max_body_bytes, what, policy.body_deadline_s
                    )
            except (requests.ConnectionError, requests.Timeout) as exc:
                tries.failures += 1
                if tries.failures >= tries.attempts:
                    raise GitHubError(
                        f"GitHub API: {what} failed after {tries.failures} tries: "
                        f"{type(exc).__name__} ({responses.origin(url)} unreachable?)"
                    ) from None
                _sleep_within(
                    policy, policy.backoff_s * 2 ** (tries.failures - 1), call_deadline, what
                )
                continue
            wait = self._retry_wait(response, tries, what=what, permission=permission)
            if wait is None:
                return response
            response.close()
            _sleep_within(policy, wait, call_deadline, what)

    def _retry_wait(
        self, response: requests.Response, tries: _Tries, *, what: str, permission: str | None
    ) -> float | None:
        """Seconds to wait before trying again, None for a response to return; raises the
        GitHubError when the answer is final or the tries are spent."""
        policy, status = self.retry, response.status_code
        if status >= 500:
            tries.failures += 1
            if tries.failures >= tries.attempts:
                raise responses.error(response, what, permission)
            return float(policy.backoff_s * 2 ** (tries.failures - 1))
        if responses.is_rate_limited(response):
            wait = responses.rate_limit_wait(
                response, tries.rate_limited, policy.rate_limit_floor_s
            )
            tries.rate_limited += 1
            if wait > policy.max_wait_s:
                raise GitHubError(
                    f"GitHub API: {what} is rate limited (HTTP {status}); the limit resets "
                    f"in {wait:.0f} s, longer than seedgate waits ({policy.max_wait_s:.0f} s)",
                    status=status,
                )
            if tries.rate_limited > policy.rate_limit_attempts:
                raise GitHubError(
                    f"GitHub API: {what} is still rate limited (HTTP {status}) after "
                    f"{policy.rate_limit_attempts} waits; seedgate gives up",
                    status=status,
                )
            return wait
        if status >= 400:
            raise responses.error(response, what, permission)
        return None


@dataclass
class _Tries:
    """What one request has used up: failed tries (network, 5xx) and rate-limit waits."""

    attempts: int
    failures: int = 0
    rate_limited: int = 0


def _sleep_within(policy: RetryPolicy, wait: float, deadline: float, what: str) -> None:
    """Wait before the next try, unless that would pass the call's overall deadline."""
    if time.monotonic() + wait > deadline:
        raise GitHubError(
            f"GitHub API: {what} did not succeed within {policy.call_deadline_s:.0f} s "
            "with its retries; seedgate gives up"
        )
    policy.sleep(wait)


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")
