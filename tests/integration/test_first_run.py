"""A first run without configuration: one metric gates, the gate decides, git stays clean."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.testing import cli_runner
from tests.testing.cli_runner import fresh_script

# fresh_script.py trains for real: slower than the experiment fixture
seedgate = functools.partial(cli_runner.seedgate, timeout=300)


def test_an_unchanged_script_without_config_reaches_no_change(tmp_path: Path) -> None:
    baseline = seedgate(tmp_path, "baseline", *fresh_script())
    assert baseline.returncode == 0, baseline.stderr
    done = seedgate(tmp_path, "gate", "--format", "json", *fresh_script())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "no-change"
    gating = {m["name"]: m["gating"] for m in result["metrics"]}
    assert gating == {"loss": False, "accuracy": True, "throughput": False}
    assert result["candidate_runs"] < 20  # decided, not run to the cap
    assert "note: no metrics configured: accuracy gates (named like accuracy)" in done.stderr
    assert "warning:" not in done.stderr


def test_a_min_effect_the_runs_cannot_resolve_is_named_before_running(tmp_path: Path) -> None:
    baseline = seedgate(tmp_path, "baseline", *fresh_script("--accuracy-sd", "0.03"))
    assert baseline.returncode == 0, baseline.stderr
    done = seedgate(tmp_path, "plan")
    assert done.returncode == 0, done.stderr
    warning = next(line for line in done.stderr.splitlines() if "warning:" in line)
    assert "accuracy: min_effect 0.009" in warning  # 1% of the mean, 0.9
    assert "cannot be resolved against a baseline of 20 runs" in warning
    assert "baseline_runs = max_runs = " in warning


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_seedgate_directory_stays_out_of_git_status(tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    done = seedgate(tmp_path, "baseline", "--runs", "3", *fresh_script())
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".seedgate" / "baseline.json").is_file()
    assert (tmp_path / ".seedgate" / ".gitignore").read_text().splitlines()[-1] == "*"
    status = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""


def test_gate_warns_before_its_first_run(tmp_path: Path) -> None:
    noisy = fresh_script("--accuracy-sd", "0.03")
    assert seedgate(tmp_path, "baseline", *noisy).returncode == 0
    done = seedgate(tmp_path, "gate", "--max-runs", "5", "--looks", "3,5", *noisy)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    warning = next(i for i, line in enumerate(lines) if line.startswith("seedgate: warning:"))
    first_run = next(i for i, line in enumerate(lines) if line.startswith("[candidate] run 1/"))
    assert warning < first_run
    assert "and max_runs is 5: expect 'inconclusive' after 5 runs" in lines[warning]
