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
    if str(BENCHMARK.parent) not in sys.path:
        sys.path.append(str(BENCHMARK.parent))  # the benchmark imports its sibling `common`
    module = importlib.util.module_from_spec(spec)
    sys.modules["verdict_quality"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


LOOKS = (3, 5, 10, 15, 20)


def _cell(bench: ModuleType, noise: str, drop: float, *, min_effect: float = 1.0, seed: int = 1):  # type: ignore[no-untyped-def]
    draws = {**bench.CONTINUOUS, **bench.DISCRETE}
    cell, checked, *_ = bench.gate_cell(
        "gate",
        noise,
        draws[noise],
        drop,
        looks=LOOKS,
        min_effect=min_effect,
        reps=REPS,
        rng=np.random.default_rng(seed),
        check=20,
    )
    assert checked == 20  # compare() agreed with the vectorised rule on these rows
    return cell


@pytest.mark.parametrize("noise", ["normal", "bad-seeds", "two-valued 20%", "five-valued"])
def test_false_alarm_rate_stays_within_alpha(bench: ModuleType, noise: str) -> None:
    cell = _cell(bench, noise, 0.0, min_effect=1.0 if noise in bench.CONTINUOUS else 0.001)
    assert cell.regression <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / REPS)
    assert cell.runs_mean < 20  # the no-change bound stops most runs early


def test_drop_at_the_edge_of_the_indifference_zone_holds_alpha(bench: ModuleType) -> None:
    cell = _cell(bench, "normal", 0.25, seed=3)
    assert cell.regression <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / REPS)


def test_power_at_a_two_sd_drop_is_high(bench: ModuleType) -> None:
    cell = _cell(bench, "normal", 2.0, seed=4)
    assert cell.regression >= 0.97
    assert cell.runs_mean <= 8


def test_zero_min_effect_never_says_no_change(bench: ModuleType) -> None:
    assert _cell(bench, "normal", 0.0, min_effect=0.0, seed=5).no_change == 0.0


def test_the_power_ceiling_is_the_one_sided_z_test(bench: ModuleType) -> None:
    # sqrt(1/20 + 1/20) = 0.316: (1 - 0.25) / 0.316 - 1.645 = 0.727, Phi(0.727) = 0.766
    assert bench.neyman_pearson_ceiling(20, 20, 0.25, 1.0) == pytest.approx(0.766, abs=0.001)
