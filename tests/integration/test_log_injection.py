"""Text from a run never becomes a workflow command or a terminal escape in seedgate's log.

The real CLI runs the hostile fixture in subprocesses; its stdout and stderr are read the
way the Actions runner reads a step's log: line by line, a line starting with ``::``
(after spaces) is a command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.testing import cli_runner
from tests.testing.actions_log import own_commands_only, read_log

HOSTILE = Path(__file__).parents[1] / "fixtures" / "hostile_run.py"
CONFIG = 'max_runs = 2\nlooks = [2]\ntimeout = 60\n[metric.accuracy]\ngoal = "maximize"\n'


def seedgate(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    (cwd / "seedgate.toml").write_text(CONFIG)
    done = cli_runner.seedgate(cwd, *args, env=env)
    assert done.returncode in (0, 2, 3), done.stderr  # never 1, never a crash
    return done.stdout + done.stderr


def assert_log_is_inert(log: str) -> None:
    read = read_log(log)
    assert read.open_fence is None
    assert own_commands_only(read), read.commands  # in Actions: the fenced run output
    assert "\x1b" not in log
    assert "FORGED" in log or "accuracy" in log  # the run's text was seen, made harmless


@pytest.mark.parametrize("actions", ["", "true"], ids=["local", "in-actions"])
@pytest.mark.parametrize("mode", ["forged-name", "noisy"])
def test_run_output_and_metric_names_cannot_forge_commands(
    tmp_path: Path, mode: str, actions: str
) -> None:
    command = ("--", sys.executable, str(HOSTILE), mode)
    log = seedgate(tmp_path, "run", "--runs", "2", *command, env={"GITHUB_ACTIONS": actions})
    assert_log_is_inert(log)
    assert ("printed by the run" in log) == (mode == "noisy" and actions == "true")
    if mode == "forged-name":
        assert "metric name 'acc\\n::error title=FORGED" in log  # named, escaped, refused


def test_entry_exceptions_stay_on_their_line(tmp_path: Path) -> None:
    log = seedgate(tmp_path, "run", "--runs", "2", "--entry", f"{HOSTILE}:entry")
    assert_log_is_inert(log)
    assert "the entry raised ValueError: bad seed 0 ::error title=FORGED" in log


def test_output_of_an_entry_that_cannot_load_is_fenced(tmp_path: Path) -> None:
    log = seedgate(
        tmp_path,
        "run",
        "--runs",
        "2",
        "--entry",
        f"{HOSTILE}:missing",
        env={"HOSTILE_PRINT_ON_IMPORT": "1"},
    )
    assert_log_is_inert(log)
    assert "could not be loaded" in log


def test_a_failing_runs_log_tail_in_an_error_stays_inert(tmp_path: Path) -> None:
    command = ("--", sys.executable, str(HOSTILE), "crash")
    log = seedgate(tmp_path, "explain", "--runs-per-factor", "2", "--repeats", "0", *command)
    assert_log_is_inert(log)
    assert "seedgate: error: " in log
    assert "> ::error title=FORGED::printed by a failing run" in log  # quoted, not obeyed
