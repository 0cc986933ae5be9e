"""`seedgate init` as a user runs it: real runs, a real file, then baseline/plan/gate on it."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from seedgate.config.settings import load_config
from tests.testing import cli_runner
from tests.testing.cli_runner import FRESH_SCRIPT, fresh_script

# fresh_script.py trains for real: slower than the experiment fixture
seedgate = functools.partial(cli_runner.seedgate, timeout=300)
REPO = Path(__file__).resolve().parents[2]
DATA = Path("/usr/share/datasets/fashion-mnist")


def test_init_then_baseline_plan_and_gate_use_the_written_config(tmp_path: Path) -> None:
    done = seedgate(tmp_path, "init", *fresh_script())
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.split("\n\n")[0].splitlines()
    assert header.split() == ["metric", "mean", "seed", "SD", "goal", "min_effect"]
    assert [r.split()[0] for r in rows] == ["loss", "accuracy", "throughput"]
    assert "The container action fits" in done.stdout  # the script imports the stdlib only
    assert (tmp_path / ".seedgate" / "init.json").is_file()
    assert rows[1].split()[-1] == "gates"
    config = load_config({}, config_path=tmp_path / "seedgate.toml")
    assert config.command is not None
    assert str(FRESH_SCRIPT) in config.command
    assert [s.name for s in config.metrics if s.primary] == ["accuracy"]

    baseline = seedgate(tmp_path, "baseline")
    assert baseline.returncode == 0, baseline.stderr
    assert "reusing 5 of 20 runs already made" in baseline.stderr  # init's
    assert "[baseline] run 15/15 seed=19" in baseline.stderr
    plan = seedgate(tmp_path, "plan")
    assert plan.returncode == 0, plan.stderr
    assert "warning:" not in plan.stderr  # init's min_effects are resolvable
    assert "no metrics configured" not in plan.stderr  # the metrics are named now
    smallest = next(line for line in plan.stdout.splitlines() if "smallest effect" in line)
    assert smallest.startswith("accuracy: the smallest effect a baseline of 20 runs")
    gate = seedgate(tmp_path, "gate", "--format", "json")
    assert gate.returncode == 0, gate.stderr
    result = json.loads(gate.stdout)
    assert result["verdict"] == "no-change"
    assert {m["name"] for m in result["metrics"]} == {"loss", "accuracy", "throughput"}


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text("# mine\n")
    done = seedgate(tmp_path, "init", *fresh_script())
    assert done.returncode == 2
    assert "seedgate.toml already exists; pass --force to overwrite it" in done.stderr
    assert "[init] run" not in done.stderr  # refused before running anything
    assert (tmp_path / "seedgate.toml").read_text() == "# mine\n"
    forced = seedgate(tmp_path, "init", "--force", "--runs", "3", *fresh_script())
    assert forced.returncode == 0, forced.stderr
    assert "primary = true" in (tmp_path / "seedgate.toml").read_text()


def test_init_reads_an_existing_baseline(tmp_path: Path) -> None:
    made = seedgate(tmp_path, "run", "--runs", "6", "--out", "runs.json", *fresh_script())
    assert made.returncode == 0, made.stderr
    done = seedgate(tmp_path, "init", "--baseline", "runs.json", "--out", "gate.toml")
    assert done.returncode == 0, done.stderr
    assert "[init] run" not in done.stderr
    text = (tmp_path / "gate.toml").read_text()
    assert "Measured from 6 runs of runs.json" in text
    config = load_config({}, config_path=tmp_path / "gate.toml")
    assert config.command is not None
    assert str(FRESH_SCRIPT) in config.command


def test_init_without_a_command_is_a_usage_error(tmp_path: Path) -> None:
    done = seedgate(tmp_path, "init")
    assert done.returncode == 2
    assert "give the command after `--`" in done.stderr
    assert not (tmp_path / "seedgate.toml").exists()


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed"
)
@pytest.mark.skipif(
    not DATA.is_dir() and "SEEDGATE_DATA_DIR" not in os.environ,
    reason="no MNIST-format data offline (install dataset-fashion-mnist)",
)
def test_init_on_the_bundled_example(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    command = ["python", "examples/mnist/train.py", "--seed", "{seed}"]
    done = seedgate(tmp_path, "init", "--runs", "3", "--jobs", "auto", "--", *command, timeout=600)
    assert done.returncode == 0, done.stderr
    config = load_config({}, config_path=tmp_path / "seedgate.toml")
    specs = {s.name: s for s in config.metrics}
    assert specs["accuracy"].primary
    assert specs["loss"].goal.value == "minimize"
    accuracy = next(r.split() for r in done.stdout.splitlines() if r.startswith("accuracy"))
    seed_sd, min_effect = float(accuracy[2]), float(accuracy[4])
    assert 0 < seed_sd < 0.05
    # the ~0.65 seed SDs the paired default design resolves, rounded up (at most 25%)
    assert 0.6 * seed_sd <= min_effect <= 0.7 * 1.25 * seed_sd
    assert "min_effect = " in (tmp_path / "seedgate.toml").read_text()
