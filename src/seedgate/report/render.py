"""Render a Comparison as Markdown (PR comment, job summary, terminal) and as JSON.

The Markdown comes from Jinja2 templates shipped as package data, rendered in a sandbox.
Autoescaping is HTML-only, so it is off; instead ``finalize`` refuses to print any value
that did not pass through one of the filters in ``seedgate.report.filters`` (which return
:class:`Markdown`), so a template cannot print raw run text by mistake.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
import numbers
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import PackageLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from seedgate.errors import ReportError
from seedgate.models import (
    Comparison,
    Goal,
    MetricComparison,
    NoiseBreakdown,
    Summary,
    Verdict,
)
from seedgate.report import text as prose
from seedgate.report.filters import (
    Markdown,
    code_fence,
    decimals_for_spread,
    fmt_interval,
    fmt_number,
    fmt_p,
    fmt_pct,
    fmt_probability,
    fmt_signed,
    fmt_z,
    md_escape,
    mermaid_label,
    one_line,
    tail_lines,
)

SCHEMA = "seedgate.comparison/1"
GITHUB_COMMENT_LIMIT = 65_536  # characters in a PR comment body
JOB_SUMMARY_LIMIT = 1024 * 1024  # bytes in a job summary step (UTF-8)
_TEMPLATE = "report.md.j2"
_CHART_POINTS = 20
_DOT_PLOT_WIDTH = 40
_MARKER_SAFE = re.compile(r"[A-Za-z0-9._~:/=+-]")
_SHA = re.compile(r"[0-9a-f]{13,64}")

_VERDICT_STYLE: Mapping[Verdict, tuple[str, str]] = {
    Verdict.REGRESSION: ("\u274c", "regression"),
    Verdict.IMPROVEMENT: ("\U0001f7e2", "improvement"),
    Verdict.NO_CHANGE: ("\u2705", "no change"),
    Verdict.INCONCLUSIVE: ("\u26a0\ufe0f", "inconclusive"),
    Verdict.NO_BASELINE: ("\u2139\ufe0f", "no baseline"),
}
_GOAL_ARROW: Mapping[Goal, str] = {Goal.MAXIMIZE: "\u2191", Goal.MINIMIZE: "\u2193"}
_GOAL_WORDS: Mapping[Goal, str] = {
    Goal.MAXIMIZE: "higher is better",
    Goal.MINIMIZE: "lower is better",
}
PRIMARY_STAR = "\u2605"
BAD_SEED_MARK = "\u26a0"


# --- small public helpers ------------------------------------------------------------


def verdict_emoji(verdict: Verdict) -> str:
    return _VERDICT_STYLE[verdict][0]


def verdict_text(verdict: Verdict) -> str:
    """The verdict in words: "regression", "no change", ..."""
    return _VERDICT_STYLE[verdict][1]


def goal_arrow(goal: Goal) -> str:
    return _GOAL_ARROW[goal]


def _decisive_metrics(comparison: Comparison) -> list[str]:
    """Names of the metrics that carry the overall verdict (gating ones first)."""
    same = [m for m in comparison.metrics if m.verdict is comparison.verdict]
    gating = [m for m in same if m.gating]
    return [one_line(m.name) for m in (gating or same)]


def headline(comparison: Comparison) -> str:
    """One line of plain text: emoji and verdict, e.g. "❌ Regression in accuracy"."""
    verdict = comparison.verdict
    emoji = verdict_emoji(verdict)
    names = ", ".join(_decisive_metrics(comparison))
    suffix = f" in {names}" if names else ""
    if verdict is Verdict.REGRESSION:
        return f"{emoji} Regression{suffix}"
    if verdict is Verdict.IMPROVEMENT:
        return f"{emoji} Improvement{suffix}"
    if verdict is Verdict.NO_CHANGE:
        return f"{emoji} No change"
    if verdict is Verdict.INCONCLUSIVE:
        return f"{emoji} Inconclusive{' for ' + names if names else ''}"
    return f"{emoji} No baseline yet"


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


def metric_decimals(metric: MetricComparison) -> int | None:
    """Decimal places for one metric's numbers: two significant digits of its spread."""
    spreads = [
        s.std
        for s in (metric.baseline, metric.candidate)
        if s is not None and math.isfinite(s.std) and s.std > 0
    ]
    if spreads:
        return decimals_for_spread(min(spreads))
    return decimals_for_spread(metric.min_effect)


