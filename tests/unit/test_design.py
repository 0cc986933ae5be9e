from __future__ import annotations

import numpy as np
import pytest

from seedgate.records import Bound
from seedgate.stats import design
from seedgate.stats.studentised import studentised_z

LOOKS = (3, 5, 10, 15, 20)


@pytest.mark.parametrize("baseline_n", [20, None, 7])
def test_null_draws_are_the_studentised_statistic_of_uniform_draws(baseline_n: int | None) -> None:
    looks = (2, 4, 6)
    z = design.null_z_draws(looks, baseline_n, 100, 5)
    rng = np.random.default_rng(5)  # same stream: candidate draws first, then baseline
    candidate = rng.random((100, looks[-1]))
    baseline = rng.random((100, baseline_n or looks[-1]))
    for row in range(3):
        for k, n in enumerate(looks):
            reference = (
                baseline[row : row + 1, :n] if baseline_n is None else baseline[row : row + 1]
            )
            expected = studentised_z(
                candidate[row : row + 1, :n], reference, ties_favour_better=True
            )
            assert z[row, k] == pytest.approx(float(expected[0]), abs=1e-7)
            assert z[100 + row, k] == -z[row, k]  # both directions stacked


def test_calibration_is_cached_and_reproducible() -> None:
    first = design.calibrate(LOOKS, 20, alpha=0.05, power=0.9, simulations=20000, seed=99)
    again = design.calibrate(LOOKS, 20, alpha=0.05, power=0.9, simulations=20000, seed=99)
    assert again is first
    design.calibrate.cache_clear()
    design.null_max_distribution.cache_clear()
    fresh = design.calibrate(LOOKS, 20, alpha=0.05, power=0.9, simulations=20000, seed=99)
    assert fresh == first


def test_bounds_are_ordered_and_plausible() -> None:
    stored = design.calibrate(LOOKS, 20, alpha=0.05, power=0.9, simulations=20000, seed=1)
    assert stored.looks == LOOKS
    assert stored.baseline_n == 20
    # the shaped bound falls look by look, the last above the single-look z_0.95 = 1.645
    bounds = stored.bounds_alpha
    assert list(bounds) == sorted(bounds, reverse=True)
    assert 1.645 < bounds[-1] < 2.1 < bounds[0] < 3.3
    assert 1.28 < stored.bound_beta < 2.1
    # 2.5% per side over five looks, wider early: 3 vs 20 runs still gets an interval
    intervals = stored.bounds_interval
    assert list(intervals) == sorted(intervals, reverse=True)
    assert 1.96 < intervals[-1] < intervals[0] < 30 / (3 * 20 * 24 / 12) ** 0.5
    assert design.interval_bound(stored, 4) == intervals[0]
    assert design.interval_bound(stored, 20) == intervals[-1]
    assert stored.indifference == design.INDIFFERENCE
    one_look = design.calibrate((20,), 20, alpha=0.05, power=0.9, simulations=20000, seed=1)
    assert one_look.bounds_alpha[0] == pytest.approx(1.645, abs=0.06)


def _independent_null_z(
    looks: tuple[int, ...], baseline_n: int | None, reps: int, seed: int
) -> np.ndarray:
    """Z_k at every look from normal data (not uniform), look by look."""
    rng = np.random.default_rng(seed)
    candidate = rng.normal(size=(reps, looks[-1]))
    baseline = rng.normal(size=(reps, baseline_n or looks[-1]))
    columns = [
        studentised_z(
            candidate[:, :n], baseline if baseline_n else baseline[:, :n], ties_favour_better=True
        )
        for n in looks
    ]
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("baseline_n", [20, None])
def test_calibrated_bounds_hold_their_error_rates_on_fresh_data(baseline_n: int | None) -> None:
    calibrated = design.calibrate(
        LOOKS, baseline_n, alpha=0.05, power=0.9, simulations=20000, seed=1
    )
    reps = 3000
    z = _independent_null_z(LOOKS, baseline_n, reps, seed=2024)
    alpha_rate = float(np.mean((z >= np.asarray(calibrated.bounds_alpha) - 1e-9).any(axis=1)))
    beta_rate = float(np.mean(z.max(axis=1) >= calibrated.bound_beta - 1e-9))
    # 3 Monte-Carlo standard errors around the targets
    assert abs(alpha_rate - 0.05) < 3 * np.sqrt(0.05 * 0.95 / reps) + 0.005
    assert abs(beta_rate - 0.10) < 3 * np.sqrt(0.10 * 0.90 / reps) + 0.005


