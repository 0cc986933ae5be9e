"""What the benchmarks share: where the example is, how a table names its command."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from seedgate.models import RunResult

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "mnist" / "train.py"


def this_command() -> str:
    """The command line that produced a table, printed above it."""
    return "python " + " ".join(shlex.quote(arg) for arg in sys.argv)


def metrics_agreement(a: tuple[RunResult, ...], b: tuple[RunResult, ...]) -> str:
    """'identical' when two runs of the same seeds gave the same metrics, else the largest gap."""
    diffs = [
        abs(x.metrics[name] - y.metrics[name])
        for x, y in zip(a, b, strict=True)
        for name in x.metrics
    ]
    largest = max(diffs, default=0.0)
    return "identical" if largest == 0 else f"differ (max |diff| {largest:.2g})"