def metric_label(metric: MetricComparison) -> Markdown:
    star = f"{PRIMARY_STAR} " if metric.primary else ""
    return Markdown(f"{star}{md_escape(metric.name)} {goal_arrow(metric.goal)}")


def verdict_cell(metric: MetricComparison) -> Markdown:
    text = f"{verdict_emoji(metric.verdict)} {verdict_text(metric.verdict)}"
    return Markdown(text if metric.gating else f"{text} (not gating)")


def summary_cell(summary: Summary | None, decimals: int | None) -> Markdown:
    if summary is None:
        return Markdown("\u2014")
    if summary.n == 0:
        return Markdown("no runs")
    mean = fmt_number(summary.mean, decimals)
    if summary.n < 2 or not math.isfinite(summary.std):
        return Markdown(f"{mean} (n={summary.n})")
    return Markdown(f"{mean} \u00b1 {fmt_number(summary.std, decimals)} (n={summary.n})")


def difference_cell(metric: MetricComparison, decimals: int | None) -> Markdown:
    if metric.shift is None or metric.baseline is None:
        return Markdown("\u2014")
    text = f"{fmt_signed(metric.shift, decimals)} {fmt_interval(metric.shift_interval, decimals)}"
    reference = metric.baseline.mean
    if math.isfinite(reference) and reference != 0 and math.isfinite(metric.shift):
        relative = metric.shift / abs(reference)
        digits = 1 if abs(relative) >= 0.001 or relative == 0 else 2
        text += f" ({fmt_pct(relative, digits, signed=True)})"
    return Markdown(text)


def evidence_cell(z: float, p: float) -> Markdown:
    p_text = fmt_p(p)
    return Markdown(f"z={fmt_z(z)}, p{'' if p_text.startswith('<') else '='}{p_text}")


def bad_seed_line(metric: MetricComparison) -> Markdown:
    """ "accuracy: seed 7 (candidate 0.120), seed 9 (baseline 0.801)"."""
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
    return Markdown(f"{md_escape(metric.name)}: {'; '.join(parts)}")


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


# --- charts --------------------------------------------------------------------------


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if math.isfinite(v)]


def _quantiles(values: Sequence[float], points: int) -> list[float]:
    """Empirical quantiles at `points` evenly spaced probabilities (linear interpolation)."""
    ordered = sorted(values)
    if len(ordered) == 1 or points == 1:
        return [ordered[0]] * points
    out = []
    for i in range(points):
        position = i * (len(ordered) - 1) / (points - 1)
        low = math.floor(position)
        high = min(low + 1, len(ordered) - 1)
        out.append(ordered[low] + (ordered[high] - ordered[low]) * (position - low))
    return out


