"""A local stand-in for the GitHub REST API, checked against GitHub's own OpenAPI description.

Two real HTTP servers on 127.0.0.1 (``http.server`` in threads):

- the API: repository, artifacts (with ``workflow_run`` objects), workflow runs, artifact
  download (302 to the blob server, 410 when expired), issue comments (list, create,
  update), pull request. Every request we receive is validated against
  ``tests/data/github/openapi`` (a request that does not match answers 400 and is
  recorded as an error), and so is every documented response it sends. Pagination
  ``Link`` headers use the real ``/repositories/{id}/...`` form, normalised back to
  ``/repos/{owner}/{repo}/...`` before validating.
- the blob store: answers 401 when a request carries an ``Authorization`` header, as the
  signed artifact URLs do.

Response bodies start from the examples in the OpenAPI description (data written by
GitHub) and are overlaid with the fields a test sets. Faults (5xx, rate limits) are
injected per route; their bodies are not validated because GitHub documents none.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

if TYPE_CHECKING:
    from typing import Self

SHARED = Path(__file__).resolve().parents[1] / "data" / "github"  # vendored, see its README
SPEC_GITHUB_COM = SHARED / "openapi" / "api.github.com.json"
SPEC_GHES = SHARED / "openapi" / "ghes-3.19.json"
EVENTS = SHARED / "events"

OWNER, NAME = "Codertocat", "Hello-World"  # as in the event payloads
REPO_ID = 186853002
FORK_REPO_ID = 999_000_111
DEFAULT_BRANCH = "master"


@functools.cache
def _spec_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_spec(path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(_spec_text(path))
    return spec


# --- data from GitHub's examples ------------------------------------------------------------


class Examples:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._examples = spec["components"]["examples"]

    def value(self, name: str) -> Any:
        return copy.deepcopy(self._examples[name]["value"])


def _repo_urls(repo: dict[str, Any], api: str, full_name: str) -> None:
    for key, value in list(repo.items()):
        if isinstance(value, str) and "api.github.com/repos/octocat/Hello-World" in value:
            repo[key] = value.replace(
                "https://api.github.com/repos/octocat/Hello-World", f"{api}/repos/{full_name}"
            )


@dataclass
class Comment:
    id: int
    body: str
    user: str = "github-actions[bot]"


@dataclass
class CheckRun:
    """A check run as GitHub keeps it: the latest fields, every annotation sent."""

    id: int
    fields: dict[str, Any]
    annotations: list[dict[str, Any]] = field(default_factory=list)
    patches: int = 0

    @property
    def conclusion(self) -> str | None:
        value = self.fields.get("conclusion")
        return value if isinstance(value, str) else None

    @property
    def output(self) -> dict[str, Any]:
        value = self.fields.get("output")
        return value if isinstance(value, dict) else {}


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    times: int
    after: bool = False  # the request is carried out, then answered with the fault


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0


@dataclass
class State:
    repository_id: int = REPO_ID
    default_branch: str = DEFAULT_BRANCH
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[int, bytes] = field(default_factory=dict)
    comments: dict[int, list[Comment]] = field(default_factory=dict)
    read_only: bool = False  # a fork's token: writes answer 403
    max_per_page: int = 100
    next_comment_id: int = 1_000_001
    relative_redirect: bool = False  # the download's Location is a path on the API server
    trickle_s: float = 0.0  # the blob server sends one byte per this many seconds
    check_runs: list[CheckRun] = field(default_factory=list)
    checks_forbidden: bool = False  # a token without `checks: write`
    permissions: dict[str, str] = field(default_factory=dict)  # login -> admin/write/read/none
    pull_heads: dict[int, str] = field(default_factory=dict)  # PR number -> head commit


class FakeGitHub:
    """The API and blob servers plus their state. Use as a context manager."""

    def __init__(self, *, ghes: bool = False) -> None:
        self.ghes = ghes
        self.spec = load_spec(SPEC_GHES if ghes else SPEC_GITHUB_COM)
        self.examples = Examples(self.spec)
        self.state = State()
        self.requests: list[Recorded] = []
        self.blob_requests: list[Recorded] = []
        self.errors: list[str] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._api = _Server(self._handle_api)
        self._blob = _Server(self._handle_blob)
        self.prefix = "/api/v3" if ghes else ""
        self.url = f"http://127.0.0.1:{self._api.port}{self.prefix}"
        self.blob_url = f"http://127.0.0.1:{self._blob.port}"
        self.spec["servers"] = [{"url": self.url}]
        self._openapi = OpenAPI.from_dict(self.spec)
        self._created = 0

    def __enter__(self) -> Self:
        self._api.start()
        self._blob.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._api.stop()
        self._blob.stop()

    # --- test set-up ------------------------------------------------------------------------

    def add_run(
        self,
        run_id: int,
        *,
        event: str = "push",
        conclusion: str = "success",
        head_branch: str = DEFAULT_BRANCH,
        head_sha: str = "a" * 40,
        head_repository_id: int = REPO_ID,
    ) -> dict[str, Any]:
        run: dict[str, Any] = self.examples.value("workflow-run")
        run.update(
            id=run_id,
            event=event,
            conclusion=conclusion,
            status="completed",
            head_branch=head_branch,
            head_sha=head_sha,
        )
        run["repository"]["id"] = self.state.repository_id
        run["repository"]["full_name"] = f"{OWNER}/{NAME}"
        run["head_repository"]["id"] = head_repository_id
        if head_repository_id != self.state.repository_id:
            run["head_repository"]["full_name"] = f"forker/{NAME}"
        with self._lock:
            self.state.runs[run_id] = run
        return run

    def add_artifact(
        self,
        artifact_id: int,
        *,
        run_id: int,
        data: bytes,
        name: str = "seedgate-baseline",
        expired: bool = False,
        gone: bool = False,
    ) -> dict[str, Any]:
        """An artifact of an existing run; ``gone`` answers 410 though the list says fresh."""
        run = self.state.runs[run_id]
        template: dict[str, Any] = self.examples.value("artifact-paginated")["artifacts"][0]
        self._created += 1
        created = f"2024-01-{10 + self._created:02d}T12:00:00Z"
        template.update(
            id=artifact_id,
            name=name,
            size_in_bytes=len(data),
            expired=expired,
            created_at=created,
            updated_at=created,
            url=f"{self.url}/repos/{OWNER}/{NAME}/actions/artifacts/{artifact_id}",
            archive_download_url=f"{self.url}/repos/{OWNER}/{NAME}/actions/artifacts/"
            f"{artifact_id}/zip",
            workflow_run={
                "id": run_id,
                "repository_id": run["repository"]["id"],
                "head_repository_id": run["head_repository"]["id"],
                "head_branch": run["head_branch"],
                "head_sha": run["head_sha"],
            },
        )
        with self._lock:
            self.state.artifacts.insert(0, template)  # newest first, like GitHub
            if not (expired or gone):
                self.state.blobs[artifact_id] = data
        return template

    def fail(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        headers: Mapping[str, str] | None = None,
        message: str = "injected fault",
        times: int = 1,
        after: bool = False,
    ) -> None:
        """Answer ``status`` to matching requests; ``after``: carry the request out first
        (GitHub created the comment, then the answer was lost in a 502)."""
        self.faults.append(
            Fault(
                method.upper(),
                re.compile(path_pattern),
                status,
                dict(headers or {}),
                {"message": message},
                times,
                after,
            )
        )

    def comments(self, number: int) -> list[Comment]:
        with self._lock:
            return [dataclasses.replace(c) for c in self.state.comments.get(number, [])]

    def add_comment(self, number: int, body: str, user: str = "someone") -> Comment:
        """A comment by ``user``; a login ending in ``[bot]`` is a Bot account."""
        with self._lock:
            comment = Comment(self.state.next_comment_id, body, user)
            self.state.next_comment_id += 1
            self.state.comments.setdefault(number, []).append(comment)
            return comment

    def check_runs(self, name: str | None = None) -> list[CheckRun]:
        with self._lock:
            return [
                copy.deepcopy(c) for c in self.state.check_runs if name in (None, c.fields["name"])
            ]

    def all_request_text(self) -> str:
        """Everything the client sent except the Authorization header, for leak checks."""
        parts = []
        for rec in [*self.requests, *self.blob_requests]:
            headers = {k: v for k, v in rec.headers.items() if k.lower() != "authorization"}
            parts += [
                rec.path,
                json.dumps(rec.query),
                json.dumps(headers),
                rec.body.decode("utf-8", "replace"),
            ]
        return "\n".join(parts)

    # --- the API ----------------------------------------------------------------------------

    def _handle_api(self, handler: BaseHTTPRequestHandler, body: bytes) -> _Answer:
        parts = urllib.parse.urlsplit(handler.path)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        rec = Recorded(handler.command, parts.path, query, dict(handler.headers.items()), body)
        with self._lock:
            self.requests.append(rec)
        path = parts.path
        if not path.startswith(self.prefix + "/"):
            return self._record(rec, _Answer(404, {"message": "Not Found"}))
        path = _normalise(path[len(self.prefix) :], self.state.repository_id)
        if path.startswith("/_blob/"):  # where a relative download Location points
            return self._record(rec, self._blob_answer(handler, parts.path[len(self.prefix) :]))
        spec_request = _SpecRequest(
            self.url,
            path,
            method=handler.command,
            query=query,
            headers=dict(handler.headers.items()),
            body=body,
        )
        problem = self._validate_request(spec_request)
        if problem:
            self.errors.append(f"request {handler.command} {path}: {problem}")
            return self._record(rec, _Answer(400, {"message": f"invalid request: {problem}"}))
        fault = self._take_fault(handler.command, path)
        if fault is not None:
            if fault.after:
                self._route(handler.command, path, query, body)
            return self._record(
                rec, _Answer(fault.status, fault.body, fault.headers, validate=False)
            )
        answer = self._route(handler.command, path, query, body)
        if answer.validate:
            problem = self._validate_response(spec_request, answer)
            if problem:
                self.errors.append(f"response {handler.command} {path} {answer.status}: {problem}")
        return self._record(rec, answer)

    def _record(self, rec: Recorded, answer: _Answer) -> _Answer:
        rec.status = answer.status
        return answer

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path.search(path):
                    fault.times -= 1
                    return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> _Answer:
        base = f"/repos/{OWNER}/{NAME}"
        if method == "GET" and path == base:
            return _Answer(200, self._repository())
        if method == "GET" and path == f"{base}/actions/artifacts":
            name = query.get("name", [None])[0]
            items = [a for a in self.state.artifacts if name is None or a["name"] == name]
            return self._page(path, query, items, "artifacts")
        if m := re.fullmatch(rf"{base}/actions/runs/(\d+)", path):
            run = self.state.runs.get(int(m.group(1)))
            return _Answer(200, run) if run else _Answer(404, _not_found())
        if m := re.fullmatch(rf"{base}/actions/artifacts/(\d+)/zip", path):
            return self._download(int(m.group(1)))
        if m := re.fullmatch(rf"{base}/issues/(\d+)/comments", path):
            number = int(m.group(1))
            if method == "GET":
                items = [self._comment_json(c, number) for c in self.comments(number)]
                return self._page(path, query, items, None)
            return self._create_comment(number, body)
        if (m := re.fullmatch(rf"{base}/issues/comments/(\d+)", path)) and method == "PATCH":
            return self._update_comment(int(m.group(1)), body)
        if m := re.fullmatch(rf"{base}/pulls/(\d+)", path):
            pull = self.examples.value("pull-request")
            pull["number"] = int(m.group(1))
            if head := self.state.pull_heads.get(int(m.group(1))):
                pull["head"]["sha"] = head
            return _Answer(200, pull, validate=False)  # GitHub's own example misses a field
        if path == f"{base}/check-runs" and method == "POST":
            return self._create_check_run(body)
        if (m := re.fullmatch(rf"{base}/check-runs/(\d+)", path)) and method == "PATCH":
            return self._update_check_run(int(m.group(1)), body)
        if m := re.fullmatch(rf"{base}/commits/([^/]+)/check-runs", path):
            return self._list_check_runs(m.group(1), query)
        if m := re.fullmatch(rf"{base}/collaborators/([^/]+)/permission", path):
            return self._permission(urllib.parse.unquote(m.group(1)))
        return _Answer(404, _not_found(), validate=False)

    def _repository(self) -> dict[str, Any]:
        repo: dict[str, Any] = self.examples.value("full-repository-default-response")
        repo.update(
            id=self.state.repository_id,
            name=NAME,
            full_name=f"{OWNER}/{NAME}",
            default_branch=self.state.default_branch,
            language="Python",
        )
        repo["owner"]["login"] = OWNER
        repo.get("source", {}).setdefault("language", None)
        repo.get("parent", {}).setdefault("language", None)
        _repo_urls(repo, self.url, f"{OWNER}/{NAME}")
        return repo

    def _page(
        self, path: str, query: dict[str, list[str]], items: list[Any], key: str | None
    ) -> _Answer:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100, self.state.max_per_page)
        page = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        other = {k: v[0] for k, v in query.items() if k != "page"}
        repo_path = path.replace(
            f"/repos/{OWNER}/{NAME}", f"/repositories/{self.state.repository_id}"
        )
        for rel, number in (("next", page + 1), ("last", last)):
            if page < last:
                q = urllib.parse.urlencode({**other, "page": str(number)})
                links.append(f'<{self.url}{repo_path}?{q}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        data: Any = {"total_count": len(items), key: chunk} if key else chunk
        return _Answer(200, data, headers)

    def _download(self, artifact_id: int) -> _Answer:
        if not any(a["id"] == artifact_id for a in self.state.artifacts):
            return _Answer(404, _not_found(), validate=False)
        if artifact_id not in self.state.blobs:
            return _Answer(
                410,
                {
                    "message": "Artifact has expired",
                    "documentation_url": "https://docs.github.com/rest",
                },
            )
        location = f"{self.blob_url}/blob/{artifact_id}.zip?sig=signed"
        if self.state.relative_redirect:
            location = f"{self.prefix}/_blob/{artifact_id}.zip?sig=signed"
        return _Answer(302, None, {"Location": location})

    def _comment_json(self, comment: Comment, number: int) -> dict[str, Any]:
        data: dict[str, Any] = self.examples.value("issue-comment")
        data.update(
            id=comment.id,
            body=comment.body,
            html_url=f"https://github.com/{OWNER}/{NAME}/pull/{number}#issuecomment-{comment.id}",
            url=f"{self.url}/repos/{OWNER}/{NAME}/issues/comments/{comment.id}",
            issue_url=f"{self.url}/repos/{OWNER}/{NAME}/issues/{number}",
        )
        data["user"]["login"] = comment.user
        data["user"]["type"] = "Bot" if comment.user.endswith("[bot]") else "User"
        return data

    def _forbidden(self) -> _Answer:
        return _Answer(
            403,
            {
                "message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest",
            },
        )

    def _refused_comment(self, body: bytes) -> _Answer | None:
        """GitHub's answer to a comment write it refuses (read-only token, body too long)."""
        if self.state.read_only:
            return self._forbidden()
        if len(json.loads(body)["body"]) > 65536:
            return _Answer(
                422,
                {
                    "message": "Validation Failed",
                    "documentation_url": "https://docs.github.com/rest",
                },
            )
        return None

    def _create_comment(self, number: int, body: bytes) -> _Answer:
        if refused := self._refused_comment(body):
            return refused
        text = json.loads(body)["body"]
        comment = self.add_comment(number, text, "github-actions[bot]")
        return _Answer(
            201,
            self._comment_json(comment, number),
            {"Location": f"{self.url}/repos/{OWNER}/{NAME}/issues/comments/{comment.id}"},
        )

    def _update_comment(self, comment_id: int, body: bytes) -> _Answer:
        if refused := self._refused_comment(body):
            return refused
        text = json.loads(body)["body"]
        with self._lock:
            for number, comments in self.state.comments.items():
                for comment in comments:
                    if comment.id == comment_id:
                        comment.body = text
                        return _Answer(200, self._comment_json(comment, number))
        return _Answer(404, _not_found(), validate=False)

    # --- checks and permissions -------------------------------------------------------------

    def _checks_forbidden(self) -> _Answer:
        """GitHub's 403 for a token without `checks: write` (the spec documents no 403 here)."""
        answer = self._forbidden()
        answer.validate = False
        return answer

    def _create_check_run(self, body: bytes) -> _Answer:
        if self.state.read_only or self.state.checks_forbidden:
            return self._checks_forbidden()
        fields = json.loads(body)
        with self._lock:
            check = CheckRun(len(self.state.check_runs) + 4_000_001, {})
            self.state.check_runs.append(check)
            self._apply_check_fields(check, fields, creating=True)
        return _Answer(201, self._check_json(check))

    def _update_check_run(self, check_id: int, body: bytes) -> _Answer:
        if self.state.read_only or self.state.checks_forbidden:
            return self._checks_forbidden()
        with self._lock:
            check = next((c for c in self.state.check_runs if c.id == check_id), None)
            if check is None:
                return _Answer(404, _not_found(), validate=False)
            self._apply_check_fields(check, json.loads(body), creating=False)
            check.patches += 1
        return _Answer(200, self._check_json(check))

    def _apply_check_fields(
        self, check: CheckRun, fields: dict[str, Any], *, creating: bool
    ) -> None:
        output = fields.pop("output", None)
        if creating:
            check.fields["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        check.fields.update(fields)
        if fields.get("status") == "completed" or "conclusion" in fields:
            check.fields["completed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if isinstance(output, dict):
            check.annotations += output.pop("annotations", [])
            check.fields["output"] = {**check.output, **output}

    def _check_json(self, check: CheckRun) -> dict[str, Any]:
        data: dict[str, Any] = self.examples.value("check-run")
        output = check.output
        data.update(
            id=check.id,
            name=check.fields["name"],
            head_sha=check.fields["head_sha"],
            status=check.fields.get("status", "queued"),
            conclusion=check.fields.get("conclusion"),
            external_id=check.fields.get("external_id", ""),
            details_url=check.fields.get("details_url"),
            started_at=check.fields["started_at"],
            completed_at=check.fields.get("completed_at"),
            url=f"{self.url}/repos/{OWNER}/{NAME}/check-runs/{check.id}",
            html_url=f"https://github.com/{OWNER}/{NAME}/runs/{check.id}",
            output={
                "title": output.get("title"),
                "summary": output.get("summary"),
                "text": output.get("text"),
                "annotations_count": len(check.annotations),
                "annotations_url": f"{self.url}/repos/{OWNER}/{NAME}/check-runs/"
                f"{check.id}/annotations",
            },
        )
        return data

    def _list_check_runs(self, sha: str, query: dict[str, list[str]]) -> _Answer:
        name = query.get("check_name", [None])[0]
        with self._lock:
            found = [
                self._check_json(c)
                for c in reversed(self.state.check_runs)  # newest first
                if c.fields["head_sha"] == sha and name in (None, c.fields["name"])
            ]
        return self._page(
            f"/repos/{OWNER}/{NAME}/commits/{sha}/check-runs", query, found, "check_runs"
        )

    def _permission(self, login: str) -> _Answer:
        example_name = "repository-collaborator-permission-response-if-user-has-admin-permissions"
        data: dict[str, Any] = self.examples.value(example_name)
        permission = self.state.permissions.get(login, "read")  # anyone may read a public repo
        data.update(permission=permission, role_name=permission)
        data["user"].update(login=login, role_name=permission)  # the example lacks role_name
        return _Answer(200, data)

    # --- validation ---------------------------------------------------------------------------

    def _validate_request(self, request: _SpecRequest) -> str | None:
        try:
            self._openapi.validate_request(request)
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
            return _describe(exc)
        return None

    def _validate_response(self, request: _SpecRequest, answer: _Answer) -> str | None:
        try:
            self._openapi.validate_response(request, _SpecResponse(answer))
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
            return _describe(exc)
        return None

    # --- the blob store -------------------------------------------------------------------------

    def _handle_blob(self, handler: BaseHTTPRequestHandler, body: bytes) -> _Answer:
        parts = urllib.parse.urlsplit(handler.path)
        rec = Recorded(
            handler.command,
            parts.path,
            urllib.parse.parse_qs(parts.query),
            dict(handler.headers.items()),
            body,
        )
        with self._lock:
            self.blob_requests.append(rec)
        answer = self._blob_answer(handler, parts.path)
        rec.status = answer.status
        return answer

    def _blob_answer(self, handler: BaseHTTPRequestHandler, path: str) -> _Answer:
        if handler.headers.get("Authorization") is not None:
            return _Answer(401, {"message": "Authorization header not allowed"}, validate=False)
        m = re.fullmatch(r"/_?blob/(\d+)\.zip", path)
        data = self.state.blobs.get(int(m.group(1))) if m else None
        if data is None:
            return _Answer(404, {"message": "BlobNotFound"}, validate=False)
        headers = {"Content-Type": "application/zip"}
        return _Answer(200, data, headers, validate=False, trickle_s=self.state.trickle_s)


def _not_found() -> dict[str, str]:
    return {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


def _normalise(path: str, repository_id: int) -> str:
    """``/repositories/{id}/...`` (what real Link headers use) -> ``/repos/{owner}/{repo}/...``."""
    return re.sub(rf"^/repositories/{repository_id}(?=/|$)", f"/repos/{OWNER}/{NAME}", path)


def _describe(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    details = getattr(cause, "schema_errors", None) or getattr(exc, "schema_errors", None)
    if details:
        text += " | " + "; ".join(
            f"{list(e.absolute_path)}: {e.message[:200]}" for e in details[:5]
        )
    elif cause is not None:
        text += f" | {cause!r}"[:500]
    return text


@dataclass
class _Answer:
    status: int
    data: Any
    headers: dict[str, str] = field(default_factory=dict)
    validate: bool = True
    trickle_s: float = 0.0  # > 0: send the payload one byte at a time, this far apart

    def payload(self) -> bytes:
        if self.data is None:
            return b""
        if isinstance(self.data, bytes):
            return self.data
        return json.dumps(self.data).encode()

    @property
    def content_type(self) -> str:
        if isinstance(self.data, bytes):
            return self.headers.get("Content-Type", "application/octet-stream")
        return "application/json; charset=utf-8"


class _SpecRequest:
    """A received request in the shape openapi-core validates."""

    def __init__(
        self,
        host_url: str,
        path: str,
        *,
        method: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> None:
        split = urllib.parse.urlsplit(host_url)
        self.host_url = f"{split.scheme}://{split.netloc}"
        self.path = split.path + path
        self.method = method.lower()
        self.body = body or None
        self.content_type = headers.get("Content-Type", "application/json").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict([(k, v) for k, values in query.items() for v in values]),
            header=Headers(dict(headers)),
            cookie=ImmutableMultiDict(),
        )


class _SpecResponse:
    def __init__(self, answer: _Answer) -> None:
        self.status_code = answer.status
        self.data = answer.payload() or None
        self.content_type = answer.content_type
        self.headers = Headers(answer.headers)


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 whose handler calls ``handle``."""

    def __init__(self, handle: Any) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer: _Answer = outer.handle(self, body)
                payload = answer.payload()
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    if key.lower() != "content-type":
                        self.send_header(key, value)
                if payload or answer.status != 302:
                    self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if answer.trickle_s <= 0:
                    self.wfile.write(payload)
                    return
                for byte in payload:
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:  # the client gave up, as it should
                        return
                    time.sleep(answer.trickle_s)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ARG002
                return

        self.handle = handle
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def iter_events() -> Iterator[Path]:
    return iter(sorted(EVENTS.glob("*.json")))


# --- the runner's side of the file commands -----------------------------------------------------


class MalformedOutputError(AssertionError):
    """What the runner would fail the step for."""


def parse_output_file(text: str) -> dict[str, str]:
    """Read ``GITHUB_OUTPUT`` the way the runner does: ``NAME=value`` or ``NAME<<DELIM`` blocks."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        heredoc = line.find("<<")
        equals = line.find("=")
        if heredoc > 0 and (equals < 0 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not name or not delimiter:
                raise MalformedOutputError(f"malformed heredoc line {line!r}")
            body: list[str] = []
            while True:
                if i >= len(lines):
                    raise MalformedOutputError(f"no closing delimiter {delimiter!r} for {name}")
                current = lines[i]
                i += 1
                if current == delimiter:
                    break
                body.append(current)
            outputs[name] = "\n".join(body)
        elif equals > 0:
            outputs[line[:equals]] = line[equals + 1 :]
        else:
            raise MalformedOutputError(f"malformed output line {line!r}")
    return outputs
