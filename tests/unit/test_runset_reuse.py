"""Which runs a baseline takes from runs already made: same command, commit and seeds."""

from __future__ import annotations

import dataclasses

from seedgate.records import RunSet
from seedgate.run.seeds import run_specs
from seedgate.runset.reuse import reusable_runs
from tests.testing.runsets import COMMAND, COMMIT, failed_run, runset

SPECS = run_specs(range(20))


def made(indices: range, *, failed: tuple[int, ...] = ()) -> RunSet:
    """Runs as the runner makes them: each index with its own seeds."""
    runs = [
        failed_run(spec.index, spec.seed, "exited with code 1", None)
        if spec.index in failed
        else spec.succeeded({"accuracy": 0.9}, 1.0)
        for spec in run_specs(indices)
    ]
    return runset(runs=runs)


def test_init_runs_on_the_same_commit_stand_for_the_first_seeds() -> None:
    taken = reusable_runs([made(range(5))], SPECS, command=COMMAND, commit=COMMIT)
    assert [run.index for run in taken] == [0, 1, 2, 3, 4]


def test_failed_runs_are_run_again_and_sources_combine() -> None:
    partial = made(range(5, 9), failed=(7,))
    taken = reusable_runs([partial, made(range(5))], SPECS, command=COMMAND, commit=COMMIT)
    assert [run.index for run in taken] == [0, 1, 2, 3, 4, 5, 6, 8]


def test_another_commit_command_or_seed_is_not_reused() -> None:
    runs = made(range(5))
    assert reusable_runs([runs], SPECS, command=COMMAND, commit="def") == ()
    assert reusable_runs([runs], SPECS, command="python other.py", commit=COMMIT) == ()
    assert reusable_runs([runs], run_specs(range(20), 100), command=COMMAND, commit=COMMIT) == ()
    other_seeds = runset({"accuracy": [0.9] * 5})  # seeds 0-4, but not the runner's data seeds
    assert reusable_runs([other_seeds], SPECS, command=COMMAND, commit=COMMIT) == ()
    unknown = dataclasses.replace(runs, commit=None)
    assert reusable_runs([unknown], SPECS, command=COMMAND, commit=COMMIT) == ()


def test_runs_past_the_planned_ones_are_left() -> None:
    taken = reusable_runs([made(range(5))], SPECS[:3], command=COMMAND, commit=COMMIT)
    assert [run.index for run in taken] == [0, 1, 2]
