"""The training command cannot read the gate's token nor write the gate's outputs or log.

``isolated_gate.py`` runs ``attack_gate.py`` as its training command with a token and the
runner's file commands in its environment; the attack reports what it managed. (The
container tier reuses the attack script against the real entrypoint.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testing.github_fake import parse_output_file

FIXTURES = Path(__file__).parents[1] / "fixtures"
TOKEN = "ghs_isolation_secret_0123456789"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


def test_a_run_cannot_reach_the_gates_token_outputs_or_log(tmp_path: Path) -> None:
    folder = tmp_path / "file_commands"  # as mounted at /github/file_commands
    folder.mkdir()
    environ = {**os.environ, "GITHUB_TOKEN": TOKEN, "INPUT_GITHUB-TOKEN": TOKEN}
    for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"):
        environ[name] = str(folder / name.lower())
        (folder / name.lower()).write_text("", encoding="utf-8")
    environ["GITHUB_STEP_SUMMARY"] = str(folder / "step_summary")
    (folder / "step_summary").write_text("", encoding="utf-8")
    report = tmp_path / "attack.json"

    gate = subprocess.run(
        [sys.executable, str(FIXTURES / "isolated_gate.py"), str(report), str(folder)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert gate.returncode == 0, gate.stderr
    assert "gate finished" in gate.stdout
    attack = json.loads(report.read_text(encoding="utf-8"))
    gate_pid = attack["ancestors"][-1]
    assert len(attack["ancestors"]) >= 2  # the shell, then the gate
    assert attack["environ_read"] == attack["ancestors"][:-1]  # the shell's, never the gate's
    assert attack["token_seen"] == []
    assert gate_pid not in attack["fd_written"]
    assert "FORGED" not in gate.stdout + gate.stderr
    assert len(attack["appended"]) == 5  # it did find and write every file ...
    outputs = parse_output_file((folder / "github_output").read_text(encoding="utf-8"))
    assert outputs == {"verdict": "regression", "run": "ok"}  # ... and none of it stayed
    for name in ("github_env", "github_path", "github_state"):
        assert (folder / name).read_text(encoding="utf-8") == ""
    summary = (folder / "step_summary").read_text(encoding="utf-8")
    assert summary == "## seedgate: regression\n"
