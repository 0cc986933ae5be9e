from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import stats

from seedgate.compare import compare, is_open, runs_used
from seedgate.config.settings import Config, MetricSpec, MinEffect
from seedgate.errors import RunSetError
from seedgate.outcome import as_baseline
from seedgate.records import Bound, Goal, Multiplicity, Verdict
from seedgate.report.wording import gate_settings_rows, headline, note, stop_reason, why
from seedgate.stats.design import holm
from seedgate.stats.studentised import studentised_z
from tests.testing.runsets import runset

LOOKS = (3, 5, 10, 15, 20)
BASE = tuple(float(v) for v in np.linspace(0.0, 1.0, 20))
# the runs of these tests have seeds 100, 101, ... (the failed-run and bad-seed tests name them)
runset_from_100 = functools.partial(runset, first_seed=100)


def config(*specs: MetricSpec) -> Config:
    return Config(metrics=specs)


ACC = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.6, relative=False))


def test_no_baseline_summarises_the_candidate_only() -> None:
    result = compare(None, runset_from_100({"accuracy": BASE[:5]}), config(ACC), looks=LOOKS)
    assert result.verdict is Verdict.NO_BASELINE
    assert result.design is None
    (metric,) = result.metrics
    assert metric.verdict is Verdict.NO_BASELINE
    assert metric.bound is None
    assert metric.candidate.n == 5
    assert metric.candidate.mean == pytest.approx(np.mean(BASE[:5]))
    assert metric.baseline is None
    assert "no baseline" in stop_reason(result)
    assert not is_open(result)


def test_clear_regression_stops_at_the_first_look() -> None:
    candidate = runset_from_100({"accuracy": [-1.0, -1.2, -0.9, -1.1, -1.3, -0.8]})
    result = compare(runset_from_100({"accuracy": BASE}), candidate, config(ACC), looks=LOOKS)
    assert result.verdict is Verdict.REGRESSION
    (metric,) = result.metrics
    assert metric.bound is Bound.REGRESSION
    assert len(metric.looks) == 1
    assert metric.looks[0].n_candidate == 3
    assert metric.looks[0].n_baseline == 20
    assert (
        stop_reason(result) == "regression bound crossed for accuracy at look 1 (3 candidate runs)"
    )
    assert metric.shift is not None
    assert metric.shift < 0
    assert metric.p_better == 0.0
    assert not is_open(result)
    assert runs_used(result) == 3


def test_clear_improvement() -> None:
    candidate = runset_from_100({"accuracy": [2.0, 2.2, 2.1]})
    result = compare(runset_from_100({"accuracy": BASE}), candidate, config(ACC), looks=LOOKS)
    assert result.verdict is Verdict.IMPROVEMENT
    assert result.metrics[0].bound is Bound.IMPROVEMENT
    assert result.metrics[0].p_better == 1.0


def test_minimize_goal_turns_a_higher_loss_into_a_regression() -> None:
    loss = MetricSpec("loss", Goal.MINIMIZE, MinEffect(0.6, relative=False))
    candidate = runset_from_100({"loss": [2.0, 2.2, 2.1]})
    result = compare(runset_from_100({"loss": BASE}), candidate, config(loss), looks=LOOKS)
    assert result.verdict is Verdict.REGRESSION
    assert result.metrics[0].p_better == 0.0
    assert result.metrics[0].looks[0].z_regression > 0


def test_worse_but_by_less_than_min_effect_is_no_change() -> None:
    # 0.3 lower, significant against 0 but min_effect is 0.6: no regression to report
    candidate = runset_from_100({"accuracy": [v - 0.3 for v in BASE]})
    plain = stats.mannwhitneyu([v - 0.3 for v in BASE], BASE, alternative="less", method="exact")
    assert plain.pvalue <= 0.05
    result = compare(runset_from_100({"accuracy": BASE}), candidate, config(ACC))
    (metric,) = result.metrics
    (look,) = metric.looks
    assert look.p_no_change <= 0.10
    assert metric.verdict is Verdict.NO_CHANGE
    assert metric.bound is Bound.NO_CHANGE
    assert result.verdict is Verdict.NO_CHANGE


