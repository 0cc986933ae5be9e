"""`seedgate history` and the baseline's record, as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from seedgate.history.record import record_from_runset
from seedgate.runset.codec import write_runset
from seedgate.store.history_git import GitHistory
from tests.testing.cli_runner import experiment, seedgate
from tests.testing.runsets import runset


def test_each_baseline_is_recorded_and_shown(tmp_path: Path) -> None:
    for shift in ("0", "-0.002"):
        done = seedgate(tmp_path, "baseline", "--runs", "4", *experiment("--shift", shift))
        assert done.returncode == 0, done.stderr
        assert "recorded in the history as .seedgate/history/" in done.stderr
    shown = seedgate(tmp_path, "history", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["baselines"] == 2
    means = [
        next(m["mean"] for m in record["metrics"] if m["name"] == "accuracy")
        for record in data["shown"]
    ]
    assert means[1] - means[0] == pytest.approx(-0.002, abs=1e-9)
    text = seedgate(tmp_path, "history", "--format", "text").stdout
    assert "accuracy (higher is better)" in text
    assert "loss (lower is better)" in text  # the goal guessed from the name, as the gate does
    markdown = seedgate(tmp_path, "history").stdout  # into a pipe: Markdown
    assert markdown.count("```mermaid") == 2


def _slide_runsets(folder: Path, count: int) -> list[Path]:
    """Baselines of 20 runs sliding 0.3 seed SD a merge after the third."""
    rng = np.random.default_rng(2)
    paths = []
    for t in range(count):
        level = 0.9 - 0.003 * max(0, t - 2)
        made = runset(
            {"accuracy": level + rng.normal(0, 0.01, size=20)},
            commit=f"{t + 1:x}" * 40,
            created_at=f"2026-11-{t + 1:02d}T09:00:00+00:00",
        )
        path = folder / f"b{t}.json"
        write_runset(made, path)
        paths.append(path)
    return paths


def test_drift_is_reported_with_its_commit_range_and_exit_code_zero(tmp_path: Path) -> None:
    files = [str(p) for p in _slide_runsets(tmp_path, 12)]
    done = seedgate(tmp_path, "history", "--add", *files, "--format", "markdown", "--out", "h.md")
    assert done.returncode == 0, done.stderr
    assert "drift in accuracy" in done.stdout
    assert "- **Drift**: accuracy slid" in done.stdout
    assert (tmp_path / "h.md").read_text(encoding="utf-8") == done.stdout
    data = json.loads(seedgate(tmp_path, "history", "--format", "json").stdout)
    first = data["drift"][0]
    assert first["since_commit"] in {f"{t:x}" * 40 for t in range(1, 5)}
    assert first["shift"] < 0
    shown = seedgate(tmp_path, "history", "--last", "3", "--format", "json")
    assert len(json.loads(shown.stdout)["shown"]) == 3


def test_a_corrupt_record_is_exit_code_2_naming_it(tmp_path: Path) -> None:
    seedgate(tmp_path, "history", "--add", str(_slide_runsets(tmp_path, 1)[0]))
    (record,) = (tmp_path / ".seedgate" / "history").iterdir()
    record.write_text('{"schema": "seedgate.history/1", "runs": "many"}', encoding="utf-8")
    done = seedgate(tmp_path, "history")
    assert done.returncode == 2
    assert record.name in done.stderr
    assert "Traceback" not in done.stderr


def test_history_from_a_data_branch(tmp_path: Path) -> None:
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run(["git", "clone", "-q", str(remote), str(work)], check=True, capture_output=True)
    store = GitHistory(work, "origin", "my-history")
    for t in range(3):
        made = runset(values=[0.8, 0.81, 0.79], commit=f"{t + 1:x}" * 40)
        store.append(record_from_runset(made))
    done = seedgate(work, "history", "--branch", "my-history", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["baselines"] == 3
    refused = seedgate(work, "history", "--branch", "my-history", "--add", "x.json")
    assert refused.returncode == 2
    assert "--add records in the local history" in refused.stderr
    missing = seedgate(work, "history", "--branch", "nothing-here", "--format", "json")
    assert missing.returncode == 0
    assert json.loads(missing.stdout)["baselines"] == 0
