"""The variance decomposition on data generated with known components."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from seedgate.records import NoiseBreakdown, VarianceComponent
from seedgate.stats.variance import (
    MeanSquare,
    NoiseDesign,
    decompose,
    difference_interval,
    identical_seed_spread,
    proportion_error,
    variance_interval,
)


def _simulate(
    rng: np.random.Generator, var_d: float, var_i: float, var_e: float, *, k: int, r: int
) -> NoiseDesign:
    """metric = D(data) + I(init) + e for the three one-factor groups of the design."""
    fixed_data = rng.normal(0, math.sqrt(var_d))
    fixed_init = rng.normal(0, math.sqrt(var_i))
    data = rng.normal(0, math.sqrt(var_d), k) + fixed_init + rng.normal(0, math.sqrt(var_e), k)
    init = rng.normal(0, math.sqrt(var_i), k) + fixed_data + rng.normal(0, math.sqrt(var_e), k)
    repeated = fixed_data + fixed_init + rng.normal(0, math.sqrt(var_e), r)
    return NoiseDesign(tuple(data), tuple(init), tuple(repeated))


def _by_source(breakdown: NoiseBreakdown) -> dict[str, VarianceComponent]:
    return {c.source: c for c in breakdown.components}


def test_large_design_recovers_variances_and_shares() -> None:
    rng = np.random.default_rng(20240917)
    design = _simulate(rng, var_d=0.01, var_i=0.09, var_e=0.0025, k=400, r=400)
    parts = _by_source(decompose("acc", design))
    truth = {"data order": 0.01, "initialisation": 0.09, "non-determinism": 0.0025}
    total = sum(truth.values())
    for source, variance in truth.items():
        assert parts[source].interval.low <= variance <= parts[source].interval.high
        assert parts[source].variance == pytest.approx(variance, rel=0.2)
        assert parts[source].share == pytest.approx(variance / total, abs=0.03)


@pytest.mark.parametrize(
    ("var_d", "var_i", "var_e"),
    [(1.0, 0.2, 0.5), (0.1, 1.0, 1.0), (1.0, 1.0, 0.0)],
)
def test_intervals_cover_the_true_components_about_95_percent(
    var_d: float, var_i: float, var_e: float
) -> None:
    rng = np.random.default_rng(7)
    trials = 600
    covered = np.zeros(3)
    for _ in range(trials):
        parts = decompose("m", _simulate(rng, var_d, var_i, var_e, k=6, r=3)).components
        for j, (part, truth) in enumerate(zip(parts, (var_d, var_i, var_e), strict=True)):
            covered[j] += part.interval.low <= truth <= part.interval.high
    rates = covered / trials
    # 600 trials: a 95% interval covers 0.93..0.97 about 99% of the time; exact noise 0 is
    # always covered (the interval is [0, 0]).
    assert np.all(rates >= 0.925), rates
    assert np.all(rates[:2] <= 0.975), rates


def test_exact_seed_effects_are_deterministic_with_zero_noise() -> None:
    data_term = {s: 0.1 * math.sin(s) for s in range(6)}
    init_term = {s: 0.3 * math.cos(3 * s) for s in range(6)}
    design = NoiseDesign(
        data_varied=tuple(data_term[s] + init_term[0] for s in range(6)),
        init_varied=tuple(data_term[0] + init_term[s] for s in range(6)),
        repeated=(data_term[0] + init_term[0],) * 3,
    )
    breakdown = decompose("m", design)
    parts = _by_source(breakdown)
    assert breakdown.deterministic is True
    assert breakdown.identical_seed_max_diff == 0.0
    assert parts["non-determinism"].variance == 0.0
    assert parts["data order"].variance == pytest.approx(np.var(list(data_term.values()), ddof=1))
    assert parts["initialisation"].variance == pytest.approx(
        np.var(list(init_term.values()), ddof=1)
    )
    assert breakdown.total_variance == pytest.approx(
        parts["data order"].variance + parts["initialisation"].variance
    )


def test_without_repeats_determinism_is_unknown_and_noise_stays_in_the_factors() -> None:
    breakdown = decompose("m", NoiseDesign(data_varied=(1.0, 2.0, 4.0), init_varied=(0.0, 1.0)))
    assert breakdown.deterministic is None
    assert breakdown.identical_seed_max_diff is None
    assert [c.source for c in breakdown.components] == ["data order", "initialisation"]
    assert breakdown.components[0].variance == pytest.approx(np.var([1.0, 2.0, 4.0], ddof=1))


def test_crossed_grid_recovers_components() -> None:
    rng = np.random.default_rng(3)
    g, h = 60, 50
    y = (
        rng.normal(0, 0.1, g)[:, None]  # data order, variance 0.01
        + rng.normal(0, 0.3, h)[None, :]  # initialisation, variance 0.09
        + rng.normal(0, 0.05, (g, h))  # residual, variance 0.0025
    )
    grid = tuple(tuple(float(v) for v in row) for row in y)
    parts = _by_source(decompose("m", NoiseDesign(grid=grid)))
    assert parts["data order"].interval.low <= 0.01 <= parts["data order"].interval.high
    assert parts["initialisation"].interval.low <= 0.09 <= parts["initialisation"].interval.high
    residual = parts["interaction + non-determinism"]
    assert residual.interval.low <= 0.0025 <= residual.interval.high


def test_difference_interval_reduces_to_chi_square_without_noise() -> None:
    first = MeanSquare(2.0, 5)
    exact = variance_interval(first, 1.0, 0.95)
    mls = difference_interval(first, MeanSquare(0.0, 2), 1.0, 0.95)
    assert mls.low == pytest.approx(exact.low)
    assert mls.high == pytest.approx(exact.high)
    assert exact.low == pytest.approx(5 * 2.0 / stats.chi2.ppf(0.975, 5))
    assert exact.high == pytest.approx(5 * 2.0 / stats.chi2.ppf(0.025, 5))


def test_difference_interval_is_clipped_at_zero() -> None:
    interval = difference_interval(MeanSquare(1.0, 5), MeanSquare(3.0, 5), 1.0, 0.95)
    assert interval.low == 0.0
    assert interval.high >= 0.0


def test_proportion_error_only_for_whole_counts_of_the_test_set() -> None:
    accuracies = [0.812, 0.806, 0.8]  # k / 500
    assert proportion_error(accuracies, 500) == pytest.approx(math.sqrt(0.806 * 0.194 / 500))
    float32_noise = [float(np.float32(v)) for v in accuracies]
    assert proportion_error(float32_noise, 500) is not None
    assert proportion_error([0.6931, 0.7012, 0.6877], 500) is None  # a loss in [0, 1]
    assert proportion_error([1.2, 0.8], 500) is None
    assert proportion_error(accuracies, None) is None


def test_identical_seed_spread() -> None:
    assert identical_seed_spread([0.5, 0.5, 0.5]) == (True, 0.0)
    deterministic, spread = identical_seed_spread([0.5, 0.51, 0.5])
    assert deterministic is False
    assert spread == pytest.approx(0.01)
    assert identical_seed_spread([0.5]) == (None, None)


@pytest.mark.parametrize(
    ("design", "message"),
    [
        (NoiseDesign(data_varied=(1.0,), init_varied=(2.0,)), "at least 2 runs"),
        (NoiseDesign(data_varied=(1.0, math.nan), init_varied=(1.0, 2.0)), "non-finite"),
        (NoiseDesign(grid=((1.0, 2.0), (3.0,))), "rectangular"),
    ],
)
def test_bad_designs_are_rejected(design: NoiseDesign, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decompose("m", design)


def test_test_set_error_is_attached_for_proportions() -> None:
    design = NoiseDesign(data_varied=(0.8, 0.804, 0.81), init_varied=(0.79, 0.8, 0.802))
    breakdown = decompose("accuracy", design, n_test=500)
    assert breakdown.test_set_error == pytest.approx(0.0179, abs=0.0005)
