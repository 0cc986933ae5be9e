"""The words of the check run and of an accepted regression.

The check's summary is the comment's first screen; its annotations point at the lines of
the configuration file that set what regressed. An acceptance is recorded in one line,
the same in the check and in the comment: who, when, why and for which commit.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from seedgate.records import Comparison, Verdict
from seedgate.report.annotations import regression_text
from seedgate.report.filters import clip, md_escape, single_spaced
from seedgate.report.render import render_first_screen
from seedgate.report.wording import headline, short_commit, stop_reason

CHECK_SUMMARY_CHARS = 65_535  # GitHub's limit on a check run's output.summary
CHECK_TITLE_CHARS = 250
REASON_CHARS = 500  # an acceptance's reason, as recorded
ACCEPTED_MARK = "seedgate-accepted"  # the check's external id once accepted


class ConfigAnnotation(NamedTuple):
    line: int  # 1-based, in the configuration file
    level: str  # "failure", "warning" or "notice": the Checks API's annotation_level
    title: str
    message: str


def check_title(comparison: Comparison) -> str:
    return clip(single_spaced(headline(comparison)), CHECK_TITLE_CHARS)


def check_summary(comparison: Comparison, *, title: str, run_url: str | None) -> str:
    text = render_first_screen(comparison, title=title, run_url=run_url)
    return text if len(text) <= CHECK_SUMMARY_CHARS else clip(text, CHECK_SUMMARY_CHARS)


def config_annotations(comparison: Comparison, config_text: str) -> list[ConfigAnnotation]:
    """Regressions at their metric's table, failed runs and an open answer at the command."""
    lines = config_text.splitlines()
    command_line = _line_of(lines, re.compile(r"\s*command\s*=")) or 1
    found = [
        ConfigAnnotation(
            _metric_line(lines, metric.name) or command_line,
            "failure" if metric.gating else "warning",
            f"seedgate: {single_spaced(metric.name)} regressed",
            regression_text(metric),
        )
        for metric in comparison.metrics
        if metric.verdict is Verdict.REGRESSION
    ]
    found += [
        ConfigAnnotation(
            command_line,
            "warning",
            "seedgate: failed run",
            f"run with seed {run.seed} failed: {single_spaced(run.reason or run.status.value)}",
        )
        for run in comparison.failed_runs
    ]
    if comparison.verdict is Verdict.INCONCLUSIVE:
        found.append(
            ConfigAnnotation(
                command_line,
                "warning",
                "seedgate: inconclusive",
                f"inconclusive after {comparison.candidate_runs} runs: {stop_reason(comparison)}",
            )
        )
    return found


def _metric_line(lines: list[str], name: str) -> int | None:
    quoted = re.escape(name)
    table = re.compile(rf"\s*\[\s*(?:tool\.seedgate\.)?metrics?\.(?:{quoted}|\"{quoted}\")\s*\]")
    return _line_of(lines, table)


def _line_of(lines: list[str], pattern: re.Pattern[str]) -> int | None:
    return next((n for n, line in enumerate(lines, 1) if pattern.match(line)), None)


def check_permission_note(name: str) -> str:
    return (
        f"seedgate could not write its check run {name!r}: the token lacks `checks: write` "
        "(or, on a pull request from a fork, is read-only). The job's own status still "
        "gates: require this job in branch protection, or give the workflow "
        "`permissions: checks: write` to get the check with its summary."
    )


# --- accepting a regression ---------------------------------------------------------------


class Acceptance(NamedTuple):
    login: str
    when: datetime
    reason: str
    commit: str
    how: str  # "label 'seedgate: accept regression'" or "comment /seedgate accept"
    verdict: str  # what the gate decided on that commit


def acceptance_record(acceptance: Acceptance) -> str:
    """One Markdown line: who accepted, when, why and which commit."""
    when = acceptance.when.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"\u2705 **Regression accepted** by {md_escape('@' + acceptance.login)} on {when} "
        f"for commit `{short_commit(acceptance.commit)}` (verdict {md_escape(acceptance.verdict)}, "
        f"by {md_escape(acceptance.how)}): "
        f"{md_escape(acceptance.reason, REASON_CHARS)}. A new push needs a new acceptance."
    )


def accepted_title(acceptance: Acceptance) -> str:
    return clip(
        f"Regression accepted by @{acceptance.login} for {short_commit(acceptance.commit)}",
        CHECK_TITLE_CHARS,
    )


def accepted_summary(acceptance: Acceptance, previous_summary: str) -> str:
    head = acceptance_record(acceptance) + "\n\n"
    return head + clip(previous_summary, max(0, CHECK_SUMMARY_CHARS - len(head)))


def refused_text(login: str, permission: str) -> str:
    return (
        f"{md_escape('@' + login)} cannot accept this regression: accepting needs write "
        f"permission on the repository, and theirs is {md_escape(permission)}. "
        "Nothing changed; the check still fails."
    )


def no_reason_text() -> str:
    return (
        "`/seedgate accept` needs a reason, e.g. `/seedgate accept the smaller model is "
        "worth 0.3 points of accuracy`. Nothing changed."
    )


def no_check_text(name: str, commit: str) -> str:
    return (
        f"No check run {md_escape(name)} on commit `{short_commit(commit)}` yet: wait for "
        "seedgate's gate to finish on this commit, then accept again. Nothing changed."
    )


def not_failing_text(name: str, commit: str, conclusion: str) -> str:
    return (
        f"The check {md_escape(name)} on commit `{short_commit(commit)}` is "
        f"{md_escape(conclusion)}, not failing: there is no regression to accept."
    )


def already_accepted_text(commit: str) -> str:
    return f"The regression on commit `{short_commit(commit)}` is already accepted."


def late_comment_text(commit: str) -> str:
    return (
        f"The check on the head commit `{short_commit(commit)}` finished after this comment "
        "was written, so it may judge a push the comment did not see. Look at the new "
        "result and accept again. Nothing changed."
    )
