"""The report's words, shared by the Markdown, the terminal output and the gate's progress.

Plain text (the templates escape it for Markdown), one small function per kind of fact: the
headline, the one sentence of why, the neutral words for metrics that do not gate, which
metrics go on the first screen, why the gate stopped, notes, pairing and the settings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import assert_never

from seedgate.records import (
    Analysis,
    Comparison,
    ExtraRuns,
    FailedRuns,
    GateSettings,
    Goal,
    LockstepShort,
    MetricComparison,
    Multiplicity,
    NoBaselineYet,
    Note,
    NotInBaseline,
    PairingStatus,
    PrimaryAlone,
    Stop,
    StopKind,
    Unpaired,
    Verdict,
)
from seedgate.report.filters import clip, decimals_for_spread, fmt_number, fmt_pct, single_spaced

_VERDICT_STYLE: Mapping[Verdict, tuple[str, str]] = {
    Verdict.REGRESSION: ("\u274c", "regression"),
    Verdict.IMPROVEMENT: ("\U0001f7e2", "improvement"),
    Verdict.NO_CHANGE: ("\u2705", "no change"),
    Verdict.INCONCLUSIVE: ("\u26a0\ufe0f", "inconclusive"),
    Verdict.NO_BASELINE: ("\u2139\ufe0f", "no baseline"),
    Verdict.METRIC_ABSENT: ("\u26d4", "metric absent"),
    Verdict.BASELINE: ("\U0001f4e6", "baseline made"),
}
# A metric that does not gate is described without the verdict's emoji or colour.
_NEUTRAL_WORDS: Mapping[Verdict, str] = {
    Verdict.REGRESSION: "worse",
    Verdict.IMPROVEMENT: "better",
    Verdict.NO_CHANGE: "no change",
    Verdict.INCONCLUSIVE: "undecided",
    Verdict.NO_BASELINE: "no baseline",
    Verdict.METRIC_ABSENT: "not in the baseline",
    Verdict.BASELINE: "baseline",
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
    if verdict is Verdict.METRIC_ABSENT:
        return f"{emoji} Not compared: {names} not in the baseline"
    if verdict is Verdict.BASELINE:
        return f"{emoji} Baseline made"
    return f"{emoji} No baseline: nothing was compared"


HEADLINE_NAMES = 3  # the headline names at most this many metrics, then "and N more"
STOP_REASON_CHARS = 300  # the first screen's stop line, whatever the number of metrics


def _headline_names(metrics: Sequence[MetricComparison]) -> str:
    shown = ", ".join(single_spaced(m.name) for m in metrics[:HEADLINE_NAMES])
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
    first = single_spaced(metrics[0].name)
    return first if len(metrics) == 1 else f"{first} and {len(metrics) - 1} more"


def why(comparison: Comparison) -> str:
    """One sentence that says why the verdict is what it is, in plain words."""
    verdict = comparison.verdict
    decisive = _decisive(comparison)
    runs = comparison.candidate_runs
    if verdict is Verdict.NO_BASELINE:
        return no_baseline_why(comparison)
    if verdict is Verdict.METRIC_ABSENT:
        return metric_absent_why(comparison)
    if verdict is Verdict.BASELINE:
        return (
            f"These {runs} runs are the baseline that later pull requests are compared with; "
            "nothing was gated."
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
        f"{single_spaced(lead.name)} is {direction} by {_amount(lead, lead.shift)}{more}, more "
        f"than seed noise explains after {runs} candidate runs "
        f"(min_effect {fmt_number(lead.min_effect)})."
    )


def no_baseline_why(comparison: Comparison) -> str:
    skipped = len(comparison.baseline_skipped)
    if skipped:
        return (
            f"No usable baseline: {skipped} candidate{'s were' if skipped > 1 else ' was'} "
            "found but could not be used (listed in the notes), so nothing was compared."
        )
    return (
        "No baseline was found, so nothing was compared; run seedgate baseline on the "
        "main branch (the action does it on pushes to main) and the next run compares."
    )


def metric_absent_why(comparison: Comparison) -> str:
    """Which gating metric one side lacks, and what the baseline reports instead."""
    absent = [
        n
        for n in comparison.notes
        if isinstance(n, NotInBaseline) and n.metric in comparison.stop.metrics
    ]
    names = ", ".join(repr(single_spaced(m)) for m in comparison.stop.metrics)
    reports = absent[0].baseline_metrics if absent else ()
    runs = comparison.baseline_runs
    other = (
        f"its {runs} successful runs report {', '.join(map(single_spaced, reports))}"
        if reports
        else f"it has {runs} successful runs reporting no metric"
    )
    return (
        f"Gating metric {names} is not in the baseline ({other}), so it was not compared: "
        "a renamed, new or dropped gating metric needs a baseline made with the same "
        "metrics (rerun seedgate baseline on the main branch)."
    )


def short_commit(commit: str | None) -> str:
    if commit is None:
        return "unknown commit"
    return commit[:12] if _SHA.fullmatch(commit) else commit


def stop_text(comparison: Comparison) -> str:
    """The stop reason (first letter capitalised) and how many runs each side used."""
    reason = clip(single_spaced(stop_reason(comparison)), STOP_REASON_CHARS)  # it may list metrics
    reason = reason[:1].upper() + reason[1:]
    if reason and not reason.endswith((".", "!", "?")):
        reason += "."
    candidate = short_commit(comparison.candidate_commit)
    sides = [f"candidate: {comparison.candidate_runs} runs at {candidate}"]
    if comparison.verdict is Verdict.BASELINE:
        sides = [f"baseline made: {comparison.candidate_runs} runs at {candidate}"]
    elif comparison.verdict is not Verdict.NO_BASELINE:
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
        f"{single_spaced(d.key)} {single_spaced(d.baseline or 'not recorded')} \u2192 "
        f"{single_spaced(d.candidate or 'not recorded')}"
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
    shown = ", ".join(f"{single_spaced(m.name)} {m.p_better:.2f}" for m in rated)
    return f"P(better): {shown}."


def seed_list(seeds: Sequence[int]) -> str:
    """'0-4' for a run of consecutive seeds, else '0, 1, 3'."""
    if not seeds:
        return "none"
    ordered = list(seeds)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[0] + len(ordered))):
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(str(s) for s in ordered)


def _look_label(stop: Stop) -> str:
    if stop.look is None:
        return f"the single look ({stop.runs} candidate runs)"
    return f"look {stop.look} ({stop.runs} candidate runs)"


def stop_reason(comparison: Comparison) -> str:
    """Which bound was crossed at which look, or why none was (one line)."""
    stop = comparison.stop
    names = ", ".join(stop.metrics)
    match stop.kind:
        case StopKind.NO_BASELINE:
            return "no baseline to compare against: the candidate's runs are summarised only"
        case StopKind.METRIC_ABSENT:
            return f"not in the baseline: {names}; the candidate's runs are summarised only"
        case StopKind.BASELINE:
            return "the runs made the baseline: they are summarised only"
        case StopKind.REGRESSION:
            return f"regression bound crossed for {names} at {_look_label(stop)}"
        case StopKind.SETTLED:
            parts = ", ".join(
                f"{m} {v.value}" for m, v in zip(stop.metrics, stop.verdicts, strict=True)
            )
            return f"every gating metric decided by {_look_label(stop)}: {parts}"
        case StopKind.CAP:
            if stop.look is None:
                return (
                    f"no bound crossed for {names} at the single look ({stop.cap} candidate runs)"
                )
            return f"cap of {stop.cap} runs reached with no bound crossed for {names}"
        case StopKind.BEFORE_FIRST_LOOK:
            return (
                f"{stop.runs} candidate runs so far, fewer than the first look at {stop.next_look}"
            )
        case StopKind.OPEN:
            after = f"still open after {stop.runs} candidate runs: {names}"
            return f"{after}; next look at {stop.next_look} runs" if stop.next_look else after
        case _:
            assert_never(stop.kind)


_UNPAIRED_WHY = {
    PairingStatus.SEEDS_DIFFER: (
        "its seeds are not the baseline's (a different seed_base or seed list)"
    ),
    PairingStatus.BASELINE_TOO_SHORT: "the baseline has fewer runs than the cap",
    PairingStatus.DUPLICATE_SEEDS: "a seed repeats on one side",
    PairingStatus.LOCKSTEP: "the baseline grows with the candidate (lockstep)",
    PairingStatus.SINGLE_LOOK: "a single-look comparison uses the unpaired exact test",
    PairingStatus.PAIRED: "",
}


def built_origin(sha: str, runs: int) -> str:
    return f"built in this job from the base commit {short_commit(sha)} ({runs} runs)"


def origin_notes(comparison: Comparison) -> list[str]:
    """Which baseline was used, and the candidates passed over with their reasons."""
    used = [f"baseline used: {comparison.baseline_origin}"] if comparison.baseline_origin else []
    return used + [f"baseline skipped: {reason}" for reason in comparison.baseline_skipped]


def note(item: Note) -> str:
    """One note of a comparison as a sentence."""
    match item:
        case NoBaselineYet():
            return "no baseline yet: a baseline run on the main branch creates one"
        case NotInBaseline():
            present = ", ".join(item.baseline_metrics) or "none"
            return (
                f"metric {item.metric!r} is not in the baseline (it reports: {present}); "
                "it is shown but not compared"
            )
        case FailedRuns():
            return (
                f"{len(item.seeds)} candidate run(s) failed and are left out of the test "
                f"(seeds {', '.join(str(s) for s in item.seeds)})"
            )
        case ExtraRuns():
            return (
                f"{item.successful} successful candidate runs; the test uses the first {item.used}"
            )
        case LockstepShort():
            short = ", ".join(item.metrics)
            return f"lockstep: the baseline has fewer runs than the candidate for {short}"
        case PrimaryAlone():
            return f"primary metric {item.metric} gates alone; other metrics are reported only"
        case Unpaired():
            return (
                f"{item.metric}: compared unpaired, not seed by seed, because "
                f"{_UNPAIRED_WHY[item.why]} (candidate seeds {seed_list(item.candidate_seeds)}, "
                f"baseline seeds {seed_list(item.baseline_seeds)})"
            )
        case _:
            assert_never(item)


def stability_line(metric: MetricComparison) -> str | None:
    """The stability finding: more diverged candidate runs than the baseline's share."""
    found = metric.stability
    if found is None or not found.worse:
        return None
    return (
        f"{metric.name}: {found.candidate_diverged} of {found.candidate_runs} candidate runs "
        f"diverged, {found.baseline_diverged} of {found.baseline_runs} in the baseline "
        "(not a number, or far on the bad side of the baseline's runs); "
        "the gate does not call no-change while the candidate diverges more often"
    )


