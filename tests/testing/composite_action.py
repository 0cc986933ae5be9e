"""Run a composite action's steps the way GitHub's runner does, for the end-to-end tests.

Each ``run:`` step is written to a script and started as ``bash --noprofile --norc -eo
pipefail SCRIPT`` (the runner's ``shell: bash``) with the job's environment, the step's
``env:``, ``GITHUB_ACTION_PATH`` and a ``GITHUB_OUTPUT`` file of its own; the first step
that fails ends the action, and the action's outputs are read from its steps' outputs.

Only the expressions the actions of this repository use are understood (``inputs.*``,
``github.workspace``, ``github.token``, ``github.action_path``, ``steps.*.outputs.*``);
anything else is an error, so a new expression can never be evaluated wrongly in silence.

``CompositeLauncher`` runs host/action.yml for a job of ``github_runner.Workflow``: the
action's checkout copied as the runner downloads it, and a fresh virtualenv standing for
the job's Python (it sees this interpreter's dependencies through a ``.pth`` line, and pip
builds without isolation and without an index, so nothing is downloaded).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig
import venv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.testing.github_fake import parse_output_file
from tests.testing.github_runner import ROOT, Job, Result, host_environment

_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


@dataclass(frozen=True)
class StepResult:
    id: str
    returncode: int
    stdout: str
    stderr: str
    outputs: Mapping[str, str]
    summary: str


@dataclass(frozen=True)
class CompositeResult:
    returncode: int  # the first failing step's code, else 0
    steps: tuple[StepResult, ...]
    outputs: Mapping[str, str]

    @property
    def stdout(self) -> str:
        return "".join(step.stdout for step in self.steps)

    @property
    def stderr(self) -> str:
        return "".join(step.stderr for step in self.steps)

    @property
    def summary(self) -> str:
        return "".join(step.summary for step in self.steps)


@dataclass(frozen=True)
class _Context:
    inputs: Mapping[str, str]
    github: Mapping[str, str]
    steps: Mapping[str, Mapping[str, str]]

    def evaluate(self, text: str) -> str:
        return _EXPRESSION.sub(lambda m: self._lookup(m[1]), text)

    def _lookup(self, expression: str) -> str:
        parts = expression.split(".")
        if len(parts) == 2 and parts[0] == "inputs":
            return self.inputs[parts[1]]
        if len(parts) == 2 and parts[0] == "github":
            return self.github[parts[1]]
        if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        raise ValueError(f"the test runner does not evaluate ${{{{ {expression} }}}}")


def load_action(action_dir: Path) -> dict[str, Any]:
    action: dict[str, Any] = YAML(typ="safe").load(
        (action_dir / "action.yml").read_text(encoding="utf-8")
    )
    assert action["runs"]["using"] == "composite"
    return action


def run_composite(
    action_dir: Path,
    inputs: Mapping[str, str],
    *,
    env: Mapping[str, str],
    workspace: Path,
    token: str,
    scratch: Path,
) -> CompositeResult:
    """The action at ``action_dir`` with ``inputs`` (the rest at their defaults)."""
    action = load_action(action_dir)
    unknown = set(inputs) - set(action["inputs"])
    assert not unknown, f"not inputs of the action: {sorted(unknown)}"
    github = {"workspace": str(workspace), "token": token, "action_path": str(action_dir)}
    defaults = _Context({}, github, {})
    values = {
        name: inputs[name] if name in inputs else defaults.evaluate(str(spec.get("default", "")))
        for name, spec in action["inputs"].items()
    }
    context = _Context(values, github, {})
    results: list[StepResult] = []
    for index, step in enumerate(action["runs"]["steps"]):
        result = _run_step(index, step, context, env=env, workspace=workspace, scratch=scratch)
        results.append(result)
        context = _Context(values, github, {**context.steps, result.id: result.outputs})
        if result.returncode != 0:
            break
    outputs = {
        name: context.evaluate(str(spec["value"])) for name, spec in action["outputs"].items()
    }
    failed = next((r.returncode for r in results if r.returncode != 0), 0)
    return CompositeResult(returncode=failed, steps=tuple(results), outputs=outputs)


def _run_step(
    index: int,
    step: Mapping[str, Any],
    context: _Context,
    *,
    env: Mapping[str, str],
    workspace: Path,
    scratch: Path,
) -> StepResult:
    assert step.get("shell") == "bash", "the runner needs `shell:` in a composite step"
    script = scratch / f"step-{index}.sh"
    script.write_text(str(step["run"]), encoding="utf-8")
    output, summary = scratch / f"step-{index}.output", scratch / f"step-{index}.summary"
    output.touch()
    summary.touch()
    step_env = {name: context.evaluate(str(value)) for name, value in step.get("env", {}).items()}
    cwd = context.evaluate(str(step.get("working-directory", str(workspace))))
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env={
            **env,
            **step_env,
            "GITHUB_ACTION_PATH": context.github["action_path"],
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return StepResult(
        id=str(step.get("id", f"__step{index}")),
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        outputs=parse_output_file(output.read_text(encoding="utf-8")),
        summary=summary.read_text(encoding="utf-8"),
    )


# --- the host action as a launcher of github_runner -------------------------------------------


def action_checkout(root: Path) -> Path:
    """The repository as the runner downloads it for `uses: OWNER/seedgate/host@REF`."""
    root.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, root / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(ROOT / "src", root / "src", ignore=skip)
    shutil.copytree(ROOT / "host", root / "host")
    return root / "host"


def job_python(home: Path) -> Path:
    """A virtualenv standing for the job's own Python, seeing this one's packages."""
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


class CompositeLauncher:
    """host/action.yml for one job: the runner's environment, the inputs through the
    action's own ``env:`` mapping, seedgate installed into ``python`` by the action."""

    def __init__(self, root: Path) -> None:
        self.action_dir = action_checkout(root / "action")
        self.python = job_python(root / "job-python")
        self.last: CompositeResult | None = None

    def __call__(self, job: Job, workspace: Path, temp: Path) -> Result:
        env = {
            name: value
            for name, value in host_environment(job, workspace, temp).items()
            # the action maps its inputs itself; seedgate comes from its own install
            if not name.startswith("INPUT_") and name != "PYTHONPATH"
        }
        env.update(
            PATH=f"{self.python.parent}{os.pathsep}{env['PATH']}",  # as setup-python does
            PIP_NO_INDEX="1",
            PIP_NO_BUILD_ISOLATION="0",  # pip's spelling of "build without isolation"
        )
        result = run_composite(
            self.action_dir,
            {**job.inputs, "python": str(self.python)},
            env=env,
            workspace=workspace,
            token=job.inputs["github-token"],
            scratch=temp,
        )
        self.last = result
        return Result(
            returncode=result.returncode,
            stdout=result.stdout,
            stderr=result.stderr,
            outputs=dict(result.outputs),
            summary=result.summary,
            workspace=workspace,
        )
