"""run_explain + render_explain on real subprocesses whose noise sources are known."""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from seedgate.config.settings import Config, build_config
from seedgate.errors import ConfigError, RunnerError
from seedgate.planning.explain import gate_runs, plan_explain, run_explain
from seedgate.records import NoiseBreakdown, VarianceComponent
from seedgate.report.noise import render_explain
from seedgate.stats import design as sequential
from seedgate.stats.planning import runs_needed

FIXTURE = Path(__file__).parent / "fixtures_noise" / "known_noise.py"


def _config(tmp_path: Path, *flags: str, **settings: Any) -> Config:
    command = shlex.join([sys.executable, str(FIXTURE), *flags])
    raw: dict[str, Any] = {
        "command": command,
        "working_directory": str(tmp_path),
        "jobs": 2,
        "timeout": 60,
        **settings,
    }
    return build_config(raw)


def _component(breakdown: NoiseBreakdown, source: str) -> VarianceComponent:
    return next(c for c in breakdown.components if c.source == source)


def test_plan_varies_one_seed_per_group_and_repeats_the_centre() -> None:
    plan = plan_explain(seed_base=7, runs_per_factor=4, repeats=3)
    specs = plan.specs
    assert [s.index for s in specs] == list(range(11))
    centre = specs[plan.repeated[0]]
    assert {(specs[i].seed, specs[i].data_seed, specs[i].init_seed) for i in plan.repeated} == {
        (centre.seed, centre.data_seed, centre.init_seed)
    }
    data = [specs[i] for i in plan.data_varied]
    init = [specs[i] for i in plan.init_varied]
    assert {s.init_seed for s in data} == {centre.init_seed}
    assert len({s.data_seed for s in data} | {centre.data_seed}) == 5
    assert {s.data_seed for s in init} == {centre.data_seed}
    assert len({s.init_seed for s in init} | {centre.init_seed}) == 5
    assert len({s.seed for s in data + init} | {centre.seed}) == 9


@pytest.mark.parametrize(("runs", "repeats"), [(1, 3), (6, 1), (6, -1)])
def test_plan_rejects_designs_that_cannot_split(runs: int, repeats: int) -> None:
    with pytest.raises(ConfigError, match="expected"):
        plan_explain(0, runs, repeats)


def test_known_components_are_recovered_and_non_determinism_detected(tmp_path: Path) -> None:
    # score = 0.1 N(data) + 0.3 N(init) + 0.01 U(urandom): variances 0.01, 0.09, 1e-4
    config = _config(
        tmp_path,
        "--data-scale=0.1",
        "--init-scale=0.3",
        "--noise-scale=0.01",
        metric={"score": {"min_effect": 0.1}},
    )
    out = io.StringIO()
    (breakdown,) = run_explain(config, out=out, runs_per_factor=8, repeats=3)
    assert "[explain] run 19/19" in out.getvalue()

    data = _component(breakdown, "data order")
    init = _component(breakdown, "initialisation")
    noise = _component(breakdown, "non-determinism")
    assert data.interval.low <= 0.01 <= data.interval.high
    assert init.interval.low <= 0.09 <= init.interval.high
    assert noise.variance < 4e-4  # 3 draws of 0.01 U: at most (2 * sqrt(3) * 0.01)^2 / 3
    assert init.share > data.share > noise.share
    assert init.share > 0.6
    assert noise.share < 0.05
    assert sum(c.share for c in breakdown.components) == pytest.approx(1.0)

    assert breakdown.deterministic is False
    assert breakdown.identical_seed_max_diff is not None
    assert 0 < breakdown.identical_seed_max_diff < 0.04  # at most 2 * sqrt(3) * 0.01
    assert breakdown.test_set_error is None

    text = render_explain([breakdown], config=config)
    assert "Identical seeds do NOT reproduce" in text
    assert "The largest source is initialisation" in text
    n = gate_runs(breakdown.total_variance**0.5, 0.1, config, paired=None)
    runs = "more candidate runs than any cap allows" if n is None else f"{n} candidate runs"
    assert f"takes about {runs}" in text
    assert "against a 20-run baseline with unrelated seeds" in text


