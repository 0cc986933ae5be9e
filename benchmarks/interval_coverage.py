"""Interval coverage at the look where the gate stopped (used by verdict_quality.py).

The interval shown next to a verdict is the design's repeated 95% interval (Moses' interval
at ``Design.bounds_interval``); for contrast, the fixed-sample exact 95% Moses interval.
"""

from __future__ import annotations

import math

import numpy as np
from common import rate_cell
from numpy.typing import NDArray

from seedgate.records import Design
from seedgate.stats import FloatArray
from seedgate.stats.ranktest import exact_u_cdf


def _moses_k(n_c: int, n_b: int, z: float | None) -> int:
    if z is None:  # the fixed-sample exact 95% interval
        return int(np.searchsorted(exact_u_cdf(n_c, n_b), 0.025, side="right"))
    return max(0, math.floor(n_c * n_b / 2 - z * math.sqrt(n_c * n_b * (n_c + n_b + 1) / 12)))


def coverage_by_look(
    candidate: FloatArray,
    baseline: FloatArray,
    stop_look: NDArray[np.int64],
    looks: tuple[int, ...],
    *,
    shift: float,
    z: tuple[float, ...] | None,
) -> list[tuple[int, int, float]]:
    """(runs, experiments stopping there, coverage) for each look of the schedule."""
    rows: list[tuple[int, int, float]] = []
    for index, n in enumerate(looks):
        chosen = stop_look == index
        if not chosen.any():
            rows.append((n, 0, math.nan))
            continue
        diffs = np.sort(
            (candidate[chosen, :n, None] - baseline[chosen, None, :]).reshape(
                int(chosen.sum()), -1
            ),
            axis=1,
        )
        k = _moses_k(n, baseline.shape[1], None if z is None else z[index])
        if k < 1:
            rows.append((n, int(chosen.sum()), 0.0))
            continue
        covered = (diffs[:, k - 1] <= shift) & (shift <= diffs[:, diffs.shape[1] - k])
        rows.append((n, int(chosen.sum()), float(covered.mean())))
    return rows


def coverage_lines(
    cand: FloatArray, base: FloatArray, stop: NDArray[np.int64], design: Design, drop: float
) -> list[str]:
    """A table per drop: coverage of the true shift (-drop) by the look the gate stopped at."""
    looks = design.looks
    repeated = coverage_by_look(cand, base, stop, looks, shift=-drop, z=design.bounds_interval)
    fixed = coverage_by_look(cand, base, stop, looks, shift=-drop, z=None)
    lines = [
        f"drop {drop:g} x min_effect:",
        "",
        (
            "| stopping look (runs) | experiments | repeated 95% interval (shown) "
            "| fixed-sample 95% interval |"
        ),
        "|---|---:|---:|---:|",
    ]
    for (n, count, cover), (_, _, old) in zip(repeated, fixed, strict=True):
        if count:
            lines.append(f"| {n} | {count} | {rate_cell(cover, count)} | {rate_cell(old, count)} |")
    total = stop.size

    def overall(rows: list[tuple[int, int, float]]) -> float:
        return sum(count * cover for _, count, cover in rows if count) / total

    lines.append(
        f"| any (at the stop) | {total} | {rate_cell(overall(repeated), total)} "
        f"| {rate_cell(overall(fixed), total)} |"
    )
    return [*lines, ""]
