"""Matrix shards: split a run plan over K jobs, then merge their RunSets into one.

Shard ``I/K`` (1-based) takes the run indices ``i`` with ``i % K == I - 1``. Seeds depend
only on the index, so the merged RunSet holds exactly the runs one job would have made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from seedgate.errors import ConfigError, RunSetError
from seedgate.records import RunResult, RunSet

_SHARD = re.compile(r"^\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*$")  # ASCII, no 5,000 digits


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based, like a matrix value ``2/4``)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ConfigError(
                f"shard = '{self.index}/{self.count}': expected 'I/K' with 1 <= I <= K"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """Parse ``I/K`` (e.g. the matrix value ``2/4``) into a Shard, or raise ConfigError."""
    match = _SHARD.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(f"shard = {text!r}: expected 'I/K' with 1 <= I <= K, e.g. '2/4'")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise ConfigError(f"shard = {text!r}: expected 'I/K' with 1 <= I <= K, e.g. '2/4'")
    return Shard(index, count)


def shard_indices(total_runs: int, shard: Shard) -> list[int]:
    """The run indices of ``range(total_runs)`` that belong to ``shard`` (round-robin)."""
    if total_runs < 0:
        raise ConfigError(f"runs = {total_runs}: expected a whole number >= 0")
    return list(range(shard.index - 1, total_runs, shard.count))


def _differences(field: str, values: Sequence[object], names: Sequence[str]) -> str | None:
    if len(set(values)) <= 1:
        return None
    listed = "; ".join(f"{name}: {value!r}" for name, value in zip(names, values, strict=True))
    return f"{field} differs ({listed})"


def _merged_environment(runsets: Sequence[RunSet]) -> dict[str, str]:
    """Keys every shard agrees on keep their value; disagreeing values are joined by ' | '."""
    keys: list[str] = []
    for runset in runsets:
        keys.extend(k for k in runset.environment if k not in keys)
    merged: dict[str, str] = {}
    for key in keys:
        values = sorted({runset.environment.get(key, "") for runset in runsets})
        merged[key] = values[0] if len(values) == 1 else " | ".join(v or "(unset)" for v in values)
    return merged


def _check_unique_runs(runsets: Sequence[RunSet], names: Sequence[str]) -> list[RunResult]:
    seen_seed: dict[int, str] = {}
    seen_index: dict[int, str] = {}
    runs: list[RunResult] = []
    for runset, name in zip(runsets, names, strict=True):
        for run in runset.runs:
            if run.seed in seen_seed:
                raise RunSetError(
                    f"cannot merge: seed {run.seed} appears in both {seen_seed[run.seed]} and "
                    f"{name}; each shard must run different seeds (shard 'I/K' with distinct I)"
                )
            if run.index in seen_index:
                raise RunSetError(
                    f"cannot merge: run index {run.index} appears in both "
                    f"{seen_index[run.index]} and {name}"
                )
            seen_seed[run.seed] = name
            seen_index[run.index] = name
            runs.append(run)
    return runs


def merge_runsets(runsets: Sequence[RunSet], *, names: Sequence[str] | None = None) -> RunSet:
    """One RunSet from the shards' RunSets, runs ordered by index.

    They must share command, config digest and commit, and no seed or index may appear
    twice; otherwise RunSetError names the inputs (``names``, e.g. file paths) that differ.
    """
    if not runsets:
        raise RunSetError("cannot merge: no RunSets were given")
    labels = list(names) if names is not None else [f"runset {i + 1}" for i in range(len(runsets))]
    if len(labels) != len(runsets):
        raise RunSetError(f"cannot merge: {len(runsets)} RunSets but {len(labels)} names")
    problems = [
        problem
        for problem in (
            _differences("command", [r.command for r in runsets], labels),
            _differences("config_digest", [r.config_digest for r in runsets], labels),
            _differences("commit", [r.commit for r in runsets], labels),
        )
        if problem is not None
    ]
    if problems:
        raise RunSetError("cannot merge RunSets from different experiments: " + "; ".join(problems))
    runs = _check_unique_runs(runsets, labels)
    runs.sort(key=lambda run: run.index)
    first = runsets[0]
    return RunSet(
        runs=tuple(runs),
        command=first.command,
        config_digest=first.config_digest,
        commit=first.commit,
        environment=_merged_environment(runsets),
        created_at=max(r.created_at for r in runsets),
        shard=None,
    )
