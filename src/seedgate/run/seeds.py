"""Which seeds a run gets. Deterministic, so baseline and candidate use the same list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from seedgate.records import RunResult, RunStatus

_DATA_STREAM = 1
_INIT_STREAM = 2


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What one run is told: its index and its seeds."""

    index: int
    seed: int
    data_seed: int
    init_seed: int

    def succeeded(self, metrics: Mapping[str, float], duration_s: float) -> RunResult:
        return RunResult(
            index=self.index,
            seed=self.seed,
            status=RunStatus.OK,
            metrics=metrics,
            duration_s=duration_s,
            data_seed=self.data_seed,
            init_seed=self.init_seed,
        )

    def failed(
        self, status: RunStatus, reason: str, *, duration_s: float, log_tail: str
    ) -> RunResult:
        return RunResult(
            index=self.index,
            seed=self.seed,
            status=status,
            metrics={},
            duration_s=duration_s,
            reason=reason,
            log_tail=log_tail,
            data_seed=self.data_seed,
            init_seed=self.init_seed,
        )


def derived_seed(seed: int, stream: int) -> int:
    """A 31-bit seed for one stream (data order, initialisation) derived from a run seed."""
    state = np.random.SeedSequence([seed, stream]).generate_state(1, dtype=np.uint32)
    return int(state[0]) & 0x7FFFFFFF


def run_spec(index: int, seed_base: int = 0) -> RunSpec:
    """Run ``index`` (0-based) gets seed ``seed_base + index``; the streams derive from it."""
    seed = seed_base + index
    return RunSpec(index, seed, derived_seed(seed, _DATA_STREAM), derived_seed(seed, _INIT_STREAM))


def run_specs(indices: range | list[int], seed_base: int = 0) -> tuple[RunSpec, ...]:
    return tuple(run_spec(i, seed_base) for i in indices)