def test_single_look_uses_exact_u_p_values() -> None:
    rng = np.random.default_rng(4)
    baseline, candidate = rng.normal(size=12), rng.normal(size=6) - 0.5
    spec = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.4, relative=False))
    result = compare(
        runset_from_100({"accuracy": baseline}),
        runset_from_100({"accuracy": candidate}),
        config(spec),
    )
    (look,) = result.metrics[0].looks
    assert look.n_candidate == 6
    assert look.n_baseline == 12
    # regression is tested against a drop of indifference x min_effect = 0.1
    exact = stats.mannwhitneyu(candidate + 0.1, baseline, alternative="less", method="exact")
    assert look.p_regression == pytest.approx(exact.pvalue)
    better = stats.mannwhitneyu(candidate - 0.1, baseline, alternative="greater", method="exact")
    assert look.p_improvement == pytest.approx(better.pvalue)
    margin = stats.mannwhitneyu(candidate + 0.4, baseline, alternative="greater", method="exact")
    assert look.p_no_change == pytest.approx(margin.pvalue)
    assert result.settings is not None
    assert result.settings.single_look
    assert dict(gate_settings_rows(result.settings, result.metrics))["test"].startswith(
        "single look: exact Mann-Whitney U p-value <= 0.05"
    )


def test_drop_inside_the_indifference_zone_is_never_a_regression() -> None:
    # the baseline's values in a mixed order, each 0.1 lower: inside the zone of 0.25 x 0.6
    candidate = runset_from_100({"accuracy": [v - 0.11 for v in _ambiguous(20)]})
    result = compare(runset_from_100({"accuracy": BASE}), candidate, config(ACC), looks=LOOKS)
    assert all(look.p_regression > 0.05 for look in result.metrics[0].looks)
    assert result.verdict is not Verdict.REGRESSION


def test_zero_min_effect_never_concludes_no_change() -> None:
    zero = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.0, relative=False))
    same = runset_from_100({"accuracy": _ambiguous(20)})
    result = compare(
        runset_from_100({"accuracy": _scrambled_base()}), same, config(zero), looks=LOOKS
    )
    assert all(look.p_no_change == 1.0 for look in result.metrics[0].looks)
    assert result.verdict is Verdict.INCONCLUSIVE


def test_tied_discrete_metric_is_not_a_regression() -> None:
    # the minimal case: 20 runs at 0.900, the candidate 0.900, 0.900, 0.898
    spec = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.001, relative=False))
    baseline = runset_from_100({"accuracy": [0.9] * 20})
    result = compare(
        baseline, runset_from_100({"accuracy": [0.9, 0.9, 0.898]}), config(spec), looks=LOOKS
    )
    assert result.metrics[0].looks[0].p_regression > 0.05
    assert result.verdict is not Verdict.REGRESSION


def _scrambled_base() -> list[float]:
    # BASE in an order unrelated to the seeds: sorted by seed, each candidate run's twin
    # (the same seed) would be among the lowest baseline runs, and pairing would see that
    return [BASE[(11 * i + 5) % 20] for i in range(20)]


def _ambiguous(n: int) -> list[float]:
    # interleaves the baseline: no evidence either way
    return [BASE[(7 * i + 3) % 20] + 0.01 for i in range(n)]


def test_open_metric_asks_for_the_next_look() -> None:
    tiny = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.0001, relative=False))
    result = compare(
        runset_from_100({"accuracy": BASE}),
        runset_from_100({"accuracy": _ambiguous(4)}),
        config(tiny),
        looks=LOOKS,
    )
    (metric,) = result.metrics
    assert metric.verdict is Verdict.INCONCLUSIVE
    assert metric.bound is None
    assert len(metric.looks) == 1
    assert is_open(result)
    assert result.stop.next_look == 5
    assert runs_used(result) == 4
    assert "next look at 5 runs" in stop_reason(result)


def test_cap_without_a_crossing_is_inconclusive() -> None:
    tiny = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.0001, relative=False))
    result = compare(
        runset_from_100({"accuracy": _scrambled_base()}),
        runset_from_100({"accuracy": _ambiguous(20)}),
        config(tiny),
        looks=LOOKS,
    )
    (metric,) = result.metrics
    assert metric.verdict is Verdict.INCONCLUSIVE
    assert metric.bound is Bound.CAP
    assert len(metric.looks) == len(LOOKS)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert stop_reason(result) == "cap of 20 runs reached with no bound crossed for accuracy"
    assert not is_open(result)


