"""The unit tier starts no process: pure functions and files in tmp_path only.

Tests that need a subprocess, a linter or a server belong in tests/integration.
"""

from __future__ import annotations

import subprocess
from typing import Any, NoReturn

import pytest


@pytest.fixture(autouse=True)
def no_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(f"a unit test started {args[1:2]!r}; it belongs in integration")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
