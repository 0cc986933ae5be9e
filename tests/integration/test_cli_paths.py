"""Paths like git (issue 22): ``-C DIR``, ``--config FILE`` and both find the project's
config, run its command in its folder and read its baseline, as from inside it; flags are
never guessed from a prefix."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.testing.cli_runner import EXPERIMENT, seedgate

CONFIG = f"""
command = "{sys.executable} exp.py"
max_runs = 5
looks = [3, 5]
timeout = 20
[metric.accuracy]
goal = "maximize"
min_effect = 0.02
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """outer/proj holds the config, the experiment (run by a relative path) and a baseline."""
    proj = tmp_path / "outer" / "proj"
    proj.mkdir(parents=True)
    (proj / "seedgate.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copy(EXPERIMENT, proj / "exp.py")
    done = seedgate(proj, "baseline", "--runs", "6")
    assert done.returncode == 0, done.stderr
    return proj


@pytest.mark.parametrize(
    ("where", "args"),
    [
        ("proj", ["gate"]),
        ("outer", ["-C", "proj", "gate"]),
        ("outer", ["gate", "-C", "proj"]),
        ("outer", ["gate", "--config", "proj/seedgate.toml"]),
        ("root", ["-C", "outer", "gate", "--config", "proj/seedgate.toml"]),
    ],
    ids=["inside", "-C", "gate -C", "--config", "-C and --config"],
)
def test_a_parent_directory_finds_the_same_baseline(
    project: Path, where: str, args: list[str]
) -> None:
    cwd = {"proj": project, "outer": project.parent, "root": project.parent.parent}[where]
    done = seedgate(cwd, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "no-change"
    assert result["baseline_runs"] == 6
    assert (project / ".seedgate" / "candidate.json").is_file()
    assert not (cwd / ".seedgate").exists() or cwd == project


def test_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    done = seedgate(tmp_path, "-C", "nowhere", "gate")
    assert done.returncode == 2
    assert "-C nowhere: cannot change to it" in done.stderr


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["baseline", "--max-run", "5", "--", "true"], "--max-run"),
        (["plan", "--alp", "0.1"], "--alp"),
        (["gate", "--min", "0.1", "--", "true"], "--min"),
    ],
)
def test_abbreviated_flags_are_refused_with_the_subcommands_usage(
    tmp_path: Path, args: list[str], flag: str
) -> None:
    done = seedgate(tmp_path, *args)
    assert done.returncode == 2
    assert f"unrecognized arguments: {flag}" in done.stderr
    assert done.stderr.startswith(f"usage: seedgate {args[0]} ")
