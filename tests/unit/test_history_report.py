from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest

from seedgate.history.record import HistoryRecord, record_from_runset
from seedgate.history.view import build_view
from seedgate.records import Goal
from seedgate.report.history import (
    history_json,
    history_markdown,
    history_terminal,
    mermaid_history,
    summary_line,
)
from tests.testing.runsets import runset

GOALS = {"accuracy": Goal.MAXIMIZE}


def _commit(t: int) -> str:
    return f"{t + 10:x}" * 20 if t < 6 else f"{t + 0xA0:x}" * 20


def _history(
    levels: list[float], *, tf_change_at: int | None = None, metric: str = "accuracy"
) -> tuple[HistoryRecord, ...]:
    rng = np.random.default_rng(5)
    records = []
    for t, level in enumerate(levels):
        tf = (
            "tensorflow 2.20.0"
            if tf_change_at is not None and t >= tf_change_at
            else "tensorflow 2.19.0"
        )
        noise = rng.normal(0, 0.005, size=20)
        noise -= noise.mean()  # the means are exactly the levels
        made = runset(
            {metric: level + noise},
            commit=_commit(t)[:40],
            environment={"tensorflow": tf},
            created_at=f"2026-11-{t + 1:02d}T10:00:00+00:00",
        )
        records.append(record_from_runset(made))
    return tuple(records)


SLIDE = [0.9] * 5 + [0.9 - 0.0015 * k for k in range(1, 9)]  # 0.3 seed SD a merge


def test_a_slide_is_named_by_its_commits_and_marked_in_the_chart() -> None:
    history = _history(SLIDE)
    view = build_view(history, GOALS)
    assert len(view.slides) == 2  # reported, restarted, reported again as it went on
    metric, slide = view.slides[0]
    assert slide.since is history[slide.alarm.first - 1]
    assert slide.until is history[slide.alarm.alarm]
    assert summary_line(view) == "History of main: 13 baselines, drift in accuracy"
    text = history_markdown(view, folded=True)
    assert f"commits {slide.since.short_commit}..{slide.until.short_commit}" in text
    assert "never gated on" in text
    chart = mermaid_history(view, metric)
    assert chart is not None
    bars = [line for line in chart.splitlines() if line.strip().startswith("bar")]
    assert len(bars) == 2  # baselines and the slides: one colour each
    red = [float(v) for v in re.findall(r"[-\d.]+", bars[1])]
    axis = re.search(r'y-axis "accuracy" ([-\d.]+)', chart)
    assert axis is not None
    in_slide = [i for i, v in enumerate(red) if v >= float(axis[1])]
    spans = [range(s.alarm.first, s.alarm.alarm + 1) for _, s in view.slides]
    assert in_slide == [i for span in spans for i in span]


def test_the_same_history_upside_down_is_no_drift_for_a_metric_to_maximise() -> None:
    rising = [2 * 0.9 - level for level in SLIDE]
    view = build_view(_history(rising), GOALS)
    assert view.slides == ()
    assert "No slow drift found" in history_markdown(view, folded=True)
    assert build_view(_history(rising), {"accuracy": Goal.MINIMIZE}).slides


def test_environment_changes_are_marked_in_table_caption_and_axis() -> None:
    view = build_view(_history([0.9] * 6, tf_change_at=3), GOALS)
    text = history_markdown(view, folded=False)
    changed = view.records[3].short_commit
    assert f'"{changed} (env)"' in text  # the x-axis category
    assert f"`{changed}`: tensorflow: tensorflow 2.19.0 → tensorflow 2.20.0" in text
    row = next(line for line in text.splitlines() if line.startswith("| 4 |"))
    assert "tensorflow 2.19.0 → tensorflow 2.20.0" in row


def test_a_step_at_an_environment_change_is_not_drift() -> None:
    levels = [0.9] * 5 + [0.88] * 6  # 4 seed SD down, with a new TensorFlow
    assert build_view(_history(levels), GOALS).slides  # without the mark: a drop
    assert build_view(_history(levels, tf_change_at=5), GOALS).slides == ()


def test_the_candidate_is_the_last_bar_with_its_own_environment_change() -> None:
    history = _history([0.9] * 4)
    candidate = dataclasses.replace(
        history[-1], commit="c" * 40, environment={"tensorflow": "tensorflow 2.21.0"}
    )
    view = build_view(history, GOALS, candidate=candidate)
    chart = mermaid_history(view, view.metrics[0])
    assert chart is not None
    assert chart.count("bar [") == 2
    assert '"PR (env)"]' in chart
    text = history_markdown(view, folded=True)
    assert "this pull request: tensorflow: tensorflow 2.19.0 → tensorflow 2.21.0" in text
    assert "| PR | `ccccccc` |" in text


def test_only_the_last_baselines_are_shown_but_drift_is_found_over_all() -> None:
    history = _history(SLIDE)
    view = build_view(history, GOALS, shown=5)
    assert view.total == 13
    assert len(view.records) == 5
    assert view.offset == 8
    assert summary_line(view).startswith("History of main: last 5 of 13 baselines")
    table_rows = [
        line
        for line in history_markdown(view, folded=True).splitlines()
        if line.startswith("| ") and line[2].isdigit()
    ]
    assert [row.split(" | ")[0] for row in table_rows] == ["| 9", "| 10", "| 11", "| 12", "| 13"]


def test_json_is_strict_and_names_the_slide() -> None:
    view = build_view(_history(SLIDE), GOALS)
    data = json.loads(json.dumps(history_json(view), allow_nan=False))
    assert data["baselines"] == 13
    drift = data["drift"][0]
    assert drift["metric"] == "accuracy"
    assert drift["shift"] < 0
    assert drift["until_commit"] == view.slides[0][1].until.commit


def test_terminal_marks_drift_and_environment_without_colour_codes() -> None:
    view = build_view(_history(SLIDE, tf_change_at=2), GOALS)
    text = history_terminal(view, colour=False)
    assert "\x1b[" not in text
    assert "drift: accuracy slid" in text
    assert "new tensorflow" in text
    assert "\u25cf" in text  # the chart's dots


@pytest.mark.parametrize("name", ["acc<script>", 'acc"] --> x', "acc|uracy\n"])
def test_hostile_metric_names_cannot_break_the_chart_or_table(name: str) -> None:
    safe = name.strip()
    view = build_view(_history([0.9] * 3, metric=safe), {})
    text = history_markdown(view, folded=True)
    assert "<script>" not in text
    chart = mermaid_history(view, view.metrics[0])
    assert chart is not None
    assert all(line.count('"') % 2 == 0 for line in chart.splitlines())
    header = next(line for line in text.splitlines() if line.startswith("| # |"))
    assert header.count(" | ") == 5  # the pipe in the name is escaped


def test_an_empty_history_says_so() -> None:
    view = build_view((), GOALS)
    assert "No baseline of main is recorded yet." in history_markdown(view, folded=True)
    assert "No baseline of main" in history_terminal(view, colour=False)


def test_a_metric_constant_in_every_run_is_named_not_charted() -> None:
    history = _history([0.9] * 3, metric="n_test")
    history = tuple(
        dataclasses.replace(
            r,
            metrics=tuple(
                dataclasses.replace(m, mean=500.0, sd=0.0, quantiles=(500.0,) * 7)
                for m in r.metrics
            ),
        )
        for r in history
    )
    view = build_view(history, {})
    text = history_markdown(view, folded=True)
    assert "```mermaid" not in text
    assert "The same in every run, not charted: n\\_test = 500." in text
    assert "n_test = 500" in history_terminal(view, colour=False)