def test_fewer_runs_than_the_first_look() -> None:
    result = compare(
        runset_from_100({"accuracy": BASE}),
        runset_from_100({"accuracy": [0.5, 0.6]}),
        config(ACC),
        looks=LOOKS,
    )
    assert result.metrics[0].looks == ()
    assert is_open(result)
    assert result.stop.next_look == 3
    assert "fewer than the first look" in stop_reason(result)


@pytest.mark.parametrize("lockstep", [False, True])
def test_verdict_on_all_runs_equals_the_verdict_on_the_runs_a_pipeline_would_have(
    lockstep: bool,
) -> None:
    rng = np.random.default_rng(17)
    spec = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(1.0, relative=False))
    for shift in (0.0, 0.5, 1.0, 2.0) * 5:
        baseline = runset_from_100({"accuracy": rng.normal(size=20)})
        values = rng.normal(size=20) - shift
        full = compare(
            baseline,
            runset_from_100({"accuracy": values}),
            config(spec),
            looks=LOOKS,
            lockstep=lockstep,
        )
        n = runs_used(full)
        prefix = compare(
            baseline,
            runset_from_100({"accuracy": values[:n]}),
            config(spec),
            looks=LOOKS,
            lockstep=lockstep,
        )
        assert prefix.verdict is full.verdict
        assert prefix.metrics[0].looks == full.metrics[0].looks
        assert not is_open(prefix)
        if n < 20:
            shorter = compare(
                baseline,
                runset_from_100({"accuracy": values[: n - 1]}),
                config(spec),
                looks=LOOKS,
                lockstep=lockstep,
            )
            assert is_open(shorter)
            assert shorter.stop.next_look == n


def test_lockstep_uses_baseline_prefixes() -> None:
    rng = np.random.default_rng(2)
    baseline = runset_from_100({"accuracy": rng.normal(size=20)})
    candidate = runset_from_100({"accuracy": rng.normal(size=10)})
    tiny = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.0001, relative=False))
    result = compare(baseline, candidate, config(tiny), looks=LOOKS, lockstep=True)
    looks = result.metrics[0].looks
    assert looks
    for look in looks:
        n = look.n_candidate
        assert look.n_baseline == n
        prefix = studentised_z(
            np.asarray([candidate.values("accuracy")[:n]]),
            np.asarray([baseline.values("accuracy")[:n]]),
            ties_favour_better=False,
        )
        assert look.z_improvement == pytest.approx(float(prefix[0]))
    assert result.design is not None
    assert result.design.baseline_n is None
    assert result.settings is not None
    assert result.settings.lockstep


def test_holm_adjusts_regression_p_values_across_gating_metrics() -> None:
    rng = np.random.default_rng(8)
    base = {"a": rng.normal(size=20), "b": rng.normal(size=20)}
    cand = {"a": rng.normal(size=10) - 0.8, "b": rng.normal(size=10) - 0.6}
    spec_a = MetricSpec("a", Goal.MAXIMIZE, MinEffect(1.0, relative=False))
    spec_b = MetricSpec("b", Goal.MAXIMIZE, MinEffect(1.0, relative=False))
    alone_a = compare(runset_from_100(base), runset_from_100(cand), config(spec_a), looks=LOOKS)
    alone_b = compare(runset_from_100(base), runset_from_100(cand), config(spec_b), looks=LOOKS)
    both = compare(
        runset_from_100(base), runset_from_100(cand), config(spec_a, spec_b), looks=LOOKS
    )
    p_a = alone_a.metrics[0].looks[0].p_regression
    p_b = alone_b.metrics[0].looks[0].p_regression
    adjusted_a, adjusted_b = holm([p_a, p_b])
    assert adjusted_a > p_a
    assert both.metrics[0].looks[0].p_regression == pytest.approx(adjusted_a)
    assert both.metrics[1].looks[0].p_regression == pytest.approx(adjusted_b)
    # no-change is intersection-union: its p-values stay unadjusted
    assert both.metrics[0].looks[0].p_no_change == alone_a.metrics[0].looks[0].p_no_change
    assert both.settings is not None
    assert both.settings.multiplicity is Multiplicity.HOLM
    assert both.settings.gating == 2


