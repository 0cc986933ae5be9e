"""The report where it must hold its shape: hostile text, the comment marker, GitHub's size
limit (trimming) and the JSON form."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest
from jinja2.exceptions import SecurityError

from seedgate.errors import ReportError
from seedgate.github.publish import COMMENT_LIMIT_CHARS
from seedgate.records import (
    Comparison,
    Interval,
    Verdict,
)
from seedgate.report import (
    SCHEMA,
    comment_marker,
    comparison_to_dict,
    headline,
    render_json,
    render_markdown,
)
from seedgate.report.filters import Markdown, single_spaced
from seedgate.report.render import _environment, text_length
from tests.testing.report_fixtures import (
    HOSTILE_LOG,
    HOSTILE_NAME,
    comparison,
    hostile_comparison,
    look,
    metric,
    regression_comparison,
    values,
)
from tests.testing.report_markdown import (
    cells,
    first_screen,
    metric_table,
    outside_fences,
)
from tests.testing.runsets import failed_run

# --- hostile text -------------------------------------------------------------------------


def test_hostile_metric_name_cannot_break_the_table() -> None:
    markdown = render_markdown(hostile_comparison())
    table = metric_table(markdown)
    assert len(table) == 3
    assert all(len(cells(line)) == 5 for line in table)
    first = cells(table[2])[0]
    assert "\n" not in first
    assert r"\<script\>" in first
    assert r"\[link\]" in first


def test_no_raw_html_or_links_outside_code_blocks() -> None:
    text = outside_fences(render_markdown(hostile_comparison()))
    for raw in ("<script", "<img", "<iframe", "<b>", "](javascript", "<!--", "`x`", "@bob"):
        assert not re.search(r"(?<!\\)" + re.escape(raw), text), raw
    allowed_tags = {"details", "/details", "summary", "/summary", "sub", "/sub"}
    tags = set(re.findall(r"(?<!\\)<(/?[a-zA-Z]+)", text))
    assert tags <= allowed_tags


def test_failed_run_log_sits_in_a_fence_longer_than_its_backticks() -> None:
    markdown = render_markdown(hostile_comparison())
    assert "``````text\n" in markdown  # the log holds a run of five backticks
    block = markdown.split("``````text\n", 1)[1].split("\n``````", 1)[0]
    assert block == HOSTILE_LOG
    row = next(line for line in markdown.splitlines() if line.startswith("| 5 | 105 |"))
    assert len(cells(row)) == 4
    assert cells(row)[2] == "failed"


def test_long_failure_reasons_are_clipped() -> None:
    result = comparison(failed_runs=(failed_run(1, 7, "x" * 1000),))
    row = next(line for line in render_markdown(result).splitlines() if "| 1 | 7 |" in line)
    assert len(cells(row)[3]) == 300


def test_template_cannot_print_an_unescaped_value() -> None:
    template = _environment().from_string("{{ value }}")
    with pytest.raises(ReportError, match="unescaped str"):
        template.render(value="<b>raw</b>")
    with pytest.raises(ReportError, match="unescaped float"):
        template.render(value=0.5)
    assert template.render(value=Markdown("ok")) == "ok"
    assert template.render(value=3) == "3"


def test_template_sandbox_blocks_attribute_escapes() -> None:
    template = _environment().from_string("{{ value.__class__.__mro__ | md }}")
    with pytest.raises(SecurityError, match="unsafe"):
        template.render(value="x")


# --- marker ----------------------------------------------------------------------------------


def test_comment_marker_starts_the_body() -> None:
    markdown = render_markdown(comparison(), comment_id="train-cpu")
    assert markdown.startswith("<!-- seedgate:comment-id=train-cpu -->\n## seedgate\n")
    assert comment_marker("train-cpu") == "<!-- seedgate:comment-id=train-cpu -->"


def test_comment_marker_cannot_be_closed_by_the_id() -> None:
    marker = comment_marker("x --> <script>alert(1)</script>\n--!>")
    assert marker.startswith("<!-- seedgate:comment-id=")
    assert marker.endswith(" -->")
    assert marker.count(">") == 1
    assert "<" not in marker[4:]
    assert "\n" not in marker
    assert comment_marker("a b") != comment_marker("a_b")


@pytest.mark.parametrize("bad", ["", "  "])
def test_comment_marker_needs_an_id(bad: str) -> None:
    with pytest.raises(ReportError, match="comment_id"):
        comment_marker(bad)


# --- trimming ----------------------------------------------------------------------------------


def big_comparison(runs: int = 400, metrics: int = 6) -> Comparison:
    items = tuple(
        metric(
            f"metric_{i}",
            baseline=values(0.5 + i, 0.01, runs, i),
            candidate=values(0.5 + i, 0.01, runs, 100 + i),
            verdict=Verdict.NO_CHANGE,
            looks=tuple(look(runs, n, 0.1) for n in range(3, 40)),
        )
        for i in range(metrics)
    )
    logs = tuple(failed_run(i, i, "boom", "log line\n" * 200) for i in range(30))
    return comparison(Verdict.NO_CHANGE, items, failed_runs=logs)


def test_text_length_counts_utf16_units() -> None:
    assert text_length("abc") == 3
    assert text_length("\U0001f7e2") == 2  # outside the BMP: a surrogate pair
    assert text_length("\u2191") == 1


def test_full_report_is_returned_when_it_fits() -> None:
    result = regression_comparison()
    full = render_markdown(result)
    assert render_markdown(result, max_chars=text_length(full)) == full
    assert "Trimmed" not in full


def test_trimming_drops_per_run_values_first_then_charts() -> None:
    result = regression_comparison()
    full = render_markdown(result)
    trimmed = render_markdown(result, max_chars=text_length(full) - 1)
    assert text_length(trimmed) <= text_length(full) - 1
    assert "Per-run values" not in trimmed
    assert "```mermaid" in trimmed
    assert "Trimmed to fit" in trimmed
    assert "left out: per-run values." in trimmed
    no_runs_len = text_length(trimmed)
    smaller = render_markdown(result, max_chars=no_runs_len - 1)
    assert "```mermaid" not in smaller
    assert "left out: per-run values, charts." in smaller


def test_trimming_never_exceeds_the_limit_and_keeps_headline_and_table() -> None:
    result = big_comparison()
    full = render_markdown(result)
    assert len(full) > COMMENT_LIMIT_CHARS
    for limit in (COMMENT_LIMIT_CHARS, 20_000, 8_000, 4_000, 2_000):
        text = render_markdown(result, max_chars=limit, comment_id="x")
        assert text_length(text) <= limit
        assert len(text) <= text_length(text)
        assert text.startswith("<!-- seedgate:comment-id=x -->")
        assert "**\u2705 No change**" in text
        assert len(metric_table(first_screen(text))) == 2 + 4  # the rest folded below
        assert "2 more gating metrics are folded below." in first_screen(text)
        assert "Trimmed to fit" in text


def test_trimming_ends_with_the_headline_alone_then_refuses() -> None:
    result = big_comparison()
    text = render_markdown(result, max_chars=600)
    assert text_length(text) <= 600
    assert "**\u2705 No change**" in text
    assert "the metric table and everything below the headline" in text
    with pytest.raises(ReportError, match="max_chars = 50"):
        render_markdown(result, max_chars=50)
    with pytest.raises(ReportError, match="max_chars = 0"):
        render_markdown(result, max_chars=0)


def test_trim_sweep_is_always_within_limit() -> None:
    result = regression_comparison()
    full = text_length(render_markdown(result, comment_id="c"))
    for limit in range(400, full + 1, 97):
        try:
            text = render_markdown(result, max_chars=limit, comment_id="c")
        except ReportError:
            continue
        assert text_length(text) <= limit
        assert "Regression in accuracy" in text


# --- JSON ------------------------------------------------------------------------------------


def test_json_round_trips_with_schema_and_enum_values() -> None:
    result = regression_comparison()
    data = json.loads(render_json(result))
    assert data["schema"] == SCHEMA == "seedgate.comparison/2"
    assert data["headline"] == headline(result)
    assert data["verdict"] == "regression"
    assert set(data) >= {
        "metrics",
        "design",
        "stop_reason",
        "baseline_commit",
        "candidate_commit",
        "baseline_runs",
        "candidate_runs",
        "failed_runs",
        "plans",
        "environment_differences",
        "notes",
        "settings",
        "noise",
    }
    accuracy = data["metrics"][0]
    assert accuracy["name"] == "accuracy"
    assert accuracy["goal"] == "maximize"
    assert accuracy["bound"] == "no-change"
    assert accuracy["shift_interval"].keys() == {"low", "high"}
    assert len(accuracy["baseline_values"]) == 20
    assert data["failed_runs"][0]["status"] == "failed"
    assert data["notes"] == [{"seeds": [105], "kind": "failed-runs"}]  # each note names its kind
    # the absolute min_effect is stored once, in its metric; the settings keep what was written
    assert data["settings"]["min_effects"] == [{"metric": "accuracy", "configured": "0.005"}]
    assert [set(plan) & {"min_effect", "absolute"} for plan in data["plans"]] == [set()]
    # (and explain's advice keeps the min_effect explain planned for, against its own runs)
    assert render_json(result).count('"min_effect"') == len(data["metrics"]) + len(data["noise"])
    assert data["design"]["looks"] == [3, 5, 10, 15, 20]
    assert data == comparison_to_dict(result)


def test_json_writes_nan_and_inf_as_null_and_numpy_numbers_as_numbers() -> None:
    base = comparison(Verdict.NO_BASELINE, (metric(candidate=(0.8,), verdict=Verdict.NO_BASELINE),))
    odd = dataclasses.replace(
        base.metrics[0],
        shift=math.inf,
        shift_interval=Interval(math.nan, math.nan),
        min_effect=np.float64(0.01),
        bad_seeds=(np.int64(3),),  # type: ignore[arg-type]
    )
    text = render_json(dataclasses.replace(base, metrics=(odd,)))
    assert "NaN" not in text
    assert "Infinity" not in text
    data = json.loads(text)["metrics"][0]
    assert data["candidate"]["std"] is None
    assert data["shift"] is None
    assert data["shift_interval"] == {"low": None, "high": None}
    assert data["min_effect"] == 0.01
    assert data["bad_seeds"] == [3]


def test_json_refuses_unknown_objects() -> None:
    result = dataclasses.replace(comparison(), notes=(object(),))  # type: ignore[arg-type]
    with pytest.raises(ReportError, match="cannot write a object"):
        render_json(result)


def test_hostile_text_survives_json_unchanged() -> None:
    data = json.loads(render_json(hostile_comparison()))
    assert data["metrics"][0]["name"] == HOSTILE_NAME
    assert data["failed_runs"][0]["log_tail"] == HOSTILE_LOG
    assert "stopped <b>now</b> | [x](javascript:y)" in single_spaced(data["stop_reason"])