def _axis_range(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or (abs(low) * 0.01 or 1.0)
    return low - pad, high + pad


def _mermaid_number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text[1:] if re.fullmatch(r"-0(\.0*)?", text) else text


def mermaid_chart(metric: MetricComparison) -> str | None:
    """A Mermaid xychart of both sides' sorted run values at matching percentiles.

    xychart has no scatter plot and needs one x category list for all series, so each
    side is drawn as its empirical quantiles: bars for the baseline, a line for the
    candidate. With equal run counts these are exactly the sorted run values.
    """
    baseline = _finite(metric.baseline_values)
    candidate = _finite(metric.candidate_values)
    if len(baseline) + len(candidate) < 2 or not candidate:
        return None
    points = max(2, min(max(len(baseline), len(candidate)), _CHART_POINTS))
    low, high = _axis_range(baseline + candidate)
    decimals = decimals_for_spread(high - low, 3) or 0
    percent = ", ".join(str(round(100 * i / (points - 1))) for i in range(points))
    name = mermaid_label(metric.name)
    series = "bars baseline, line candidate" if baseline else "line candidate"
    lines = [
        "xychart-beta",
        f'    title "{name} - sorted runs ({series})"',
        f'    x-axis "percentile of runs" [{percent}]',
        f'    y-axis "{name}" {_mermaid_number(low, decimals)} --> {_mermaid_number(high, decimals)}',  # noqa: E501
    ]
    for kind, values in (("bar", baseline), ("line", candidate)):
        if values:
            numbers_text = ", ".join(
                _mermaid_number(v, decimals) for v in _quantiles(values, points)
            )
            lines.append(f"    {kind} [{numbers_text}]")
    return "\n".join(lines)


def _dot_row(values: Sequence[float], low: float, high: float, width: int) -> str:
    counts = [0] * width
    for value in values:
        column = width // 2 if high == low else round((value - low) / (high - low) * (width - 1))
        counts[column] += 1
    return "".join(" " if c == 0 else str(c) if c < 10 else "+" for c in counts)


def dot_plot(metric: MetricComparison, width: int = _DOT_PLOT_WIDTH) -> str | None:
    """A plain-text strip chart: each digit counts the runs that fall in that column."""
    sides = [
        (label, values)
        for label, values in (
            ("baseline", _finite(metric.baseline_values)),
            ("candidate", _finite(metric.candidate_values)),
        )
        if values
    ]
    if not sides:
        return None
    every = [v for _, values in sides for v in values]
    low, high = min(every), max(every)
    decimals = decimals_for_spread(high - low, 3)
    name = one_line(metric.name)
    lines = [f"{name} ({_GOAL_WORDS[metric.goal]}): runs per column, + is 10 or more"]
    for label, values in sides:
        lines.append(f"{label:<9} |{_dot_row(values, low, high, width)}| n={len(values)}")
    low_text, high_text = fmt_number(low, decimals), fmt_number(high, decimals)
    gap = max(1, width + 2 - len(low_text) - len(high_text))
    lines.append(" " * 10 + low_text + " " * gap + high_text)
    return "\n".join(lines)


def chart_block(metric: MetricComparison) -> Markdown:
    """The metric's Mermaid chart followed by its plain-text fallback (empty: no values)."""
    mermaid = mermaid_chart(metric)
    text = dot_plot(metric)
    if mermaid is None or text is None:
        return Markdown("")
    caption = f"**{md_escape(metric.name)}** {goal_arrow(metric.goal)}"
    return Markdown(f"{caption}\n\n{code_fence(mermaid, 'mermaid')}\n\n{code_fence(text, 'text')}")


# --- tables built in Python ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RunsTable:
    header: tuple[Markdown, ...]
    rows: tuple[tuple[Markdown, ...], ...]


def _row_keys(seeds: Sequence[int], count: int) -> list[tuple[int, int]]:
    """Row keys: (0, seed) when seeds line up with values, else (1, run position)."""
    if len(seeds) == count:
        return [(0, seed) for seed in seeds]
    return [(1, i + 1) for i in range(count)]


def runs_table(comparison: Comparison) -> RunsTable | None:
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
    return RunsTable(tuple(header), tuple(rows))


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
            (
                "regression/improvement bound per look",
                ", ".join(f"z \u2265 {fmt_number(b)}" for b in design.bounds_alpha),
            ),
            ("indifference zone", f"{design.indifference:g} x min_effect"),
            ("no-change bound", f"z \u2265 {fmt_number(design.bound_beta)}"),
            ("simulations (bound calibration)", str(design.simulations)),
            ("calibration seed", str(design.seed)),
        ]
    rows += [
        ("baseline commit", comparison.baseline_commit or "none"),
        ("candidate commit", comparison.candidate_commit or "none"),
    ]
    if comparison.settings is not None:
        rows += prose.settings_rows(comparison.settings)
    return rows


