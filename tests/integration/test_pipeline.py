"""The gate's steps in pipeline.py, with real runs of a tiny command.

What the edges rely on: shards run their share of the seeds, failed runs are replaced up
to the allowance, the RunSet header (git, nvidia-smi) is made once per side and the noise
file read once per gate, and a cancellation carries the finished runs.
"""

from __future__ import annotations

import dataclasses
import shlex
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from seedgate import pipeline
from seedgate.config.settings import Config, build_config
from seedgate.errors import CancellationError, RunnerError
from seedgate.records import RunSet, Verdict
from seedgate.run import fingerprint
from seedgate.run.interrupts import interrupt_on_sigterm
from seedgate.runset.shards import Shard

METRICS = (
    "import json, os; "
    "print(json.dumps({'accuracy': 0.9 + int(os.environ['SEEDGATE_SEED']) * 1e-4}))"
)
EXPERIMENT = f"{shlex.quote(sys.executable)} -c {shlex.quote(METRICS)}"


def config(tmp_path: Path, command: str = EXPERIMENT, **settings: object) -> Config:
    values: dict[str, object] = {"command": command, "simulations": 1000, "looks": [3, 5]}
    values.update(settings)
    built = build_config(values)
    return dataclasses.replace(built, working_directory=tmp_path, store=tmp_path / "store")


def counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Count the calls of a real function (it still runs)."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def test_a_shard_runs_its_share_of_the_seeds(tmp_path: Path) -> None:
    runset = pipeline.run_fixed(config(tmp_path), runs=7, out=sys.stderr, shard=Shard(2, 3))
    assert [r.seed for r in runset.runs] == [1, 4]
    assert runset.shard == "2/3"
    assert runset.command == EXPERIMENT


def test_failed_runs_are_replaced_within_the_allowance(tmp_path: Path) -> None:
    flaky = f'test "$SEEDGATE_SEED" = 1 && exit 1; {EXPERIMENT}'
    side = pipeline.SideRuns(
        config(tmp_path, flaky, max_runs=8),
        command=flaky,
        label="candidate",
        out=sys.stderr,
        planned=8,
    )
    try:
        runset = side.reach(3)
    finally:
        side.close()
    assert [r.seed for r in runset.ok_runs] == [0, 2, 3]
    assert [r.seed for r in runset.failed_runs] == [1]


def test_too_many_failures_carry_the_runs_so_far(tmp_path: Path) -> None:
    with pytest.raises(RunnerError) as info:
        pipeline.run_fixed(config(tmp_path, "exit 3"), runs=4, out=sys.stderr)
    assert "more than max_failed_runs = 1" in str(info.value)
    assert isinstance(info.value.partial, RunSet)
    assert len(info.value.partial.failed_runs) == 4


def test_the_header_is_made_once_per_side_and_noise_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # other seeds than the candidate's: no exact replay, so the first look stays open
    settings = config(tmp_path, max_runs=5, seed_base=1)
    baseline = pipeline.run_fixed(settings, runs=5, out=sys.stderr)
    fingerprints = counting(monkeypatch, fingerprint, "fingerprint")
    commits = counting(monkeypatch, pipeline, "current_commit")
    noise_reads = counting(monkeypatch, pipeline, "read_noise")
    tiny_effect = config(tmp_path, max_runs=5, min_effect="0.000001")

    outcome = pipeline.run_gate(tiny_effect, baseline, out=sys.stderr)

    assert outcome.comparison.candidate_runs == 5  # both looks were taken
    assert (len(fingerprints), len(commits), len(noise_reads)) == (1, 1, 1)
    lockstep = pipeline.run_gate(tiny_effect, None, out=sys.stderr, baseline_command=EXPERIMENT)
    assert lockstep.baseline is not None
    assert (len(fingerprints), len(commits)) == (3, 3)  # one more per side


def test_no_baseline_stops_after_the_first_look(tmp_path: Path) -> None:
    outcome = pipeline.run_gate(config(tmp_path), None, out=sys.stderr)
    assert outcome.comparison.verdict is Verdict.NO_BASELINE
    assert len(outcome.candidate.runs) == 3


@pytest.fixture
def sigterm_interrupts() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGTERM)
    interrupt_on_sigterm()
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.usefixtures("sigterm_interrupts")
def test_a_cancellation_carries_the_finished_runs(tmp_path: Path) -> None:
    # the run with seed 2 cancels the job: SIGTERM to this process, as the runner sends it
    cancelling = f'test "$SEEDGATE_SEED" = 2 && kill -TERM $PPID && sleep 5; {EXPERIMENT}'
    with pytest.raises(CancellationError) as info:
        pipeline.run_fixed(config(tmp_path, cancelling), runs=6, out=sys.stderr)
    partial = info.value.partial
    assert isinstance(partial, RunSet)
    assert [r.seed for r in partial.ok_runs] == [0, 1]
    assert "interrupted after" in str(info.value)
