"""Which seeds a run gets, and how it is told: the ``SEEDGATE_*`` seed variables.

Deterministic, so baseline and candidate use the same list. :func:`read_seeds` is the
training script's side of the contract, for any framework::

    from seedgate.run.seeds import read_seeds
    data_seed, init_seed = read_seeds()      # does not import TensorFlow
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from seedgate.errors import ConfigError
from seedgate.records import RunResult, RunStatus

SEED_ENV = "SEEDGATE_SEED"
RUN_INDEX_ENV = "SEEDGATE_RUN_INDEX"
DATA_SEED_ENV = "SEEDGATE_DATA_SEED"
INIT_SEED_ENV = "SEEDGATE_INIT_SEED"

_DATA_STREAM = 1
_INIT_STREAM = 2
# NumPy and TensorFlow accept seeds in [0, 2**32); larger run seeds are folded into it.
SEED_MODULUS = 2**32


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


def seed_variables(spec: RunSpec) -> dict[str, str]:
    """The ``SEEDGATE_*`` variables that tell a run its seeds."""
    return {
        SEED_ENV: str(spec.seed),
        RUN_INDEX_ENV: str(spec.index),
        DATA_SEED_ENV: str(spec.data_seed),
        INIT_SEED_ENV: str(spec.init_seed),
    }


def _parse_seed(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} = {raw!r}: expected a whole number >= 0") from None
    if value < 0:
        raise ConfigError(f"{name} = {raw!r}: expected a whole number >= 0")
    return value % SEED_MODULUS


def _env_value(name: str, env: Mapping[str, str]) -> int | None:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return None
    return _parse_seed(name, raw)


def read_seeds(env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``(data_seed, init_seed)`` from SEEDGATE_DATA_SEED / SEEDGATE_INIT_SEED.

    A stream whose variable is unset is derived from SEEDGATE_SEED (default 0) exactly as
    seedgate derives it, so ``SEEDGATE_SEED=3`` alone reproduces seedgate's run with seed 3.
    """
    source = os.environ if env is None else env
    run_seed = _env_value(SEED_ENV, source)
    derived = run_spec(0, 0 if run_seed is None else run_seed)
    data_seed = _env_value(DATA_SEED_ENV, source)
    init_seed = _env_value(INIT_SEED_ENV, source)
    return (
        derived.data_seed if data_seed is None else data_seed,
        derived.init_seed if init_seed is None else init_seed,
    )
