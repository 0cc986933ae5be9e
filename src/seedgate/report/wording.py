"""The report's words, shared by the Markdown and the terminal output (plain text here).

The headline, the one sentence of why, the neutral words for metrics that do not gate,
and which metrics go on the first screen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from seedgate.records import Comparison, Goal, MetricComparison, Verdict
from seedgate.report import text as prose
from seedgate.report.filters import clip, decimals_for_spread, fmt_number, fmt_pct, one_line

_VERDICT_STYLE: Mapping[Verdict, tuple[str, str]] = {
    Verdict.REGRESSION: ("\u274c", "regression"),
    Verdict.IMPROVEMENT: ("\U0001f7e2", "improvement"),
    Verdict.NO_CHANGE: ("\u2705", "no change"),
    Verdict.INCONCLUSIVE: ("\u26a0\ufe0f", "inconclusive"),
    Verdict.NO_BASELINE: ("\u2139\ufe0f", "no baseline"),
}
# A metric that does not gate is described without the verdict's emoji or colour.
_NEUTRAL_WORDS: Mapping[Verdict, str] = {
    Verdict.REGRESSION: "worse",
    Verdict.IMPROVEMENT: "better",
    Verdict.NO_CHANGE: "no change",
    Verdict.INCONCLUSIVE: "undecided",
    Verdict.NO_BASELINE: "no baseline",
}
_GOAL_ARROW: Mapping[Goal, str] = {Goal.MAXIMIZE: "\u2191", Goal.MINIMIZE: "\u2193"}
PRIMARY_STAR = "\u2605"
_SHA = re.compile(r"[0-9a-f]{13,64}")


def verdict_emoji(verdict: Verdict) -> str:
    return _VERDICT_STYLE[verdict][0]


def verdict_text(verdict: Verdict) -> str:
    """The verdict in words: "regression", "no change", ..."""
    return _VERDICT_STYLE[verdict][1]


def neutral_text(verdict: Verdict) -> str:
    """A non-gating metric's result in plain words: "worse", "better", "undecided"..."""
    return _NEUTRAL_WORDS[verdict]


def goal_arrow(goal: Goal) -> str:
    return _GOAL_ARROW[goal]


def gating_metrics(comparison: Comparison) -> list[MetricComparison]:
    """The metrics that gate, those carrying the overall verdict first."""
    gating = [m for m in comparison.metrics if m.gating]
    return sorted(gating, key=lambda m: m.verdict is not comparison.verdict)


def other_metrics(comparison: Comparison) -> list[MetricComparison]:
    return [m for m in comparison.metrics if not m.gating]


def _decisive(comparison: Comparison) -> list[MetricComparison]:
    same = [m for m in comparison.metrics if m.verdict is comparison.verdict]
    gating = [m for m in same if m.gating]
    return gating or same


def headline(comparison: Comparison) -> str:
    """One line of plain text: emoji and verdict, e.g. "❌ Regression in accuracy"."""
    verdict = comparison.verdict
    emoji = verdict_emoji(verdict)
    names = _headline_names(_decisive(comparison))
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


HEADLINE_NAMES = 3  # the headline names at most this many metrics, then "and N more"
STOP_REASON_CHARS = 300  # the first screen's stop line, whatever the number of metrics


def _headline_names(metrics: Sequence[MetricComparison]) -> str:
    shown = ", ".join(one_line(m.name) for m in metrics[:HEADLINE_NAMES])
    rest = len(metrics) - HEADLINE_NAMES
    return f"{shown} and {rest} more" if rest > 0 else shown


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


def relative_text(metric: MetricComparison) -> str | None:
    """The shift relative to the baseline mean, e.g. "-2.4%" (None: not defined)."""
    if metric.shift is None or metric.baseline is None:
        return None
    reference = metric.baseline.mean
    if not (math.isfinite(reference) and reference != 0 and math.isfinite(metric.shift)):
        return None
    relative = metric.shift / abs(reference)
    digits = 1 if abs(relative) >= 0.001 or relative == 0 else 2
    return str(fmt_pct(relative, digits, signed=True))


def _amount(metric: MetricComparison, shift: float) -> str:
    size = fmt_number(abs(shift), metric_decimals(metric))
    relative = relative_text(metric)
    return f"{size} ({relative.lstrip('+-')})" if relative else str(size)


def _names(metrics: Sequence[MetricComparison]) -> str:
    first = one_line(metrics[0].name)
    return first if len(metrics) == 1 else f"{first} and {len(metrics) - 1} more"


def why(comparison: Comparison) -> str:
    """One sentence that says why the verdict is what it is, in plain words."""
    verdict = comparison.verdict
    decisive = _decisive(comparison)
    runs = comparison.candidate_runs
    if verdict is Verdict.NO_BASELINE:
        return (
            "No baseline was found, so nothing was compared; run seedgate baseline on the "
            "main branch (the action does it on pushes to main) and the next run compares."
        )
    if verdict is Verdict.NO_CHANGE:
        return (
            f"After {runs} candidate runs no gating metric has moved by its min_effect, "
            "the smallest change that matters, or more."
        )
    if verdict is Verdict.INCONCLUSIVE:
        return (
            f"After {runs} candidate runs, a change of min_effect in {_names(decisive)} still "
            "cannot be told from seed noise; the notes below say how many runs would."
        )
    direction = "worse" if verdict is Verdict.REGRESSION else "better"
    lead = decisive[0]
    if lead.shift is None:
        return f"{_names(decisive)} got {direction}, by more than seed noise explains."
    extra = len(decisive) - 1
    more = f" (and {extra} more metric{'s' if extra > 1 else ''})" if extra else ""
    return (
        f"{one_line(lead.name)} is {direction} by {_amount(lead, lead.shift)}{more}, more than "
        f"seed noise explains after {runs} candidate runs "
        f"(min_effect {fmt_number(lead.min_effect)})."
    )


def short_commit(commit: str | None) -> str:
    if commit is None:
        return "unknown commit"
    return commit[:12] if _SHA.fullmatch(commit) else commit


def stop_text(comparison: Comparison) -> str:
    """The stop reason (first letter capitalised) and how many runs each side used."""
    reason = clip(one_line(prose.stop_reason(comparison)), STOP_REASON_CHARS)  # it may list metrics
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
    failed = len(comparison.failed_runs)
    if failed:
        counts += f"; {failed} failed run{'s' if failed > 1 else ''} left out (listed below)"
    return f"{reason} {counts}." if reason else f"{counts}."


def environment_text(comparison: Comparison) -> str | None:
    """A warning when the two sides ran on different environments (None: same)."""
    if not comparison.environment_differences:
        return None
    changes = "; ".join(
        f"{one_line(d.key)} {one_line(d.baseline or 'not recorded')} \u2192 "
        f"{one_line(d.candidate or 'not recorded')}"
        for d in comparison.environment_differences
    )
    return (
        f"The baseline was made on a different environment: {changes}. Part of a "
        "difference may come from the environment, not from the change."
    )


def p_better_text(comparison: Comparison) -> str | None:
    rated = [m for m in comparison.metrics if m.p_better is not None]
    if not rated:
        return None
    return "P(better): " + ", ".join(f"{one_line(m.name)} {m.p_better:.2f}" for m in rated) + "."