def test_primary_metric_gates_alone() -> None:
    other = MetricSpec("loss", Goal.MINIMIZE, MinEffect(0.6, relative=False))
    baseline = runset_from_100({"acc": BASE, "loss": BASE})
    # acc unchanged-ish (no-change with a wide margin), loss clearly worse (higher)
    candidate = runset_from_100(
        {"acc": [0.5, 0.45, 0.55, 0.5, 0.52], "loss": [3.0, 3.1, 3.2, 3.3, 3.4]}
    )
    wide = MetricSpec("acc", Goal.MAXIMIZE, MinEffect(2.0, relative=False), primary=True)
    result = compare(baseline, candidate, config(wide, other), looks=LOOKS)
    acc, loss = result.metrics
    assert acc.gating
    assert not loss.gating
    assert loss.verdict is Verdict.REGRESSION
    assert result.verdict is Verdict.NO_CHANGE
    assert result.settings is not None
    assert result.settings.multiplicity is Multiplicity.PRIMARY
    assert result.settings.primary == "acc"


def test_metric_missing_from_the_baseline_is_noted_and_not_compared() -> None:
    specs = (ACC, MetricSpec("f1", Goal.MAXIMIZE, MinEffect(0.6, relative=False)))
    baseline = runset_from_100({"accuracy": BASE})
    candidate = runset_from_100({"accuracy": [-1.0, -1.2, -0.9], "f1": [0.1, 0.2, 0.3]})
    result = compare(baseline, candidate, config(*specs), looks=LOOKS)
    accuracy, f1 = result.metrics
    assert f1.verdict is Verdict.METRIC_ABSENT
    assert f1.candidate.n == 3
    assert any("'f1' is not in the baseline" in note(n) for n in result.notes)
    assert accuracy.verdict is Verdict.REGRESSION
    assert result.verdict is Verdict.REGRESSION  # a regression still wins


def test_a_gating_metric_missing_from_the_baseline_is_its_own_outcome() -> None:
    specs = (ACC, MetricSpec("f1", Goal.MAXIMIZE, MinEffect(0.6, relative=False)))
    baseline = runset_from_100({"accuracy": BASE})
    candidate = runset_from_100({"accuracy": BASE[:5], "f1": [0.1, 0.2, 0.3, 0.2, 0.1]})
    result = compare(baseline, candidate, config(*specs), looks=LOOKS)
    assert result.verdict is Verdict.METRIC_ABSENT
    assert result.stop.metrics == ("f1",)
    assert "'f1' is not in the baseline" in why(result)
    assert "report accuracy" in why(result)
    assert "No baseline was found" not in why(result)


def test_a_renamed_metric_is_metric_absent_naming_both_names() -> None:
    baseline = runset_from_100({"accuracy": BASE})
    candidate = runset_from_100({"accuracy2": BASE[:5]})
    result = compare(baseline, candidate, Config(), looks=LOOKS)
    assert result.verdict is Verdict.METRIC_ABSENT
    assert "'accuracy2' is not in the baseline" in why(result)
    assert f"its {len(BASE)} successful runs report accuracy" in why(result)
    assert headline(result).endswith("Not compared: accuracy2 not in the baseline")


def test_an_empty_baseline_is_metric_absent_not_no_baseline() -> None:
    baseline = runset_from_100({"accuracy": BASE}, failed=list(range(len(BASE))))
    candidate = runset_from_100({"accuracy": BASE[:5]})
    result = compare(baseline, candidate, config(ACC), looks=LOOKS)
    assert result.verdict is Verdict.METRIC_ABSENT
    assert "it has 0 successful runs" in why(result)


def test_failed_candidate_runs_are_reported_and_left_out() -> None:
    values = [-1.0, 99.0, -1.2, -0.9, -1.1]
    candidate = runset_from_100({"accuracy": values}, failed=[1])
    result = compare(runset_from_100({"accuracy": BASE}), candidate, config(ACC), looks=LOOKS)
    assert [r.seed for r in result.failed_runs] == [101]
    assert result.candidate_runs == 4
    assert result.metrics[0].candidate_values == (-1.0, -1.2, -0.9, -1.1)
    assert result.metrics[0].candidate_seeds == (100, 102, 103, 104)
    assert any("1 candidate run(s) failed" in note(n) for n in result.notes)


