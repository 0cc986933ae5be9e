from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from seedgate.records import Goal
from seedgate.stats.ranktest import (
    Alternative,
    exact_u_cdf,
    hodges_lehmann,
    one_sided_test,
    probability_better,
    u_statistic,
)


def test_exact_distribution_of_two_against_two_by_hand() -> None:
    # U in 0..4 with counts 1, 1, 2, 1, 1 over the 6 arrangements
    np.testing.assert_allclose(exact_u_cdf(2, 2), [1 / 6, 2 / 6, 4 / 6, 5 / 6, 1.0])


def test_hand_checked_one_sided_p_values() -> None:
    worse = one_sided_test([1.0, 2.0], [3.0, 4.0], Goal.MAXIMIZE, Alternative.WORSE)
    assert worse.statistic.u == 0
    assert worse.p_value == pytest.approx(1 / 6)
    assert worse.exact
    better = one_sided_test([1.0, 2.0], [3.0, 4.0], Goal.MAXIMIZE, Alternative.BETTER)
    assert better.p_value == pytest.approx(1.0)
    # for a loss, lower candidate values are better
    loss = one_sided_test([1.0, 2.0], [3.0, 4.0], Goal.MINIMIZE, Alternative.BETTER)
    assert loss.p_value == pytest.approx(1 / 6)


@pytest.mark.parametrize(("n_c", "n_b"), [(3, 20), (5, 5), (8, 13), (20, 20), (1, 7)])
def test_exact_p_values_match_scipy(n_c: int, n_b: int) -> None:
    rng = np.random.default_rng(n_c * 100 + n_b)
    for _ in range(5):
        candidate = rng.normal(size=n_c)
        baseline = rng.normal(size=n_b)
        for goal, scipy_less in ((Goal.MAXIMIZE, "less"), (Goal.MINIMIZE, "greater")):
            scipy_greater = "greater" if scipy_less == "less" else "less"
            ours_worse = one_sided_test(candidate, baseline, goal, Alternative.WORSE)
            ours_better = one_sided_test(candidate, baseline, goal, Alternative.BETTER)
            ref_worse = stats.mannwhitneyu(
                candidate, baseline, alternative=scipy_less, method="exact"
            )
            ref_better = stats.mannwhitneyu(
                candidate, baseline, alternative=scipy_greater, method="exact"
            )
            assert ours_worse.exact
            assert ours_worse.p_value == pytest.approx(ref_worse.pvalue, rel=1e-9)
            assert ours_better.p_value == pytest.approx(ref_better.pvalue, rel=1e-9)


def test_margin_moves_the_candidate_in_the_good_direction() -> None:
    rng = np.random.default_rng(3)
    candidate, baseline = rng.normal(size=6), rng.normal(size=9)
    ours = one_sided_test(candidate, baseline, Goal.MAXIMIZE, Alternative.BETTER, margin=0.5)
    ref = stats.mannwhitneyu(candidate + 0.5, baseline, alternative="greater", method="exact")
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    ours_min = one_sided_test(candidate, baseline, Goal.MINIMIZE, Alternative.BETTER, margin=0.5)
    ref_min = stats.mannwhitneyu(candidate - 0.5, baseline, alternative="less", method="exact")
    assert ours_min.p_value == pytest.approx(ref_min.pvalue, rel=1e-9)


def test_ties_count_for_the_null_of_each_direction() -> None:
    tied_worse = one_sided_test([0.82, 0.82], [0.82, 0.82], Goal.MAXIMIZE, Alternative.WORSE)
    assert tied_worse.statistic.u == 4  # every tie is a candidate win: no evidence of worse
    assert tied_worse.statistic.ties
    assert tied_worse.p_value == 1.0
    tied_better = one_sided_test([0.82, 0.82], [0.82, 0.82], Goal.MAXIMIZE, Alternative.BETTER)
    assert tied_better.statistic.u == 0  # every tie is a loss: no evidence of better
    assert tied_better.p_value == 1.0


def test_the_issues_minimal_tied_case_is_not_a_regression() -> None:
    # 20 baseline runs at 0.900, the candidate 0.900, 0.900, 0.898: the exact permutation
    # p-value given the ties is 3/23 = 0.13; the old tie-corrected z said 0.011.
    test = one_sided_test([0.9, 0.9, 0.898], [0.9] * 20, Goal.MAXIMIZE, Alternative.WORSE)
    assert test.p_value >= 3 / 23


@pytest.mark.parametrize("alternative", list(Alternative))
def test_tied_p_values_are_never_below_any_random_tie_break(alternative: Alternative) -> None:
    # Random tie-breaking gives the exact tie-free null; ties toward the null must be at
    # least as conservative as every such break, which is what keeps the level.
    rng = np.random.default_rng(8)
    for _ in range(30):
        candidate = rng.choice([0.896, 0.898, 0.9], size=5)
        baseline = rng.choice([0.896, 0.898, 0.9], size=12)
        ours = one_sided_test(candidate, baseline, Goal.MAXIMIZE, alternative).p_value
        for _ in range(10):
            jitter_c = candidate + rng.uniform(-1e-6, 1e-6, size=5)
            jitter_b = baseline + rng.uniform(-1e-6, 1e-6, size=12)
            broken = one_sided_test(jitter_c, jitter_b, Goal.MAXIMIZE, alternative).p_value
            assert ours >= broken - 1e-12


