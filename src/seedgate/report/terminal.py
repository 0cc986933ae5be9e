"""The report for a person at a terminal: colour, one compact table, text strip charts.

Built with rich from Text objects (never markup strings), so text from runs cannot style
or break the output. Returns a string; the caller decides where it goes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from seedgate.records import Comparison, MetricComparison, Verdict
from seedgate.report import plans, wording
from seedgate.report.charts import strip_plot
from seedgate.report.filters import fmt_interval, fmt_number, fmt_signed, single_spaced
from seedgate.report.wording import (
    PRIMARY_STAR,
    environment_text,
    gating_metrics,
    goal_arrow,
    headline,
    metric_decimals,
    neutral_text,
    other_metrics,
    relative_text,
    stop_text,
    verdict_text,
    why,
)

_STYLE: Mapping[Verdict, str] = {
    Verdict.REGRESSION: "bold red",
    Verdict.IMPROVEMENT: "bold green",
    Verdict.NO_CHANGE: "bold green",
    Verdict.INCONCLUSIVE: "bold yellow",
    Verdict.NO_BASELINE: "bold cyan",
    Verdict.METRIC_ABSENT: "bold magenta",
    Verdict.BASELINE: "bold cyan",
}
_NEUTRAL = "dim"
_UNBOUNDED = 10_000  # columns: measures the table's natural width


def _summary(metric: MetricComparison, side: str) -> str:
    summary = metric.baseline if side == "baseline" else metric.candidate
    if summary is None or summary.n == 0:
        return "\u2014"
    decimals = metric_decimals(metric)
    mean = fmt_number(summary.mean, decimals)
    if summary.n < 2:
        return f"{mean} (1 run)"
    return f"{mean} \u00b1 {fmt_number(summary.std, decimals)}"


def _difference(metric: MetricComparison) -> str:
    if metric.shift is None:
        return "\u2014"
    decimals = metric_decimals(metric)
    text = f"{fmt_signed(metric.shift, decimals)} {fmt_interval(metric.shift_interval, decimals)}"
    relative = relative_text(metric)
    return f"{text} {relative}" if relative else text


def _name_cell(metric: MetricComparison) -> str:
    star = f"{PRIMARY_STAR} " if metric.primary else ""
    return f"{star}{single_spaced(metric.name)} {goal_arrow(metric.goal)}"


def _table(gating: Sequence[MetricComparison], others: Sequence[MetricComparison]) -> Table:
    caption = "Dim rows do not gate; they are shown for information." if others else None
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        caption=caption,
        caption_justify="left",
    )
    table.add_column("Metric")
    table.add_column("Baseline", justify="right", no_wrap=True)
    table.add_column("Candidate", justify="right", no_wrap=True)
    table.add_column("Difference [interval]", justify="right", no_wrap=True)
    table.add_column("Verdict")
    for metric in gating:
        verdict = Text(verdict_text(metric.verdict), style=_STYLE[metric.verdict])
        cells = (_name_cell(metric), _summary(metric, "baseline"), _summary(metric, "candidate"))
        table.add_row(*(Text(c) for c in cells), Text(_difference(metric)), verdict)
    for metric in others:
        cells = (_name_cell(metric), _summary(metric, "baseline"), _summary(metric, "candidate"))
        result = neutral_text(metric.verdict)
        table.add_row(*(Text(c) for c in (*cells, _difference(metric), result)), style=_NEUTRAL)
    return table


def _stacked(gating: Sequence[MetricComparison], others: Sequence[MetricComparison]) -> list[Text]:
    """The table's rows as blocks, one line a column: for a terminal too narrow for the
    table, so that no name, number or verdict is cut."""
    lines: list[Text] = []
    for metric in (*gating, *others):
        informational = metric not in gating
        verdict = neutral_text(metric.verdict) if informational else verdict_text(metric.verdict)
        head = Text(_name_cell(metric), style=_NEUTRAL if informational else "bold")
        head.append("  ")
        head.append(verdict, style=_NEUTRAL if informational else _STYLE[metric.verdict])
        lines.append(head)
        for label, cell in (
            ("baseline", _summary(metric, "baseline")),
            ("candidate", _summary(metric, "candidate")),
            ("difference [95%]", _difference(metric)),
        ):
            lines.append(Text(f"  {label:<17}{cell}", style=_NEUTRAL if informational else ""))
    if others:
        lines.append(Text("Dim rows do not gate; they are shown for information.", style=_NEUTRAL))
    return lines


def _print_metrics(console: Console, comparison: Comparison) -> None:
    """The compact table when it fits the console's width, else the same rows stacked."""
    gating, others = gating_metrics(comparison), other_metrics(comparison)
    table = _table(gating, others)
    unbounded = console.options.update(max_width=_UNBOUNDED)
    if console.measure(table, options=unbounded).maximum <= console.width:
        console.print(table)
        return
    for line in _stacked(gating, others):
        console.print(line)
    console.print()


def _note_lines(comparison: Comparison) -> list[str]:
    notes = [line for m in comparison.metrics for line in wording.metric_lines(m)]
    notes += plans.plan_sentences(comparison)
    notes += [wording.note(n) for n in comparison.notes]
    notes += [
        f"{single_spaced(r.reason or 'no reason given')} (run {r.index}, seed {r.seed}, "
        f"{r.status.value})"
        for r in comparison.failed_runs
    ]
    return [single_spaced(n) for n in notes]


def _print_body(console: Console, comparison: Comparison) -> None:
    console.print(Text(why(comparison)))
    environment = environment_text(comparison)
    if environment:
        console.print(Text(environment, style="yellow"))
    console.print()
    _print_metrics(console, comparison)
    for metric in gating_metrics(comparison):
        rows = strip_plot(metric)
        if rows:
            console.print(Text(f"{single_spaced(metric.name)}: runs per column", style="bold"))
            for row in rows:
                console.print(Text(row), soft_wrap=True)
            console.print()
    console.print(Text(stop_text(comparison), style=_NEUTRAL))
    notes = _note_lines(comparison)
    if notes:
        console.print(Text("Notes:", style="bold"))
        for note in notes:
            console.print(Text(f"  - {note}"))


def render_text(
    comparison: Comparison, *, title: str = "seedgate", color: bool = False, width: int = 100
) -> str:
    """The report as terminal text; with colour (ANSI codes) when `color` is true."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
    )
    heading = Text(f"{single_spaced(title)}  ", style="bold")
    heading.append(headline(comparison), style=_STYLE[comparison.verdict])
    console.print(heading)
    _print_body(console, comparison)
    return buffer.getvalue()
