"""Explain's advice: planning returns the numbers, report.noise says them in words."""

from __future__ import annotations

import dataclasses

from seedgate.records import Interval, NoiseAdvice, NoiseBreakdown, VarianceComponent
from seedgate.report.noise import advice_sentences

ADVICE = NoiseAdvice(
    min_effect=0.002,
    alpha=0.05,
    power=0.9,
    cap=20,
    runs_unpaired=None,
    runs_paired=12,
    paired_correlation=0.8,
    n_test=1000,
    test_set_half_width=0.02,
    test_examples_needed=96000,
)
BREAKDOWN = NoiseBreakdown(
    metric="accuracy",
    total_variance=1e-4,
    components=(VarianceComponent("non-determinism", 1e-5, 0.1, Interval(5e-6, 2e-5)),),
    deterministic=False,
    identical_seed_max_diff=0.004,
    test_set_error=0.0102,
    advice=ADVICE,
)


def test_each_number_of_the_advice_reaches_its_sentence() -> None:
    sd, top, determinism, runs, test_set = advice_sentences(BREAKDOWN)
    assert sd == "Seed-to-seed SD: 1 percentage point."
    assert top == "The largest source is non-determinism (10% of the variance)."
    assert "make the training deterministic" in determinism  # 10% is not small
    assert "more candidate runs than any cap allows against a 20-run baseline" in runs
    assert "12 candidate runs with paired seeds" in runs
    assert "same-seed correlation is 0.80" in runs
    assert runs.endswith("(or choose a larger min_effect).")
    assert test_set.startswith("1000 test examples give about ±2 percentage points")
    assert "about 96000 test examples would resolve it" in test_set


def test_a_test_set_within_min_effect_and_a_zero_min_effect() -> None:
    wide = dataclasses.replace(ADVICE, min_effect=0.05, runs_unpaired=8)
    *_, runs, test_set = advice_sentences(dataclasses.replace(BREAKDOWN, advice=wide))
    assert "about 8 candidate runs against" in runs
    assert "Beyond max_runs" not in runs
    assert test_set.endswith(
        "within the 5-point min_effect: the test set does not limit the resolution."
    )
    zero = dataclasses.replace(ADVICE, min_effect=0.0)
    assert not zero.test_set_limits
    lines = advice_sentences(dataclasses.replace(BREAKDOWN, advice=zero))
    assert lines[3].startswith("min_effect is 0: no number of runs resolves it")


def test_no_advice_planned_means_no_sentences() -> None:
    assert advice_sentences(dataclasses.replace(BREAKDOWN, advice=None)) == ()
