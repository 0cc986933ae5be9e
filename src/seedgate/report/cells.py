"""Pieces of the Markdown report built in Python: cells, rows, short lines, the marker.

Each returns :class:`Markdown`: text from runs is escaped here, numbers formatted here.
"""

from __future__ import annotations

import dataclasses
import math
import re
import urllib.parse
from collections.abc import Sequence

from seedgate.errors import ReportError
from seedgate.records import Comparison, Look, MetricComparison, NoiseBreakdown, Summary
from seedgate.report import wording
from seedgate.report.filters import (
    Markdown,
    fmt_interval,
    fmt_number,
    fmt_p,
    fmt_signed,
    fmt_z,
    md_escape,
    single_spaced,
)
from seedgate.report.wording import (
    PRIMARY_STAR,
    environment_text,
    goal_arrow,
    metric_decimals,
    neutral_text,
    p_better_text,
    relative_text,
    stop_text,
    verdict_emoji,
    verdict_text,
)

_MARKER_SAFE = re.compile(r"[A-Za-z0-9._~:/=+-]")
BAD_SEED_MARK = "\u26a0"
NBSP = "\u00a0"  # keeps "0.85 ± 0.01" and "accuracy ↑" on one line in narrow table cells


def comment_marker(comment_id: str) -> str:
    """The hidden HTML comment that identifies the sticky PR comment.

    Characters outside a small safe set are percent-encoded, so the id can never hold
    ``>`` or a line break and thus cannot close the comment or leak into the body.
    """
    if not isinstance(comment_id, str) or not comment_id.strip():
        raise ReportError(f"comment_id = {comment_id!r}: expected a non-empty string")
    encoded = "".join(
        ch if _MARKER_SAFE.fullmatch(ch) else urllib.parse.quote(ch, safe="") for ch in comment_id
    )
    return f"<!-- seedgate:comment-id={encoded} -->"


# --- per-metric cells ----------------------------------------------------------------


def metric_label(metric: MetricComparison) -> Markdown:
    star = f"{PRIMARY_STAR} " if metric.primary else ""
    return Markdown(f"{star}{md_escape(metric.name)}{NBSP}{goal_arrow(metric.goal)}")


def verdict_cell(metric: MetricComparison) -> Markdown:
    """The verdict with its emoji for a gating metric, neutral words for the others."""
    if not metric.gating:
        return Markdown(neutral_text(metric.verdict))
    return Markdown(f"{verdict_emoji(metric.verdict)}{NBSP}{verdict_text(metric.verdict)}")


def summary_cell(summary: Summary | None, decimals: int | None) -> Markdown:
    if summary is None:
        return Markdown("\u2014")
    if summary.n == 0:
        return Markdown("no runs")
    mean = fmt_number(summary.mean, decimals)
    if summary.n < 2 or not math.isfinite(summary.std):
        return Markdown(f"{mean} (1 run)" if summary.n == 1 else mean)
    return Markdown(f"{mean}{NBSP}\u00b1{NBSP}{fmt_number(summary.std, decimals)}")


NO_INTERVAL = "[too few runs for an interval]"


def difference_cell(metric: MetricComparison, decimals: int | None) -> Markdown:
    if metric.shift is None or metric.baseline is None:
        return Markdown("\u2014")
    interval = (
        fmt_interval(metric.shift_interval, decimals)
        if metric.shift_interval is not None
        else NO_INTERVAL  # too few runs for either end of the tests' interval
    )
    text = f"{fmt_signed(metric.shift, decimals)} {interval}"
    relative = relative_text(metric)
    return Markdown(f"{text} ({relative})" if relative else text)


def bad_seed_line(metric: MetricComparison) -> Markdown:
    """Which seeds of a metric look like bad seeds, with their values on each side."""
    decimals = metric_decimals(metric)
    sides = (
        ("baseline", metric.baseline_seeds, metric.baseline_values),
        ("candidate", metric.candidate_seeds, metric.candidate_values),
    )
    parts = []
    for seed in metric.bad_seeds:
        found = [
            f"{side} {fmt_number(values[i], decimals)}"
            for side, seeds, values in sides
            if len(seeds) == len(values)
            for i, s in enumerate(seeds)
            if s == seed
        ]
        parts.append(f"seed {seed}" + (f" ({', '.join(found)})" if found else ""))
    return Markdown(
        f"Possible bad seed in {md_escape(metric.name)} (far in the tail of the pooled runs; "
        f"shown, not removed, still tested): {md_escape('; '.join(parts))}"
    )


def determinism_text(noise: NoiseBreakdown) -> str:
    if noise.deterministic is None:
        return "Determinism: not checked."
    if noise.deterministic:
        return "Determinism: runs with identical seeds gave identical values."
    spread = fmt_number(noise.identical_seed_max_diff)
    return (
        f"Determinism: runs with identical seeds differed by up to {spread} "
        "(non-deterministic operations)."
    )


# --- tables built in Python ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Table:
    """A Markdown table: header cells, the delimiter cell of each column, rows."""

    header: tuple[Markdown, ...]
    rows: tuple[tuple[Markdown, ...], ...]
    align: tuple[str, ...] = ()

    def delimiters(self) -> tuple[Markdown, ...]:
        return tuple(Markdown(a) for a in (self.align or ("--:",) * len(self.header)))


def _row_keys(seeds: Sequence[int], count: int) -> list[tuple[int, int]]:
    """Row keys: (0, seed) when seeds line up with values, else (1, run position)."""
    if len(seeds) == count:
        return [(0, seed) for seed in seeds]
    return [(1, i + 1) for i in range(count)]


