"""A small run of benchmarks/verdict_quality.py: the product's error rates by simulation."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

REPS = 600
ALPHA = 0.05
BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "verdict_quality.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verdict_quality", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verdict_quality"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("noise", ["normal", "bad-seeds"])
@pytest.mark.parametrize("lockstep", [False, True])
def test_false_alarm_rate_stays_within_alpha(bench: ModuleType, noise: str, lockstep: bool) -> None:
    rng = np.random.default_rng(1000 + lockstep * 10 + len(noise))
    cell = bench.seedgate_cell(noise, 0.0, REPS, rng, lockstep=lockstep)
    limit = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / REPS)
    assert cell.regression <= limit
    assert cell.runs_mean < 20  # the no-change bound stops most runs early


@pytest.mark.parametrize("noise", ["normal", "bad-seeds"])
def test_power_at_a_two_sd_drop_is_high_and_fast(bench: ModuleType, noise: str) -> None:
    rng = np.random.default_rng(2000 + len(noise))
    cell = bench.seedgate_cell(noise, 2.0, REPS, rng, lockstep=False)
    assert cell.regression >= 0.97
    assert cell.runs_mean <= 6


def test_single_run_tolerance_raises_many_false_alarms(bench: ModuleType) -> None:
    cell = bench.tolerance_cell("normal", 0.0, 4000, np.random.default_rng(3))
    assert 0.13 < cell.regression < 0.20  # P(N(0,1) < -1) ~ 0.16


def test_table_has_the_command_and_one_row_per_cell(bench: ModuleType) -> None:
    cells = bench.run_all(20, 0)
    table = bench.format_table(cells, "python benchmarks/verdict_quality.py --reps 20")
    lines = table.splitlines()
    assert lines[0] == "$ python benchmarks/verdict_quality.py --reps 20"
    assert sum(line.startswith("| seedgate (baseline 20) |") for line in lines) == 8
    assert len([line for line in lines if line.startswith("| ") and "method" not in line]) == len(
        cells
    )
