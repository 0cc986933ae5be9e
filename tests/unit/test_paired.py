from __future__ import annotations

import math

import numpy as np
import pytest

from seedgate.compare import compare, runs_used
from seedgate.config.settings import Config, MetricSpec, MinEffect
from seedgate.records import (
    Analysis,
    Design,
    Goal,
    PairingStatus,
    Unpaired,
    Verdict,
)
from seedgate.report.wording import note, pairing_line
from seedgate.stats import paired
from seedgate.stats.operating import Outcome, simulate
from seedgate.stats.twins import pair_seeds, replayed_seeds, same_seed_correlation
from tests.testing.runsets import runset

LOOKS = (3, 5, 10, 15, 20)
ACC = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(1.0, relative=False))


def design() -> Design:
    return paired.calibrate(LOOKS, 20, 0.05, 0.9, 20000, 0)


# --- which runs are twins -------------------------------------------------------------------


def test_pairing_is_decided_by_the_seed_lists_alone() -> None:
    twins = pair_seeds([3, 0, 7], list(range(20)), cap=20, lockstep=False, looks=5)
    assert twins.status is PairingStatus.PAIRED
    assert twins.order[:3] == (3, 0, 7)  # candidate run i's twin first
    assert sorted(twins.order) == list(range(20))
    cases = {
        PairingStatus.SEEDS_DIFFER: pair_seeds([100], range(20), cap=20, lockstep=False, looks=5),
        PairingStatus.BASELINE_TOO_SHORT: pair_seeds(
            [0], range(10), cap=20, lockstep=False, looks=5
        ),
        PairingStatus.DUPLICATE_SEEDS: pair_seeds(
            [0, 0], range(20), cap=20, lockstep=False, looks=5
        ),
        PairingStatus.LOCKSTEP: pair_seeds([0], range(20), cap=20, lockstep=True, looks=5),
        PairingStatus.SINGLE_LOOK: pair_seeds([0], range(20), cap=20, lockstep=False, looks=1),
    }
    for status, twins in cases.items():
        assert twins.status is status
        assert twins.order == ()


def test_replay_needs_bit_identical_runs_on_twins_that_differ() -> None:
    baseline = {
        0: {"acc": 0.9, "loss": 0.3},
        1: {"acc": 0.8, "loss": 0.4},
        2: {"acc": 0.7, "loss": 0.5},
    }
    same = [(s, dict(baseline[s])) for s in (0, 1, 2)]
    assert replayed_seeds(same, baseline, 3) == (0, 1, 2)
    changed = [*same[:2], (2, {"acc": 0.7, "loss": 0.5000001})]
    assert replayed_seeds(changed, baseline, 3) == ()
    assert replayed_seeds(same[:2], baseline, 3) == ()  # the first look is not reached yet
    coarse = {s: {"acc": 0.9} for s in (0, 1, 2)}  # three runs at 0.900: a chance tie
    assert replayed_seeds([(s, {"acc": 0.9}) for s in (0, 1, 2)], coarse, 3) == ()


