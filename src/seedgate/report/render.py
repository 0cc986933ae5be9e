"""Render a Comparison as Markdown (PR comment, job summary, files) and as JSON.

The Markdown comes from Jinja2 templates shipped as package data, rendered in a sandbox.
Autoescaping is HTML-only, so it is off; instead ``finalize`` refuses to print any value
that did not pass through one of the filters in ``seedgate.report.filters`` (which return
:class:`Markdown`), so a template cannot print raw run text by mistake.

Layout: the first screen holds the verdict, one sentence of why and a table of the gating
metrics, at most FIRST_SCREEN_LINES lines; everything else is folded in <details>.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import PackageLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from seedgate.errors import ReportError
from seedgate.records import Comparison, MetricComparison
from seedgate.report import plans, wording
from seedgate.report.cells import (
    bad_seed_line,
    comment_marker,
    determinism_text,
    difference_cell,
    environment_line,
    evidence_table,
    metric_label,
    p_better_line,
    run_link,
    runs_table,
    settings_rows,
    stop_line,
    summary_cell,
    verdict_cell,
)
from seedgate.report.charts import chart_caption, mermaid_chart
from seedgate.report.filters import (
    Markdown,
    code_fence,
    fmt_interval,
    fmt_number,
    fmt_p,
    fmt_pct,
    fmt_probability,
    fmt_signed,
    fmt_z,
    md_escape,
    tail_lines,
)
from seedgate.report.noise import advice_sentences
from seedgate.report.wording import (
    gating_metrics,
    headline,
    metric_decimals,
    other_metrics,
    why,
)

SCHEMA = "seedgate.comparison/2"
FIRST_SCREEN_LINES = 15  # Markdown lines above the first <details>, marker included
_TEMPLATE = "report.md.j2"
_FIRST_SCREEN_TEMPLATE = "first_screen_only.md.j2"  # a check run's summary
# Lines of the first screen besides the table rows: marker, title, blank, headline, blank,
# why, blank, table header and delimiter, blank, the runs line (then a blank, not counted).
_FIRST_SCREEN_FIXED = 11


@dataclasses.dataclass(frozen=True)
class Sections:
    """Which optional parts of the report are included."""

    runs: bool = True
    charts: bool = True
    logs: bool = True
    evidence: bool = True
    noise: bool = True
    settings: bool = True
    guide: bool = True  # "how to read this"
    failed: bool = True  # the list of failed runs
    body: bool = True  # everything below the headline: table, notes, failed runs


# Trimmed in this order when a report is too long, with the words used to say so.
_TRIM_STEPS: tuple[tuple[str, str, Callable[[Comparison], bool]], ...] = (
    (
        "runs",
        "per-run values",
        lambda c: any(m.baseline_values or m.candidate_values for m in c.metrics),
    ),
    ("charts", "charts", lambda c: any(m.gating and m.candidate_values for m in c.metrics)),
    ("logs", "failed-run logs", lambda c: any(r.log_tail for r in c.failed_runs)),
    ("evidence", "evidence at each look", lambda c: any(m.looks for m in c.metrics)),
    ("noise", "noise breakdown", lambda c: bool(c.noise)),
    ("settings", "settings", lambda _c: True),
    ("guide", "how to read this", lambda _c: True),
    ("failed", "failed-run list", lambda c: bool(c.failed_runs)),
    ("body", "the metric table and everything below the headline", lambda _c: True),
)


@dataclasses.dataclass(frozen=True)
class Chart:
    name: Markdown
    caption: Markdown
    source: Markdown  # a fenced mermaid block


def charts(comparison: Comparison) -> list[Chart]:
    """One chart of the real runs per gating metric that has run values."""
    out = []
    for metric in gating_metrics(comparison):
        source = mermaid_chart(metric)
        if source is not None:
            out.append(
                Chart(
                    md_escape(metric.name),
                    md_escape(chart_caption(metric)),
                    code_fence(source, "mermaid"),
                )
            )
    return out


def first_screen_split(
    comparison: Comparison, *, with_marker: bool
) -> tuple[list[MetricComparison], list[MetricComparison]]:
    """The gating metrics shown on the first screen, and those folded below it."""
    gating = gating_metrics(comparison)
    fixed = _FIRST_SCREEN_FIXED - (0 if with_marker else 1)
    fixed += 1 if comparison.environment_differences else 0  # its own line under the why
    room = max(1, FIRST_SCREEN_LINES - fixed)
    if len(gating) <= room:
        return gating, []
    return gating[:room], gating[room:]


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
            "advice": advice_sentences,
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
    template: str = _TEMPLATE,
) -> str:
    shown, folded = first_screen_split(comparison, with_marker=marker is not None)
    context: dict[str, Any] = {
        "comparison": comparison,
        "title": title,
        "marker": Markdown(marker) if marker else None,
        "headline": headline(comparison),
        "why": why(comparison),
        "environment_line": environment_line(comparison),
        "p_better_line": p_better_line(comparison),
        "stop_line": stop_line(comparison),
        "shown": shown,
        "folded": folded,
        "others": other_metrics(comparison),
        "sections": sections,
        "trim_note": trim_note,
        "run_link": link,
        "runs_table": runs_table(comparison) if sections.runs else None,
        "evidence_table": evidence_table(comparison) if sections.evidence else None,
        "settings_rows": settings_rows(comparison),
        "flagged": [m for m in comparison.metrics if m.bad_seeds],
        "plan_notes": plans.plan_sentences(comparison),
        "notes": [*wording.origin_notes(comparison), *map(wording.note, comparison.notes)],
        "pairing_lines": [line for m in comparison.metrics for line in wording.metric_lines(m)],
        "charts": charts(comparison) if sections.charts else [],
        "failed_logs": [r for r in comparison.failed_runs if r.log_tail],
    }
    try:
        text = _environment().get_template(template).render(context)
    except TemplateError as exc:
        raise ReportError(f"report template {template} failed: {exc}") from exc
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


def render_first_screen(
    comparison: Comparison, *, title: str = "seedgate", run_url: str | None = None
) -> str:
    """The comment's first screen alone (headline, why, the gating metrics' table): what
    a check run shows as its summary."""
    link = run_link(run_url) if run_url is not None else None
    return _render(
        comparison,
        title=title,
        marker=None,
        link=link,
        sections=Sections(),
        trim_note=None,
        template=_FIRST_SCREEN_TEMPLATE,
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
    data["stop_reason"] = wording.stop_reason(comparison)
    return data


def render_json(comparison: Comparison) -> str:
    return (
        json.dumps(comparison_to_dict(comparison), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n"
    )
