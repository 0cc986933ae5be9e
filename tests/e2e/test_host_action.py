"""host/action.yml run as the runner runs a composite action, in a job's own Python.

The action's checkout (this repository's packaging files, ``src/`` and ``host/``) is copied
to a temporary folder, as the runner downloads it; its steps run through real bash (see
``composite_action``) with ``python`` set to a fresh virtualenv that stands for the job's
Python (it sees this interpreter's dependencies through a ``.pth`` line, and pip builds
without isolation and without an index, so nothing is downloaded).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest
from github_fake import EVENTS, OWNER, REPO_ID, FakeGitHub

from composite_action import CompositeResult, run_composite

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOKEN = "ghs_HostActionToken0123456789abcdefXYZ"
MAIN_SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


@dataclass(frozen=True)
class Job:
    python: Path
    workspace: Path
    result: CompositeResult
    api_requests: int


def _action_checkout(root: Path) -> Path:
    """The repository as the runner downloads it for `uses: OWNER/seedgate/host@REF`."""
    root.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, root / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(ROOT / "src", root / "src", ignore=skip)
    shutil.copytree(ROOT / "host", root / "host")
    return root / "host"


def _job_python(home: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (Path(purelib.stdout.strip()) / "dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return python


def _push_environment(python: Path, workspace: Path, files: Path) -> dict[str, str]:
    event = json.loads((EVENTS / "push.json").read_text(encoding="utf-8"))
    event.update(ref="refs/heads/master", after=MAIN_SHA, base_ref=None)
    event_path = files / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    inherited = {k: v for k, v in os.environ.items() if k in ("LANG", "TMPDIR", "SYSTEMROOT")}
    return {
        **inherited,
        "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",  # as setup-python does
        "HOME": str(files),
        "PYTHONUNBUFFERED": "1",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling of "build without isolation"
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": f"{OWNER}/Hello-World",
        "GITHUB_REPOSITORY_ID": str(REPO_ID),
        "GITHUB_REPOSITORY_OWNER": OWNER,
        "GITHUB_REF": "refs/heads/master",
        "GITHUB_SHA": MAIN_SHA,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_RUN_ID": "1001",
        "GITHUB_RUN_NUMBER": "1",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "seedgate",
        "GITHUB_ACTION": "__seedgate_seedgate-action_host",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": str(files),
    }


@pytest.fixture(scope="module")
def push_job(tmp_path_factory: pytest.TempPathFactory) -> Job:
    """One push to the default branch through the host action: install, then the baseline."""
    root = tmp_path_factory.mktemp("host-action")
    action_dir = _action_checkout(root / "action")
    python = _job_python(root / "job-python")
    workspace = root / "workspace"
    workspace.mkdir()
    for name in ("gate_experiment.py", "gate_install.py", "seedgate.toml"):
        shutil.copy(FIXTURES / name, workspace / name)
    files = root / "files"
    files.mkdir()
    with FakeGitHub() as fake:
        env = {**_push_environment(python, workspace, files), "GITHUB_API_URL": fake.url}
        inputs = {"python": str(python), "baseline-runs": "5", "install": "python gate_install.py"}
        result = run_composite(
            action_dir, inputs, env=env, workspace=workspace, token=TOKEN, scratch=files
        )
        requests = len(fake.requests)
    return Job(python=python, workspace=workspace, result=result, api_requests=requests)


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
    assert result.outputs["verdict"] == "no-baseline"
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
