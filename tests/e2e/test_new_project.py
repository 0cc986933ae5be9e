"""A new user's first hour, as issue 26 walked it: an own scikit-learn script on a data set
that ships with the package, through `init`, `baseline` and `gate`, on an 80-column terminal.

The script (fixtures/new_project_train.py) reads params.json, which the test edits as a user
edits code: a worse regularisation, a drop of exactly the suggested min_effect, no change.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seedgate.config.settings import read_config_file
from seedgate.runset.codec import read_runset

SCRIPT = Path(__file__).resolve().parent / "fixtures" / "new_project_train.py"
COLUMNS = 80
GOOD = {"C": 1.0, "drop": 0.0}


@pytest.fixture(autouse=True)
def _needs_scikit_learn() -> None:
    if importlib.util.find_spec("sklearn") is None:
        pytest.fail("scikit-learn is not installed: pip install -e '.[dev,sklearn]'")


def seedgate(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEEDGATE_", "GITHUB_"))}
    env |= {"COLUMNS": str(COLUMNS), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "seedgate", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def fits(screen: str) -> bool:
    return all(len(line.rstrip()) <= COLUMNS for line in screen.splitlines())


def set_params(project: Path, **params: float) -> None:
    (project / "params.json").write_text(json.dumps({**GOOD, **params}))


@pytest.mark.slow
def test_a_new_project_from_init_to_gate(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(SCRIPT, project / "train.py")
    set_params(project)

    init = seedgate(project, "init", "--", "python", "train.py")
    assert init.returncode == 0, init.stderr
    assert fits(init.stdout), init.stdout
    config = read_config_file(project / "seedgate.toml")
    min_effect = config["metric"]["accuracy"]["min_effect"]
    assert config["metric"]["accuracy"]["primary"] is True
    assert 0 < min_effect < 0.02  # paired sizing: under one seed SD of this accuracy
    flat = " ".join(init.stdout.split())
    assert f"a drop of {min_effect:g} in accuracy is caught 90% of the time" in flat
    assert "a rise of " in flat  # log_loss is sized the same way
    assert "The host action fits: train.py needs scikit-learn" in flat
    assert "- uses: seedgate/seedgate-action/host@v1" in init.stdout
    init_runs = read_runset(project / ".seedgate" / "init.json")

    baseline = seedgate(project, "baseline")
    assert baseline.returncode == 0, baseline.stderr
    assert "reusing 5 of 20 runs already made" in baseline.stderr
    made = re.findall(r"^\[baseline\] run \d+/15 seed=(\d+) ", baseline.stderr, re.MULTILINE)
    assert sorted(int(s) for s in made) == list(range(5, 20))  # only the missing runs
    saved = read_runset(project / ".seedgate" / "baseline.json")
    assert [run.seed for run in saved.ok_runs] == list(range(20))
    assert saved.runs[:5] == init_runs.runs  # init's runs, taken as they were

    set_params(project, C=0.002)  # much stronger regularisation: a worse model
    worse = seedgate(project, "gate", "--format", "text")
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "seedgate: verdict regression" in worse.stderr
    assert "regression" in worse.stdout
    assert fits(worse.stdout), worse.stdout

    set_params(project, drop=min_effect)  # a drop of exactly the suggested min_effect
    dropped = seedgate(project, "gate", "--format", "text")
    assert dropped.returncode == 1, dropped.stdout + dropped.stderr
    assert "seedgate: verdict regression" in dropped.stderr
    assert fits(dropped.stdout), dropped.stdout

    set_params(project)  # unchanged
    same = seedgate(project, "gate", "--format", "text")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "seedgate: verdict no-change" in same.stderr
    assert fits(same.stdout), same.stdout
