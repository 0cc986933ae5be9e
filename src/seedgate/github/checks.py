"""Check runs: one per gate, on the commit it judged, written through the Checks API.

GitHub takes at most 50 annotations per request; a check run carries at most that many
(the report holds the rest), so it is written in one request.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seedgate.github.client import GitHubClient

ANNOTATIONS_PER_REQUEST = 50


class Conclusion(str, enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class CheckOutput:
    title: str
    summary: str
    annotations: Sequence[Mapping[str, Any]] = ()


def publish_check_run(
    client: GitHubClient,
    *,
    name: str,
    head_sha: str,
    conclusion: Conclusion,
    output: CheckOutput,
    external_id: str,
    details_url: str | None = None,
) -> dict[str, Any]:
    """Create the completed check run with its first 50 annotations."""
    fields: dict[str, Any] = {
        "name": name,
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": conclusion.value,
        "external_id": external_id,
        "output": _output(output, list(output.annotations[:ANNOTATIONS_PER_REQUEST])),
    }
    if details_url:
        fields["details_url"] = details_url
    return client.create_check_run(fields)


def _output(output: CheckOutput, annotations: list[Mapping[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {"title": output.title, "summary": output.summary}
    if annotations:
        data["annotations"] = annotations
    return data


def latest_check_run(client: GitHubClient, sha: str, name: str) -> dict[str, Any] | None:
    """The newest check run named ``name`` on ``sha`` (GitHub lists the latest first)."""
    for run in client.list_check_runs(sha, name):
        if run.get("name") == name and run.get("head_sha") == sha:
            return run
    return None