def test_reusing_the_baseline_makes_a_bound_for_independent_looks_wrong() -> None:
    stored = design.calibrate(LOOKS, 20, alpha=0.05, power=0.9, simulations=20000, seed=1)
    lockstep = design.calibrate(LOOKS, None, alpha=0.05, power=0.9, simulations=20000, seed=1)
    # the two schedules correlate their looks differently, so the calibrated bounds differ
    assert stored.bounds_alpha[0] != pytest.approx(lockstep.bounds_alpha[0], abs=0.02)


def test_sequential_p_value_agrees_with_the_bound() -> None:
    calibrated = design.calibrate(LOOKS, 20, alpha=0.05, power=0.9, simulations=20000, seed=1)
    for look, bound in enumerate(calibrated.bounds_alpha):
        assert design.regression_p_value(bound, look, calibrated) <= 0.05
        assert design.regression_p_value(bound - 0.05, look, calibrated) > 0.05
    null = design.no_change_null(calibrated)
    assert design.sequential_p_value(calibrated.bound_beta, null) <= 0.10
    assert design.sequential_p_value(calibrated.bound_beta - 0.02, null) > 0.10
    p_values = [design.sequential_p_value(z, null) for z in (-1.0, 0.0, 1.0, 2.0, 3.0, 9.0)]
    assert p_values == sorted(p_values, reverse=True)
    assert p_values[-1] == pytest.approx(1 / (null.size + 1))
    assert design.sequential_p_value(float("nan"), null) == 1.0


def test_holm_step_down_by_hand() -> None:
    assert design.holm([0.01, 0.04, 0.03]) == pytest.approx((0.03, 0.06, 0.06))
    assert design.holm([0.5]) == (0.5,)
    assert design.holm([0.6, 0.7]) == (1.0, 1.0)
    assert design.holm([]) == ()


def test_decide_orders_the_bounds() -> None:
    alpha, beta = 0.05, 0.1
    assert design.decide(0.01, 0.9, 0.05, alpha, beta) is Bound.NO_CHANGE  # worse, < min_effect
    assert design.decide(0.01, 0.9, 0.5, alpha, beta) is Bound.REGRESSION
    assert design.decide(0.9, 0.01, 0.001, alpha, beta) is Bound.IMPROVEMENT
    assert design.decide(0.9, 0.9, 0.05, alpha, beta) is Bound.NO_CHANGE
    assert design.decide(0.2, 0.2, 0.2, alpha, beta) is None


@pytest.mark.parametrize("looks", [(), (5, 3), (0, 3), (3, 3)])
def test_bad_schedules_are_rejected(looks: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="looks"):
        design.validate_looks(looks)


def test_bad_levels_are_rejected() -> None:
    with pytest.raises(ValueError, match="alpha"):
        design.calibrate(LOOKS, 20, alpha=0.7, power=0.9, simulations=1000, seed=1)
    with pytest.raises(ValueError, match="power"):
        design.calibrate(LOOKS, 20, alpha=0.05, power=1.0, simulations=1000, seed=1)


def test_the_readme_prints_the_bounds_the_code_uses() -> None:
    import re
    from pathlib import Path

    from seedgate.config.settings import Config

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split())
    match = re.search(r"z ≥ ([\d., ]+) at the \w+ looks; no-change a constant bound at "
                      r"1\u2212`power` \(z ≥ ([\d.]+)\)", text)  # fmt: skip
    assert match is not None, "the README's bounds sentence moved"
    printed = [float(v) for v in match.group(1).replace(",", " ").split()]
    config = Config()
    calibrated = design.calibrate(
        config.look_schedule(), 20, config.alpha, config.power, config.simulations,
        config.stats_seed,
    )  # fmt: skip
    assert printed == [round(b, 2) for b in calibrated.bounds_alpha]
    assert float(match.group(2)) == round(calibrated.bound_beta, 2)


def test_the_readme_prints_the_constants_the_code_uses() -> None:
    from pathlib import Path

    from seedgate.stats import paired, stability

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split())
    assert f"lies more than {stability.DIVERGED_CUT:g} robust SDs" in text
    assert f"below the baseline's plus {round(stability.STABILITY_MARGIN * 100)} points" in text
    assert (
        f"same-seed rank correlation (Spearman's) of the look's runs is at least "
        f"{paired.PAIRING_CORRELATION:g}"
    ) in text
    assert (
        f"the paired statistic gets {round(paired.PAIRED_SHARE * 100)}% of alpha, "
        f"{round(paired.EARLY_SHARE * 100)}% of that spent by a quarter of the cap"
    ) in text
