"""A new user's mistakes with the experiment contract: each stops early, says why, shows the
line the script printed and the contract, and exits 3 (runs failed) with the runs kept."""

from __future__ import annotations

import re
from pathlib import Path

from seedgate.report.wording import CONTRACT
from seedgate.runset.codec import read_runset
from tests.testing.cli_runner import mistakes, seedgate

_RUN_LINE = re.compile(r"^\[baseline\] run \d+/\d+ ", re.MULTILINE)


def runs_made(stderr: str) -> int:
    return len(_RUN_LINE.findall(stderr))


def error_screen(stderr: str) -> str:
    """The error the run ends with: from its first ``seedgate: error:`` line on."""
    return stderr[stderr.index("seedgate: error:") :]


def test_a_python_dict_printed_stops_after_the_first_look(tmp_path: Path) -> None:
    done = seedgate(tmp_path, "baseline", *mistakes("--dict"))

    assert done.returncode == 3, done.stderr
    assert runs_made(done.stderr) == 3  # the first look, not the 20 runs of a baseline
    screen = error_screen(done.stderr)
    assert "stopped after the first 3 baseline runs" in screen
    assert "is not JSON (a Python dict? print json.dumps(metrics) instead)" in screen
    assert "seedgate: line:     {'accuracy': 0." in screen
    assert CONTRACT in screen
    kept = re.search(r"the runs that finished are kept in (\S+)", done.stderr)
    assert kept is not None
    assert len(read_runset(tmp_path / kept.group(1)).failed_runs) == 3


def test_a_configured_metric_the_script_does_not_print_stops_after_one_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "seedgate.toml").write_text('[metric.loss]\ngoal = "minimize"\n')
    done = seedgate(tmp_path, "baseline", *mistakes())

    assert done.returncode == 3, done.stderr
    assert runs_made(done.stderr) == 1
    screen = error_screen(done.stderr)
    assert "stopped after the first baseline run: it does not report a configured metric" in screen
    assert "'loss' missing in the last JSON line of stdout; reported: accuracy" in screen
    assert 'seedgate: line:     {"accuracy": 0.' in screen


def test_a_field_that_is_not_a_number_is_ignored_and_named_once(tmp_path: Path) -> None:
    done = seedgate(tmp_path, "run", "--runs", "4", *mistakes("--extra"))

    assert done.returncode == 0, done.stderr
    assert done.stderr.count("ignored (not numbers, not configured): 'model'") == 1
    assert "4 runs written" in done.stderr


def test_a_crashed_run_shows_its_last_lines_in_the_terminal(tmp_path: Path) -> None:
    done = seedgate(tmp_path, "run", "--runs", "3", *mistakes("--crash-seed", "1"))

    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    failed = next(i for i, line in enumerate(lines) if "FAILED: exited with code 1" in line)
    tail = lines[failed + 1 : failed + 6]
    assert tail[-1] == "    | ValueError: max_depth must be >= 1, got -1"
    assert any("raise ValueError(message)" in line for line in tail)
    assert "1 of 3 runs failed, more than max_failed_runs = 0" in done.stderr