def short_commit(commit: str | None) -> str:
    if commit is None:
        return "unknown commit"
    return commit[:12] if _SHA.fullmatch(commit) else commit


def stop_line(comparison: Comparison) -> Markdown:
    """The stop reason (first letter capitalised) and how many runs each side used."""
    reason = one_line(prose.stop_reason(comparison))
    reason = reason[:1].upper() + reason[1:]
    if reason and not reason.endswith((".", "!", "?")):
        reason += "."
    candidate = short_commit(comparison.candidate_commit)
    sides = [f"candidate: {comparison.candidate_runs} runs at {candidate}"]
    if comparison.verdict is not Verdict.NO_BASELINE:
        baseline = short_commit(comparison.baseline_commit)
        sides.insert(0, f"baseline: {comparison.baseline_runs} runs at {baseline}")
    counts = "; ".join(sides)
    counts = counts[:1].upper() + counts[1:]
    return md_escape(f"{reason} {counts}." if reason else f"{counts}.")


# --- links ---------------------------------------------------------------------------


def run_link(run_url: str) -> Markdown:
    """A Markdown link to the workflow run; only http(s) URLs are accepted."""
    parsed = urllib.parse.urlsplit(run_url)
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.netloc
        or one_line(run_url) != run_url
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


# --- rendering -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sections:
    """Which optional parts of the report are included."""

    runs: bool = True
    charts: bool = True
    logs: bool = True
    evidence: bool = True
    noise: bool = True
    settings: bool = True
    failed: bool = True  # the list of failed runs
    body: bool = True  # everything below the headline: table, notes, failed runs


# Trimmed in this order when a report is too long, with the words used to say so.
_TRIM_STEPS: tuple[tuple[str, str, Callable[[Comparison], bool]], ...] = (
    (
        "runs",
        "per-run values",
        lambda c: any(m.baseline_values or m.candidate_values for m in c.metrics),
    ),
    ("charts", "charts", lambda c: any(m.candidate_values for m in c.metrics)),
    ("logs", "failed-run logs", lambda c: any(r.log_tail for r in c.failed_runs)),
    ("evidence", "evidence at each look", lambda c: any(m.looks for m in c.metrics)),
    ("noise", "noise breakdown", lambda c: bool(c.noise)),
    ("settings", "settings", lambda _c: True),
    ("failed", "failed-run list", lambda c: bool(c.failed_runs)),
    ("body", "the metric table and everything below the headline", lambda _c: True),
)


def _only_markdown(value: object) -> object:
    """Jinja finalize: print only filtered (Markdown) text and plain integers."""
    if isinstance(value, Markdown) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    shown = repr(value)[:80]
    raise ReportError(
        f"report template printed an unescaped {type(value).__name__} {shown}; "
        "pass it through a filter such as md"
    )


