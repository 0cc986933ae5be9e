"""Main's history in words and charts: Markdown (the PR comment's folded section, `seedgate
history --format markdown`), JSON, and the terminal (rich).

The Markdown chart is a Mermaid xychart (GitHub draws it; cmark-gfm passes it through as a
fenced block): one bar per baseline at its mean, coloured by what it is: grey a baseline,
amber one whose environment differs from the baseline before it, red one inside a reported
slide, blue the pull request's runs as the last bar. Bars of another kind get a value
below the axis, so each category shows one bar (as ``report.charts`` does).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from seedgate.history.codec import record_to_dict
from seedgate.history.record import HistoryRecord, MetricRecord
from seedgate.history.view import HistoryView, MetricHistory, Slide
from seedgate.records import EnvironmentDifference, Goal
from seedgate.report.charts import MERMAID_MAX_TEXT
from seedgate.report.filters import (
    code_fence,
    decimals_for_spread,
    fmt_number,
    md_escape,
    mermaid_label,
    single_spaced,
)

KINDS = ("baseline", "new environment", "slide", "candidate")
COLOURS = {
    "baseline": "#8c959f",
    "new environment": "#bf8700",
    "slide": "#cf222e",
    "candidate": "#0969da",
}
COLOUR_WORDS = {
    "baseline": "grey",
    "new environment": "amber",
    "slide": "red",
    "candidate": "blue",
}
ENV_MARK = "(env)"  # after a category whose environment changed (Mermaid labels allow few marks)
MAX_TABLE_METRICS = 4  # columns in the Markdown table; the charts show every metric
_DRIFT_NEVER_GATES = "Drift is reported, never gated on: it does not change the check's result."
_NO_DRIFT = (
    "No slow drift found: the baselines' means move no more than their runs' noise "
    "explains (one-sided CUSUM per metric)."
)
_GOAL_WORDS = {Goal.MAXIMIZE: "higher is better", Goal.MINIMIZE: "lower is better"}
_BAR = "\u2501"
_DOT = "\u25cf"


# --- sentences ---------------------------------------------------------------------------


def commit_label(record: HistoryRecord | None) -> str:
    return record.short_commit if record is not None else "(start)"


def date_label(record: HistoryRecord) -> str:
    return record.when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def change_text(changes: Sequence[EnvironmentDifference]) -> str:
    """'tensorflow: tensorflow 2.19.0 -> tensorflow 2.20.0; gpu: ...' (plain text)."""
    return "; ".join(
        f"{d.key}: {single_spaced(d.baseline or 'not recorded')} \u2192 "
        f"{single_spaced(d.candidate or 'not recorded')}"
        for d in changes
    )


def slide_sentence(metric: MetricHistory, slide: Slide) -> str:
    """One slide in plain text: what moved, how far, over which commits."""
    alarm = slide.alarm
    decimals = decimals_for_spread(alarm.seed_sd, 2)
    where = f"commits {commit_label(slide.since)}..{slide.until.short_commit}"
    step = alarm.largest_step_in_sd
    single = (
        f"no single merge moved it more than {step:.2f} SD"
        if step < abs(alarm.shift_in_sd) / 2
        else f"one merge moved it {step:.2f} SD of that"
    )
    return (
        f"{single_spaced(metric.name)} slid {fmt_number(alarm.shift, decimals)} "
        f"({alarm.shift_in_sd:+.2f} seed SD, from {fmt_number(alarm.level_before, decimals)} "
        f"to {fmt_number(alarm.level_at_alarm, decimals)}) over {slide.merges} baselines of "
        f"main, {where}; {single}."
    )


def history_left_out(error: Exception) -> str:
    """The warning when the history cannot be read or written."""
    return f"{error}. The history is left out of this report; the verdict does not depend on it."


def summary_line(view: HistoryView) -> str:
    """The folded section's one line: how many baselines, and whether main drifts."""
    shown = len(view.records)
    if view.total > shown:
        count = f"last {shown} of {view.total} baselines"
    else:
        count = f"{shown} baseline" + ("" if shown == 1 else "s")
    slides = view.slides
    if not slides:
        return f"History of main: {count}, no drift found"
    names = ", ".join(dict.fromkeys(single_spaced(m.name) for m, _ in slides))
    return f"History of main: {count}, drift in {names}"


