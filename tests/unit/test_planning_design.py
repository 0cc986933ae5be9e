"""planning.design.design_for: the one choice of design for plans, init and explain."""

from __future__ import annotations

import pytest

from seedgate.config.settings import Config, MinEffect, build_config
from seedgate.planning.design import design_for
from seedgate.stats import paired


def test_without_a_baseline_the_configured_baseline_runs_unpaired() -> None:
    config = build_config({"baseline_runs": 12, "simulations": 2000})
    design, correlation = design_for(config, None)
    assert design.baseline_n == 12
    assert design.looks == config.look_schedule()
    assert not design.paired_bounds
    assert correlation is None


def test_a_planned_baseline_pairs_when_a_correlation_is_given() -> None:
    config = build_config({"max_runs": 10, "simulations": 2000})
    design, correlation = design_for(config, 10, correlation=paired.TYPICAL_CORRELATION)
    assert design.baseline_n == 10
    assert design.paired_bounds
    assert correlation == paired.TYPICAL_CORRELATION
    assert design.looks[-1] == 10


def test_the_design_follows_the_configured_calibration() -> None:
    one = design_for(build_config({"simulations": 2000, "stats_seed": 1}), 20).design
    again = design_for(build_config({"simulations": 2000, "stats_seed": 1}), 20).design
    other = design_for(build_config({"simulations": 2000, "stats_seed": 2}), 20).design
    assert one == again
    assert one != other


def test_a_relative_min_effect_is_a_share_of_the_reference_mean() -> None:
    relative = MinEffect(0.01, relative=True)
    assert relative.absolute([0.7, 0.9]) == pytest.approx(0.008)
    assert relative.absolute([-2.0]) == pytest.approx(0.02)
    assert relative.absolute([]) == 0.0
    assert MinEffect(0.5, relative=False).absolute([]) == 0.5


def test_config_default_looks_reach_max_runs() -> None:
    assert design_for(Config(), None).design.looks[-1] == Config().max_runs
