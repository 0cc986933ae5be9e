"""Charts of the real runs: a Mermaid xychart for GitHub, a text strip for the terminal.

Mermaid's xychart draws only bars and lines over one list of x categories; it has no
scatter plot and no missing values. So every run gets its own category: the baseline's
runs first, then the candidate's, each side sorted by value and labelled by seed. One bar
series per side holds that side's values, and a value below the axis (a bar that is not
drawn) in the other side's categories. Every bar top is one real run; nothing
is interpolated. Two flat lines mark the baseline mean plus and minus min_effect: a run
outside them differs from the baseline mean by at least the smallest change that matters.
"""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
from collections.abc import Sequence

from seedgate.records import Goal, MetricComparison
from seedgate.report.filters import decimals_for_spread, fmt_number, mermaid_label, single_spaced

# Grey baseline bars, blue candidate bars, amber min_effect lines: readable on GitHub's
# light and dark themes. xychart has no legend, so the report's caption names the colours.
COLOURS = {"baseline": "#8c959f", "candidate": "#0969da", "min_effect": "#bf8700"}
COLOUR_WORDS = {"baseline": "grey", "candidate": "blue", "min_effect": "amber"}
_STRIP_WIDTH = 40
# Mermaid refuses a diagram longer than this (its default maxTextSize) and draws an error.
MERMAID_MAX_TEXT = 50_000
_X_TITLE = '"runs by seed (b baseline, c candidate), each side sorted"'
_GOAL_WORDS = {Goal.MAXIMIZE: "higher is better", Goal.MINIMIZE: "lower is better"}


def finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if math.isfinite(v)]


@dataclasses.dataclass(frozen=True)
class Side:
    """One side's runs, sorted by value, with the seed of each run (None: unknown)."""

    label: str
    values: tuple[float, ...]
    seeds: tuple[int | None, ...]


def _side(label: str, values: Sequence[float], seeds: Sequence[int]) -> Side:
    known: Sequence[int | None] = seeds if len(seeds) == len(values) else [None] * len(values)
    pairs = sorted(
        ((float(v), s) for v, s in zip(values, known, strict=True) if math.isfinite(v)),
        key=lambda pair: pair[0],
    )
    return Side(label, tuple(v for v, _ in pairs), tuple(s for _, s in pairs))


def sides(metric: MetricComparison) -> tuple[Side, ...]:
    """The sides that have finite values: baseline first."""
    both = (
        _side("baseline", metric.baseline_values, metric.baseline_seeds),
        _side("candidate", metric.candidate_values, metric.candidate_seeds),
    )
    return tuple(side for side in both if side.values)


def min_effect_lines(metric: MetricComparison) -> tuple[float, float] | None:
    """Baseline mean minus and plus min_effect (None without a baseline or min_effect)."""
    baseline = finite(metric.baseline_values)
    if not baseline or not math.isfinite(metric.min_effect) or metric.min_effect <= 0:
        return None
    centre = statistics.fmean(baseline)
    return centre - metric.min_effect, centre + metric.min_effect


def _axis(values: Sequence[float]) -> tuple[float, float, int]:
    """Axis minimum, maximum and the decimals that tell the values apart."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or (abs(low) * 0.01 or 1.0)
    low, high = low - pad, high + pad
    decimals = decimals_for_spread(high - low, 3) or 0
    return round(low, decimals), round(high, decimals), decimals


def _fixed(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text[1:] if re.fullmatch(r"-0(\.0*)?", text) else text


def _category(side: Side, index: int) -> str:
    seed = side.seeds[index]
    prefix = side.label[0]
    return f'"{prefix}{seed}"' if seed is not None else f'"{prefix}#{index + 1}"'


def mermaid_chart(metric: MetricComparison) -> str | None:
    """The xychart source for one metric; None without finite run values or when too long.

    A chart that Mermaid would refuse (over MERMAID_MAX_TEXT characters, thousands of
    runs) is left out rather than drawn as an error; the per-run table still has them.
    """
    drawn = sides(metric)
    if not drawn:
        return None
    lines_at = min_effect_lines(metric)
    every = [v for side in drawn for v in side.values]
    low, high, decimals = _axis(every + list(lines_at or ()))
    name = mermaid_label(metric.name)
    # xychart colours its series in order from the palette: one colour per drawn series.
    palette = ", ".join([COLOURS[s.label] for s in drawn] + [COLOURS["min_effect"]] * 2)
    categories = [_category(side, i) for side in drawn for i in range(len(side.values))]
    out = [
        '%%{init: {"xyChart": {"xAxis": {"labelFontSize": 11}}, '
        '"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%',
        "xychart-beta",
        f'    title "{name} - one bar per run"',
        f"    x-axis {_X_TITLE} [{', '.join(categories)}]",
        f'    y-axis "{name}" {_fixed(low, decimals)} --> {_fixed(high, decimals)}',
    ]
    # Below the axis: such a bar gets a negative height and is not drawn at all (a bar at
    # the axis minimum would still show as a strip, as high as the axis's inner padding).
    floor = _fixed(low - (high - low), decimals)
    for side in drawn:
        cells = [
            _fixed(v, decimals) if other is side else floor for other in drawn for v in other.values
        ]
        out.append(f"    bar [{', '.join(cells)}]")
    if lines_at is not None:
        out += [
            f"    line [{', '.join([_fixed(v, decimals)] * len(categories))}]" for v in lines_at
        ]
    source = "\n".join(out)
    return source if len(source) <= MERMAID_MAX_TEXT else None


def chart_caption(metric: MetricComparison) -> str:
    """Plain text that says what the colours of the metric's chart are."""
    drawn = sides(metric)
    parts = [f"{COLOUR_WORDS[s.label]} bars: {len(s.values)} {s.label} runs" for s in drawn]
    if min_effect_lines(metric) is not None:
        parts.append(
            f"{COLOUR_WORDS['min_effect']} lines: baseline mean \u00b1 min_effect "
            f"({fmt_number(metric.min_effect)})"
        )
    return f"{single_spaced(metric.name)} ({_GOAL_WORDS[metric.goal]}): " + "; ".join(parts) + "."


def _strip_row(values: Sequence[float], low: float, high: float, width: int) -> str:
    counts = [0] * width
    for value in values:
        column = width // 2 if high == low else round((value - low) / (high - low) * (width - 1))
        counts[column] += 1
    return "".join(" " if c == 0 else str(c) if c < 10 else "+" for c in counts)


def strip_plot(metric: MetricComparison, width: int = _STRIP_WIDTH) -> list[str]:
    """Text rows of a strip chart, one per side: each digit counts runs in that column."""
    drawn = sides(metric)
    if not drawn:
        return []
    every = [v for side in drawn for v in side.values]
    low, high = min(every), max(every)
    decimals = decimals_for_spread(high - low, 3)
    rows = [
        f"{side.label:<9} |{_strip_row(side.values, low, high, width)}| {len(side.values)} runs"
        for side in drawn
    ]
    low_text, high_text = fmt_number(low, decimals), fmt_number(high, decimals)
    gap = max(1, width + 2 - len(low_text) - len(high_text))
    rows.append(" " * 10 + low_text + " " * gap + high_text)
    return rows
