from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from seedgate.config.settings import (
    DEFAULT_MIN_EFFECT,
    SETTING_KEYS,
    Config,
    MinEffect,
    build_config,
    load_config,
    usable_cores,
)
from seedgate.errors import ConfigError
from seedgate.records import Executor, FailOn, Goal


def test_defaults_are_the_documented_ones() -> None:
    config = build_config({})
    assert config.alpha == 0.05
    assert config.power == 0.9
    assert config.looks == (3, 4, 5, 7, 10, 15, 20)
    assert config.max_runs == 20
    assert config.fail_on is FailOn.REGRESSION
    assert config.look_schedule() == (3, 4, 5, 7, 10, 15, 20)


def test_the_default_looks_come_a_batch_of_jobs_apart_and_set_looks_as_given() -> None:
    assert build_config({"jobs": 2}).look_schedule() == (3, 5, 7, 10, 15, 20)
    assert build_config({"jobs": 4}).look_schedule() == (3, 7, 15, 20)
    assert build_config({"jobs": 4, "max_runs": 12}).look_schedule() == (3, 7, 12)
    explicit = {"looks": "3, 4, 5, 6, 20", "jobs": 4}
    assert build_config(explicit).look_schedule() == (3, 4, 5, 6, 20)


def test_metric_tables_become_specs_with_absolute_and_relative_effects() -> None:
    config = build_config(
        {
            "min_effect": "0.5%",
            "metric": {
                "accuracy": {"goal": "maximize", "min_effect": 0.01, "primary": True},
                "loss": {"goal": "minimize"},
            },
        }
    )
    accuracy, loss = config.metrics
    assert accuracy.primary
    assert accuracy.min_effect.absolute([0.8]) == pytest.approx(0.01)
    assert loss.goal is Goal.MINIMIZE
    assert loss.min_effect.absolute([0.4]) == pytest.approx(0.002)  # 0.5% of 0.4


def test_unconfigured_metric_goal_is_guessed_from_its_name() -> None:
    config = build_config({})
    assert config.spec_for("val_loss").goal is Goal.MINIMIZE
    assert config.spec_for("f1").goal is Goal.MAXIMIZE


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        (4096, 4096),
        ("4096", 4096),
        ("16GiB", 16 * 2**30),
        ("1.5 GB", 1_500_000_000),
        ("512mib", 2**29),
    ],
)
def test_ray_memory_takes_bytes_or_a_unit(raw: object, size: int) -> None:
    assert build_config({"ray_memory": raw}).ray_memory == size