def test_same_seed_correlation() -> None:
    assert same_seed_correlation([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert same_seed_correlation([1.0, 2.0, 4.0], [1.0, 2.0, 3.0]) == pytest.approx(
        0.9820, abs=1e-4
    )
    assert same_seed_correlation([1.0, 2.0], [1.0, 2.0]) is None
    assert same_seed_correlation([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


# --- the statistic ------------------------------------------------------------------------


def test_munzel_statistic_by_hand() -> None:
    candidate = np.array([[1.0, 4.0, 2.0]])
    twins = np.array([[0.0, 3.0, 5.0]])
    # candidate run i beats twins: 1 -> {0}, 4 -> {0, 3}, 2 -> {0}; twin j beats candidates:
    # 0 -> {}, 3 -> {1, 2}, 5 -> {1, 4, 2}
    d = np.array([1 / 3 - 0.0, 2 / 3 - 2 / 3, 1 / 3 - 1.0])
    expected = d.mean() / math.sqrt(max(d.var(ddof=1), paired.PLACEMENT_FLOOR / 6) / 3)
    assert paired.paired_placement_t(candidate, twins, ties_win=True)[0] == pytest.approx(expected)


def test_munzel_ties_go_to_the_side_the_null_favours() -> None:
    replay = np.array([[1.0, 2.0, 3.0]])
    win = paired.paired_placement_t(replay, replay, ties_win=True)[0]
    lose = paired.paired_placement_t(replay, replay, ties_win=False)[0]
    assert win > 0 > lose
    assert win == pytest.approx(-lose)


def test_pairing_counts_only_where_twins_move_together() -> None:
    twins = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]] * 4)
    candidate = np.array(
        [
            [10.0, 20.0, 30.0, 40.0, 50.0],  # same order: rank correlation 1
            [50.0, 40.0, 30.0, 20.0, 10.0],  # reversed: -1
            [20.0, 10.0, 30.0, 50.0, 40.0],  # 0.8
            [7.0, 7.0, 7.0, 7.0, 7.0],  # no spread: undefined, refused
        ]
    )
    r = paired.rank_correlation(candidate, twins)
    assert r[:3] == pytest.approx([1.0, -1.0, 0.8])
    assert math.isnan(r[3])
    assert paired.pairing_counts(candidate, twins).tolist() == [True, False, True, False]
    _, t, s = paired.evidence(candidate, twins, (5,), 0.0, worse=True)
    assert np.isfinite(t[[0, 2], 0]).all()
    assert np.isneginf(t[[1, 3], 0]).all()
    assert np.isneginf(s[[1, 3], 0]).all()


def test_normal_scores_are_odd_and_monotone() -> None:
    t = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    z = paired.placement_z(t, 5)
    assert np.all(np.diff(z) > 0)
    assert z == pytest.approx(-z[::-1])


def test_paired_alpha_is_spent_only_at_looks_two_pairs_apart() -> None:
    shares = paired._spent((3, 4, 5, 7, 10, 15, 20), paired.EARLY_SHARE)
    assert shares[1] == 0  # 4 pairs: one more than the first look's three
    assert shares.sum() == pytest.approx(1.0)
    old = paired._spent((3, 5, 10, 15, 20), paired.EARLY_SHARE)
    assert shares[[0, 2]] == pytest.approx(old[:2])  # looks 3 and 5 keep their shares
    assert np.all(shares[3:] > 0)


def test_paired_design_raises_the_unpaired_bound_and_spends_early() -> None:
    calibrated = design()
    assert len(calibrated.paired_bounds) == len(LOOKS)
    assert all(math.isfinite(b) for b in calibrated.paired_bounds)
    # the unpaired bound makes room for the paired statistic's alpha
    from seedgate.stats import design as sequential

    alone = sequential.calibrate(LOOKS, 20, 0.05, 0.9, 20000, 0)
    assert all(p > u for p, u in zip(calibrated.bounds_alpha, alone.bounds_alpha, strict=True))
    with pytest.raises(ValueError, match="twin"):
        paired.calibrate(LOOKS, 10, 0.05, 0.9, 20000, 0)


def test_a_larger_paired_share_moves_alpha_from_the_unpaired_bound_to_the_paired_one() -> None:
    default = design()
    more = paired.calibrate(LOOKS, 20, 0.05, 0.9, 20000, 0, paired_share=0.8)
    assert more.paired_bounds[0] < default.paired_bounds[0]
    assert more.bounds_alpha[-1] > default.bounds_alpha[-1]
    earlier = paired.calibrate(LOOKS, 20, 0.05, 0.9, 20000, 0, early_share=0.99)
    assert earlier.paired_bounds[0] < default.paired_bounds[0]  # more of it at the first look
    assert earlier.paired_bounds[-1] > default.paired_bounds[-1]
    for shares in ({"paired_share": 1.0}, {"paired_share": 0.0}, {"early_share": 0.0}):
        with pytest.raises(ValueError, match="paired_share must be in"):
            paired.calibrate(LOOKS, 20, 0.05, 0.9, 20000, 0, **shares)


@pytest.mark.parametrize("rho", [-0.9, 0.0, 0.6, 0.95])
def test_false_alarms_stay_within_alpha_at_any_correlation(rho: float) -> None:
    rng = np.random.default_rng(int(rho * 100) + 100)
    reps = 3000
    y = rng.normal(size=(reps, 20))
    x = rho * y + math.sqrt(1 - rho**2) * rng.normal(size=(reps, 20)) - 0.25  # the zone's edge
    rate = float(np.mean(simulate(x, y, design(), 1.0).outcome == Outcome.REGRESSION))
    assert rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)


