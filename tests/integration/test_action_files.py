"""action.yml, the Dockerfile and the workflows, checked by the tools GitHub users rely on.

check-jsonschema (SchemaStore's schemas, vendored), actionlint (run in a throw-away git
repository, with the examples also pointed at ``./`` so their inputs and outputs are
checked against our action.yml) and hadolint all run offline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from seedgate.action.settings import INPUT_NAMES, OUTPUT_NAMES

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
DOCKERFILE = ROOT / "Dockerfile"
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PUBLISHED = "seedgate/seedgate-action@v1"


def tool(name: str) -> str:
    """A validator from the dev extras: beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.is_file() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return path


def run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_the_workflow_files_exist() -> None:
    assert [p.name for p in EXAMPLES] == ["seedgate-matrix.yml", "seedgate.yml"]
    assert [p.name for p in WORKFLOWS] == ["ci.yml"]


def test_action_yml_matches_the_schema() -> None:
    done = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_match_the_schema() -> None:
    files = [str(p) for p in [*EXAMPLES, *WORKFLOWS]]
    done = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files])
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_accepts_the_workflows_and_their_use_of_our_inputs(tmp_path: Path) -> None:
    actionlint, git = tool("actionlint"), tool("git")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    shutil.copy(DOCKERFILE, tmp_path / "Dockerfile")
    for path in WORKFLOWS:
        shutil.copy(path, workflows / path.name)
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        assert PUBLISHED in text
        (workflows / path.name).write_text(text, encoding="utf-8")
        # The same workflow against this checkout's action.yml: actionlint then checks
        # every `with:` input and every `steps.*.outputs.*` against what we declare.
        local = text.replace(PUBLISHED, "./")
        (workflows / f"local-{path.name}").write_text(local, encoding="utf-8")
    assert run([git, "init", "-q"], cwd=tmp_path).returncode == 0
    done = run([actionlint, "-no-color"], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_would_catch_an_undeclared_input(tmp_path: Path) -> None:
    actionlint, git = tool("actionlint"), tool("git")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    shutil.copy(DOCKERFILE, tmp_path / "Dockerfile")
    text = EXAMPLES[1].read_text(encoding="utf-8").replace(PUBLISHED, "./")
    text = text.replace("min-effect:", "minimum-effect:")
    (workflows / "bad.yml").write_text(text, encoding="utf-8")
    assert run([git, "init", "-q"], cwd=tmp_path).returncode == 0
    done = run([actionlint, "-no-color"], cwd=tmp_path)
    assert done.returncode != 0
    assert "minimum-effect" in done.stdout


def test_hadolint_accepts_the_dockerfile() -> None:
    done = run([tool("hadolint"), str(DOCKERFILE)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_inputs_and_outputs_are_the_ones_the_code_reads() -> None:
    action = load(ACTION)
    assert tuple(action["inputs"]) == INPUT_NAMES
    assert tuple(action["outputs"]) == OUTPUT_NAMES
    for name, spec in {**action["inputs"], **action["outputs"]}.items():
        assert str(spec.get("description", "")).strip(), f"{name} has no description"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["mode"]["default"] == "auto"
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert set(action["branding"]) == {"icon", "color"}


def test_dockerfile_shape() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert text.splitlines()[1].startswith("FROM python:3.11-slim")
    assert "dataset-fashion-mnist" in text
    assert "pip install --no-cache-dir tensorflow-cpu" in text
    assert "PYTHONUNBUFFERED=1" in text
    assert 'ENTRYPOINT ["python", "/app/entrypoint.py"]' in text
    assert "\nUSER " not in text  # the runner's file-command files need root


def test_example_workflows_grant_what_the_action_needs() -> None:
    for path in EXAMPLES:
        permissions = load(path)["permissions"]
        assert permissions == {"contents": "read", "pull-requests": "write", "actions": "read"}


def test_matrix_example_shards_then_compares() -> None:
    jobs = load(ROOT / "examples" / "workflows" / "seedgate-matrix.yml")["jobs"]
    shard_step = next(s for s in jobs["runs"]["steps"] if s.get("uses") == PUBLISHED)
    assert shard_step["with"]["mode"] == "run"
    assert shard_step["with"]["shard"] == "${{ matrix.shard }}/4"
    download = next(
        s
        for s in jobs["gate"]["steps"]
        if str(s.get("uses", "")).startswith("actions/download-artifact")
    )
    assert download["with"]["merge-multiple"] is True
    compare = next(s for s in jobs["gate"]["steps"] if s.get("uses") == PUBLISHED)
    assert compare["with"]["mode"] == "compare"
    assert compare["with"]["runs-path"] == download["with"]["path"]