def test_the_ray_executor_settings() -> None:
    config = build_config(
        {"executor": "ray", "ray_address": "ray://head:10001", "ray_num_gpus": 0.5}
    )
    assert config.executor is Executor.RAY
    assert (config.ray_address, config.ray_num_cpus, config.ray_num_gpus) == (
        "ray://head:10001",
        1.0,
        0.5,
    )
    assert Config().executor is Executor.LOCAL


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"alpah": 0.05}, "unknown setting 'alpah'"),
        ({"alpha": 0.7}, "alpha = 0.7: expected a number in (0, 0.5)"),
        ({"alpha": "x"}, "alpha = 'x'"),
        ({"runs": 1}, "runs = 1: expected a whole number >= 2"),
        ({"runs": True}, "runs = True"),
        ({"timeout": -1}, "timeout = -1"),
        ({"min_effect": "-2%"}, "min_effect = '-2%': expected a finite value >= 0"),
        ({"min_effect": "abc"}, "min_effect = 'abc'"),
        ({"looks": [5, 3]}, "looks = [5, 3]: expected increasing run counts"),
        ({"looks": [30], "max_runs": 20}, "the first look exceeds max_runs = 20"),
        ({"fail_on": "sometimes"}, "fail_on = 'sometimes': expected one of regression"),
        ({"metric": {"acc": {"goal": "up"}}}, "metric.acc.goal = 'up': expected one of maximize"),
        ({"metric": {"acc": {"weight": 2}}}, "metric.acc: unknown key 'weight'"),
        ({"metric": {"acc": {"primary": "yes"}}}, "metric.acc.primary = 'yes'"),
        (
            {"metric": {"a": {"primary": True}, "b": {"primary": True}}},
            "at most one metric may be primary",
        ),
        ({"pass_env": 3}, "pass_env = 3: expected a list of glob patterns"),
        ({"command": ""}, "command = '': expected a non-empty string"),
        ({"executor": "k8s"}, "executor = 'k8s': expected one of local, ray"),
        ({"ray_memory": "lots"}, "ray_memory = 'lots': expected bytes > 0"),
        ({"ray_memory": "16 parsecs"}, "ray_memory = '16 parsecs'"),
        ({"ray_memory": 0}, "ray_memory = 0"),
        ({"ray_num_gpus": -1}, "ray_num_gpus = -1: expected a number in [0, 1025)"),
        ({"ray_num_cpus": 0}, "ray_num_cpus = 0: expected a number in (0, 1025)"),
        (
            {"executor": "ray", "entry": "train:entry"},
            'entry: warm workers run on the gate\'s machine only; with executor = "ray"',
        ),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_was_expected(
    raw: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config(raw)
    assert fragment in str(caught.value)


def test_looks_are_cut_at_max_runs_and_end_with_it() -> None:
    assert build_config({"max_runs": 12}).look_schedule() == (3, 4, 5, 7, 10, 12)
    assert build_config({"looks": "4, 8", "max_runs": 8}).look_schedule() == (4, 8)


def test_toml_file_and_pyproject_section_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.seedgate]\ncommand = "python train.py"\nalpha = 0.01\n'
        '[tool.seedgate.metric.accuracy]\ngoal = "maximize"\nmin_effect = "1%"\n'
    )
    config = load_config({"alpha": 0.02, "runs": None}, search_dir=tmp_path)
    assert config.command == "python train.py"
    assert config.alpha == 0.02  # the flag overrides the file
    assert [m.name for m in config.metrics] == ["accuracy"]

    (tmp_path / "seedgate.toml").write_text('command = "python other.py"\n')
    assert load_config({}, search_dir=tmp_path).command == "python other.py"


def test_broken_toml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "seedgate.toml"
    path.write_text("alpha = = 1\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config({}, config_path=path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config({}, config_path=tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max_run = 10\n", "seedgate.toml: unknown setting 'max_run'; did you mean 'max_runs'?"),
        (
            "[metric.accuracy]\nmin_efect = 0.01\n",
            (
                "seedgate.toml: [metric.accuracy] has an unknown key 'min_efect'; "
                "did you mean 'min_effect'?"
            ),
        ),
        ("zzz = 1\n", "seedgate.toml: unknown setting 'zzz' (expected one of alpha, "),
    ],
)
def test_an_unknown_key_in_a_file_names_the_file_and_the_closest_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "seedgate.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config({}, search_dir=Path(), root=tmp_path)
    assert expected in str(caught.value)


def test_digest_changes_with_the_command_only_where_it_matters() -> None:
    a = Config(command="python train.py")
    assert a.digest() == Config(command="python train.py", alpha=0.01).digest()
    assert a.digest() != Config(command="python train.py --lr 1").digest()


def test_min_effect_prints_as_it_was_written() -> None:
    assert str(MinEffect.parse("0.5%", "k")) == "0.5%"
    assert str(MinEffect.parse(0.01, "k")) == "0.01"


def test_failed_runs_allowed_defaults_to_a_quarter() -> None:
    assert Config().failed_runs_allowed(20) == 5
    assert Config(max_failed_runs=0).failed_runs_allowed(20) == 0


def test_n_test_is_reported_but_never_gated() -> None:
    assert build_config({}).gated_metric_names(("accuracy", "n_test")) == ("accuracy",)


def test_a_min_effect_flag_overrides_every_metrics_own(tmp_path: Path) -> None:
    path = tmp_path / "seedgate.toml"
    path.write_text('[metric.accuracy]\nmin_effect = 0.02\n[metric.loss]\ngoal = "minimize"\n')
    assert load_config({}, config_path=path).spec_for("accuracy").min_effect.value == 0.02
    flagged = load_config({"min_effect": "0.5%"}, config_path=path)
    assert str(flagged.spec_for("accuracy").min_effect) == "0.5%"
    assert str(flagged.spec_for("loss").min_effect) == "0.5%"
    assert flagged.spec_for("loss").goal is Goal.MINIMIZE


