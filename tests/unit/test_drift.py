from __future__ import annotations

import math

import numpy as np
import pytest

from seedgate.stats.drift import BaselinePoint, detect_drift, recursive_residuals


def _points(means: list[float], sd: float = 1.0, n: int = 20) -> list[BaselinePoint | None]:
    return [BaselinePoint(mean=m, sd=sd, n=n) for m in means]


def test_residual_of_the_second_baseline_by_hand() -> None:
    # one earlier baseline of n 4: reference 1.0; sigma pooled from both SDs (3 df each)
    points = [BaselinePoint(1.0, 2.0, 4), BaselinePoint(3.0, 1.0, 4)]
    sigma = math.sqrt((3 * 4.0 + 3 * 1.0) / 6)
    expected = (3.0 - 1.0) / math.sqrt(sigma**2 / 4 + sigma**2 / 4)
    first, second = recursive_residuals(points)
    assert first is None
    assert second == pytest.approx(expected)


def test_residuals_are_standard_normal_and_uncorrelated_in_control() -> None:
    rng = np.random.default_rng(3)
    sizes = [5, 20, 8, 12, 5, 30]  # unequal run counts: the residuals must not care
    rows = []
    for _ in range(3000):
        runs = [rng.normal(7.0, 2.0, size=n) for n in sizes]
        points = [BaselinePoint(float(r.mean()), float(r.std(ddof=1)), r.size) for r in runs]
        rows.append(recursive_residuals(points)[1:])
    z = np.array(rows, dtype=float)
    assert np.all(np.abs(z.mean(axis=0)) < 0.08)
    assert np.all(np.abs(z.std(axis=0) - 1) < 0.08)
    correlation = np.corrcoef(z.T)
    assert np.max(np.abs(correlation - np.eye(z.shape[1]))) < 0.08


def test_a_slow_slide_is_reported_with_where_it_began() -> None:
    # flat for 5 baselines, then 0.25 SD lower each merge; 20 runs each (SE 0.22 SD)
    means = [0.0] * 5 + [-0.25 * k for k in range(1, 11)]
    alarms = detect_drift(_points(means), goal_sign=1)
    assert alarms, "the slide was not reported"
    first = alarms[0]
    assert first.first == 5
    assert 5 < first.alarm <= 9
    assert first.level_before == pytest.approx(0.0)
    assert first.shift == pytest.approx(means[first.alarm])
    assert first.shift_in_sd == pytest.approx(means[first.alarm])  # seed SD 1
    assert first.largest_step == pytest.approx(0.25)  # no single merge made it


def test_only_the_worse_direction_counts() -> None:
    rising = _points([0.25 * k for k in range(12)])
    assert detect_drift(rising, goal_sign=1) == ()
    assert detect_drift(rising, goal_sign=-1)  # lower is better: rising is a loss


def test_a_step_at_an_environment_change_starts_a_new_segment() -> None:
    means = [0.0] * 5 + [-3.0] * 5
    plain = detect_drift(_points(means), goal_sign=1)
    assert plain
    assert plain[0].alarm == 5
    assert plain[0].largest_step == pytest.approx(3.0)  # one merge made this one
    marked = [BaselinePoint(m, 1.0, 20, new_environment=i == 5) for i, m in enumerate(means)]
    assert detect_drift(marked, goal_sign=1) == ()


def test_after_an_alarm_the_detector_restarts_so_a_long_slide_is_reported_again() -> None:
    alarms = detect_drift(_points([-0.5 * k for k in range(30)]), goal_sign=1)
    assert len(alarms) >= 2
    assert alarms[1].first > alarms[0].alarm


def test_missing_and_degenerate_baselines_are_stepped_over() -> None:
    points: list[BaselinePoint | None] = [
        *_points([0.0, 0.0]),
        None,
        BaselinePoint(-9.0, math.nan, 1),  # one run: no SD
        *_points([0.0, 0.0]),
    ]
    assert detect_drift(points, goal_sign=1) == ()
    residuals = recursive_residuals(points)
    assert residuals[2] is None
    assert residuals[3] is None


def test_a_metric_without_noise_gives_no_alarm_and_no_residual() -> None:
    points = _points([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], sd=0.0)
    assert detect_drift(points, goal_sign=1) == ()
    assert set(recursive_residuals(points)) == {None}


@pytest.mark.parametrize(
    ("goal_sign", "allowance", "threshold"), [(0, 0.5, 5.0), (1, -1.0, 5.0), (1, 0.5, 0.0)]
)
def test_impossible_settings_are_refused(
    goal_sign: int, allowance: float, threshold: float
) -> None:
    with pytest.raises(ValueError, match=r"must be|needed"):
        detect_drift(_points([0.0, 1.0]), goal_sign, allowance=allowance, threshold=threshold)
