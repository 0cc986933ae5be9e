"""A run's own output in the Actions log: one collapsed group per run, fenced with a fresh
``::stop-commands::`` token so that nothing the run prints is read as a workflow command.
Real runs through the Runner; the log is read as GitHub's runner reads it."""

from __future__ import annotations

import io
import os
import shlex
import sys
from pathlib import Path

import pytest

from seedgate.config.settings import Config
from seedgate.run import run_log
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_specs
from tests.testing.actions_log import own_commands_only, read_log

PY = shlex.quote(sys.executable)
HOSTILE = (
    "import json, os, sys\n"
    "seed = os.environ['SEEDGATE_SEED']\n"
    "open(f'env-{seed}.txt', 'w').write(repr(dict(os.environ)))\n"
    "print(f'training seed {seed}')\n"
    "print('::error::x')\n"
    "print('  ::set-output name=a::b')\n"
    "print('::add-mask::secret', file=sys.stderr)\n"
    "print('::endgroup::')\n"
    "print('\\x1b[31mred\\x1b[0m')\n"
    "print('no line break at the end', end='')\n"
    "open(os.environ['SEEDGATE_METRICS_FILE'], 'w').write(json.dumps({'accuracy': 0.5}))\n"
)
ACTIONS = {**os.environ, "GITHUB_ACTIONS": "true"}


def run_hostile(folder: Path, *, jobs: int, environ: dict[str, str], runs: int = 3) -> str:
    (folder / "hostile.py").write_text(HOSTILE, encoding="utf-8")
    config = Config(command=f"{PY} hostile.py", working_directory=folder, jobs=jobs)
    out = io.StringIO()
    with Runner(config, out=out, label="candidate", environ=environ) as runner:
        results = runner.run(run_specs(range(runs)))
    assert all(r.ok for r in results), [r.reason for r in results]
    return out.getvalue()


def groups(log: str) -> dict[str, list[str]]:
    """Each group's title and the lines inside its fence, then seedgate's note if any."""
    found: dict[str, list[str]] = {}
    lines = log.splitlines()
    for at, line in enumerate(lines):
        if line.startswith("::group::"):
            token = lines[at + 1].removeprefix("::stop-commands::")
            end = lines.index(f"::{token}::", at + 2)
            stop = lines.index("::endgroup::", end)
            assert stop - end <= 2
            found[line.removeprefix("::group::")] = lines[at + 2 : end] + lines[end + 1 : stop]
    return found


@pytest.mark.parametrize("jobs", [1, 2], ids=["live", "parallel-buffered"])
def test_a_runs_workflow_commands_stay_inside_its_fence(tmp_path: Path, jobs: int) -> None:
    log = run_hostile(tmp_path, jobs=jobs, environ=ACTIONS)

    read = read_log(log)
    assert read.open_fence is None
    assert own_commands_only(read), read.commands  # no ::error, ::set-output, ::add-mask
    assert len(read.fences) == len(set(read.fences)) == 3  # a fresh token per run
    assert all(len(token) == len("seedgate-") + 32 for token in read.fences)
    shown = groups(log)
    assert sorted(shown) == [f"seedgate [candidate] run {i + 1} (seed {i})" for i in range(3)]
    for title, lines in shown.items():
        seed = title[-2]
        assert lines[0] == f"training seed {seed}"
        assert {"::error::x", "  ::set-output name=a::b", "::endgroup::", "red"} <= set(lines)
        # stderr comes through too; it may land after the unfinished stdout line, as on a terminal
        text = "\n".join(lines)
        assert "::add-mask::secret" in text
        assert "no line break at the end" in text
    assert "\x1b" not in log
    for token in read.fences:  # made by the gate; no run could have seen it
        assert not [p.name for p in tmp_path.glob("env-*.txt") if token in p.read_text()]


def test_each_group_is_followed_by_its_runs_line(tmp_path: Path) -> None:
    log = run_hostile(tmp_path, jobs=2, environ=ACTIONS, runs=4)

    lines = log.splitlines()
    fences = read_log(log).fences
    assert len(fences) == 4
    for token in fences:
        end = lines.index(f"::{token}::")
        assert lines[end + 1] == "::endgroup::"
        assert lines[end + 2].startswith("[candidate] run ")  # no other group in between


def test_outside_actions_only_the_line_per_run_is_shown(tmp_path: Path) -> None:
    quiet = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    log = run_hostile(tmp_path, jobs=1, environ=quiet)

    lines = log.splitlines()
    assert len(lines) == 3
    assert all(line.startswith("[candidate] run ") for line in lines)


def test_a_run_that_times_out_still_closes_its_fence(tmp_path: Path) -> None:
    command = (
        f"{PY} -c \"print('::error::before the hang', flush=True); import time; time.sleep(30)\""
    )
    config = Config(command=command, working_directory=tmp_path, jobs=1, timeout=1)
    out = io.StringIO()
    with Runner(config, out=out, environ=ACTIONS) as runner:
        (result,) = runner.run(run_specs(range(1)))

    assert not result.ok
    read = read_log(out.getvalue())
    assert read.open_fence is None
    assert own_commands_only(read), read.commands
    assert "::error::before the hang" in out.getvalue()


def test_parallel_output_is_kept_up_to_a_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_log, "BUFFER_LIMIT_BYTES", 1000)
    (tmp_path / "loud.py").write_text("print('x' * 99999)\nprint('{\"accuracy\": 1}')\n")
    command = f"{PY} loud.py"
    config = Config(command=command, working_directory=tmp_path, jobs=2)
    out = io.StringIO()
    with Runner(config, out=out, environ=ACTIONS) as runner:
        results = runner.run(run_specs(range(2)))

    assert all(r.ok for r in results), [r.reason for r in results]
    shown = groups(out.getvalue())
    assert len(shown) == 2
    for lines in shown.values():
        assert lines == ["x" * 1000, "seedgate: 99016 more bytes of output left out"]


WARM_ENTRY = (
    "def entry(seed, data_seed, init_seed, index):\n"
    "    print(f'warm run of seed {seed}')\n"
    "    print('::error::from the worker')\n"
    "    return {'accuracy': 0.5}\n"
)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_warm_workers_run_is_shown_as_a_whole_group(tmp_path: Path, jobs: int) -> None:
    (tmp_path / "warm_entry.py").write_text(WARM_ENTRY, encoding="utf-8")
    config = Config(entry="warm_entry:entry", working_directory=tmp_path, jobs=jobs)
    out = io.StringIO()
    with Runner(config, out=out, environ=ACTIONS) as runner:
        results = runner.run(run_specs(range(3)))

    assert all(r.ok for r in results), [r.reason for r in results]
    read = read_log(out.getvalue())
    assert read.open_fence is None
    assert own_commands_only(read), read.commands
    shown = groups(out.getvalue())
    assert shown == {
        f"seedgate [candidate] run {i + 1} (seed {i})": [
            f"warm run of seed {i}",
            "::error::from the worker",
        ]
        for i in range(3)
    }
