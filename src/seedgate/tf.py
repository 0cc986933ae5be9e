"""Seeding helpers for training scripts run by seedgate.

seedgate gives every run two seeds, exported as environment variables: one for the data
pipeline (shuffling order) and one for initialisation (weights, dropout, anything else
random in the model). Keeping them apart lets ``seedgate explain`` say which one the noise
comes from.

TensorFlow users::

    from seedgate.tf import seed_everything
    data_seed = seed_everything()            # seeds random, NumPy, TensorFlow from the env
    order = np.random.default_rng(data_seed).permutation(n)

Everyone else (PyTorch, scikit-learn, ...)::

    from seedgate.tf import read_seeds
    data_seed, init_seed = read_seeds()      # does not import TensorFlow

TensorFlow is imported only inside :func:`seed_everything`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from seedgate.errors import ConfigError
from seedgate.run.seeds import run_spec

SEED_ENV = "SEEDGATE_SEED"
DATA_SEED_ENV = "SEEDGATE_DATA_SEED"
INIT_SEED_ENV = "SEEDGATE_INIT_SEED"

# NumPy and TensorFlow accept seeds in [0, 2**32); larger run seeds are folded into it.
_SEED_MODULUS = 2**32


def _parse_seed(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} = {raw!r}: expected a whole number >= 0") from None
    if value < 0:
        raise ConfigError(f"{name} = {raw!r}: expected a whole number >= 0")
    return value % _SEED_MODULUS


def _env_value(name: str, env: Mapping[str, str]) -> int | None:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return None
    return _parse_seed(name, raw)


def read_seeds(env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``(data_seed, init_seed)`` from SEEDGATE_DATA_SEED / SEEDGATE_INIT_SEED.

    A stream whose variable is unset is derived from SEEDGATE_SEED (default 0) exactly as
    seedgate derives it, so ``SEEDGATE_SEED=3`` alone reproduces seedgate's run with seed 3.
    Does not import TensorFlow.
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


def _explicit(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name} = {value!r}: expected a whole number >= 0")
    return value % _SEED_MODULUS


def seed_everything(
    data_seed: int | None = None, init_seed: int | None = None, deterministic: bool = False
) -> int:
    """Seed Python ``random``, NumPy and TensorFlow with the init seed; return the data seed.

    Seeds not given come from the environment (see :func:`read_seeds`). Use the returned
    data seed for the input pipeline's shuffling, e.g. ``np.random.default_rng(data_seed)``.
    ``deterministic=True`` also makes TensorFlow ops deterministic (slower on GPU).
    """
    env_data, env_init = read_seeds()
    chosen_data = _explicit("data_seed", data_seed)
    chosen_init = _explicit("init_seed", init_seed)
    resolved_data = env_data if chosen_data is None else chosen_data
    resolved_init = env_init if chosen_init is None else chosen_init

    import tensorflow as tf  # only training processes import TensorFlow

    tf.keras.utils.set_random_seed(resolved_init)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    return resolved_data
