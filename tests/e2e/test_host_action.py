"""host/action.yml run as the runner runs a composite action, in a job's own Python.

``composite_action.CompositeLauncher`` copies the action's checkout (packaging files,
``src/`` and ``host/``) as the runner downloads it and runs its steps through real bash,
with ``python`` set to a fresh virtualenv that stands for the job's Python; the job is one
of ``github_runner``'s, as for the other launchers.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.testing.composite_action import CompositeLauncher, CompositeResult
from tests.testing.github_fake import FakeGitHub
from tests.testing.github_runner import ROOT, TOKEN, Workflow, run_push


@dataclass(frozen=True)
class Job:
    python: Path
    workspace: Path
    result: CompositeResult
    api_requests: int


@pytest.fixture(scope="module")
def push_job(tmp_path_factory: pytest.TempPathFactory) -> Job:
    """One push to the default branch through the host action: install, then the baseline."""
    root = tmp_path_factory.mktemp("host-action")
    launcher = CompositeLauncher(root)
    with FakeGitHub() as fake:
        workflow = Workflow(fake, root, launcher)
        result = run_push(workflow)
        workflow.check_no_leaks()
    assert fake.errors == [], fake.errors
    assert launcher.last is not None
    return Job(launcher.python, result.workspace, launcher.last, len(fake.requests))


def test_the_action_installs_its_own_checkout_into_the_job_python(push_job: Job) -> None:
    install = push_job.result.steps[0]
    assert install.returncode == 0, install.stdout + install.stderr
    code = (
        "import importlib.metadata as m, seedgate; print(m.version('seedgate'), seedgate.__file__)"
    )
    done = subprocess.run(
        [push_job.python, "-c", code],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    version, location = done.stdout.split()
    assert f'version = "{version}"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert Path(location).is_relative_to(push_job.python.parent.parent)  # the job's venv


def test_a_push_writes_the_baseline_with_the_container_actions_outputs(push_job: Job) -> None:
    result = push_job.result
    assert [s.id for s in result.steps][1:] == ["seedgate"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert push_job.api_requests == 0  # making a baseline needs no API call
    assert result.outputs["verdict"] == "baseline"
    assert result.outputs["runs-used"] == "5"
    assert result.outputs["baseline-path"] == ".seedgate/baseline.json"
    assert (push_job.workspace / ".seedgate" / "baseline.json").is_file()
    assert (push_job.workspace / result.outputs["report-path"]).is_file()
    assert "accuracy" in result.summary
    # The token: masked first, then never again, and never in a run's environment.
    gate = result.steps[1]
    assert gate.stdout.startswith(f"::add-mask::{TOKEN}\n")
    assert [line for line in gate.stdout.splitlines() if TOKEN in line] == [f"::add-mask::{TOKEN}"]
    assert TOKEN not in gate.stderr + result.summary
    dumps = sorted((push_job.workspace / "env-dumps").glob("*.json"))
    assert len(dumps) == 6  # the install input and five runs
    for dump in dumps:
        text = dump.read_text(encoding="utf-8")
        assert TOKEN not in text, dump.name
        assert "INPUT_" not in text, dump.name
