"""Which design a gate calibrates: the one decision planning, init and explain share.

A gate against a baseline calibrates the paired design when the candidate's seeds will pair
with the baseline's (``stats.twins.pair_seeds`` on the seeds the runs will get), else the
unpaired one, at the configured looks, alpha, power, simulations and seed. ``seedgate compare``
makes the same choice from the runs it has (``seedgate.compare``).
"""

from __future__ import annotations

from typing import NamedTuple

from seedgate.config.settings import Config
from seedgate.records import Design, PairingStatus, RunSet
from seedgate.run.seeds import run_specs
from seedgate.stats import design as sequential
from seedgate.stats import paired as paired_design
from seedgate.stats.twins import pair_seeds


class GateDesign(NamedTuple):
    design: Design
    # the same-seed correlation plans assume: TYPICAL_CORRELATION (or a measured one) when the
    # seeds pair; None when they do not
    correlation: float | None


def pairs_with(config: Config, baseline: RunSet) -> bool:
    """Whether a gate against ``baseline`` will pair the candidate's runs with its runs:
    ``stats.twins.pair_seeds`` on the seeds the candidate's runs will get (failures aside)."""
    return _seeds_pair(config, [run.seed for run in baseline.ok_runs])


def planned_baseline_pairs(config: Config) -> bool:
    """Whether a gate will pair with a baseline of ``baseline_runs`` runs made by these
    settings (its seeds run from the same ``seed_base``), before any exists."""
    return _seeds_pair(
        config, [spec.seed for spec in run_specs(range(config.baseline_runs), config.seed_base)]
    )


def _seeds_pair(config: Config, baseline_seeds: list[int]) -> bool:
    schedule = config.look_schedule()
    seeds = [spec.seed for spec in run_specs(range(schedule[-1]), config.seed_base)]
    twins = pair_seeds(seeds, baseline_seeds, cap=schedule[-1], lockstep=False, looks=len(schedule))
    return twins.status is PairingStatus.PAIRED


def design_for(
    config: Config,
    baseline: RunSet | int | None,
    *,
    correlation: float | None = None,
) -> GateDesign:
    """The design a gate against ``baseline`` calibrates.

    ``baseline``: the RunSet (its runs count, and its seeds decide the pairing), or a planned
    baseline's run count, or None for ``baseline_runs`` of them. Without a RunSet the seeds pair
    when ``correlation`` (the same-seed correlation to plan for) is given.
    """
    if isinstance(baseline, RunSet):
        n_baseline = len(baseline.ok_runs)
        if pairs_with(config, baseline):
            correlation = paired_design.TYPICAL_CORRELATION
    else:
        n_baseline = config.baseline_runs if baseline is None else baseline
    levels = (config.alpha, config.power, config.simulations, config.stats_seed)
    schedule = config.look_schedule()
    if correlation is not None:
        return GateDesign(paired_design.calibrate(schedule, n_baseline, *levels), correlation)
    return GateDesign(sequential.calibrate(schedule, n_baseline, *levels), None)
