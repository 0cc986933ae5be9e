from __future__ import annotations

from pathlib import Path

import pytest

from seedgate.cli.init import (
    init_design,
    measure,
    nice_ceiling,
    render_config,
    render_table,
    sd_upper_bound,
    suggest_min_effect,
    write_config,
)
from seedgate.config.settings import Config, MinEffect, load_config
from seedgate.errors import ConfigError
from seedgate.planning.resolution import smallest_resolvable_sd
from seedgate.records import Goal
from tests.testing.runsets import runset


@pytest.mark.parametrize(
    ("value", "nice"),
    [(0.0071, 0.008), (0.0101, 0.012), (0.021, 0.025), (0.026, 0.03), (3.0, 3.0), (101.0, 120.0)],
)
def test_nice_ceiling_rounds_up_to_a_readable_value(value: float, nice: float) -> None:
    assert nice_ceiling(value) == nice


def test_the_sd_bound_is_the_chi_square_upper_confidence_limit() -> None:
    assert sd_upper_bound(1.0, 5) == pytest.approx(1.5576, rel=1e-3)
    assert sd_upper_bound(1.0, 20) == pytest.approx(1.1770, rel=1e-3)
    assert sd_upper_bound(0.0, 5) == 0.0


def test_suggested_min_effect_is_resolvable_and_rounded_up() -> None:
    design = init_design(Config())
    edge = smallest_resolvable_sd(design, 20)
    assert edge is not None
    suggested = suggest_min_effect(0.004, design)
    assert suggested is not None
    assert edge * 0.004 <= suggested < 2 * edge * 0.004
    assert suggest_min_effect(0.0, design) is None


def test_measure_picks_the_gating_metric_and_goals() -> None:
    runs = runset(
        {
            "loss": [0.5, 0.55, 0.45, 0.52],
            "val_acc": [0.9, 0.91, 0.89, 0.9],
            "n_test": [100.0] * 4,
            "steps": [7.0] * 4,
        }
    )
    metrics = measure(runs, init_design(Config()))
    assert [(m.name, m.primary, m.goal) for m in metrics] == [
        ("loss", False, Goal.MINIMIZE),
        ("val_acc", True, Goal.MAXIMIZE),
        ("steps", False, Goal.MAXIMIZE),
    ]
    assert metrics[1].mean == pytest.approx(0.9)
    assert metrics[1].seed_std == pytest.approx(0.008165, rel=1e-3)
    assert metrics[1].sd_bound == pytest.approx(sd_upper_bound(metrics[1].seed_std, 4))
    assert metrics[2].min_effect is None  # identical runs
    table = render_table(metrics)
    # 1.09 seed-SDs resolvable x the 80% SD bound (1.87 x 0.0082 from 4 runs), rounded up
    row = ["val_acc", "0.9", "0.00816", "maximize", "0.02", "gates"]
    assert table.splitlines()[2].split() == row


def test_measure_needs_two_runs() -> None:
    with pytest.raises(ConfigError, match="need at least 2 runs"):
        measure(runset({"accuracy": [0.9]}), init_design(Config()))


def test_the_written_config_loads_with_the_config_loader(tmp_path: Path) -> None:
    command = 'python "my train.py" --tag "\u00e9t\u00e9\\x"'
    runs = runset(
        {"eval/f1": [0.7, 0.72, 0.69], "loss": [1.0, 1.1, 0.9], "flat": [3.0, 3.0, 3.0]},
        command=command,
    )
    design = init_design(Config())
    metrics = measure(runs, design)
    path = tmp_path / "seedgate.toml"
    write_config(path, render_config(metrics, design, command=command, source="x"), force=False)
    config = load_config({}, config_path=path)
    assert config.command == command
    by_name = {s.name: s for s in config.metrics}
    assert list(by_name) == ["eval/f1", "loss", "flat"]  # the gating metric first
    assert by_name["eval/f1"].primary
    assert not by_name["loss"].primary
    assert by_name["loss"].goal is Goal.MINIMIZE
    assert by_name["eval/f1"].min_effect == MinEffect(metrics[0].min_effect or -1, relative=False)
    assert by_name["flat"].min_effect == MinEffect(0.01, relative=True)
    text = path.read_text()
    assert "#   - uses: seedgate/seedgate-action@v1" in text


def test_an_entry_baseline_writes_entry(tmp_path: Path) -> None:
    runs = runset({"accuracy": [0.9, 0.91, 0.92]}, command="entry:pkg.mod:train")
    design = init_design(Config())
    text = render_config(measure(runs, design), design, command=runs.command, source="b")
    path = tmp_path / "seedgate.toml"
    path.write_text(text)
    config = load_config({}, config_path=path)
    assert config.entry == "pkg.mod:train"
    assert config.command is None


def test_write_config_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "seedgate.toml"
    path.write_text("mine\n")
    with pytest.raises(ConfigError, match="already exists; pass --force"):
        write_config(path, "new\n", force=False)
    assert path.read_text() == "mine\n"
    write_config(path, "new\n", force=True)
    assert path.read_text() == "new\n"
