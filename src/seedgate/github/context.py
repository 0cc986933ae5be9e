"""The run context: which event, repository, commit and pull request this job serves.

Built once from the runner's ``GITHUB_*`` variables and the event payload at
``GITHUB_EVENT_PATH``; nothing else reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedgate.errors import ConfigError

BASELINE_EVENTS = ("push", "workflow_dispatch", "schedule")
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True)
class RunContext:
    event_name: str
    repository: str  # OWNER/NAME
    repository_id: int | None
    ref: str
    sha: str
    api_url: str
    server_url: str
    workspace: Path
    run_id: str
    event: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RunContext:
        repository = environ.get("GITHUB_REPOSITORY", "").strip()
        if repository.count("/") != 1:
            raise ConfigError(
                f"GITHUB_REPOSITORY = {repository!r}: expected OWNER/NAME; "
                "is this running inside GitHub Actions?"
            )
        event = _read_event(environ.get("GITHUB_EVENT_PATH", ""))
        return cls(
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            repository=repository,
            repository_id=_repository_id(environ.get("GITHUB_REPOSITORY_ID", ""), event),
            ref=environ.get("GITHUB_REF", ""),
            sha=environ.get("GITHUB_SHA", ""),
            api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            server_url=(environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            workspace=Path(environ.get("GITHUB_WORKSPACE") or "."),
            run_id=environ.get("GITHUB_RUN_ID", ""),
            event=event,
        )

    @property
    def pull_request(self) -> Mapping[str, Any] | None:
        pr = self.event.get("pull_request")
        return pr if isinstance(pr, Mapping) else None

    @property
    def pr_number(self) -> int | None:
        pr = self.pull_request
        number = pr.get("number") if pr else None
        return number if isinstance(number, int) and not isinstance(number, bool) else None

    @property
    def base_sha(self) -> str | None:
        """The pull request's base commit: the baseline made there is the best match."""
        base = self.pull_request.get("base") if self.pull_request else None
        sha = base.get("sha") if isinstance(base, Mapping) else None
        return sha if isinstance(sha, str) and sha else None

    @property
    def head_sha(self) -> str:
        """The commit a check belongs to: a pull request's head (``GITHUB_SHA`` is the
        merge commit there), else the job's commit."""
        head = self.pull_request.get("head") if self.pull_request else None
        sha = head.get("sha") if isinstance(head, Mapping) else None
        return sha if isinstance(sha, str) and sha else self.sha

    @property
    def is_fork(self) -> bool:
        """A pull request whose head lives in another repository (read-only token)."""
        pr = self.pull_request
        if pr is None:
            return False
        head = pr.get("head")
        repo = head.get("repo") if isinstance(head, Mapping) else None
        if not isinstance(repo, Mapping):  # the fork was deleted
            return True
        if self.repository_id is not None and isinstance(repo.get("id"), int):
            return bool(repo["id"] != self.repository_id)
        return bool(repo.get("full_name") != self.repository)

    @property
    def default_branch(self) -> str | None:
        repo = self.event.get("repository")
        branch = repo.get("default_branch") if isinstance(repo, Mapping) else None
        return branch if isinstance(branch, str) and branch else None

    def on_branch(self, branch: str) -> bool:
        return self.ref == f"refs/heads/{branch}"

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"


def _read_event(path: str) -> Mapping[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"GITHUB_EVENT_PATH = {path!r}: the file does not exist") from None
    except (OSError, ValueError, RecursionError) as exc:  # ValueError: bad UTF-8 or JSON
        raise ConfigError(
            f"GITHUB_EVENT_PATH = {path!r}: not a readable JSON file ({type(exc).__name__})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"GITHUB_EVENT_PATH = {path!r}: expected a JSON object")
    return data


def _repository_id(raw: str, event: Mapping[str, Any]) -> int | None:
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) <= 19:  # no 5,000-digit ids
        return int(text)
    repo = event.get("repository")
    value = repo.get("id") if isinstance(repo, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
