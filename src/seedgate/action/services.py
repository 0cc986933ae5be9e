"""What the action's steps talk to: the log stream, annotations, GitHub and its artifacts.

Passed in to the steps, so a test (or ``seedgate github`` on a runner host) can give
its own stream or HTTP session; the GitHub client is made on first use, because
making a baseline needs no API call and may run with no token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import requests

from seedgate.action.settings import ActionSettings
from seedgate.errors import ConfigError
from seedgate.github.artifact_service import ArtifactService
from seedgate.github.client import GitHubClient, RetryPolicy
from seedgate.github.commands import Annotations
from seedgate.store.github_artifact import BaselineLookup, GitHubArtifactStore


class GitHubAccess:
    """The GitHub API and the baseline artifacts, opened on first use."""

    def __init__(
        self,
        settings: ActionSettings,
        *,
        session_factory: Callable[[], requests.Session] = requests.Session,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self._retry = retry or RetryPolicy()
        self._client: GitHubClient | None = None
        self._repository: dict[str, Any] | None = None

    @property
    def client(self) -> GitHubClient:
        if self._client is None:
            if not self._settings.token:
                raise ConfigError(
                    "github-token is empty; leave it at its default (${{ github.token }}) or "
                    "pass a token that can read artifacts and write pull request comments"
                )
            context = self._settings.context
            self._client = GitHubClient(
                token=self._settings.token,
                repository=context.repository,
                api_url=context.api_url,
                session=self._session_factory(),
                retry=self._retry,
            )
        return self._client

    def artifacts(self) -> ArtifactService:
        """The runner's v4 artifact service (``artifact_service_missing`` says when none)."""
        return ArtifactService(
            results_url=self._settings.results_url,
            runtime_token=self._settings.runtime_token,
            session=self._session_factory(),
        )

    def repository(self) -> dict[str, Any]:
        if self._repository is None:
            self._repository = self.client.get_repository()
        return self._repository

    def baseline_store(
        self, *, log: Callable[[str], None], warn: Callable[[str], None]
    ) -> GitHubArtifactStore:
        context = self._settings.context
        return GitHubArtifactStore(
            self.client,
            artifact_name=self._settings.baseline_artifact,
            file_name=self._settings.baseline_path.name,
            repository_id=context.repository_id or int(self.repository()["id"]),
            default_branch=context.default_branch or str(self.repository()["default_branch"]),
            prefer_sha=context.base_sha,
            log=log,
            warn=warn,
        )


@dataclass
class Services:
    """The log stream and annotations of this step, and GitHub."""

    out: TextIO
    github: GitHubAccess
    annotations: Annotations = field(init=False)

    def __post_init__(self) -> None:
        self.annotations = Annotations(self.out)

    def say(self, message: str) -> None:
        self.out.write(f"seedgate: {message}\n")
        self.out.flush()

    def warn(self, text: str, *, title: str) -> None:
        self.annotations.emit("warning", text, title=f"seedgate: {title}")

    def find_baseline(self) -> BaselineLookup:
        store = self.github.baseline_store(
            log=self.say, warn=lambda text: self.warn(text, title="baseline")
        )
        self.say(f"looking for the baseline: {store.describe()}")
        lookup = store.lookup()
        if lookup.found is not None:
            found = lookup.found
            self.say(f"baseline: {found.describe()}, {len(found.runset.ok_runs)} runs")
        return lookup