def test_every_setting_has_exactly_one_parser() -> None:
    fields = {f.name for f in dataclasses.fields(Config)} - {"metrics"}
    assert fields | {"metric"} == set(SETTING_KEYS)


@pytest.mark.parametrize(("raw", "jobs"), [("auto", 0), ("AUTO", 0), (0, 0), ("3", 3), (2, 2)])
def test_jobs_auto_is_parsed_in_one_place(raw: object, jobs: int) -> None:
    config = build_config({"jobs": raw})
    assert config.jobs == jobs
    assert config.usable_jobs() == (jobs or usable_cores())


def test_the_default_min_effect_is_written_once() -> None:
    config = build_config({"metric": {"accuracy": {}}})
    assert config.min_effect == DEFAULT_MIN_EFFECT
    assert config.spec_for("accuracy").min_effect == DEFAULT_MIN_EFFECT
    assert config.spec_for("unnamed").min_effect == DEFAULT_MIN_EFFECT


def test_the_run_command_is_the_command_or_the_entry() -> None:
    assert build_config({"command": "python t.py"}).run_command() == "python t.py"
    assert build_config({"entry": "t:run", "command": "x"}).run_command() == "entry:t:run"
    with pytest.raises(ConfigError, match="no command given"):
        build_config({}).run_command()


def test_files_are_read_from_root_but_recorded_relative(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "seedgate.toml").write_text('store = "kept"\nworking_directory = "w"\n')
    found = load_config({}, search_dir=Path("sub"), root=tmp_path)
    named = load_config({}, config_path=Path("sub/seedgate.toml"), root=tmp_path)
    assert found.store == named.store == Path("sub/kept")
    assert found.working_directory == Path("sub/w")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"max_runs": 10**12}, "max_runs = 1000000000000: at most 10,000 (seedgate's upper bound)"),
        ({"max_runs": "1" + "0" * 12}, "max_runs = 1000000000000: at most 10,000"),
        ({"runs": 10_001}, "runs = 10001: at most 10,000"),
        ({"baseline_runs": 20_000}, "baseline_runs = 20000: at most 10,000"),
        ({"simulations": 10**7}, "simulations = 10000000: at most 1,000,000"),
        ({"looks": [5, 20_000], "max_runs": 20}, "looks = 20000: at most 10,000"),
        ({"worker_max_runs": 10**6}, "worker_max_runs = 1000000: at most 10,000"),
        ({"jobs": 5000}, "jobs = 5000: expected a whole number >= 1 or 'auto' (at most 1,024)"),
        ({"timeout": 1e9}, "timeout = 1000000000.0: at most 2,592,000 seconds"),
        (
            {"seed_base": 2**64},
            "seed_base = 18446744073709551616: at most 9,223,372,036,854,775,807",
        ),
        ({"max_runs": 10**5000}, "max_runs = a 16610-bit number: at most 10,000"),
        ({"max_runs": "9" * 5000}, "max_runs = '99999999"),
    ],
)
def test_values_past_their_upper_bound_name_it(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config(raw)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 300


def test_the_last_seed_must_be_one_a_runset_accepts() -> None:
    last_ok = 2**63 - 20  # with the default 20 runs, seed_base + 19 = 2**63 - 1
    assert build_config({"seed_base": last_ok}).seed_base == last_ok
    with pytest.raises(ConfigError) as caught:
        build_config({"seed_base": last_ok + 1})
    assert "seed_base = 9223372036854775789: with 20 runs the last seed passes" in str(caught.value)
    assert f"expected seed_base <= {last_ok:,}" in str(caught.value)


def test_values_at_their_upper_bound_are_accepted() -> None:
    config = build_config(
        {"max_runs": 10_000, "runs": 10_000, "simulations": 1_000_000, "jobs": 1024}
    )
    assert (config.max_runs, config.runs, config.simulations, config.jobs) == (
        10_000,
        10_000,
        1_000_000,
        1024,
    )


@pytest.mark.parametrize(
    "name", ["acc\u202euracy", "acc\nuracy", "acc\x1b[31m", "acc\u2066x\u2069"]
)
def test_a_metric_name_with_control_or_bidi_characters_is_refused_at_config_read(
    name: str,
) -> None:
    with pytest.raises(ConfigError, match=r"the metric name .* holds control"):
        build_config({"command": "true", "metric": {name: {"goal": "maximize"}}})
