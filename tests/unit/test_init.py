from __future__ import annotations

from pathlib import Path

import pytest

from seedgate.cli.init import render_config, write_config
from seedgate.config.settings import Config, MinEffect, load_config
from seedgate.errors import ConfigError
from seedgate.planning.resolution import smallest_resolvable_sd
from seedgate.planning.sizing import init_design, measure, nice_ceiling, suggest_min_effect
from seedgate.records import Goal
from seedgate.report.init_screen import noise_screen, render_table
from seedgate.stats.paired import TYPICAL_CORRELATION
from tests.testing.runsets import runset


@pytest.mark.parametrize(
    ("value", "nice"),
    [(0.0071, 0.008), (0.0101, 0.012), (0.021, 0.025), (0.026, 0.03), (3.0, 3.0), (101.0, 120.0)],
)
def test_nice_ceiling_rounds_up_to_a_readable_value(value: float, nice: float) -> None:
    assert nice_ceiling(value) == nice


def test_the_default_design_pairs_and_resolves_under_a_seed_sd() -> None:
    sizing = init_design(Config())
    assert sizing.correlation == TYPICAL_CORRELATION  # a 20-run baseline from seed_base pairs
    assert sizing.design.baseline_n == 20
    assert sizing.edge_sd == smallest_resolvable_sd(sizing.design, 20, TYPICAL_CORRELATION)
    assert 0.5 < sizing.edge_sd < 0.8  # the 0.0099 on a seed SD of about 0.015
    assert sizing.unrelated_edge_sd is not None
    assert 1.2 < sizing.unrelated_edge_sd < 1.6  # the 0.022 that `plan` showed unpaired


def test_a_baseline_shorter_than_the_cap_is_sized_unpaired() -> None:
    sizing = init_design(Config(baseline_runs=10))
    assert sizing.correlation is None
    assert sizing.unrelated_edge_sd is None
    assert sizing.edge_sd > init_design(Config()).unrelated_edge_sd  # type: ignore[operator]


def test_suggested_min_effect_is_the_smallest_resolved_rounded_up() -> None:
    edge = init_design(Config()).edge_sd
    suggested = suggest_min_effect(0.0155, edge)  # the accuracy noise
    assert suggested is not None
    assert edge * 0.0155 <= suggested <= 1.25 * edge * 0.0155
    assert suggested == 0.012
    assert suggest_min_effect(0.0, edge) is None


def test_measure_picks_the_gating_metric_and_goals() -> None:
    runs = runset(
        {
            "loss": [0.5, 0.55, 0.45, 0.52],
            "val_acc": [0.9, 0.91, 0.89, 0.9],
            "n_test": [100.0] * 4,
            "steps": [7.0] * 4,
        }
    )
    sizing = init_design(Config())
    metrics = measure(runs, sizing)
    assert [(m.name, m.primary, m.goal) for m in metrics] == [
        ("loss", False, Goal.MINIMIZE),
        ("val_acc", True, Goal.MAXIMIZE),
        ("steps", False, Goal.MAXIMIZE),
    ]
    assert metrics[1].mean == pytest.approx(0.9)
    assert metrics[1].seed_std == pytest.approx(0.008165, rel=1e-3)
    assert metrics[2].min_effect is None  # identical runs
    table = render_table(metrics)
    # the paired design resolves ~0.65 seed SDs: 0.0053, rounded up
    row = ["val_acc", "0.9", "0.00816", "maximize", "0.006", "gates"]
    assert table.splitlines()[2].split() == row
    screen = noise_screen(metrics, sizing, width=80)
    assert max(len(line) for line in screen.splitlines()) <= 80
    flat = " ".join(screen.split())
    assert "a drop of 0.006 in val_acc is caught 90% of the time" in flat
    assert "a rise of 0.03 in loss is caught 90% of the time" in flat
    assert "set each min_effect in seedgate.toml to the smallest change you care about" in flat


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