# --- Markdown ----------------------------------------------------------------------------


def history_markdown(view: HistoryView, *, folded: bool) -> str:
    """The section: drift bullets, a chart per metric, the table of baselines."""
    body = [*_drift_lines(view), *_chart_blocks(view), _caption(view), "", *_table(view)]
    if not folded:
        return "\n".join([f"### {md_escape(summary_line(view))}", "", *body]) + "\n"
    summary = f"<summary><b>{md_escape(summary_line(view))}</b></summary>"
    return "\n".join(["<details>", summary, "", *body, "", "</details>"]) + "\n"


def _drift_lines(view: HistoryView) -> list[str]:
    if not view.records:
        return ["No baseline of main is recorded yet.", ""]
    lines = [f"- **Drift**: {md_escape(slide_sentence(m, s))}" for m, s in view.slides]
    if lines:
        return [*lines, "", md_escape(_DRIFT_NEVER_GATES), ""]
    return [_NO_DRIFT, ""]


def _constant_line(view: HistoryView) -> str | None:
    constant = [m for m in view.metrics if m.constant]
    if not constant:
        return None
    shown = ", ".join(
        f"{single_spaced(m.name)} = {fmt_number(next(p.mean for p in m.points if p))}"
        if any(m.points)
        else single_spaced(m.name)
        for m in constant
    )
    return f"The same in every run, not charted: {shown}."


def _chart_blocks(view: HistoryView) -> list[str]:
    blocks = []
    constant = _constant_line(view)
    if constant is not None:
        blocks += [md_escape(constant), ""]
    for metric in (m for m in view.metrics if not m.constant):
        source = mermaid_history(view, metric)
        if source is not None:
            blocks += [code_fence(source, "mermaid"), ""]
    return blocks


def _caption(view: HistoryView) -> str:
    kinds = [k for k in KINDS if k != "candidate" or view.candidate is not None]
    words = {
        "baseline": "a baseline of main (the mean of its runs)",
        "new environment": "its environment differs from the baseline before",
        "slide": "inside a reported slide",
        "candidate": "this pull request's runs",
    }
    parts = [f"{COLOUR_WORDS[k]}: {words[k]}" for k in kinds]
    marks = [
        f"`{r.short_commit}`: {md_escape(change_text(c))}"
        for r, c in zip(view.records, view.changes, strict=True)
        if c
    ]
    if view.candidate is not None and view.candidate_changes:
        marks.append(f"this pull request: {md_escape(change_text(view.candidate_changes))}")
    caption = "Bars: " + "; ".join(parts) + "."
    if marks:
        caption += f" Environment changes {ENV_MARK}: " + "; ".join(marks) + "."
    return caption


def _categories(view: HistoryView) -> list[str]:
    labels, seen = [], set()
    for record, changes in zip(view.records, view.changes, strict=True):
        base = record.short_commit + (f" {ENV_MARK}" if changes else "")
        label, again = base, 1
        while label in seen:
            again += 1
            label = f"{base}-{again}"
        seen.add(label)
        labels.append(f'"{mermaid_label(label)}"')
    if view.candidate is not None:
        labels.append(f'"PR {ENV_MARK}"' if view.candidate_changes else '"PR"')
    return labels


def _kind(view: HistoryView, metric: MetricHistory, position: int) -> str:
    if metric.in_slide(position, view.offset):
        return "slide"
    return "new environment" if view.changes[position] else "baseline"


def mermaid_history(view: HistoryView, metric: MetricHistory) -> str | None:
    """The xychart of one metric's baseline means (and the candidate's); None without data."""
    cells: list[tuple[str, float | None]] = [
        (_kind(view, metric, i), p.mean if p is not None else None)
        for i, p in enumerate(metric.points)
    ]
    if view.candidate is not None:
        cells.append(("candidate", metric.candidate.mean if metric.candidate else None))
    values = [v for _, v in cells if v is not None]
    if not values:
        return None
    low, high, decimals = _axis(values)
    floor = _number(low - (high - low), decimals)
    drawn = [k for k in KINDS if any(kind == k for kind, _ in cells)]
    palette = ", ".join(COLOURS[k] for k in drawn)
    name = mermaid_label(metric.name)
    goal = f" ({_GOAL_WORDS[metric.goal]})" if metric.goal else ""
    out = [
        '%%{init: {"xyChart": {"xAxis": {"labelFontSize": 11}}, '
        '"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%',
        "xychart-beta",
        f'    title "{name}{goal} - mean of each baseline of main"',
        f'    x-axis "baselines of main, oldest first" [{", ".join(_categories(view))}]',
        f'    y-axis "{name}" {_number(low, decimals)} --> {_number(high, decimals)}',
    ]
    for kind in drawn:
        row = [_number(v, decimals) if k == kind and v is not None else floor for k, v in cells]
        out.append(f"    bar [{', '.join(row)}]")
    source = "\n".join(out)
    return source if len(source) <= MERMAID_MAX_TEXT else None