def runs_table(comparison: Comparison) -> Table | None:
    """Every run's value per metric and side, one row per seed (shared seeds side by side)."""
    metrics = [m for m in comparison.metrics if m.baseline_values or m.candidate_values]
    if not metrics:
        return None
    with_baseline = any(m.baseline_values for m in metrics)
    sides = ("baseline", "candidate") if with_baseline else ("candidate",)
    cells: dict[tuple[int, int], dict[tuple[int, str], float]] = {}
    for j, metric in enumerate(metrics):
        for side in sides:
            values = metric.baseline_values if side == "baseline" else metric.candidate_values
            seeds = metric.baseline_seeds if side == "baseline" else metric.candidate_seeds
            for key, value in zip(_row_keys(seeds, len(values)), values, strict=True):
                cells.setdefault(key, {})[(j, side)] = value
    bad = {seed for m in metrics for seed in m.bad_seeds}
    decimals = [metric_decimals(m) for m in metrics]
    header = [Markdown("Seed")]
    header += [Markdown(f"{md_escape(m.name)} {side}") for m in metrics for side in sides]
    rows = []
    for kind, number in sorted(cells):
        label = f"{number}" if kind == 0 else f"run {number}"
        if kind == 0 and number in bad:
            label += f" {BAD_SEED_MARK}"
        row = [Markdown(label)]
        for j in range(len(metrics)):
            for side in sides:
                cell = cells[(kind, number)].get((j, side))
                row.append(Markdown("") if cell is None else fmt_number(cell, decimals[j]))
        rows.append(tuple(row))
    return Table(tuple(header), tuple(rows))


def _mirrored(looks: Sequence[Look]) -> bool:
    """Whether the improvement z is the regression z with its sign turned (one column)."""
    return all(math.isclose(k.z_improvement, -k.z_regression) for k in looks)


def evidence_table(comparison: Comparison) -> Table | None:
    """Each gated look of each metric: z statistics and p values, each number once."""
    looked = [m for m in comparison.metrics if m.looks]
    if not looked:
        return None
    one_z = all(_mirrored(m.looks) for m in looked)
    names = ["Metric", "Look", "Runs (baseline / candidate)"]
    names += ["z"] if one_z else ["z (regression)", "z (improvement)"]
    names += ["p (regression)", "p (improvement)", "z (no change)", "p (no change)"]
    rows = []
    for metric in looked:
        for number, look in enumerate(metric.looks, start=1):
            row = [md_escape(metric.name), Markdown(str(number))]
            row.append(Markdown(f"{look.n_baseline} / {look.n_candidate}"))
            row.append(fmt_z(look.z_regression))
            if not one_z:
                row.append(fmt_z(look.z_improvement))
            row += [fmt_p(look.p_regression), fmt_p(look.p_improvement)]
            row += [fmt_z(look.z_no_change), fmt_p(look.p_no_change)]
            rows.append(tuple(row))
    align = (":--", *("--:",) * (len(names) - 1))
    return Table(tuple(Markdown(n) for n in names), tuple(rows), align)


def settings_rows(comparison: Comparison) -> list[tuple[str, str]]:
    """(setting, value) pairs as plain text; the template escapes them."""
    rows: list[tuple[str, str]] = []
    design = comparison.design
    if design is not None:
        baseline_n = "grows with the candidate" if design.baseline_n is None else design.baseline_n
        rows += [
            ("alpha", f"{design.alpha:g}"),
            ("power (no-change guard)", f"{design.power:g}"),
            ("looks (candidate runs)", ", ".join(str(n) for n in design.looks)),
            ("baseline runs", str(baseline_n)),
            ("indifference zone", f"{design.indifference:g} x min_effect"),
            ("simulations (bound calibration)", str(design.simulations)),
            ("calibration seed", str(design.seed)),
        ]
    rows += [
        ("baseline commit", comparison.baseline_commit or "none"),
        ("candidate commit", comparison.candidate_commit or "none"),
    ]
    if comparison.settings is not None:
        rows += wording.gate_settings_rows(comparison.settings, comparison.metrics)
    return rows


def stop_line(comparison: Comparison) -> Markdown:
    """The stop reason and how many runs each side used, escaped."""
    return md_escape(stop_text(comparison))


# --- links ---------------------------------------------------------------------------


def run_link(run_url: str) -> Markdown:
    """A Markdown link to the workflow run; only http(s) URLs are accepted."""
    parsed = urllib.parse.urlsplit(run_url)
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.netloc
        or single_spaced(run_url) != run_url
        or " " in run_url
    ):
        raise ReportError(
            f"run_url = {run_url!r}: expected an http(s) URL like "
            "https://github.com/OWNER/REPO/actions/runs/ID"
        )
    # Percent-encode what could end the link destination or start Markdown/HTML syntax;
    # & is written as an entity so that "&copy;" in a query is not decoded.
    target = urllib.parse.quote(run_url, safe=":/?#=%+,;@!$*~-._&").replace("&", "&amp;")
    return Markdown(f"[the workflow run]({target})")


def environment_line(comparison: Comparison) -> Markdown | None:
    text = environment_text(comparison)
    return Markdown(f"\u26a0\ufe0f {md_escape(text)}") if text else None


def p_better_line(comparison: Comparison) -> Markdown | None:
    text = p_better_text(comparison)
    return md_escape(text) if text else None
