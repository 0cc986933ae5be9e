"""The action's settings: the runner's environment parsed once into typed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedgate.action.settings import Mode, Role, read_settings
from seedgate.config.settings import MinEffect
from seedgate.errors import ConfigError
from seedgate.github.publish import CommentMode
from seedgate.records import Executor, FailOn
from seedgate.runset.shards import Shard

EVENTS = Path(__file__).resolve().parents[1] / "data" / "github" / "events"


def runner_environ(workspace: Path, event: str = "pull_request", **inputs: str) -> dict[str, str]:
    payload = "pull_request.opened.json" if event == "pull_request" else "push.json"
    event_path = workspace.parent / f"{workspace.name}-event.json"
    event_path.write_text((EVENTS / payload).read_text(encoding="utf-8"), encoding="utf-8")
    environ = {
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
        "GITHUB_REF": "refs/heads/master" if event == "push" else "refs/pull/2/merge",
        "GITHUB_WORKSPACE": str(workspace),
        "INPUT_GITHUB-TOKEN": "ghs_secret",
        "INPUT_COMMAND": "python train.py",
    }
    environ.update({f"INPUT_{k.replace('_', '-').upper()}": v for k, v in inputs.items()})
    return environ


def test_the_token_stays_out_of_repr(tmp_path: Path) -> None:
    settings = read_settings(runner_environ(tmp_path))
    assert settings.token == "ghs_secret"
    assert "ghs_secret" not in repr(settings)


def test_defaults(tmp_path: Path) -> None:
    settings = read_settings(runner_environ(tmp_path))
    assert settings.mode is Mode.AUTO
    assert settings.role is Role.GATE  # a pull request
    assert settings.comment is CommentMode.ALWAYS
    assert settings.baseline_path == tmp_path.resolve() / ".seedgate/baseline.json"
    assert settings.relative(settings.baseline_path) == ".seedgate/baseline.json"
    assert settings.baseline_artifact == "seedgate-baseline"
    assert settings.shard is None
    assert settings.config.command == "python train.py"
    assert settings.report_title == "seedgate"


def test_a_push_to_the_default_branch_makes_the_baseline(tmp_path: Path) -> None:
    assert read_settings(runner_environ(tmp_path, "push")).role is Role.BASELINE
    forced = read_settings(runner_environ(tmp_path, "push", mode="gate"))
    assert forced.role is Role.GATE


def test_inputs_become_typed_config_values(tmp_path: Path) -> None:
    environ = runner_environ(
        tmp_path, max_runs="9", min_effect="0.5%", jobs="auto", fail_on="inconclusive"
    )
    config = read_settings(environ).config
    assert config.max_runs == 9
    assert config.min_effect == MinEffect(0.005, relative=True)
    assert config.jobs == 0  # auto
    assert config.fail_on is FailOn.INCONCLUSIVE


def test_with_the_ray_executor_the_install_input_goes_to_the_nodes(tmp_path: Path) -> None:
    install = "pip install -r requirements.txt"
    on_ray = read_settings(runner_environ(tmp_path, executor="ray", install=install))
    assert on_ray.config.executor is Executor.RAY
    assert on_ray.config.ray_install == install
    assert on_ray.install is None  # not run on the runner
    local = read_settings(runner_environ(tmp_path, install=install))
    assert (local.install, local.config.ray_install) == (install, None)


def test_the_min_effect_input_beats_the_metric_tables(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text('[metric.accuracy]\nmin_effect = "3%"\n')
    from_file = read_settings(runner_environ(tmp_path)).config
    assert str(from_file.spec_for("accuracy").min_effect) == "3%"
    overridden = read_settings(runner_environ(tmp_path, min_effect="0.2")).config
    assert str(overridden.spec_for("accuracy").min_effect) == "0.2"


def test_config_paths_do_not_depend_on_where_the_workspace_is(tmp_path: Path) -> None:
    digests = set()
    for name in ("one", "two"):
        project = tmp_path / name / "model"
        project.mkdir(parents=True)
        (project / "seedgate.toml").write_text('store = "out"\n')
        config = read_settings(runner_environ(tmp_path / name, working_directory="model")).config
        assert config.store == Path("out")
        digests.add(config.digest())
    assert len(digests) == 1


def test_shard_and_its_file(tmp_path: Path) -> None:
    settings = read_settings(runner_environ(tmp_path, mode="run", shard="2/4"))
    assert settings.shard == Shard(2, 4)
    assert settings.shard_file == tmp_path.resolve() / ".seedgate/runs/runset-2-of-4.json"


def test_compare_mode_needs_no_command_but_the_others_do(tmp_path: Path) -> None:
    assert (
        read_settings(runner_environ(tmp_path, command="", mode="compare")).config.command is None
    )
    with pytest.raises(ConfigError, match="command: no command given"):
        read_settings(runner_environ(tmp_path, command=""))
    (tmp_path / "seedgate.toml").write_text('entry = "train:run"\n')
    assert read_settings(runner_environ(tmp_path, command="")).config.run_command() == (
        "entry:train:run"
    )


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"mode": "sometimes"}, "mode = 'sometimes': expected one of auto"),
        ({"comment": "loud"}, "comment = 'loud': expected one of always"),
        ({"baseline_path": "../outside.json"}, "must stay inside the workspace"),
        ({"baseline_path": "/etc/outside.json"}, "must stay inside the workspace"),
        ({"runs_path": "/tmp/elsewhere"}, "must stay inside the workspace"),
        ({"command": "python train.py\0 --seed 1"}, "holds a NUL character"),
        ({"command": "x" * 20_000_000}, "20,000,000 bytes long; a command may be at most"),
        ({"working_directory": "nowhere"}, "working-directory = 'nowhere'"),
        ({"config": "none.toml"}, "config = 'none.toml'"),
        ({"shard": "3/2"}, "shard = '3/2'"),
        ({"jobs": "many"}, "jobs = 'many': expected a whole number >= 1 or 'auto'"),
        ({"max_runs": "lots"}, "max_runs = 'lots'"),
        ({"min_effect": "big"}, "min_effect = 'big'"),
    ],
)
def test_bad_inputs_are_named(tmp_path: Path, inputs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        read_settings(runner_environ(tmp_path, **inputs))
    assert message in str(info.value)
