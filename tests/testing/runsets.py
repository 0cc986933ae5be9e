"""The one way tests build runs and run sets: say what the test is about, default the rest.

``runset({"accuracy": [0.91, 0.92, 0.90]})`` is three successful runs with seeds 0, 1, 2
(``runset(values=[...], metric="accuracy")`` says the same for one metric); ``seeds`` or
``first_seed`` choose the seeds, ``failed`` the positions whose run failed, and ``runs`` hands
over ready-made runs. The identity fields (command,
digest, commit, environment, time) have fixed defaults a test overrides when it is about them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from seedgate.records import RunResult, RunSet, RunStatus

Column = Sequence[float] | NDArray[np.float64]

COMMAND = "python train.py"
CONFIG_DIGEST = "sha256:x"
COMMIT = "abc"
CREATED_AT = "2024-01-01T00:00:00Z"


def run_result(
    index: int = 0,
    metrics: Mapping[str, float] | None = None,
    *,
    seed: int | None = None,
    duration_s: float = 1.0,
    data_seed: int | None = None,
    init_seed: int | None = None,
) -> RunResult:
    """A successful run; its seed is its index unless given."""
    return RunResult(
        index=index,
        seed=index if seed is None else seed,
        status=RunStatus.OK,
        metrics={} if metrics is None else dict(metrics),
        duration_s=duration_s,
        data_seed=data_seed,
        init_seed=init_seed,
    )


def failed_run(
    index: int = 0,
    seed: int | None = None,
    reason: str = "exit code 1",
    log_tail: str | None = None,
    *,
    status: RunStatus = RunStatus.FAILED,
    duration_s: float = 1.0,
) -> RunResult:
    """A run that did not finish (failed or timed out): no metrics, a reason, maybe a log."""
    return RunResult(
        index=index,
        seed=index if seed is None else seed,
        status=status,
        metrics={},
        duration_s=duration_s,
        reason=reason,
        log_tail=log_tail,
    )


def runset(
    columns: Mapping[str, Column] | None = None,
    *,
    values: Column | None = None,
    metric: str = "accuracy",
    seeds: Sequence[int] | None = None,
    first_seed: int = 0,
    failed: Collection[int] = (),
    runs: Iterable[RunResult] | None = None,
    command: str = COMMAND,
    config_digest: str = CONFIG_DIGEST,
    commit: str | None = COMMIT,
    environment: Mapping[str, str] | None = None,
    created_at: str = CREATED_AT,
    shard: str | None = None,
) -> RunSet:
    """One run per position of the metric columns (``columns``, and ``values`` of ``metric``).

    Seeds are ``seeds`` or ``first_seed``, ``first_seed + 1``, ...; the runs at the positions
    in ``failed`` failed. ``runs`` replaces all of that with ready-made runs.
    """
    if runs is None:
        metrics = {**({} if values is None else {metric: values}), **(columns or {})}
        runs = _runs(metrics, seeds, first_seed, failed)
    elif values is not None or columns:
        msg = "runset takes values/columns or ready-made runs, not both"
        raise ValueError(msg)
    return RunSet(
        runs=tuple(runs),
        command=command,
        config_digest=config_digest,
        commit=commit,
        environment={} if environment is None else dict(environment),
        created_at=created_at,
        shard=shard,
    )


def _runs(
    metrics: Mapping[str, Column],
    seeds: Sequence[int] | None,
    first_seed: int,
    failed: Collection[int],
) -> tuple[RunResult, ...]:
    lengths = {len(column) for column in metrics.values()}
    if len(lengths) != 1:
        msg = f"runset needs metric columns of one length, got lengths {sorted(lengths)}"
        raise ValueError(msg)
    (n,) = lengths
    if seeds is None:
        seeds = range(first_seed, first_seed + n)
    if len(seeds) != n:
        msg = f"runset got {len(seeds)} seeds for {n} runs"
        raise ValueError(msg)
    return tuple(
        failed_run(i, seed)
        if i in failed
        else run_result(i, {name: float(column[i]) for name, column in metrics.items()}, seed=seed)
        for i, seed in enumerate(seeds)
    )


def every_field_runset() -> RunSet:
    """A RunSet with every field set, and a run of each status: for codec and hostile tests."""
    return runset(
        runs=(
            run_result(0, {"accuracy": 0.81, "loss": 0.5}, duration_s=1.25, data_seed=7),
            failed_run(1, reason="exit code 1", log_tail="boom", duration_s=0.5),
            failed_run(2, reason="timed out after 9 s", status=RunStatus.TIMED_OUT, duration_s=9.0),
        ),
        command="python train.py --seed {seed}",
        config_digest="sha256:abc",
        commit="0123abcd",
        environment={"python": "3.11.7", "cpu": "Xeon"},
        created_at="2026-11-29T00:00:00+00:00",
    )
