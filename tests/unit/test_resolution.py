from __future__ import annotations

import numpy as np
import pytest

from seedgate.config.settings import DEFAULT_LOOKS, Config, build_config
from seedgate.planning.design import design_for, pairs_with
from seedgate.planning.resolution import (
    gating_specs,
    plan_runs_needed,
    resolutions,
    resolve,
    smallest_resolvable_sd,
)
from seedgate.records import Design
from seedgate.report.plans import (
    default_metric_note,
    gate_warnings,
    smallest_effect_text,
    warning_text,
    why_chosen,
)
from seedgate.stats import design as sequential
from seedgate.stats.planning import runs_needed
from tests.testing.runsets import runset

LOOKS = DEFAULT_LOOKS


def _design(baseline_n: int | None = 20) -> Design:
    return sequential.calibrate(LOOKS, baseline_n, 0.05, 0.9, 20000, 20240917)


def _values(sd: float, n: int = 20, seed: int = 3) -> list[float]:
    """n values whose sample SD is exactly ``sd``."""
    raw = np.random.default_rng(seed).normal(size=n)
    return list(0.8 + sd * (raw - raw.mean()) / raw.std(ddof=1))


def test_smallest_resolvable_effect_is_the_edge_of_runs_needed() -> None:
    design = _design()
    edge = smallest_resolvable_sd(design, 20)
    assert edge is not None
    needed = runs_needed(edge, design)
    assert needed is not None
    assert needed <= 20
    below = runs_needed(edge * 0.99, design)
    assert below is None or below > 20
    # a smaller cap resolves only larger effects
    smaller_cap = smallest_resolvable_sd(design, 10)
    assert smaller_cap is not None
    assert smaller_cap > edge


def test_a_resolvable_min_effect_gives_no_warning() -> None:
    resolution = resolve(_values(0.01), 0.03, _design(), metric="accuracy")
    assert resolution is not None
    assert resolution.resolvable
    assert resolution.runs_needed is not None
    assert resolution.runs_needed <= 20
    assert warning_text(resolution) is None


def test_a_min_effect_below_the_baseline_noise_names_the_runs_it_needs() -> None:
    resolution = resolve(_values(0.01), 0.006, _design(), metric="accuracy")
    assert resolution is not None
    assert not resolution.resolvable
    assert resolution.runs_needed is None  # 0.6 SD: beyond a 20-run baseline at any n
    assert resolution.runs_each_side is not None
    assert resolution.runs_each_side > 20
    text = warning_text(resolution)
    assert text is not None
    assert "cannot be resolved against a baseline of 20 runs" in text
    assert f"baseline_runs = max_runs = {resolution.runs_each_side}" in text
    assert resolution.smallest_effect is not None
    assert f"{resolution.smallest_effect:.4g}" in text
    edge = smallest_resolvable_sd(_design(), 20)
    assert edge is not None
    assert resolution.smallest_effect == pytest.approx(0.01 * edge)


def test_a_min_effect_reachable_beyond_the_cap_names_the_candidate_runs() -> None:
    resolution = resolve(_values(0.01), 0.012, _design(), metric="loss")
    assert resolution is not None
    assert resolution.runs_needed is not None
    assert resolution.runs_needed > 20
    text = warning_text(resolution)
    assert text is not None
    assert f"needs about {resolution.runs_needed} candidate runs" in text


def test_zero_min_effect_and_deterministic_runs() -> None:
    zero = resolve(_values(0.01), 0.0, _design(), metric="accuracy")
    assert zero is not None
    assert "never conclude no-change" in (warning_text(zero) or "")
    same = resolve([0.9] * 20, 0.001, _design(), metric="accuracy")
    assert same is not None
    assert same.resolvable
    assert resolve([0.9], 0.01, _design(), metric="accuracy") is None


def test_gating_specs_and_the_default_note() -> None:
    reported = ("loss", "accuracy", "throughput")
    assert [s.name for s in gating_specs(Config(), reported)] == ["accuracy"]
    note = default_metric_note(Config(), reported)
    assert note is not None
    assert "accuracy gates (named like accuracy)" in note
    assert "loss, throughput are reported only" in note
    configured = build_config({"metric": {"loss": {}, "accuracy": {}}})
    assert [s.name for s in gating_specs(configured, reported)] == ["loss", "accuracy"]
    assert default_metric_note(configured, reported) is None


