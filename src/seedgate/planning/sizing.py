"""How large a change init's runs say the default design resolves, metric by metric.

Each min_effect is the smallest effect the default design resolves by its cap at the measured
seed SD, rounded up to a readable value: the paired design when the gate's seeds will pair with
a baseline made by the same settings (``planning.design.planned_baseline_pairs``), planned at
``stats.paired.TYPICAL_CORRELATION``, with what a change that decorrelates the seeds needs
beside it. The SD of a few runs is itself noisy; ``seedgate plan`` redoes this from the
baseline's runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seedgate.config.defaults import default_gating_metric
from seedgate.config.settings import RESERVED_METRICS, Config, MetricSpec
from seedgate.errors import ConfigError
from seedgate.planning.design import design_for, planned_baseline_pairs
from seedgate.planning.resolution import smallest_resolvable_sd
from seedgate.records import Design, Goal, RunSet
from seedgate.stats.paired import TYPICAL_CORRELATION

_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)  # at most 25% up


@dataclass(frozen=True, slots=True)
class InitDesign:
    """The design init sizes min_effects under, and what it resolves by its cap in seed SDs."""

    design: Design
    correlation: float | None  # the same-seed correlation paired seeds are planned at
    edge_sd: float  # the smallest effect resolved, in seed SDs
    unrelated_edge_sd: float | None  # paired design: the same for a change that decorrelates


@dataclass(frozen=True, slots=True)
class MetricNoise:
    """One metric as the init runs saw it, and the settings suggested for it."""

    name: str
    mean: float
    seed_std: float
    runs: int
    goal: Goal
    min_effect: float | None  # absolute; None: the runs were identical (keep the 1% default)
    unrelated_effect: float | None  # what a change that decorrelates the seeds needs
    primary: bool


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k that is >= value (> 0)."""
    scale = 10.0 ** math.floor(math.log10(value))
    step = next(s for s in _NICE_STEPS if s * scale >= value * (1 - 1e-9))
    return float(f"{step * scale:.3g}")


def suggest_min_effect(seed_std: float, edge_sd: float | None) -> float | None:
    """The smallest effect resolved (``edge_sd`` seed SDs) at this seed SD, rounded up."""
    if seed_std == 0 or edge_sd is None:
        return None
    return nice_ceiling(edge_sd * seed_std)


def init_design(config: Config) -> InitDesign:
    """The design of a gate against a ``baseline_runs`` baseline made by these settings:
    paired when its seeds will pair, and the smallest effect it resolves by the cap."""
    correlation = TYPICAL_CORRELATION if planned_baseline_pairs(config) else None
    design = design_for(config, None, correlation=correlation).design
    cap = design.looks[-1]
    edge = smallest_resolvable_sd(design, cap, correlation)
    if edge is None:
        raise ConfigError(f"init: a cap of {cap} runs resolves no effect at these settings")
    unrelated = smallest_resolvable_sd(design, cap) if correlation is not None else None
    return InitDesign(design, correlation, edge, unrelated)


def measure(runset: RunSet, sizing: InitDesign) -> tuple[MetricNoise, ...]:
    """Each metric's mean and seed SD over the successful runs, with its suggested settings."""
    names = [n for n in runset.metric_names() if n not in RESERVED_METRICS]
    usable = [n for n in names if all(math.isfinite(v) for v in runset.values(n))]
    runs = len(runset.ok_runs)
    if runs < 2 or not usable:  # a seed SD needs two runs
        raise ConfigError(
            f"init: {runs} successful runs reporting {', '.join(names) or 'no metrics'}; "
            "need at least 2 runs with a finite metric to measure the seed noise"
        )
    chosen = default_gating_metric(usable)
    noise = []
    for name in usable:
        values = np.asarray(runset.values(name), dtype=float)
        seed_std = float(values.std(ddof=1))
        noise.append(
            MetricNoise(
                name,
                float(values.mean()),
                seed_std,
                runs,
                MetricSpec.default_for(name).goal,
                suggest_min_effect(seed_std, sizing.edge_sd),
                suggest_min_effect(seed_std, sizing.unrelated_edge_sd),
                name == chosen,
            )
        )
    return tuple(noise)
