"""What the configured runs can resolve, said before a gate spends them.

A min_effect below what the baseline size, the run cap, alpha and power can resolve ends in
"inconclusive" after every run; the gate and ``plan`` say so first, with the runs it would need.
From the baseline's seed SD and the calibrated design, with the normal approximation of
``stats.planning``:

- the smallest effect the gate detects with the configured power by its cap,
- the candidate runs the configured min_effect needs against this baseline, and
- the runs on each side (baseline_runs = max_runs) that would resolve it, for when the
  baseline's own noise is the limit.

When the candidate's seeds will pair with the baseline's (``planning.design.pairs_with``: from the
seed lists, as the gate decides), the design is the paired one and the runs needed are also
given for a change that keeps the same-seed correlation at ``TYPICAL_CORRELATION``: the
correlation is only known once candidate runs exist, so that figure is what pairing can do,
and the unpaired one what a change that decorrelates the seeds needs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seedgate.config.settings import Config, MetricSpec
from seedgate.planning.design import design_for
from seedgate.records import Design, PowerPlan, RunSet
from seedgate.stats.planning import candidate_runs_needed, plan_runs, runs_needed

_BISECTION_STEPS = 60
_LARGEST_EFFECT_SD = 64.0  # beyond this every design either resolves or never will


@dataclass(frozen=True, slots=True)
class Resolution:
    """What one metric's min_effect asks of the runs."""

    metric: str
    seed_std: float
    min_effect: float  # absolute, in the metric's units
    smallest_effect: float | None  # smallest effect resolved by the cap (None: none is)
    runs_needed: int | None  # candidate runs for min_effect (None: not against this baseline)
    runs_each_side: int | None  # baseline_runs = max_runs = this resolves min_effect
    cap: int
    design: Design
    correlation: float | None = None  # same-seed correlation assumed for paired seeds
    paired_runs_needed: int | None = None  # candidate runs for min_effect at that correlation
    paired_smallest_effect: float | None = None  # smallest effect resolved at that correlation

    @property
    def resolvable(self) -> bool:
        return self.runs_needed is not None and self.runs_needed <= self.cap


def _resolved_by(effect_sd: float, design: Design, cap: int, correlation: float | None) -> bool:
    needed = candidate_runs_needed(effect_sd, design, correlation=correlation)
    return needed is not None and needed <= cap


def smallest_resolvable_sd(
    design: Design, cap: int, correlation: float | None = None
) -> float | None:
    """The smallest effect, in seed-SDs, detected with the design's power by ``cap`` runs
    (``correlation``: paired seeds at that same-seed correlation)."""
    high = _LARGEST_EFFECT_SD
    if not _resolved_by(high, design, cap, correlation):
        return None
    low = 0.0
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        if _resolved_by(middle, design, cap, correlation):
            high = middle
        else:
            low = middle
    return high


def resolve(
    baseline_values: Sequence[float],
    min_effect: float,
    design: Design,
    *,
    metric: str,
    correlation: float | None = None,
) -> Resolution | None:
    """What ``min_effect`` (absolute) needs, from the baseline's values (None: fewer than 2).
    ``correlation``: the same-seed correlation to plan paired seeds with (None: unpaired)."""
    if len(baseline_values) < 2:  # a seed SD needs two runs
        return None
    seed_std = float(np.std(baseline_values, ddof=1))
    cap = design.looks[-1]
    if seed_std == 0:  # deterministic training: any change shows at the first look
        first = design.looks[0]
        return Resolution(metric, 0.0, min_effect, 0.0, first, first, cap, design)
    smallest_sd = smallest_resolvable_sd(design, cap)
    needed = each_side = paired_needed = None
    if min_effect > 0:
        effect_sd = min_effect / seed_std
        needed = candidate_runs_needed(effect_sd, design)
        each_side = runs_needed(effect_sd, dataclasses.replace(design, baseline_n=None))
        if correlation is not None:
            paired_needed = candidate_runs_needed(effect_sd, design, correlation=correlation)
    smallest = None if smallest_sd is None else smallest_sd * seed_std
    paired_smallest = None
    if correlation is not None:
        paired_sd = smallest_resolvable_sd(design, cap, correlation)
        paired_smallest = None if paired_sd is None else paired_sd * seed_std
    return Resolution(
        metric, seed_std, min_effect, smallest, needed, each_side, cap, design,
        correlation, paired_needed, paired_smallest,
    )  # fmt: skip


def gating_specs(config: Config, reported: tuple[str, ...]) -> tuple[MetricSpec, ...]:
    """The specs that decide the verdict: the primary one if any, else all compared."""
    specs = config.metric_specs(reported)
    primary = tuple(s for s in specs if s.primary)
    return primary or specs


def resolutions(config: Config, baseline: RunSet) -> tuple[Resolution, ...]:
    """What each gating metric's min_effect asks of the configured runs, from ``baseline``."""
    if len(baseline.ok_runs) < 2:  # no seed SD, nothing to plan from
        return ()
    design, correlation = design_for(config, baseline)
    found = []
    for spec in gating_specs(config, baseline.metric_names()):
        values = baseline.values(spec.name)
        if not values or not all(math.isfinite(v) for v in values):
            continue
        effect = spec.min_effect.absolute(values)
        resolution = resolve(values, effect, design, metric=spec.name, correlation=correlation)
        if resolution is not None:
            found.append(resolution)
    return tuple(found)


def plan_runs_needed(config: Config, baseline: RunSet) -> tuple[tuple[PowerPlan, float], ...]:
    """For each gated metric: the candidate runs likely needed to resolve its min_effect, with
    that min_effect (absolute) beside the plan."""
    design, correlation = design_for(config, baseline)
    plans = []
    for name in config.gated_metric_names(baseline.metric_names()):
        values = baseline.values(name)
        effect = config.spec_for(name).min_effect.absolute(values)
        plan = plan_runs(
            values, effect, design, design.looks[-1], metric=name, correlation=correlation
        )
        plans.append((plan, effect))
    return tuple(plans)