def metric_lines(metric: MetricComparison) -> list[str]:
    """The per-metric lines under the table: how it was paired, and its stability."""
    return [line for line in (pairing_line(metric), stability_line(metric)) if line]


def pairing_line(metric: MetricComparison) -> str | None:
    """How a paired metric was compared: seeds, same-seed correlation, what decided."""
    pairing = metric.pairing
    if pairing is None or pairing.status is not PairingStatus.PAIRED:
        return None
    if pairing.identical_seeds:
        seeds = seed_list(pairing.identical_seeds)
        head = f"{metric.name}: identical to the baseline on seeds {seeds} (an exact replay)"
        if metric.decided_by is Analysis.REPLAY:
            return f"{head}: no-change at the first look"
        return f"{head}; with min_effect 0 that cannot conclude no-change"
    rho = "n/a" if pairing.correlation is None else f"{pairing.correlation:.2f}"
    decided = {
        Analysis.PAIRED: "decided by the paired analysis (twins compared seed by seed)",
        Analysis.UNPAIRED: "decided by the unpaired analysis",
        Analysis.REPLAY: "decided by the exact replay",
        None: "not decided yet",
    }[metric.decided_by]
    if metric.looks and metric.looks[-1].t_regression is None:
        decided = (
            "the twins did not move together enough at the last look for pairing to count "
            f"there; {decided}"
        )
    return (
        f"{metric.name}: paired seed by seed on seeds {seed_list(pairing.seeds)}, "
        f"same-seed correlation {rho}; {decided}"
    )