@functools.cache
def _environment() -> SandboxedEnvironment:
    # Autoescape is for HTML; this is Markdown, and finalize enforces our own escaping.
    env = SandboxedEnvironment(
        loader=PackageLoader("seedgate.report", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_only_markdown,
    )
    env.filters.update(
        {
            "md": md_escape,
            "fence": code_fence,
            "tail": tail_lines,
            "num": fmt_number,
            "signed": fmt_signed,
            "interval": fmt_interval,
            "pct": fmt_pct,
            "p": fmt_p,
            "prob": fmt_probability,
            "z": fmt_z,
            "decimals": metric_decimals,
            "metric_label": metric_label,
            "verdict_cell": verdict_cell,
            "summary_cell": summary_cell,
            "difference_cell": difference_cell,
            "evidence_cell": evidence_cell,
            "bad_seed_line": bad_seed_line,
            "determinism": determinism_text,
        }
    )
    return env


def _trim_note(left_out: Sequence[str], max_chars: int, link: Markdown | None) -> Markdown:
    where = f" Everything is in {link}." if link else ""
    return Markdown(
        f"\u2702\ufe0f Trimmed to fit {max_chars:,} characters; left out: "
        f"{', '.join(left_out)}.{where}"
    )


def _render(
    comparison: Comparison,
    *,
    title: str,
    marker: str | None,
    link: Markdown | None,
    sections: Sections,
    trim_note: Markdown | None,
) -> str:
    context: dict[str, Any] = {
        "comparison": comparison,
        "title": title,
        "marker": Markdown(marker) if marker else None,
        "headline": headline(comparison),
        "stop_line": stop_line(comparison),
        "sections": sections,
        "trim_note": trim_note,
        "run_link": link,
        "runs_table": runs_table(comparison) if sections.runs else None,
        "settings_rows": settings_rows(comparison),
        "flagged": [m for m in comparison.metrics if m.bad_seeds],
        "plan_notes": [prose.plan_sentence(p) for p in comparison.plans],
        "notes": [prose.note(n) for n in comparison.notes],
        "pairing_lines": [line for m in comparison.metrics if (line := prose.pairing_line(m))],
        "charts": [b for b in map(chart_block, comparison.metrics) if b] if sections.charts else [],
        "failed_logs": [r for r in comparison.failed_runs if r.log_tail],
    }
    try:
        text = _environment().get_template(_TEMPLATE).render(context)
    except TemplateError as exc:
        raise ReportError(f"report template {_TEMPLATE} failed: {exc}") from exc
    return text.rstrip("\n") + "\n"


def text_length(text: str) -> int:
    """Length in UTF-16 code units: what JavaScript (and so GitHub's limit) counts.

    It is never less than len(text), so a report within it is within both counts.
    """
    return len(text.encode("utf-16-le")) // 2


def render_markdown(
    comparison: Comparison,
    *,
    title: str = "seedgate",
    comment_id: str | None = None,
    max_chars: int | None = None,
    run_url: str | None = None,
) -> str:
    """The report as GitHub-flavoured Markdown, at most max_chars characters long.

    Characters are counted as UTF-16 code units (see text_length). For a limit in bytes
    (the job summary's 1 MiB), pass a quarter of it or check the encoded size.

    When the full report is longer than max_chars, parts are left out in this order until
    it fits: per-run values, charts, failed-run logs, evidence, noise, settings, and at
    last everything below the headline; the report says what was left out.
    """
    if max_chars is not None and (isinstance(max_chars, bool) or max_chars < 1):
        raise ReportError(f"max_chars = {max_chars!r}: expected a positive number of characters")
    marker = comment_marker(comment_id) if comment_id is not None else None
    link = run_link(run_url) if run_url is not None else None
    sections = Sections()
    text = _render(
        comparison, title=title, marker=marker, link=link, sections=sections, trim_note=None
    )
    if max_chars is None or text_length(text) <= max_chars:
        return text
    left_out: list[str] = []
    for name, words, applies in _TRIM_STEPS:
        sections = dataclasses.replace(sections, **{name: False})
        if applies(comparison):
            left_out.append(words)
        note = _trim_note(left_out, max_chars, link)
        text = _render(
            comparison, title=title, marker=marker, link=link, sections=sections, trim_note=note
        )
        if text_length(text) <= max_chars:
            return text
    raise ReportError(
        f"max_chars = {max_chars}: too small for even the report's headline "
        f"({text_length(text)} characters)"
    )


# --- JSON ----------------------------------------------------------------------------


def _jsonable(value: object) -> Any:
    """Plain JSON data: dataclasses as objects, enums as values, NaN/inf as null."""
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    raise ReportError(f"cannot write a {type(value).__name__} to the JSON report: {value!r:.80}")


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    """The Comparison as JSON-ready data, with a schema key and the headline."""
    data: dict[str, Any] = {"schema": SCHEMA, "headline": headline(comparison)}
    data.update(_jsonable(comparison))
    data["stop_reason"] = prose.stop_reason(comparison)
    return data


def render_json(comparison: Comparison) -> str:
    return (
        json.dumps(comparison_to_dict(comparison), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n"
    )
