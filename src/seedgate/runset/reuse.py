"""Runs already made that a new RunSet may take instead of running them again.

A run is reused only when it is the same experiment at the same place: the same command, the
same commit (both unknown counts as the same), and the same run index with the same seeds
(seed, data seed, init seed) as the run it stands for. Only successful runs are reused; a
failed one is run again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from seedgate.records import RunResult, RunSet
from seedgate.run.seeds import RunSpec


def reusable_runs(
    sources: Iterable[RunSet],
    specs: Sequence[RunSpec],
    *,
    command: str,
    commit: str | None,
) -> tuple[RunResult, ...]:
    """The successful runs of ``sources`` that stand for some of ``specs``, by run index
    (the first source wins), sorted by index."""
    wanted = {spec.index: spec for spec in specs}
    found: dict[int, RunResult] = {}
    for source in sources:
        if source.command != command or source.commit != commit:
            continue
        for run in source.ok_runs:
            spec = wanted.get(run.index)
            if spec is not None and run.index not in found and _same_seeds(run, spec):
                found[run.index] = run
    return tuple(found[i] for i in sorted(found))


def _same_seeds(run: RunResult, spec: RunSpec) -> bool:
    return (run.seed, run.data_seed, run.init_seed) == (spec.seed, spec.data_seed, spec.init_seed)
