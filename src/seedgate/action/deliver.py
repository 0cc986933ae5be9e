"""Where the action's answer goes: report files, job summary, annotations, the sticky
comment and the step outputs, and what every ending (error or cancellation) still writes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from seedgate.action.services import Services
from seedgate.action.settings import ActionSettings, Role
from seedgate.errors import ExitCode, GitHubError, OutputError, exit_code_for
from seedgate.files import write_shared_text
from seedgate.github import commands
from seedgate.github.publish import (
    COMMENT_LIMIT_CHARS,
    SUMMARY_LIMIT_BYTES,
    fit_to_bytes,
    is_read_only_token,
    publish_comment,
)
from seedgate.log_text import safe_lines
from seedgate.records import Comparison, RunSet
from seedgate.report import comment_marker, render_json, render_markdown
from seedgate.report.annotations import FORK_ADVICE
from seedgate.report.failed_runs import render_failed_experiment
from seedgate.report.render import text_length
from seedgate.report.wording import metric_absent_why
from seedgate.runset.codec import write_runset
from seedgate.store.github_artifact import SkippedBaseline

PARTIAL_RUNS_FILE = "partial-runs.json"
Render = Callable[[int | None], str]  # the Markdown report within a character limit


@dataclass
class Journal:
    """What the action produced so far, so that every ending can still report it."""

    out: TextIO
    files: commands.FileCommands  # taken before the first child process started
    settings: ActionSettings | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    runs: RunSet | None = None  # the newest finished runs, kept if the job ends early

    def write_outputs(self) -> None:
        """The outputs known so far; every file command is rewritten as the gate left it."""
        self.files.write_outputs(self.outputs)

    def append_summary(self, render: Callable[[int], str]) -> None:
        if not self.files.has_summary:
            return
        room = self.files.summary_room(SUMMARY_LIMIT_BYTES)
        self.files.append_summary(fit_to_bytes(render, max(4096, room)))

    def failed(self, error: BaseException, title: str) -> ExitCode:
        """Report an error that ends the action, keeping finished runs; its exit code."""
        code = exit_code_for(error)
        message = safe_lines(error) or type(error).__name__
        if code is ExitCode.RUNS_FAILED:
            message += self._keep_finished(error, message)
        line = commands.workflow_command("error", message, {"title": f"seedgate: {title}"})
        self.out.write(line + "\n")
        self.out.flush()
        return code

    def _keep_finished(self, error: BaseException, message: str) -> str:
        partial = getattr(error, "partial", None)
        finished = partial if isinstance(partial, RunSet) else self.runs
        if self.files.has_summary:
            text = render_failed_experiment(message, finished)
            with contextlib.suppress(OSError, ValueError):  # the ::error line still tells
                self.append_summary(lambda _: text)
        if finished is None or self.settings is None:
            return ""
        path = self.settings.output_dir / PARTIAL_RUNS_FILE
        try:
            write_runset(finished, path)
        except OSError as exc:
            return f"; the finished runs could not be kept in {path}: {exc.strerror}"
        return (
            f"; the {len(finished.runs)} finished runs are kept in {self.settings.relative(path)}"
        )


def write_report(
    settings: ActionSettings,
    comparison: Comparison,
    journal: Journal,
    appendix: str | None = None,
) -> Render:
    """report.md and results.json in the output folder, the job summary, the outputs.

    ``appendix`` (the history of main) follows the report where both fit the limit.
    """

    def report(max_chars: int | None) -> str:
        return render_markdown(
            comparison,
            title=settings.report_title,
            comment_id=settings.comment_id,
            max_chars=max_chars,
            run_url=settings.context.run_url,
        )

    render = with_appendix(report, appendix)

    report_path = settings.output_dir / "report.md"
    results_path = settings.output_dir / "results.json"
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    _write(report_path, render(None))
    _write(results_path, render_json(comparison))
    journal.outputs.update(
        {
            "verdict": comparison.verdict.value,
            "runs-used": str(comparison.candidate_runs),
            "report-path": settings.relative(report_path),
            "results-path": settings.relative(results_path),
        }
    )
    journal.append_summary(render)
    return render


def with_appendix(render: Render, appendix: str | None) -> Render:
    """The report, then the appendix when the whole report and it fit; else the report
    alone (trimmed to the limit as it always is): the report comes first."""
    if appendix is None:
        return render

    def combined(max_chars: int | None) -> str:
        joined = render(None).rstrip("\n") + "\n\n" + appendix
        if max_chars is None or text_length(joined) <= max_chars:
            return joined
        return render(max_chars)

    return combined


def _write(path: Path, text: str) -> None:
    try:
        write_shared_text(path, text)
    except OSError as exc:
        raise OutputError(f"{path} cannot be written: {exc.strerror}") from None


def no_baseline_advice(settings: ActionSettings, skipped: Sequence[SkippedBaseline] = ()) -> str:
    artifact, path = settings.baseline_artifact, settings.relative(settings.baseline_path)
    found = (
        f"No usable baseline artifact {artifact!r}: {len(skipped)} found on the default "
        f"branch could not be used ({'; '.join(s.describe() for s in skipped[:5])})"
        if skipped
        else f"No baseline artifact {artifact!r} was found on the default branch"
    )
    return (
        f"{found}, so nothing was compared (verdict no-baseline). Make one: run this "
        "workflow on a push to the default branch (mode auto makes the baseline there) and "
        f"upload {path} with actions/upload-artifact as {artifact!r}; see "
        "examples/workflows/seedgate.yml. To pass without a baseline, set the input "
        "missing-baseline: pass."
    )


def metric_absent_advice(comparison: Comparison) -> str:
    return (
        f"{metric_absent_why(comparison)} To pass while the baseline catches up, set the "
        "input missing-baseline: pass."
    )


def post_comment(
    settings: ActionSettings,
    comparison: Comparison,
    render: Render,
    services: Services,
    journal: Journal,
) -> None:
    """The sticky comment on the pull request; on a fork's read-only token, advice instead."""
    number = settings.context.pr_number
    if settings.role is not Role.GATE or number is None:
        return
    try:
        result = publish_comment(
            services.github.client,
            number,
            body=render(COMMENT_LIMIT_CHARS),
            marker=comment_marker(settings.comment_id),
            mode=settings.comment,
            verdict=comparison.verdict,
            author=settings.comment_author,
        )
    except GitHubError as exc:
        if not (is_read_only_token(exc) and settings.context.is_fork):
            raise
        services.warn(FORK_ADVICE, title="no comment on forks")
        return
    services.say(f"comment {result.action}" + (f": {result.url}" if result.url else ""))
    if result.url:
        journal.outputs["comment-url"] = result.url
