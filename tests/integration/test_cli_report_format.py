"""Which report the CLI prints: text for a person at a terminal, Markdown for files and CI.

The terminal is a real pseudo-terminal, so the CLI's own isatty() check decides.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testing.cli_runner import experiment, seedgate

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def on_terminal(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """What the CLI writes to stdout when stdout is a terminal."""
    main, child = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "seedgate", *args],
        cwd=cwd,
        stdout=child,
        stderr=subprocess.DEVNULL,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal's other end is closed: all was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert done.returncode in (0, 1)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def runsets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("runsets")
    command = experiment()
    for name, runs in (("base.json", "8"), ("cand.json", "5")):
        done = seedgate(folder, "run", "--runs", runs, "--out", name, *command)
        assert done.returncode == 0, done.stderr
    return folder, folder / "base.json", folder / "cand.json"


def test_a_terminal_gets_coloured_text_not_markdown(runsets: tuple[Path, Path, Path]) -> None:
    folder, base, cand = runsets
    shown = on_terminal(folder, "compare", str(base), str(cand), env={"GITHUB_ACTIONS": ""})
    assert ANSI.search(shown)
    plain = ANSI.sub("", shown)
    assert plain.startswith("seedgate  ")
    assert "Difference [interval]" in plain
    for markdown in ("```mermaid", "<details>", "| :--", "## seedgate"):
        assert markdown not in plain


def test_in_github_actions_a_terminal_still_gets_markdown(
    runsets: tuple[Path, Path, Path],
) -> None:
    folder, base, cand = runsets
    shown = on_terminal(folder, "compare", str(base), str(cand), env={"GITHUB_ACTIONS": "true"})
    assert shown.startswith("## seedgate\n")
    assert "<details>" in shown


def test_the_file_gets_markdown_while_the_terminal_gets_text(
    runsets: tuple[Path, Path, Path],
) -> None:
    folder, base, cand = runsets
    out = folder / "report.md"
    args = ("compare", str(base), str(cand), "--out", str(out))
    shown = on_terminal(folder, *args, env={"GITHUB_ACTIONS": ""})
    assert ANSI.sub("", shown).startswith("seedgate  ")
    assert out.read_text(encoding="utf-8").startswith("## seedgate\n")


def test_format_text_into_a_pipe_has_no_colour(runsets: tuple[Path, Path, Path]) -> None:
    folder, base, cand = runsets
    done = seedgate(folder, "compare", str(base), str(cand), "--format", "text")
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.startswith("seedgate  ")
    assert not ANSI.search(done.stdout)
    piped = seedgate(folder, "compare", str(base), str(cand))
    assert piped.stdout.startswith("## seedgate\n")  # a pipe gets Markdown by default
