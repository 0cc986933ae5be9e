"""Where the answer goes on GitHub: the sticky PR comment, annotations, sizes that fit.

The comment is found by the report's hidden marker (which includes ``comment-id``, so
several gated models or matrix jobs keep separate comments) and updated in place.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seedgate.errors import GitHubError
from seedgate.github.client import GitHubClient
from seedgate.github.commands import Annotations
from seedgate.models import Comparison, MetricComparison, Verdict
from seedgate.report.text import stop_reason

COMMENT_LIMIT_CHARS = 65_536
SUMMARY_LIMIT_BYTES = 1024 * 1024 - 4096  # leave room for what other steps append
HTTP_FORBIDDEN = 403

FORK_ADVICE = (
    "This pull request comes from a fork, so its token is read-only and seedgate cannot "
    "comment. The verdict is in the job summary and the step outputs. To comment on fork "
    "pull requests, upload .seedgate/report.md with actions/upload-artifact here, and post "
    "it from a second workflow triggered by `workflow_run` (types: [completed]) that has "
    "`pull-requests: write` and downloads the artifact with `run-id: "
    "${{ github.event.workflow_run.id }}`."
)


class CommentMode(str, enum.Enum):
    ALWAYS = "always"
    ON_CHANGE = "on-change"  # only for a regression or improvement, or to update one
    NEVER = "never"


@dataclass(frozen=True)
class CommentResult:
    action: str  # "created", "updated", "skipped"
    url: str | None
    comment_id: int | None


def find_sticky_comment(client: GitHubClient, number: int, marker: str) -> dict[str, Any] | None:
    """The first comment on the pull request whose body carries ``marker``."""
    for comment in client.list_issue_comments(number):
        body = comment.get("body")
        if isinstance(body, str) and marker in body:
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
) -> CommentResult:
    """Create or update the sticky comment, as ``mode`` allows."""
    if mode is CommentMode.NEVER:
        return CommentResult("skipped", None, None)
    if marker not in body:
        raise ValueError("the comment body lacks its marker: it could never be found again")
    existing = find_sticky_comment(client, number, marker)
    if existing is not None:
        updated = client.update_issue_comment(int(existing["id"]), body)
        return CommentResult("updated", _html_url(updated), int(existing["id"]))
    if not wants_new_comment(mode, verdict):
        return CommentResult("skipped", None, None)
    created = client.create_issue_comment(number, body)
    return CommentResult("created", _html_url(created), _int_or_none(created.get("id")))


def is_read_only_token(error: GitHubError) -> bool:
    return error.status == HTTP_FORBIDDEN


def fit_to_bytes(render: Callable[[int], str], limit_bytes: int) -> str:
    """Render with a character cap small enough that the UTF-8 text fits ``limit_bytes``."""
    cap = limit_bytes
    while True:
        text = render(cap)
        size = len(text.encode("utf-8"))
        if size <= limit_bytes:
            return text
        if cap <= 1000:
            raise ValueError(f"cannot fit the report into {limit_bytes} bytes")
        cap = min(cap - 1, int(cap * limit_bytes / size * 0.95))


def annotate(comparison: Comparison, annotations: Annotations) -> None:
    """Regressions as errors (gating) or warnings, plus failed runs and open answers."""
    for metric in comparison.metrics:
        if metric.verdict is Verdict.REGRESSION:
            kind = "error" if metric.gating else "warning"
            annotations.emit(kind, _regression_text(metric), title=f"seedgate: {metric.name}")
    for run in comparison.failed_runs:
        reason = run.reason or run.status.value
        annotations.emit(
            "warning", f"run with seed {run.seed} failed: {reason}", title="seedgate: failed run"
        )
    if comparison.verdict is Verdict.INCONCLUSIVE:
        annotations.emit(
            "warning",
            f"inconclusive after {comparison.candidate_runs} runs: {stop_reason(comparison)}",
            title="seedgate: inconclusive",
        )


def _regression_text(metric: MetricComparison) -> str:
    parts = [f"{metric.name} regressed"]
    if metric.baseline is not None:
        parts.append(
            f"baseline {metric.baseline.mean:.4g} ± {metric.baseline.std:.2g} "
            f"(n={metric.baseline.n}) -> candidate {metric.candidate.mean:.4g} ± "
            f"{metric.candidate.std:.2g} (n={metric.candidate.n})"
        )
    if metric.shift is not None:
        shift = f"shift {metric.shift:+.4g}"
        if metric.shift_interval is not None:
            low, high = metric.shift_interval.low, metric.shift_interval.high
            shift += f" [{low:+.4g}, {high:+.4g}]"
        parts.append(shift)
    parts.append(f"smallest change that matters {metric.min_effect:.4g} ({metric.goal.value})")
    return "; ".join(parts)


def _html_url(comment: dict[str, Any]) -> str | None:
    url = comment.get("html_url")
    return url if isinstance(url, str) else None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
