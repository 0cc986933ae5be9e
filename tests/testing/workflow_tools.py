"""The offline validators the workflow tests run (check-jsonschema, actionlint, hadolint)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    """A validator from the dev extras: beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.is_file() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return path


def run(
    args: list[str],
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def load(path: Path) -> Any:
    return load_text(path.read_text(encoding="utf-8"))


def load_text(text: str) -> Any:
    return YAML(typ="safe").load(text)


def actionlint_repo(
    repo: Path, files: Mapping[str, Path], workflows: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """actionlint over ``workflows`` (name: text) in a fresh git repository at ``repo``
    that also holds ``files`` (path in the repository: the file to copy there)."""
    folder = repo / ".github" / "workflows"
    folder.mkdir(parents=True)
    for relative, source in files.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, repo / relative)
    for name, text in workflows.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert run([tool("git"), "init", "-q"], cwd=repo).returncode == 0
    return run([tool("actionlint"), "-no-color"], cwd=repo)
