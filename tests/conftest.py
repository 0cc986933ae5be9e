"""Shared fixtures. The unit tier starts no process: tests that need a subprocess, a
linter or a server belong in tests/integration (or tests/e2e)."""

from __future__ import annotations

import importlib
import io
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.testing.github_fake import FakeGitHub
from tests.testing.github_runner import Workflow, run_push

UNIT = Path(__file__).resolve().parent / "unit"
ACT_TIER = "tests/act/"  # as pytest-xdist's node ids start


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> Any:
    """``./dev test``'s pytest-xdist workers (``--dist loadfile``) each take whole test files,
    and the act tier's files all go to one worker: act's artifact server listens on one fixed
    port (34567), so two act runs at once would collide."""
    if config.getoption("dist") != "loadfile":
        return None
    chosen = importlib.import_module("xdist.scheduler").LoadFileScheduling(config, log)  # by file
    by_file = chosen._split_scope  # the scope of a test: its file

    def scope(nodeid: str) -> str:
        return ACT_TIER if nodeid.startswith(ACT_TIER) else str(by_file(nodeid))

    chosen._split_scope = scope
    return chosen


@pytest.fixture(autouse=True)
def no_subprocesses_in_unit_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not request.node.path.is_relative_to(UNIT):
        return

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(f"a unit test started {args[1:2]!r}; it belongs in integration")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


@pytest.fixture(autouse=True)
def not_in_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite behaves the same on a laptop and in CI: a test that means to act as in
    GitHub Actions sets GITHUB_ACTIONS itself (the job runners in github_runner do)."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


# --- end to end: the action against the fake GitHub ------------------------------------------


@pytest.fixture(scope="session")
def baseline_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A baseline made by the action itself on a push to the default branch."""
    with FakeGitHub() as fake:
        workflow = Workflow(fake, tmp_path_factory.mktemp("main"))
        result = run_push(workflow)
        assert result.returncode == 0, result.stdout + result.stderr
        workflow.check_no_leaks()
    path = result.workspace / result.outputs["baseline-path"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # what actions/upload-artifact uploads
        archive.write(path, path.name)
    return buffer.getvalue()


@pytest.fixture
def workflow(tmp_path: Path) -> Iterator[Workflow]:
    with FakeGitHub() as fake:
        flow = Workflow(fake, tmp_path)
        yield flow
        flow.check_no_leaks()
    assert fake.errors == [], fake.errors
