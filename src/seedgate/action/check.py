"""The gate's check run: verdict as conclusion, the first screen as summary, annotations on
the configuration file. Without `checks: write` (403) the job's exit code still gates and
a warning says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seedgate.action.services import Services
from seedgate.action.settings import ActionSettings, Role
from seedgate.errors import GitHubError
from seedgate.github.checks import CheckOutput, Conclusion, publish_check_run
from seedgate.github.publish import is_read_only_token
from seedgate.records import NOT_COMPARED, Comparison, Verdict
from seedgate.report.checks import (
    check_permission_note,
    check_summary,
    check_title,
    config_annotations,
)

VERDICT_ID_PREFIX = "seedgate-verdict:"  # the check's external_id: what the gate decided


def conclusion_for(settings: ActionSettings, verdict: Verdict) -> Conclusion:
    """failure for a verdict that fails the gate; neutral when nothing was compared."""
    config = settings.config
    if config.fail_on.fails(verdict) or config.missing_baseline.fails(verdict):
        return Conclusion.FAILURE
    if verdict in NOT_COMPARED:
        return Conclusion.NEUTRAL
    return Conclusion.SUCCESS


def check_step(settings: ActionSettings, comparison: Comparison, services: Services) -> None:
    """Write the check run of a gate (a baseline run has no verdict to require)."""
    if settings.role is not Role.GATE:
        return
    if settings.context.is_fork:  # a fork's token is read-only: the POST would answer 403
        services.warn(check_permission_note(settings.check_name), title="no check run")
        return
    conclusion = conclusion_for(settings, comparison.verdict)
    output = CheckOutput(
        title=check_title(comparison),
        summary=check_summary(
            comparison, title=settings.report_title, run_url=settings.context.run_url
        ),
        annotations=_annotations(settings, comparison),
    )
    try:
        created = publish_check_run(
            services.github.client,
            name=settings.check_name,
            head_sha=settings.context.head_sha,
            conclusion=conclusion,
            output=output,
            external_id=VERDICT_ID_PREFIX + comparison.verdict.value,
            details_url=settings.context.run_url,
        )
    except GitHubError as exc:
        if not is_read_only_token(exc):
            raise
        services.warn(check_permission_note(settings.check_name), title="no check run")
        return
    services.say(
        f"check run {settings.check_name!r}: {conclusion.value}"
        + (f" ({created['html_url']})" if isinstance(created.get("html_url"), str) else "")
    )


def _annotations(settings: ActionSettings, comparison: Comparison) -> list[dict[str, Any]]:
    path = settings.config_file
    if path is None or not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # the run read it already; an annotation is not worth failing for
    relative = _repository_path(settings, path)
    return [
        {
            "path": relative,
            "start_line": note.line,
            "end_line": note.line,
            "annotation_level": note.level,
            "title": note.title,
            "message": note.message,
        }
        for note in config_annotations(comparison, text)
    ]


def _repository_path(settings: ActionSettings, path: Path) -> str:
    """The path from the repository's root, as the Checks API wants it."""
    return Path(settings.relative(path)).as_posix()
