"""What the configured runs can resolve, said before a gate spends them.

A min_effect below what the baseline size, the run cap, alpha and power can resolve ends in
"inconclusive" after every run; the gate and ``plan`` say so first, with the runs it would need.
From the baseline's seed SD and the calibrated design, with the normal approximation of
``stats.planning``:

- the smallest effect the gate detects with the configured power by its cap,
- the candidate runs the configured min_effect needs against this baseline, and
- the runs on each side (baseline_runs = max_runs) that would resolve it, for when the
  baseline's own noise is the limit.

When the candidate's seeds will pair with the baseline's (``pairs_with``: decided from the
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

from seedgate.config.defaults import why_chosen
from seedgate.config.settings import Config, MetricSpec
from seedgate.records import Design, PairingStatus, RunSet
from seedgate.run.seeds import run_specs
from seedgate.stats import paired
from seedgate.stats.design import calibrate
from seedgate.stats.planning import candidate_runs_needed, runs_needed
from seedgate.stats.twins import pair_seeds

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


def warning_text(resolution: Resolution) -> str | None:
    """A warning naming the runs needed, or None when the cap resolves min_effect."""
    if resolution.resolvable:
        return None
    r, design = resolution, resolution.design
    head = f"{r.metric}: min_effect {r.min_effect:.4g}"
    if r.min_effect <= 0:
        return (
            f"warning: {r.metric}: min_effect is 0, so the gate can never conclude no-change (an "
            "unchanged candidate ends inconclusive); set the smallest change that matters."
        )
    noise = f"{r.min_effect / r.seed_std:.2f} seed-SDs (seed SD {r.seed_std:.4g})"
    power = f"{design.power:.0%} power at alpha {design.alpha:g}"
    if r.runs_needed is None:
        need = f"cannot be resolved against a baseline of {design.baseline_n} runs"
    else:
        need = f"needs about {r.runs_needed} candidate runs"
    if r.paired_runs_needed is not None and r.paired_runs_needed <= r.cap:
        return f"note: {head} is {noise}; with {power}, unpaired, it {need}" + _paired_rescue(r)
    text = f"warning: {head} is {noise}; with {power} it {need}, and max_runs is {r.cap}: "
    text += f"expect 'inconclusive' after {r.cap} runs."
    if r.correlation is not None and r.paired_runs_needed is not None:
        text += (
            f" Paired with the baseline's seeds it still needs about {r.paired_runs_needed} "
            f"runs when the same-seed correlation is {r.correlation:.1f}."
        )
    if r.smallest_effect is not None:
        text += (
            f" The smallest effect these runs resolve is {r.smallest_effect:.4g} "
            f"({r.smallest_effect / r.seed_std:.2f} seed-SDs): raise min_effect to at least that"
        )
        text += "," if r.runs_each_side is not None else "."
    if r.runs_each_side is not None:
        text += (
            f" or make about {r.runs_each_side} runs on each side "
            f"(baseline_runs = max_runs = {r.runs_each_side})."
        )
    return text


def _paired_rescue(r: Resolution) -> str:
    """The rest of the note for a min_effect only paired seeds resolve within the cap."""
    beyond = f", more than max_runs {r.cap}" if r.runs_needed is not None else ""
    return (
        f"{beyond}. The candidate's seeds pair with the baseline's: a change "
        f"that keeps the same-seed correlation near {r.correlation:.1f} (a learning-rate or "
        f"epoch change) resolves it in about {r.paired_runs_needed} runs; one that decorrelates "
        f"the seeds (a new architecture, another data pipeline) may end 'inconclusive' after "
        f"{r.cap} runs."
    )


def gating_specs(config: Config, reported: tuple[str, ...]) -> tuple[MetricSpec, ...]:
    """The specs that decide the verdict: the primary one if any, else all compared."""
    specs = config.metric_specs(reported)
    primary = tuple(s for s in specs if s.primary)
    return primary or specs


def default_metric_note(config: Config, reported: tuple[str, ...]) -> str | None:
    """Which metric gates when the config names none, and why (None: the config names them)."""
    if config.metrics:
        return None
    specs = config.metric_specs(reported)
    chosen = next((s.name for s in specs if s.primary), None)
    if chosen is None:
        return None
    others = [s.name for s in specs if not s.primary]
    text = f"note: no metrics configured: {chosen} gates ({why_chosen(chosen)})"
    if others:
        text += f"; {', '.join(others)} {'is' if len(others) == 1 else 'are'} reported only"
    return text + ". Name them with [metric.NAME] in seedgate.toml, or run `seedgate init`."


def pairs_with(config: Config, baseline: RunSet) -> bool:
    """Whether a gate against ``baseline`` will pair the candidate's runs with its runs:
    ``stats.twins.pair_seeds`` on the seeds the candidate's runs will get (failures aside)."""
    schedule = config.look_schedule()
    seeds = [spec.seed for spec in run_specs(range(schedule[-1]), config.seed_base)]
    twins = pair_seeds(
        seeds,
        [run.seed for run in baseline.ok_runs],
        cap=schedule[-1],
        lockstep=False,
        looks=len(schedule),
    )
    return twins.status is PairingStatus.PAIRED


