"""The seedgate CLI as a user runs it, for the integration tests: a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

CLI_FIXTURES = Path(__file__).resolve().parents[1] / "integration" / "cli_fixtures"
EXPERIMENT = CLI_FIXTURES / "experiment.py"
FRESH_SCRIPT = CLI_FIXTURES / "fresh_script.py"


def seedgate(
    cwd: Path, *args: str, timeout: float = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m seedgate ARGS`` in ``cwd``, with ``env`` over this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "seedgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def experiment(*flags: str) -> list[str]:
    """The training command of cli_fixtures/experiment.py, after the ``--``."""
    return ["--", sys.executable, str(EXPERIMENT), *flags]


def fresh_script(*flags: str) -> list[str]:
    """The training command of cli_fixtures/fresh_script.py, after the ``--``."""
    return ["--", sys.executable, str(FRESH_SCRIPT), *flags]


MISTAKES = CLI_FIXTURES / "mistakes.py"


def mistakes(*flags: str) -> list[str]:
    """The training command of cli_fixtures/mistakes.py (a new user's mistakes), after ``--``."""
    return ["--", sys.executable, str(MISTAKES), *flags]
