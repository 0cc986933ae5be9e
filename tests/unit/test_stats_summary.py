from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from seedgate.stats.outliers import DEFAULT_THRESHOLD, bad_seeds, outlier_mask, robust_z
from seedgate.stats.summary import summarize


def test_summary_of_four_values_matches_hand_computation() -> None:
    summary = summarize([4.0, 1.0, 3.0, 2.0])
    assert summary.n == 4
    assert summary.mean == pytest.approx(2.5)
    assert summary.std == pytest.approx(math.sqrt(5 / 3))  # sum of squares 5, ddof=1
    assert summary.median == pytest.approx(2.5)
    assert (summary.min, summary.max) == (1.0, 4.0)


def test_interval_is_the_t_interval_of_the_mean() -> None:
    values = np.random.default_rng(7).normal(10.0, 2.0, size=9)
    summary = summarize(values)
    low, high = stats.t.interval(0.95, 8, loc=values.mean(), scale=stats.sem(values))
    assert summary.mean_interval.low == pytest.approx(low)
    assert summary.mean_interval.high == pytest.approx(high)


def test_single_value_has_nan_spread_and_interval() -> None:
    summary = summarize([0.9])
    assert summary.n == 1
    assert summary.mean == 0.9
    assert math.isnan(summary.std)
    assert math.isnan(summary.mean_interval.low)
    assert math.isnan(summary.mean_interval.high)


def test_identical_values_give_a_zero_width_interval() -> None:
    summary = summarize([0.5, 0.5, 0.5])
    assert summary.std == 0.0
    assert summary.mean_interval.low == summary.mean_interval.high == 0.5


def test_empty_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        summarize([])


def test_robust_z_uses_median_and_mad() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 100.0]  # median 3, MAD 1
    np.testing.assert_allclose(robust_z(values), 0.6745 * (np.array(values) - 3.0))
    assert outlier_mask(values).tolist() == [False, False, False, False, True]


def test_robust_z_falls_back_when_most_values_are_equal() -> None:
    values = [0.9, 0.9, 0.9, 0.9, 0.2]  # MAD 0: mean absolute deviation 0.14 is used
    scores = robust_z(values)
    assert scores[-1] == pytest.approx(0.7979 * -0.7 / 0.14)
    assert outlier_mask(values).tolist() == [False, False, False, False, True]
    assert robust_z([0.5, 0.5, 0.5]).tolist() == [0.0, 0.0, 0.0]


def test_bad_seeds_pool_both_sides_and_keep_both_tails() -> None:
    baseline = [(i, 0.9 + 0.001 * i) for i in range(10)]
    candidate = [(i, 0.905) for i in range(10, 14)] + [(14, 0.1), (15, 5.0)]
    assert bad_seeds(baseline, candidate) == (14, 15)
    assert bad_seeds(baseline, []) == ()
    assert bad_seeds([(1, 0.0)], [(2, 10.0)]) == ()  # too few runs to tell


def test_a_real_shift_is_not_a_bad_seed() -> None:
    rng = np.random.default_rng(5)
    baseline = [(s, 0.755 + 0.005 * v) for s, v in enumerate(rng.normal(size=10))]
    shifted = [(s, 0.665 + 0.005 * v) for s, v in enumerate(rng.normal(size=3))]
    assert bad_seeds(baseline, shifted) == ()
    collapsed = [*shifted, (3, 0.10)]  # one candidate run that collapsed
    assert bad_seeds(baseline, collapsed) == (3,)


def test_two_clusters_of_runs_are_not_bad_seeds() -> None:
    # a random forest's log loss on load_breast_cancer (real runs, seeds 0-19): two clusters,
    # the larger holding more than half, so the MAD alone measures only that one
    log_loss = [0.093, 0.095, 0.102, 0.107, 0.118, 0.122, 0.134, 0.142, 0.156, 0.302, 0.303]
    log_loss += [0.303, 0.308, 0.315, 0.32, 0.33, 0.33, 0.33, 0.338, 0.364]
    baseline = list(enumerate(log_loss[:14] + log_loss[17:]))
    candidate = [(20, 0.107), (21, 0.33), (22, 0.134)]
    assert bad_seeds(baseline, candidate) == ()
    mad_only = np.abs(robust_z([v - np.median(log_loss) for v in log_loss])) > DEFAULT_THRESHOLD
    assert not mad_only.any()  # the IQR matters once the clusters are uneven:
    uneven = [*log_loss[:9], *log_loss[:6], *log_loss[9:17]]  # 15 low, 8 high
    assert np.abs(robust_z(uneven)).max() > DEFAULT_THRESHOLD
    assert not outlier_mask(uneven).any()
    assert outlier_mask([*uneven, 2.5]).tolist() == [False] * len(uneven) + [True]