def test_large_samples_fall_back_to_the_normal_approximation() -> None:
    rng = np.random.default_rng(5)
    candidate, baseline = rng.normal(size=60), rng.normal(0.3, 1, size=60)
    ours = one_sided_test(candidate, baseline, Goal.MAXIMIZE, Alternative.WORSE)
    ref = stats.mannwhitneyu(candidate, baseline, alternative="less", method="asymptotic")
    assert not ours.exact
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_u_statistic_moments_and_all_tied_case() -> None:
    statistic = u_statistic([1.0, 2.0, 3.0], [0.0, 0.0])
    assert statistic.u == 6
    assert statistic.mean == 3
    # no ties in the pooled sample except the two zeros: t^3 - t = 6
    assert statistic.std == pytest.approx(math.sqrt(3 * 2 / 12 * (6 - 6 / 20)))
    tied = u_statistic([1.0, 1.0], [1.0, 1.0, 1.0])
    assert tied.std == 0
    assert tied.z == 0


def test_hodges_lehmann_estimate_by_hand() -> None:
    shift, _ = hodges_lehmann([1.0, 2.0, 3.0], [0.0])
    assert shift == 2.0
    shift, _ = hodges_lehmann([10.0, 11.0], [1.0, 3.0])  # differences 7, 8, 9, 10
    assert shift == 8.5


def test_moses_interval_uses_the_exact_critical_rank() -> None:
    # 5 vs 5: P(U <= 2) = 4/252 <= 0.025 < P(U <= 3) = 7/252, so k = 3:
    # the interval runs from the 3rd smallest to the 3rd largest difference.
    candidate = np.array([10.0, 12.0, 15.0, 19.0, 24.0])
    baseline = np.array([0.0, 0.5, 1.5, 3.0, 5.5])
    differences = np.sort((candidate[:, None] - baseline[None, :]).ravel())
    _, interval = hodges_lehmann(candidate, baseline)
    assert interval.low == differences[2]
    assert interval.high == differences[-3]


def test_interval_is_nan_when_samples_are_too_small() -> None:
    _, interval = hodges_lehmann([1.0, 2.0], [0.0, 0.5])
    assert math.isnan(interval.low)
    assert math.isnan(interval.high)


def test_moses_interval_covers_the_true_shift_about_95_percent() -> None:
    rng = np.random.default_rng(11)
    covered = 0
    reps = 600
    for _ in range(reps):
        baseline = rng.normal(size=12)
        candidate = rng.normal(size=8) - 0.7
        _, interval = hodges_lehmann(candidate, baseline)
        covered += interval.low <= -0.7 <= interval.high
    # exact Moses intervals are slightly conservative; 3 Monte-Carlo SEs is ~0.027
    assert 0.92 <= covered / reps <= 0.99


def test_probability_better_counts_ties_half_and_follows_the_goal() -> None:
    assert probability_better([1.0, 2.0], [2.0, 3.0], Goal.MAXIMIZE) == pytest.approx(0.125)
    assert probability_better([1.0, 2.0], [2.0, 3.0], Goal.MINIMIZE) == pytest.approx(0.875)
    assert probability_better([5.0], [1.0, 2.0], Goal.MAXIMIZE) == 1.0


def test_a_negative_margin_moves_the_candidate_down() -> None:
    rng = np.random.default_rng(4)
    candidate, baseline = rng.normal(size=6), rng.normal(size=9)
    ours = one_sided_test(candidate, baseline, Goal.MAXIMIZE, Alternative.BETTER, margin=-0.3)
    ref = stats.mannwhitneyu(candidate - 0.3, baseline, alternative="greater", method="exact")
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_infinite_margin_is_rejected() -> None:
    with pytest.raises(ValueError, match="margin"):
        one_sided_test([1.0], [2.0], Goal.MAXIMIZE, Alternative.BETTER, margin=math.inf)


def test_repeated_interval_widens_with_the_bound() -> None:
    rng = np.random.default_rng(9)
    candidate, baseline = rng.normal(size=10), rng.normal(size=20)
    _, fixed = hodges_lehmann(candidate, baseline)
    _, repeated = hodges_lehmann(candidate, baseline, z_bound=2.4)
    assert repeated.low < fixed.low
    assert repeated.high > fixed.high


def test_nan_counts_as_the_worst_value_in_either_direction() -> None:
    nan = float("nan")
    assert probability_better([nan, 1.0], [0.0], Goal.MAXIMIZE) == 0.5
    assert probability_better([nan, 1.0], [2.0], Goal.MINIMIZE) == 0.5
    assert probability_better([nan], [nan], Goal.MAXIMIZE) == 0.5