def gate_settings_rows(
    settings: GateSettings, metrics: Sequence[MetricComparison]
) -> list[tuple[str, str]]:
    """(setting, value) pairs for the settings the Design does not show; each min_effect's
    absolute value is its metric's."""
    rows = [
        (
            "baseline",
            "lockstep: the baseline grows with the candidate"
            if settings.lockstep
            else "stored: the same baseline runs at every look",
        ),
        (
            "bad seeds",
            (
                f"robust z (median; MAD or IQR, the larger) of the pooled runs beyond "
                f"{settings.bad_seed_threshold:g}; shown, not removed"
            ),
        ),
        ("multiplicity", _multiplicity(settings)),
    ]
    absolute = {m.name: m.min_effect for m in metrics}
    rows += [
        (
            f"min_effect.{m.metric}",
            f"{absolute[m.metric]:.4g} ({m.configured})" if m.metric in absolute else m.configured,
        )
        for m in settings.min_effects
    ]
    if settings.single_look:
        test = (
            f"single look: exact Mann-Whitney U p-value <= {settings.alpha:g} "
            f"(no-change: <= {1 - settings.power:g})"
        )
    else:
        test = (
            "group-sequential studentised rank test (Brunner-Munzel) against a drop (or gain) "
            "of a quarter of min_effect, ties counted for the null, bounds calibrated by "
            "simulation; paired seed by seed (Munzel) when the seeds match, at looks where "
            "the twins move together"
        )
    rows.append(("test", test))
    return rows


