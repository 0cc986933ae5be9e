"""The job summary's section when the experiment failed or was cancelled: the message and
the runs that finished, one row each."""

from __future__ import annotations

from seedgate.records import RunSet
from seedgate.report.filters import md_escape


def render_failed_experiment(message: str, finished: RunSet | None) -> str:
    lines = ["## seedgate: the experiment failed", "", md_escape(message), ""]
    if finished is not None and finished.runs:
        lines += ["| Seed | Status | Reason |", "| --: | :-- | :-- |"]
        lines += [
            f"| {r.seed} | {r.status.value} | {md_escape(r.reason or '')} |" for r in finished.runs
        ]
        lines.append("")
    return "\n".join(lines)