def gate_design(config: Config, baseline: RunSet) -> tuple[Design, float | None]:
    """The design a gate against ``baseline`` calibrates, and the same-seed correlation its
    plans assume (``TYPICAL_CORRELATION`` when the seeds will pair, else None)."""
    schedule = config.look_schedule()
    levels = (config.alpha, config.power, config.simulations, config.stats_seed)
    n_baseline = len(baseline.ok_runs)
    if pairs_with(config, baseline):
        return paired.calibrate(schedule, n_baseline, *levels), paired.TYPICAL_CORRELATION
    return calibrate(schedule, n_baseline, *levels), None


def resolutions(config: Config, baseline: RunSet) -> tuple[Resolution, ...]:
    """What each gating metric's min_effect asks of the configured runs, from ``baseline``."""
    if len(baseline.ok_runs) < 2:  # no seed SD, nothing to plan from
        return ()
    design, correlation = gate_design(config, baseline)
    found = []
    for spec in gating_specs(config, baseline.metric_names()):
        values = baseline.values(spec.name)
        if not values or not all(math.isfinite(v) for v in values):
            continue
        effect = spec.min_effect.absolute(float(np.mean(values)))
        resolution = resolve(values, effect, design, metric=spec.name, correlation=correlation)
        if resolution is not None:
            found.append(resolution)
    return tuple(found)


def gate_warnings(config: Config, baseline: RunSet) -> tuple[str, ...]:
    """What to tell the user before gating against ``baseline``: the default metric choice,
    and each gating metric whose min_effect the configured runs cannot resolve."""
    note = default_metric_note(config, baseline.metric_names())
    warnings = (warning_text(r) for r in resolutions(config, baseline))
    return tuple(line for line in (note, *warnings) if line is not None)


def smallest_effect_text(resolution: Resolution) -> str:
    """One line for ``seedgate plan``: the smallest effect these runs resolve."""
    r = resolution
    if r.smallest_effect is None:
        return f"{r.metric}: a cap of {r.cap} runs resolves no effect against this baseline."
    text = (
        f"{r.metric}: the smallest effect a baseline of {r.design.baseline_n} runs and at most "
        f"{r.cap} candidate runs resolve is {_effect(r.smallest_effect, r.seed_std)}"
    )
    if r.paired_smallest_effect is not None:
        text += (
            f" when the change decorrelates the seeds, and "
            f"{_effect(r.paired_smallest_effect, r.seed_std)} with paired seeds at a same-seed "
            f"correlation of {r.correlation:.1f}"
        )
    return f"{text}; min_effect is {r.min_effect:.4g}."


def _effect(amount: float, seed_std: float) -> str:
    return f"{amount:.4g} ({amount / seed_std:.2f} seed-SDs)" if seed_std else f"{amount:.4g}"
