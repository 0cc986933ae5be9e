"""Main's history in the action (input ``history-branch``).

The baseline job (a push to main) adds its baseline's record to the git data branch and
shows the history in its job summary; a pull request's job reads the branch and adds the
folded history section, with its own runs as the last point, to its report and comment.
Any problem with the history is a warning: the verdict, the exit code and the baseline
file never depend on it.

The branch is fetched from and pushed to the URL of ``origin`` of the job's checkout, from a
scratch repository of our own: the checkout's hooks and config (which the pull request's
code ran next to) take no part. The job's token reaches only git's own processes, through
their environment: an authorisation header for the server's URL alone.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from seedgate.action.services import Services
from seedgate.action.settings import ActionSettings, Role
from seedgate.errors import HistoryError
from seedgate.history.record import HistoryRecord, record_from_runset
from seedgate.history.view import HistoryView, build_view
from seedgate.pipeline import GateResult
from seedgate.records import Goal
from seedgate.report.history import history_left_out, history_markdown, slide_sentence
from seedgate.store.history_git import GitHistory, origin_url, scratch_repository


def history_step(settings: ActionSettings, result: GateResult, services: Services) -> str | None:
    """The history section for the report (None: no history asked for, or none readable)."""
    if settings.history_branch is None:
        return None
    goals = {metric.name: metric.goal for metric in result.comparison.metrics}
    try:
        with tempfile.TemporaryDirectory(prefix="seedgate-history-") as scratch:
            store = GitHistory(
                scratch_repository(Path(scratch)),
                origin_url(settings.working_directory),
                settings.history_branch,
                config=git_auth(settings),
            )
            record = record_from_runset(result.candidate, goals)
            if settings.role is Role.BASELINE:
                view = _record(store, record, services, goals)
            else:
                view = build_view(store.load(), goals, candidate=record)
    except HistoryError as exc:
        services.warn(history_left_out(exc), title="history")
        return None
    return history_markdown(view, folded=True)


def _record(
    store: GitHistory,
    record: HistoryRecord,
    services: Services,
    goals: dict[str, Goal],
) -> HistoryView:
    path = store.append(record)
    services.say(f"history: the baseline is recorded as {path} on {store.describe()}")
    view = build_view(store.load(), goals)
    newest = view.records[-1] if view.records else None
    for metric, slide in view.slides:
        if slide.until is newest:
            services.warn(slide_sentence(metric, slide), title="slow drift on main")
    return view


def git_auth(settings: ActionSettings) -> tuple[tuple[str, str], ...]:
    """git settings that send the job's token to the server (none without a token)."""
    if not settings.token:
        return ()
    key = f"http.{settings.context.server_url}/.extraheader"
    basic = base64.b64encode(f"x-access-token:{settings.token}".encode()).decode("ascii")
    return ((key, ""), (key, f"AUTHORIZATION: basic {basic}"))