def test_gate_warnings_from_a_baseline() -> None:
    noisy = runset({"loss": _values(0.05), "accuracy": _values(0.02)})
    lines = gate_warnings(Config(), noisy)  # 1% of 0.8 is 0.4 seed-SDs of accuracy
    assert lines[0].startswith("note: no metrics configured: accuracy gates")
    assert len(lines) == 2
    assert lines[1].startswith("warning: accuracy: min_effect 0.008 is 0.40 seed-SDs")
    # the same seeds as the candidate's: even paired, 0.4 SD is out of reach, and it says so
    assert "Paired with the baseline's seeds it still needs about" in lines[1]
    quiet = runset({"loss": _values(0.05), "accuracy": _values(0.002)})
    only_note = gate_warnings(Config(), quiet)  # 0.008 is 4 seed-SDs: resolvable
    assert len(only_note) == 1
    assert only_note[0].startswith("note: ")


def test_plan_line_names_the_smallest_resolvable_effect() -> None:
    columns = {"accuracy": _values(0.01), "loss": _values(0.05)}
    (only,) = resolutions(Config(), runset(columns, first_seed=100))  # accuracy gates alone
    edge = smallest_resolvable_sd(_design(), 20)
    assert edge is not None
    assert smallest_effect_text(only) == (
        f"accuracy: the smallest effect a baseline of 20 runs and at most 20 candidate runs "
        f"resolve is {0.01 * edge:.4g} ({edge:.2f} seed-SDs); min_effect is 0.008."
    )
    (paired,) = resolutions(Config(), runset(columns))  # the candidate's seeds: paired
    assert paired.correlation is not None
    alone = smallest_resolvable_sd(paired.design, 20)
    together = smallest_resolvable_sd(paired.design, 20, paired.correlation)
    assert alone is not None
    assert together is not None
    assert together < alone
    assert smallest_effect_text(paired) == (
        f"accuracy: the smallest effect a baseline of 20 runs and at most 20 candidate runs "
        f"resolve is {0.01 * alone:.4g} ({alone:.2f} seed-SDs) when the change decorrelates "
        f"the seeds, and {0.01 * together:.4g} ({together:.2f} seed-SDs) with paired seeds at "
        f"a same-seed correlation of 0.8; min_effect is 0.008."
    )


def test_pairing_is_predicted_from_the_seed_lists_as_the_gate_decides() -> None:
    values = {"accuracy": _values(0.01)}
    assert pairs_with(Config(), runset(values))
    assert not pairs_with(Config(), runset(values, first_seed=100))  # seeds differ
    assert pairs_with(build_config({"seed_base": 100}), runset(values, first_seed=100))
    short = runset({"accuracy": _values(0.01, n=12)})
    assert not pairs_with(Config(), short)  # no twin for runs 13-20
    assert not pairs_with(build_config({"max_runs": 3}), runset(values))  # a single look
    design, correlation = design_for(Config(), runset(values))
    assert design.paired_bounds
    assert correlation is not None
    design, correlation = design_for(Config(), runset(values, first_seed=100))
    assert not design.paired_bounds
    assert correlation is None


def test_a_min_effect_only_paired_seeds_resolve_gets_a_note_not_a_warning() -> None:
    config = build_config({"metric": {"accuracy": {"min_effect": 0.01}}})  # one seed SD
    paired = runset({"accuracy": _values(0.01)})
    (resolution,) = resolutions(config, paired)
    assert not resolution.resolvable  # unpaired, one SD is beyond a 20-run baseline
    assert resolution.paired_runs_needed is not None
    assert resolution.paired_runs_needed <= 20
    (line,) = gate_warnings(config, paired)
    assert line.startswith("note: accuracy: min_effect 0.01 is 1.00 seed-SDs")
    assert f"resolves it in about {resolution.paired_runs_needed} runs" in line
    assert "expect 'inconclusive'" not in line
    ((plan, min_effect),) = plan_runs_needed(config, paired)
    assert plan.runs_needed == resolution.paired_runs_needed  # plan and warning agree
    assert min_effect == resolution.min_effect == pytest.approx(0.01)
    unpaired = runset({"accuracy": _values(0.01)}, first_seed=100)
    (warning,) = gate_warnings(config, unpaired)
    assert warning.startswith("warning: accuracy: min_effect 0.01 is 1.00 seed-SDs")
    assert "expect 'inconclusive' after 20 runs" in warning
    assert "Paired" not in warning
    ((unpaired_plan, _),) = plan_runs_needed(config, unpaired)
    assert unpaired_plan.paired_correlation is None


def test_why_chosen_names_the_group_or_the_order() -> None:
    assert why_chosen("val_acc") == "named like accuracy"
    assert why_chosen("perplexity") == "the first metric reported"