def _axis(values: Sequence[float]) -> tuple[float, float, int]:
    low, high = min(values), max(values)
    if high - low <= 1e-9 * max(abs(low), abs(high)):  # equal up to rounding
        pad = abs(low) * 0.01 or 1.0
    else:
        pad = (high - low) * 0.15
    low, high = low - pad, high + pad
    decimals = decimals_for_spread(high - low, 3) or 0
    return round(low, decimals), round(high, decimals), decimals


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.removeprefix("-") if float(text) == 0 else text


def _metric_cell(point: MetricRecord | None) -> str:
    if point is None:
        return "\u2014"
    decimals = decimals_for_spread(point.sd, 2) if point.n > 1 else None
    if point.n < 2 or math.isnan(point.sd):
        return f"{fmt_number(point.mean, decimals)} (1 run)"
    return f"{fmt_number(point.mean, decimals)} \u00b1 {fmt_number(point.sd, decimals)}"


def _table(view: HistoryView) -> list[str]:
    if not view.records:
        return []
    varying = [m for m in view.metrics if not m.constant]
    metrics = varying[:MAX_TABLE_METRICS]
    head = ["#", "commit", "date (UTC)", "runs", *(md_escape(m.name, 40) for m in metrics)]
    head.append("environment")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for position, record in enumerate(view.records):
        cells = [
            str(view.offset + position + 1),
            f"`{record.short_commit}`",
            date_label(record),
            _runs(record),
            *(_metric_cell(m.points[position]) for m in metrics),
            md_escape(change_text(view.changes[position]), 200) or "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if view.candidate is not None:
        cells = [
            "PR",
            f"`{view.candidate.short_commit}`",
            date_label(view.candidate),
            _runs(view.candidate),
            *(_metric_cell(m.candidate) for m in metrics),
            md_escape(change_text(view.candidate_changes), 200) or "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(varying) > MAX_TABLE_METRICS:
        lines += ["", f"The table shows the first {MAX_TABLE_METRICS} metrics; the charts all."]
    return lines


def _runs(record: HistoryRecord) -> str:
    ok = record.runs - record.failed_runs
    return f"{ok} ({record.failed_runs} failed)" if record.failed_runs else str(ok)


# --- JSON --------------------------------------------------------------------------------


def history_json(view: HistoryView) -> dict[str, Any]:
    """The shown records as stored, the environment changes and the slides."""
    return {
        "schema": "seedgate.history-view/1",
        "baselines": view.total,
        "shown": [
            {**record_to_dict(r), "environment_changes": [_change(d) for d in c]}
            for r, c in zip(view.records, view.changes, strict=True)
        ],
        "candidate": record_to_dict(view.candidate) if view.candidate else None,
        "drift": [_slide_json(m, s) for m, s in view.slides],
    }


def _change(difference: EnvironmentDifference) -> dict[str, str | None]:
    return {"key": difference.key, "from": difference.baseline, "to": difference.candidate}


def _slide_json(metric: MetricHistory, slide: Slide) -> dict[str, Any]:
    alarm = slide.alarm
    return {
        "metric": metric.name,
        "since_commit": slide.since.commit if slide.since else None,
        "first_commit": slide.first.commit,
        "until_commit": slide.until.commit,
        "baselines": slide.merges,
        "shift": alarm.shift,
        "shift_in_sd": alarm.shift_in_sd,
        "level_before": alarm.level_before,
        "level_at_alarm": alarm.level_at_alarm,
        "largest_single_step_in_sd": alarm.largest_step_in_sd,
        "sentence": slide_sentence(metric, slide),
    }


# --- terminal ----------------------------------------------------------------------------

_STYLES = {
    "baseline": "white",
    "new environment": "yellow",
    "slide": "bold red",
    "candidate": "bold blue",
}
CHART_WIDTH = 30
_TERMINAL_COLUMNS = (
    "#",
    "commit",
    "date (UTC)",
    "runs",
    "mean \u00b1 SD",
    "mean \u00b1 2 SE",
    "note",
)


def history_terminal(view: HistoryView, *, width: int = 110, colour: bool = True) -> str:
    """Per metric a table of baselines with a dot chart (the mean, +- 2 standard errors)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=colour, no_color=not colour, highlight=False
    )
    console.print(Text(summary_line(view), style="bold"))
    if not view.records:
        console.print("No baseline of main is recorded yet.")
        return buffer.getvalue()
    for metric, slide in view.slides:
        console.print(Text("drift: " + slide_sentence(metric, slide), style="bold red"))
    if view.slides:
        console.print(Text(_DRIFT_NEVER_GATES, style="dim"))
    for metric in (m for m in view.metrics if not m.constant):
        console.print(_metric_table(view, metric))
    constant = _constant_line(view)
    if constant is not None:
        console.print(Text(constant, style="dim"))
    for record, changes in zip(view.records, view.changes, strict=True):
        if changes:
            console.print(Text(f"{record.short_commit}: {change_text(changes)}", style="yellow"))
    if view.candidate is not None and view.candidate_changes:
        console.print(Text(f"this PR: {change_text(view.candidate_changes)}", style="yellow"))
    return buffer.getvalue()


def _metric_table(view: HistoryView, metric: MetricHistory) -> Table:
    goal = f" ({_GOAL_WORDS[metric.goal]})" if metric.goal else ""
    table = Table(
        title=Text(single_spaced(metric.name) + goal), box=box.SIMPLE_HEAD, title_justify="left"
    )
    for header in _TERMINAL_COLUMNS:
        table.add_column(header, no_wrap=header != "note")
    rows = [
        (
            str(view.offset + i + 1),
            record,
            point,
            _kind(view, metric, i),
            ", ".join(d.key for d in view.changes[i]),
        )
        for i, (record, point) in enumerate(zip(view.records, metric.points, strict=True))
    ]
    if view.candidate is not None:
        rows.append(
            (
                "PR",
                view.candidate,
                metric.candidate,
                "candidate",
                change_text(view.candidate_changes),
            )
        )
    scale = _scale([p for _, _, p, _, _ in rows if p is not None])
    for number, record, point, kind, note in rows:
        label = {"slide": "drift", "candidate": "this PR"}.get(kind, "")
        if note:
            label = ", ".join(filter(None, [label, "new " + note]))
        table.add_row(
            number,
            record.short_commit,
            date_label(record)[5:],  # the year is in the Markdown and the JSON
            _runs(record),
            _metric_cell(point),
            _dot_row(point, scale, _STYLES[kind]),
            Text(label, style=_STYLES[kind]),
        )
    return table


def _whisker(point: MetricRecord) -> float:
    """Two standard errors of the mean: about its 95% interval."""
    return 2 * point.sd / math.sqrt(point.n) if point.n > 1 and math.isfinite(point.sd) else 0.0


def _scale(points: Sequence[MetricRecord]) -> tuple[float, float]:
    spans = [(p.mean - _whisker(p), p.mean + _whisker(p)) for p in points]
    if not spans:
        return 0.0, 1.0
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _dot_row(point: MetricRecord | None, scale: tuple[float, float], style: str) -> Text:
    """The mean as a dot on a shared axis, with a bar over mean +- 2 standard errors."""
    if point is None:
        return Text(" " * CHART_WIDTH)
    low, high = scale

    def column(value: float) -> int:
        if high == low:
            return CHART_WIDTH // 2
        return max(0, min(CHART_WIDTH - 1, round((value - low) / (high - low) * (CHART_WIDTH - 1))))

    half = _whisker(point)
    cells = [" "] * CHART_WIDTH
    for position in range(column(point.mean - half), column(point.mean + half) + 1):
        cells[position] = _BAR
    cells[column(point.mean)] = _DOT
    return Text("".join(cells), style=style)
