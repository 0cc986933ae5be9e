from __future__ import annotations

import dataclasses
import re

from seedgate.records import Verdict
from seedgate.report import headline, render_text
from tests.testing.report_fixtures import HOSTILE_NAME, comparison, metric, regression_comparison

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_text_report_has_verdict_why_table_and_no_markdown() -> None:
    text = render_text(regression_comparison())
    lines = text.splitlines()
    assert lines[0] == f"seedgate  {headline(regression_comparison())}"
    assert lines[1].startswith("accuracy is worse by 0.0209 (2.5%)")
    assert "tensorflow 2.15.0 \u2192 2.16.1" in text
    for markdown in ("```", "mermaid", "<details>", "| :--", "**", "<sub>"):
        assert markdown not in text
    row = next(line for line in lines if line.startswith("\u2605 accuracy"))
    assert "0.8501 \u00b1 0.0024" in row
    assert "regression" in row
    loss = next(line for line in lines if line.startswith("val_loss"))
    assert loss.rstrip().endswith("undecided")  # neutral words for a metric that does not gate
    assert "Dim rows do not gate" in text
    assert not ANSI.search(text)


def test_text_report_draws_each_gating_metric_as_a_strip_of_runs() -> None:
    text = render_text(regression_comparison())
    rows = [line for line in text.splitlines() if re.match(r"(baseline|candidate) +\|", line)]
    assert len(rows) == 2  # accuracy only: val_loss does not gate
    baseline, candidate = rows
    assert baseline.endswith("| 20 runs")
    assert candidate.endswith("| 5 runs")
    counted = sum(int(c) for c in baseline.split("|")[1] if c.isdigit())
    assert counted == 20


def test_colour_only_when_asked() -> None:
    coloured = render_text(regression_comparison(), color=True)
    assert "\x1b[1;31m" in coloured  # the regression in bold red
    assert (
        ANSI.sub("", coloured).splitlines()[0]
        == render_text(regression_comparison()).splitlines()[0]
    )


def test_hostile_names_cannot_style_or_break_the_terminal() -> None:
    base = regression_comparison()
    hostile = dataclasses.replace(base.metrics[0], name=HOSTILE_NAME + "\x1b[31m[bold]x[/bold]")
    result = dataclasses.replace(base, metrics=(hostile, *base.metrics[1:]))
    text = render_text(result, color=True)
    assert "\x1b[31m[bold]" not in text
    assert "[bold]x[/bold]" in ANSI.sub("", text)  # shown as text, not markup


def test_no_baseline_text_says_what_to_do() -> None:
    result = comparison(Verdict.NO_BASELINE, (metric(verdict=Verdict.NO_BASELINE),))
    text = render_text(result)
    assert "run seedgate baseline on the main branch" in text
    assert re.search(r"^candidate +\|.*\| 5 runs$", text, re.MULTILINE)
    assert not re.search(r"^baseline +\|", text, re.MULTILINE)


def test_an_80_column_terminal_stacks_the_rows_and_cuts_no_name_or_verdict() -> None:
    text = render_text(regression_comparison(), width=80)
    lines = text.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert "\u2026" not in text  # nothing cut with an ellipsis
    head = lines.index("\u2605 accuracy \u2191  regression")
    assert lines[head + 1].split() == ["baseline", "0.8501", "\u00b1", "0.0024"]
    assert lines[head + 3].startswith("  difference [95%] -0.0209 [-0.0320, -0.0107] -2.5%")
    assert "val_loss \u2193  undecided" in lines
    wide = render_text(regression_comparison(), width=120)
    assert any(line.startswith("Metric ") for line in wide.splitlines())  # the table when it fits


def test_a_long_metric_name_at_80_columns_is_shown_whole() -> None:
    name = "validation/top_5_accuracy_on_the_held_out_shard"
    shown = comparison(metrics=(metric(name=name, primary=True),))
    text = render_text(shown, width=80)
    assert f"\u2605 {name} \u2191" in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