def test_a_correlated_drop_is_decided_early() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(size=(2000, 20))
    x = 0.9 * y + math.sqrt(1 - 0.81) * rng.normal(size=(2000, 20)) - 2.0
    result = simulate(x, y, design(), 1.0)
    assert np.mean(result.outcome == Outcome.REGRESSION) > 0.99
    assert result.runs.mean() < 4.5  # unpaired: 5.6 (benchmarks/results/verdict_robustness.md)


# --- compare ------------------------------------------------------------------------------


def test_exact_replay_is_no_change_at_the_first_look() -> None:
    base = np.random.default_rng(2).normal(size=20)
    result = compare(
        runset(values=base, seeds=range(20)),
        runset(values=base[:3], seeds=range(3)),
        Config(metrics=(ACC,)),
        looks=LOOKS,
    )
    (metric,) = result.metrics
    assert result.verdict is Verdict.NO_CHANGE
    assert runs_used(result) == 3
    assert metric.decided_by is Analysis.REPLAY
    assert metric.pairing is not None
    assert metric.pairing.identical_seeds == (0, 1, 2)
    line = pairing_line(metric)
    assert line == (
        "accuracy: identical to the baseline on seeds 0-2 (an exact replay): "
        "no-change at the first look"
    )


def test_paired_compare_reports_the_seeds_correlation_and_analysis() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=20)
    cand = 0.9 * base + 0.3 * rng.normal(size=20) - 2.0
    result = compare(
        runset(values=base, seeds=range(20)),
        runset(values=cand[:10], seeds=range(10)),
        Config(metrics=(ACC,)),
        looks=LOOKS,
    )
    (metric,) = result.metrics
    assert result.verdict is Verdict.REGRESSION
    assert metric.pairing is not None
    assert metric.pairing.status is PairingStatus.PAIRED
    assert metric.pairing.seeds == tuple(range(runs_used(result)))
    assert metric.decided_by in (Analysis.PAIRED, Analysis.UNPAIRED)
    line = pairing_line(metric)
    assert line is not None
    assert "paired seed by seed on seeds 0-" in line
    assert "same-seed correlation" in line
    assert metric.looks[-1].t_regression is not None


def test_twins_that_move_apart_are_compared_unpaired_and_the_report_says_so() -> None:
    base = np.linspace(-2.0, 2.0, 20)
    cand = -base[:3] - 3.0  # the same seeds, in the reverse order: rank correlation -1
    result = compare(
        runset(values=base, seeds=range(20)),
        runset(values=cand, seeds=range(3)),
        Config(metrics=(ACC,)),
        looks=LOOKS,
    )
    (metric,) = result.metrics
    assert metric.pairing is not None
    assert metric.pairing.status is PairingStatus.PAIRED
    assert metric.looks[-1].t_regression is None
    assert metric.looks[-1].s_no_change is None
    line = pairing_line(metric)
    assert line is not None
    assert "did not move together enough at the last look for pairing to count" in line


def test_other_seeds_fall_back_to_unpaired_and_say_why() -> None:
    rng = np.random.default_rng(4)
    result = compare(
        runset(values=rng.normal(size=20), seeds=range(20)),
        runset(values=rng.normal(size=5), seeds=range(100, 105)),
        Config(metrics=(ACC,)),
        looks=LOOKS,
    )
    (metric,) = result.metrics
    assert metric.pairing is not None
    assert metric.pairing.status is PairingStatus.SEEDS_DIFFER
    assert pairing_line(metric) is None
    (unpaired,) = [n for n in result.notes if isinstance(n, Unpaired)]
    assert note(unpaired) == (
        "accuracy: compared unpaired, not seed by seed, because its seeds are not the "
        "baseline's (a different seed_base or seed list) (candidate seeds 100-104, baseline "
        "seeds 0-19)"
    )
    assert result.design is not None
    assert result.design.paired_bounds == ()


def test_an_exact_replay_with_zero_min_effect_is_reported_but_not_no_change() -> None:
    base = np.random.default_rng(6).normal(size=20)
    zero = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.0, relative=False))
    result = compare(
        runset(values=base, seeds=range(20)),
        runset(values=base[:3], seeds=range(3)),
        Config(metrics=(zero,)),
        looks=LOOKS,
    )
    (metric,) = result.metrics
    assert metric.verdict is not Verdict.NO_CHANGE
    assert metric.decided_by is not Analysis.REPLAY
    assert metric.pairing is not None
    assert metric.pairing.identical_seeds == (0, 1, 2)
    line = pairing_line(metric)
    assert line is not None
    assert "cannot conclude no-change" in line