def test_bad_seeds_are_flagged_from_the_pooled_runs() -> None:
    base_values = list(BASE)
    base_values[4] = -10.0  # a collapsed baseline seed (seed 104)
    result = compare(
        runset_from_100({"accuracy": base_values}),
        runset_from_100({"accuracy": [0.4, 0.5, 0.6, 0.55]}),
        config(ACC),
        looks=LOOKS,
    )
    assert result.metrics[0].bad_seeds == (104,)
    assert result.metrics[0].baseline_values[4] == -10.0


def test_relative_min_effect_is_scaled_by_the_baseline_mean() -> None:
    spec = MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(0.01, relative=True))
    values = [0.9, 0.91, 0.89, 0.9, 0.92]
    result = compare(
        runset_from_100({"accuracy": values}),
        runset_from_100({"accuracy": values[:3]}),
        config(spec),
        looks=LOOKS,
    )
    assert result.metrics[0].min_effect == pytest.approx(0.01 * np.mean(values))
    assert result.settings is not None
    assert dict(gate_settings_rows(result.settings, result.metrics))[
        "min_effect.accuracy"
    ].endswith("(1%)")


def test_settings_plans_and_design_are_filled() -> None:
    rng = np.random.default_rng(3)
    result = compare(
        runset_from_100({"accuracy": rng.normal(size=20)}),
        runset_from_100({"accuracy": rng.normal(size=5)}),
        config(MetricSpec("accuracy", Goal.MAXIMIZE, MinEffect(1.0, relative=False))),
        looks=LOOKS,
    )
    assert result.design is not None
    assert result.design.looks == LOOKS
    assert result.design.baseline_n == 20
    assert result.settings is not None
    assert dict(gate_settings_rows(result.settings, result.metrics))["test"].startswith(
        "group-sequential"
    )
    assert result.design.alpha == 0.05
    (plan,) = result.plans
    assert plan.metric == "accuracy"
    assert plan.cap == 20
    assert result.baseline_runs == 20
    assert result.candidate_runs == 5
    assert result.environment_differences == ()
    metric = result.metrics[0]
    assert metric.shift_interval is not None
    assert metric.shift is not None
    assert metric.shift_interval.low <= metric.shift
    # no-change at three runs: no shift is large enough for the regression side to reject
    # there (the twins are uncorrelated, so pairing does not count), hence no upper end
    high = metric.shift_interval.high
    assert math.isnan(high) or metric.shift <= high
    assert len(metric.baseline_seeds) == 20
    assert not math.isnan(metric.candidate.std)


def test_unusable_inputs_raise_clear_errors() -> None:
    with pytest.raises(RunSetError, match="no successful runs"):
        compare(None, runset_from_100({"accuracy": [1.0, 2.0]}, failed=[0, 1]), config(ACC))
    with pytest.raises(RunSetError, match="'accuracy' is configured"):
        compare(None, runset_from_100({"loss": [1.0, 2.0]}), config(ACC))


def test_metrics_default_to_everything_the_runs_report() -> None:
    result = compare(
        runset_from_100({"accuracy": BASE, "val_loss": BASE}),
        runset_from_100({"accuracy": BASE[:3], "val_loss": BASE[:3]}),
        Config(),
        looks=LOOKS,
    )
    assert [m.name for m in result.metrics] == ["accuracy", "val_loss"]
    assert result.metrics[1].goal is Goal.MINIMIZE


def test_the_runs_that_make_a_baseline_say_so() -> None:
    made = as_baseline(compare(None, runset_from_100({"accuracy": BASE[:4]}), config(ACC)))
    assert made.verdict is Verdict.BASELINE
    assert [m.verdict for m in made.metrics] == [Verdict.BASELINE]
    assert made.metrics[0].candidate.n == 4
    assert headline(made).endswith("Baseline made")
    assert "These 4 runs are the baseline" in why(made)
    assert "no baseline yet" not in " ".join(note(n) for n in made.notes)
