"""Seeding helpers for training scripts run by seedgate.

seedgate gives every run two seeds, exported as environment variables: one for the data
pipeline (shuffling order) and one for initialisation (weights, dropout, anything else
random in the model). Keeping them apart lets ``seedgate explain`` say which one the noise
comes from.

TensorFlow users::

    from seedgate.tf import seed_everything
    data_seed = seed_everything()            # seeds random, NumPy, TensorFlow from the env
    order = np.random.default_rng(data_seed).permutation(n)

Everyone else (PyTorch, scikit-learn, ...) reads them without TensorFlow::

    from seedgate.run.seeds import read_seeds
    data_seed, init_seed = read_seeds()

TensorFlow is imported only inside :func:`seed_everything`.
"""

from __future__ import annotations

from seedgate.errors import ConfigError
from seedgate.run.seeds import DATA_SEED_ENV, INIT_SEED_ENV, SEED_ENV, SEED_MODULUS, read_seeds

# read_seeds and the variable names live in seedgate.run.seeds; kept here for scripts
# written against seedgate.tf
__all__ = ["DATA_SEED_ENV", "INIT_SEED_ENV", "SEED_ENV", "read_seeds", "seed_everything"]


def _explicit(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name} = {value!r}: expected a whole number >= 0")
    return value % SEED_MODULUS


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
