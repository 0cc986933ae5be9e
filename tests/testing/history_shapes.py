"""The pull request comment with main's history, made from the real history in
tests/data/history (eight baselines of the bundled example, one with another TensorFlow
recorded, and a pull request's runs): for the cmark-gfm and browser tests and the
screenshots (tests/make_history_screenshots.py)."""

from __future__ import annotations

from pathlib import Path

from seedgate.action.deliver import with_appendix
from seedgate.config.settings import load_config
from seedgate.history.record import HistoryRecord, record_from_runset
from seedgate.history.view import HistoryView, build_view
from seedgate.pipeline import compare_runsets
from seedgate.records import Goal, RunSet
from seedgate.report import render_markdown
from seedgate.report.history import history_markdown
from seedgate.runset.codec import read_runset
from tests.testing.report_shapes import SCREENSHOTS

TESTS = Path(__file__).resolve().parents[1]
HISTORY = TESTS / "data" / "history"
CONFIG = TESTS.parent / "examples" / "mnist" / "seedgate.toml"
MAIN_FILES = tuple(HISTORY / f"main-{i}.json" for i in range(1, 9))
PULL_REQUEST = HISTORY / "pull-request.json"
TERMINAL_SHOT = SCREENSHOTS / "history-terminal.png"
COMMENT_SHOT = SCREENSHOTS / "history-comment.png"
GOALS = {"accuracy": Goal.MAXIMIZE, "loss": Goal.MINIMIZE, "n_test": Goal.MAXIMIZE}


def main_runsets() -> list[RunSet]:
    return [read_runset(path) for path in MAIN_FILES]


def main_records() -> tuple[HistoryRecord, ...]:
    return tuple(record_from_runset(r, GOALS) for r in main_runsets())


def comment_view() -> HistoryView:
    """The history as the pull request's job sees it: main's records, the PR's last."""
    candidate = record_from_runset(read_runset(PULL_REQUEST), GOALS)
    return build_view(main_records(), GOALS, candidate=candidate)


def comment_markdown(max_chars: int | None = None) -> str:
    """The whole comment: the gate's report of the PR against main's newest baseline, then
    the folded history section (as the action joins them)."""
    config = load_config({}, config_path=CONFIG)
    comparison = compare_runsets(main_runsets()[-1], read_runset(PULL_REQUEST), config)

    def report(limit: int | None) -> str:
        return render_markdown(comparison, max_chars=limit)

    return with_appendix(report, history_markdown(comment_view(), folded=True))(max_chars)
