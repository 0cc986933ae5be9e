"""The annotations' words: regressions, failed runs and an open answer, one plain line each.

``github.commands.Annotations`` only writes them (escaped, counted against GitHub's limits).
"""

from __future__ import annotations

from typing import NamedTuple

from seedgate.records import Comparison, MetricComparison, Summary, Verdict
from seedgate.report.filters import fmt_interval, fmt_number, fmt_signed, single_spaced
from seedgate.report.wording import stop_reason

# the warning when a fork's read-only token cannot comment
FORK_ADVICE = (
    "This pull request comes from a fork, so its token is read-only and seedgate cannot "
    "comment. The verdict is in the job summary and the step outputs. To comment on fork "
    "pull requests, upload .seedgate/report.md with actions/upload-artifact here, and post "
    "it from a second workflow triggered by `workflow_run` (types: [completed]) that has "
    "`pull-requests: write` and downloads the artifact with `run-id: "
    "${{ github.event.workflow_run.id }}`."
)


class Annotation(NamedTuple):
    kind: str  # "error", "warning" or "notice": the workflow command
    message: str
    title: str


def annotations_for(comparison: Comparison) -> tuple[Annotation, ...]:
    """Regressions as errors (gating) or warnings, plus failed runs and open answers."""
    found = [
        Annotation(
            "error" if metric.gating else "warning",
            regression_text(metric),
            f"seedgate: {metric.name}",
        )
        for metric in comparison.metrics
        if metric.verdict is Verdict.REGRESSION
    ]
    found += [
        Annotation(
            "warning",
            f"run with seed {run.seed} failed: {run.reason or run.status.value}",
            "seedgate: failed run",
        )
        for run in comparison.failed_runs
    ]
    if comparison.verdict is Verdict.INCONCLUSIVE:
        found.append(
            Annotation(
                "warning",
                f"inconclusive after {comparison.candidate_runs} runs: {stop_reason(comparison)}",
                "seedgate: inconclusive",
            )
        )
    return tuple(found)


def regression_text(metric: MetricComparison) -> str:
    """One plain line for the annotation, numbers formatted as the report formats them."""
    parts = [f"{single_spaced(metric.name)} regressed"]
    if metric.baseline is not None:
        parts.append(
            f"baseline {_sample(metric.baseline)} -> candidate {_sample(metric.candidate)}"
        )
    if metric.shift is not None:
        interval = metric.shift_interval
        parts.append(
            f"shift {fmt_signed(metric.shift)}" + (f" {fmt_interval(interval)}" if interval else "")
        )
    parts.append(
        f"smallest change that matters {fmt_number(metric.min_effect)} ({metric.goal.value})"
    )
    return "; ".join(parts)


def _sample(summary: Summary) -> str:
    return f"{fmt_number(summary.mean)} ± {fmt_number(summary.std)} (n={summary.n})"