def test_deterministic_script_is_reported_deterministic(tmp_path: Path) -> None:
    config = _config(tmp_path, "--data-scale=0.2", "--init-scale=0.1")
    (breakdown,) = run_explain(config, out=io.StringIO(), runs_per_factor=4, repeats=2)
    assert breakdown.deterministic is True
    assert breakdown.identical_seed_max_diff == 0.0
    noise = _component(breakdown, "non-determinism")
    assert noise.variance == 0.0
    assert noise.interval.high == 0.0
    text = render_explain([breakdown], config=config)
    assert "Identical seeds reproduce exactly on this machine" in text


def test_small_test_set_limits_the_resolution(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        "--mean=0.8",
        "--data-scale=0.01",
        "--init-scale=0.01",
        "--n-test=500",
        metric={"score": {"min_effect": 0.005}},
    )
    breakdowns = run_explain(config, out=io.StringIO(), runs_per_factor=4, repeats=2)
    assert [b.metric for b in breakdowns] == ["score"]  # n_test is a size, not a metric
    (breakdown,) = breakdowns
    assert breakdown.test_set_error is not None
    assert breakdown.test_set_error == pytest.approx((0.8 * 0.2 / 500) ** 0.5, rel=0.1)
    text = render_explain(breakdowns, config=config)
    assert "500 test examples give about ±3.5 percentage points" in text
    assert "0.5-point min_effect cannot be judged on that test set" in text

    # The same runs judged against a larger (stated) test set: the seeds limit, not the set.
    (large,) = run_explain(config, out=io.StringIO(), runs_per_factor=4, repeats=2, n_test=500000)
    text = render_explain([large], config=config)
    assert "does not limit the resolution" in text


def test_a_command_that_always_fails_raises_with_its_reason(tmp_path: Path) -> None:
    config = build_config(
        {"command": f"{shlex.quote(sys.executable)} -c 'raise SystemExit(3)'", "timeout": 30}
    )
    with pytest.raises(RunnerError, match="no run succeeded"):
        run_explain(config, out=io.StringIO(), runs_per_factor=2, repeats=0)


def test_gate_runs_come_from_the_planning_formula_and_pairing_needs_fewer() -> None:
    config = Config()
    design = sequential.calibrate((3, 5, 10, 15, 20), 20, 0.05, 0.9, 20_000, config.stats_seed)
    assert gate_runs(0.01, 0.02, config, paired=None) == runs_needed(2.0, design)
    # one seed-SD against a 20-run baseline: far beyond the cap unpaired, within it paired
    unpaired = gate_runs(0.01, 0.01, config, paired=None)
    paired = gate_runs(0.01, 0.01, config, paired=0.8)
    assert unpaired is not None
    assert paired is not None
    assert paired <= 20 < unpaired
    assert gate_runs(0.0, 0.01, config, paired=None) == 3  # deterministic: first look
    assert gate_runs(0.01, 0.0, config, paired=None) is None


def test_render_recomputes_advice_for_a_given_min_effect(tmp_path: Path) -> None:
    config = _config(tmp_path, "--data-scale=0.1", "--init-scale=0.1")
    breakdowns = run_explain(config, out=io.StringIO(), runs_per_factor=3, repeats=2)
    sd = breakdowns[0].total_variance ** 0.5
    stored = render_explain(breakdowns, config=config)  # config's default: 1% of the mean
    assert "min_effect is 0" not in stored
    custom = render_explain(breakdowns, config=config, min_effect={"score": sd})
    assert "with paired seeds" in custom
    assert "for a change whose same-seed correlation is 0.80" in custom
    assert "| data order |" in custom
    assert "| initialisation |" in custom
    assert "| non-determinism | 0 | [0, 0] | 0% |" in custom


def test_advice_warns_when_min_effect_needs_more_runs_than_the_cap(tmp_path: Path) -> None:
    config = _config(tmp_path, "--data-scale=0.1", "--init-scale=0.1", max_runs=10)
    breakdowns = run_explain(config, out=io.StringIO(), runs_per_factor=3, repeats=0)
    sd = breakdowns[0].total_variance ** 0.5
    assert breakdowns[0].deterministic is None
    tight = render_explain(breakdowns, config=config, min_effect={"score": sd / 2})
    assert "more than max_runs = 10" in tight
    assert "Determinism was not checked" in tight
    loose = render_explain(breakdowns, config=config, min_effect={"score": 3 * sd})
    assert "more than max_runs" not in loose
