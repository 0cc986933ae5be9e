from __future__ import annotations

import math

import numpy as np
import pytest

from seedgate.records import Design, PlanStatus
from seedgate.report.plans import plan_sentence
from seedgate.stats import design as sequential
from seedgate.stats import paired
from seedgate.stats.planning import approximate_power, delivered_power, plan_runs, runs_needed

LOOKS = (3, 5, 10, 15, 20)


def _design(baseline_n: int | None = 20) -> Design:
    return sequential.calibrate(LOOKS, baseline_n, alpha=0.05, power=0.9, simulations=20000, seed=1)


def _simulated_power(
    effect_sd: float, n_c: int, n_b: int | None, bound: float, *, reps: int, seed: int
) -> float:
    """P(one-look regression z >= bound) for normal noise, by brute force."""
    rng = np.random.default_rng(seed)
    m = n_b or n_c
    candidate = rng.normal(size=(reps, n_c)) - effect_sd
    baseline = rng.normal(size=(reps, m))
    u = (candidate[:, :, None] > baseline[:, None, :]).sum(axis=(1, 2))
    z = (n_c * m / 2 - u) / math.sqrt(n_c * m * (n_c + m + 1) / 12)
    return float(np.mean(z >= bound))


@pytest.mark.parametrize(
    ("effect_sd", "n_c", "n_b"),
    [(1.0, 10, 20), (1.0, 20, 20), (0.7, 20, 20), (1.5, 10, 20), (1.0, 15, None), (1.5, 20, None)],
)
def test_normal_approximation_matches_simulation(
    effect_sd: float, n_c: int, n_b: int | None
) -> None:
    bound = _design().bounds_alpha[-1]
    simulated = _simulated_power(effect_sd, n_c, n_b, bound, reps=6000, seed=n_c)
    # the approximation is slightly optimistic (discreteness of U); within 0.06 from n = 10 on
    assert approximate_power(effect_sd, n_c, n_b, bound) == pytest.approx(simulated, abs=0.06)


def test_runs_needed_reaches_the_power_and_not_one_run_earlier() -> None:
    stored = _design()
    for effect_sd in (1.3, 1.6, 2.5):
        n = runs_needed(effect_sd, stored)
        assert n is not None
        target = stored.power
        detectable = effect_sd * (1 - stored.indifference)  # tested against the zone's edge
        bound = stored.bounds_alpha[-1]
        assert approximate_power(detectable, n, 20, bound) >= target
        if n > 3:
            assert approximate_power(detectable, n - 1, 20, bound) < target


def test_runs_needed_shrinks_with_the_effect_and_respects_the_finite_baseline() -> None:
    stored = _design()
    needed = [runs_needed(e, stored) for e in (3.0, 2.0, 1.5, 1.2)]
    assert all(n is not None for n in needed)
    assert needed == sorted(needed)  # type: ignore[type-var]
    # a 20-run baseline alone caps the reachable z: small effects are out of reach
    assert runs_needed(0.5, stored) is None
    assert runs_needed(0.5, _design(None)) is not None  # lockstep: the baseline grows too


def test_runs_needed_respects_rank_saturation() -> None:
    # a huge effect still needs enough runs for U to reach the bound
    lockstep = _design(None)
    n = runs_needed(50.0, lockstep)
    assert n is not None
    assert n >= 3  # 2 vs 2 can never reach z ~ 2


def test_plan_for_a_resolvable_effect() -> None:
    values = np.random.default_rng(1).normal(0.9, 0.01, size=20)
    plan = plan_runs(values, 0.02, _design(), metric="accuracy")
    assert plan.seed_std == pytest.approx(float(np.std(values, ddof=1)))
    assert plan.effect_in_sd == pytest.approx(0.02 / plan.seed_std)
    assert plan.resolvable
    assert plan.runs_needed is not None
    assert plan.runs_needed <= 20
    assert plan.cap == 20
    assert plan.status is PlanStatus.RESOLVABLE
    assert "candidate runs detect it" in plan_sentence(plan, 0.02)


def test_plan_warns_when_the_cap_cannot_resolve_min_effect() -> None:
    values = np.linspace(0.0, 1.0, 20)  # seed SD ~ 0.31
    plan = plan_runs(values, 0.1, _design(), metric="accuracy")  # ~0.32 seed-SDs
    assert not plan.resolvable
    assert plan.status is PlanStatus.SHORT
    assert plan.inconclusive_below_sd is not None
    assert "cap of 20 gives" in plan_sentence(plan, 0.1)
    assert "most outcomes at the cap are inconclusive" in plan_sentence(plan, 0.1)
    # a larger effect that misses the cap gets the power at the cap but no strong warning
    plan = plan_runs(values, 0.3, _design(), metric="accuracy")  # ~0.97 seed-SDs
    assert not plan.resolvable
    assert plan.inconclusive_below_sd is None
    assert "most outcomes" not in plan_sentence(plan, 0.3)


def test_plan_edge_cases() -> None:
    short = plan_runs([0.5], 0.1, _design(), metric="m")
    assert short.status is PlanStatus.NO_SPREAD
    assert "fewer than 2 runs" in plan_sentence(short, 0.1)
    zero = plan_runs([0.5, 0.5, 0.5], 0.1, _design(), metric="m")
    assert zero.resolvable
    assert zero.runs_needed == LOOKS[0]
    no_effect = plan_runs([0.1, 0.2, 0.3], 0.0, _design(), metric="m")
    assert not no_effect.resolvable
    assert no_effect.status is PlanStatus.ZERO_MIN_EFFECT
    assert "min_effect is 0" in plan_sentence(no_effect, 0.0)


def test_delivered_power_is_what_the_rule_does_not_what_was_asked() -> None:
    stored = _design()
    # the benchmark measures 0.70 at a drop of min_effect = 1 SD with 20 baseline runs
    assert delivered_power(1.0, stored) == pytest.approx(0.70, abs=0.03)
    assert delivered_power(2.0, stored) > delivered_power(1.0, stored)
    values = np.random.default_rng(2).normal(0.9, 0.01, size=20)
    plan = plan_runs(values, 0.01, stored, metric="accuracy")
    assert plan.delivered_power is not None
    assert plan.delivered_power < stored.power
    assert f"{plan.delivered_power:.0%} of the time" in plan_sentence(plan, 0.01)


def test_paired_plan_states_the_power_at_the_observed_correlation() -> None:
    paired_design = paired.calibrate(LOOKS, 20, 0.05, 0.9, 20000, 1)
    values = np.random.default_rng(3).normal(0.9, 0.01, size=20)
    plan = plan_runs(values, 0.01, paired_design, metric="accuracy", correlation=0.9)
    assert plan.paired_correlation == 0.9
    assert plan.delivered_power is not None
    assert plan.delivered_power_paired is not None
    assert plan.delivered_power_paired > plan.delivered_power + 0.15  # pairing pays off
    assert "with paired seeds at a same-seed correlation of 0.90" in plan_sentence(plan, 0.01)
    needed_paired = runs_needed(1.0, paired_design, correlation=0.9)
    needed_unpaired = runs_needed(1.0, paired_design)
    assert needed_paired is not None
    assert needed_unpaired is None or needed_paired < needed_unpaired