def _multiplicity(settings: GateSettings) -> str:
    match settings.multiplicity:
        case Multiplicity.PRIMARY:
            return f"primary metric {settings.primary} gates alone; others are reported"
        case Multiplicity.HOLM:
            return f"Holm across {settings.gating} gating metrics at each look"
        case Multiplicity.ONE:
            return "one gating metric"
        case _:
            assert_never(settings.multiplicity)


def look_progress(number: int, looks: int, comparison: Comparison) -> str:
    """The gate's progress line after one look (``pipeline`` writes it as the runs go)."""
    return f"[gate] look {number}/{looks}: {stop_reason(comparison)}"


def failed_count(failed: int, runs: int, label: str) -> str:
    """ "3 of 5 baseline runs failed"; a plain ``seedgate run`` says just "runs"."""
    return f"{failed} of {runs} {_side(label)}{'run' if runs == 1 else 'runs'} failed"


def _side(label: str) -> str:
    """The label before "runs", none for a plain ``seedgate run`` (no "run runs")."""
    return "" if label == "run" else f"{label} "


CONTRACT = (
    "a run reports its metrics as one JSON object of numbers, like "
    '{"accuracy": 0.91, "loss": 0.27}, written to $SEEDGATE_METRICS_FILE or printed as the '
    "last line of stdout that is a JSON object; fields that are not numbers are ignored"
)


def broken_contract(runs: int, label: str, reason: str, line: str | None, *, missing: bool) -> str:
    """Why the runs stopped early: the reason, the line the run printed, the contract."""
    if missing:
        head = f"stopped after the first {_side(label)}run: it does not report a configured metric"
        fix = "report that metric, or remove its [metric.NAME] table from the configuration"
    else:
        head = (
            f"stopped after the first {runs} {_side(label)}runs: each broke the experiment "
            "contract the same way"
        )
        fix = "change the script to report its metrics as the contract says, then rerun"
    lines = [head, f"  reason:   {reason}"]
    if line:
        lines.append(f"  line:     {line}")
    lines += [f"  contract: {CONTRACT}", f"  fix:      {fix}"]
    return "\n".join(lines)


def reused_runs_line(reused: int, planned: int) -> str:
    """Before a baseline runs: how many of its runs were already made."""
    return (
        f"reusing {reused} of {planned} runs already made on this commit with the same command "
        f"and seeds; {planned - reused} to run"
    )
