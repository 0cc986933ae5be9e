"""The studentised rank statistic, grid-aware margins, diverged runs and the interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from seedgate.compare import compare
from seedgate.config.settings import Config, MetricSpec, MinEffect
from seedgate.records import Goal, RunResult, RunSet, RunStatus, Verdict
from seedgate.report.wording import stability_line
from seedgate.stats import grid, inversion, stability, studentised
from seedgate.stats.ranktest import u_statistic

LOOKS = (3, 5, 10, 15, 20)


@pytest.mark.parametrize("rounded", [False, True])
def test_brunner_munzel_matches_scipy(rounded: bool) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 7))
    y = 2 * rng.normal(size=(4, 12))
    if rounded:  # ties within and across the sides
        x, y = np.round(x), np.round(y)
    z = studentised.brunner_munzel_z(x, y)
    for row in range(4):
        expected = stats.brunnermunzel(x[row], y[row]).statistic
        assert z[row] == pytest.approx(-expected, rel=1e-12)


def test_a_candidate_no_wider_than_the_baseline_gets_the_mann_whitney_z() -> None:
    y = np.linspace(0.0, 1.0, 20)
    x = np.array([0.501, 0.502, 0.503])  # narrower than the baseline, placed together
    z = studentised.studentised_z(x[None, :], y[None, :], ties_favour_better=True)[0]
    _, variance = studentised.relative_effect_parts(x[None, :], y[None, :], ties_favour_better=True)
    floor = studentised.spread_floor(x[None, :], y[None, :])[0]
    assert floor >= variance[0]  # the floor decides here
    assert z == pytest.approx(u_statistic(x, y).z, rel=1e-12)


def test_normal_scores_are_monotone_odd_and_go_on_past_the_draws() -> None:
    null = studentised._marginal_null(3, 20, twins=False)
    values = np.linspace(-4.0, 4.0, 81)
    scores = studentised.normal_scores(values, null)
    assert np.all(np.diff(scores) >= 0)
    assert scores == pytest.approx(-scores[::-1], abs=1e-9)
    beyond = studentised.normal_scores(np.array([null[-1] + 1.0, null[-1] + 2.0]), null)
    assert beyond[1] - beyond[0] == pytest.approx(1.0)


def test_three_runs_below_every_baseline_run_score_their_exact_chance() -> None:
    # 3 runs of one spread below all 20 baseline runs: U = 0, a chance of 1 in C(23, 3) =
    # 1771 under no change. The raw studentised z stops at 2.74; the score says what the
    # ranks say, near the normal quantile of that chance.
    y = np.linspace(0.0, 1.0, 20)[None, :]
    x = np.array([[-0.3, -0.2, -0.1]])
    raw = -studentised.relative_effect_z(x, y, ties_favour_better=True)[0]
    score = -studentised.studentised_z(x, y, ties_favour_better=True)[0]
    assert raw == pytest.approx(0.5 / math.sqrt(studentised.null_variance(3, 20)))
    assert score > stats.norm.isf(1 / 1771) > raw


def test_complete_separation_decides_at_the_first_look_against_a_20_run_baseline() -> None:
    config = Config(metrics=(MetricSpec("score", Goal.MAXIMIZE, MinEffect(0.1, relative=False)),))
    base = np.random.default_rng(2).normal(size=20)
    candidate = base.min() - 1.0 - np.array([0.0, 0.1, 0.2])
    result = compare(
        _runset(base, 0), _runset(candidate, 100), config, looks=(3, 4, 5, 7, 10, 15, 20)
    )
    (metric,) = result.metrics
    assert metric.verdict is Verdict.REGRESSION
    assert metric.looks[-1].n_candidate == 3


def test_placement_variance_at_its_ends_and_against_simulation() -> None:
    assert studentised.placement_variance(np.array([1.0]))[0] == pytest.approx(1 / 12)
    assert studentised.placement_variance(np.array([0.0]))[0] == 0
    assert studentised.placement_variance(np.array([np.inf]))[0] == pytest.approx(1 / 4)
    z = np.random.default_rng(0).normal(size=200_000)
    simulated = float(np.var(stats.norm.cdf(3 * z)))
    assert studentised.placement_variance(np.array([3.0]))[0] == pytest.approx(simulated, abs=2e-3)


def test_a_wider_candidate_raises_the_floor_and_shrinks_z() -> None:
    y = np.linspace(-1.6, 1.6, 20)[None, :]
    narrow = np.array([[-1.9, -1.8, -1.7]])  # all three below every baseline run
    wide = np.array([[-9.0, -5.0, -1.7]])  # the same ranks, three times the spread
    assert studentised.spread_floor(wide, y)[0] > 2 * studentised.spread_floor(narrow, y)[0]
    z_narrow = studentised.studentised_z(narrow, y, ties_favour_better=True)[0]
    z_wide = studentised.studentised_z(wide, y, ties_favour_better=True)[0]
    assert z_wide > z_narrow  # less evidence of a drop of the typical value


def test_twin_variance_follows_the_sign_of_the_same_seed_correlation() -> None:
    rng = np.random.default_rng(4)
    base = rng.normal(size=(2000, 20))
    noise = rng.normal(size=(2000, 20))
    _, independent = studentised.relative_effect_parts(base, noise, ties_favour_better=True)
    for rho, wider in ((-0.8, True), (0.8, False)):
        twins = rho * base + math.sqrt(1 - rho**2) * noise
        variance = studentised.twin_variance(twins, base, ties_favour_better=True)
        assert bool(variance.mean() > independent.mean()) is wider


def test_grid_steps_of_accuracies_and_of_continuous_values() -> None:
    accuracy = np.array([[0.903, 0.9, 0.901, 0.91, 0.9]])
    assert grid.grid_steps(accuracy)[0] == pytest.approx(0.001)
    continuous = np.random.default_rng(0).normal(size=(1, 10))
    assert math.isnan(grid.grid_steps(continuous)[0])
    assert math.isnan(grid.grid_steps(np.array([[1.0, 1.0, np.nan]]))[0])


def test_alarm_margins_round_up_to_whole_steps() -> None:
    steps = np.array([0.001, 0.001, math.nan])
    margins = grid.alarm_margin(0.00075, steps)
    assert margins == pytest.approx([0.001, 0.001, 0.00075])
    assert grid.alarm_margin(0.002, np.array([0.001]))[0] == pytest.approx(0.002)
    assert grid.alarm_margin(0.0, np.array([0.001]))[0] == 0


def test_diverged_runs_are_counted_against_the_baselines_cut() -> None:
    baseline = np.array([[0.0, 0.1, -0.1, 0.2, -0.2, 0.05, -0.05, 0.15, -0.15, -5.0]])
    cut = stability.cuts(baseline, np.array([math.nan]))[0]
    assert -5.0 < cut < -0.2
    candidate = np.array([[0.0, -6.0, np.nan, 0.1]])
    assert stability.diverged(candidate, np.array([cut])).tolist() == [[False, True, True, False]]


def test_stability_check_by_hand() -> None:
    level = 0.05
    assert stability.stable_enough(0, 3, 0, 20, level)  # nothing diverged: nothing to test
    assert not stability.stable_enough(1, 3, 0, 20, level)  # 1 of 3 against none
    # 0 of 20 against 2 of 20: P(Bin(20, 0.1 + 0.08) = 0) = 0.019 <= 0.05
    assert stability.stable_enough(0, 20, 2, 20, level)
    assert not stability.stable_enough(0, 10, 2, 20, level)  # P(Bin(10, 0.18) = 0) = 0.137
    assert not stability.stable_enough(1, 20, 2, 20, level)  # P(<= 1) = 0.102


def _runset(values: np.ndarray, seed_base: int) -> RunSet:
    runs = tuple(
        RunResult(i, seed_base + i, RunStatus.OK, {"score": float(v)}, 0.0)
        for i, v in enumerate(values)
    )
    return RunSet(runs, "train", "sha256:x", None, {}, "1970-01-01T00:00:00Z")


@pytest.mark.parametrize("paired", [False, True])
def test_the_interval_agrees_with_the_verdict(paired: bool) -> None:
    config = Config(metrics=(MetricSpec("score", Goal.MAXIMIZE, MinEffect(1.0, relative=False)),))
    rng = np.random.default_rng(11)
    seen = set()
    for case in range(8):
        drop = (0.0, 1.0, 2.0, -2.0)[case % 4]
        base = rng.normal(size=20)
        cand = (0.8 * base + 0.6 * rng.normal(size=20) if paired else rng.normal(size=20)) - drop
        result = compare(_runset(base, 0), _runset(cand, 0 if paired else 100), config, looks=LOOKS)
        (metric,) = result.metrics
        interval = metric.shift_interval
        assert interval is not None
        seen.add(metric.verdict)
        if metric.verdict is Verdict.REGRESSION:
            assert interval.high <= -0.25
        elif metric.verdict is Verdict.NO_CHANGE:
            assert interval.low >= -1.0
        elif metric.verdict is Verdict.IMPROVEMENT:
            assert interval.low >= 0.25
    assert {Verdict.REGRESSION, Verdict.NO_CHANGE} <= seen


def test_inversion_finds_the_ends_on_a_step_statistic() -> None:
    candidate = np.array([1.0, 2.0, 3.0])
    baseline = np.array([0.0, 10.0])

    def wins(moved: np.ndarray) -> np.ndarray:
        counts: np.ndarray = np.sum(moved[:, :, None] > baseline[None, None, :], axis=(1, 2))
        return counts

    interval = inversion.invert(
        candidate,
        baseline,
        rejects_above=lambda moved: wins(moved) <= 1,  # "shift >= d" rejected
        rejects_below=lambda moved: wins(moved) >= 5,  # "shift <= d" rejected
        decision_points=(),
    )
    assert interval.high == 2.0  # at d = 2 only 3 - 2 > 0 is left: one win
    assert interval.low == -8.5  # d < -8 has 5 wins; the open end is read at a midpoint
    flipped = inversion.to_metric_units(interval, -1.0)
    assert (flipped.low, flipped.high) == (-2.0, 8.5)


def test_diverged_runs_are_reported_and_never_end_as_no_change() -> None:
    config = Config(metrics=(MetricSpec("score", Goal.MAXIMIZE, MinEffect(1.0, relative=False)),))
    rng = np.random.default_rng(3)
    base = rng.normal(size=20)
    cand = rng.normal(size=10) + 0.5
    cand[[2, 5, 9]] = [-8.0, np.nan, -9.0]  # three runs that diverged
    result = compare(_runset(base, 0), _runset(cand, 100), config, looks=LOOKS)
    (metric,) = result.metrics
    assert metric.verdict is not Verdict.NO_CHANGE
    assert metric.stability is not None
    assert metric.stability.worse
    assert any(look.stability_blocks for look in metric.looks)
    assert stability_line(metric) == (
        f"score: 3 of {metric.stability.candidate_runs} candidate runs diverged, 0 of 20 in the "
        "baseline (not a number, or far on the bad side of the baseline's runs); the gate does "
        "not call no-change while the candidate diverges more often"
    )
