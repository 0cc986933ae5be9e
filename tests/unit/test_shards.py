from __future__ import annotations

from typing import Any

import pytest

from seedgate.errors import ConfigError, RunSetError
from seedgate.records import RunResult, RunStatus
from seedgate.runset.shards import Shard, merge_runsets, parse_shard, shard_indices
from tests.testing.runsets import (
    COMMAND,
    COMMIT,
    CONFIG_DIGEST,
    failed_run,
    run_result,
    runset,
)


def test_parse_shard() -> None:
    assert parse_shard("2/3") == Shard(2, 3)
    assert parse_shard(" 1 / 1 ") == Shard(1, 1)
    assert str(parse_shard("4/8")) == "4/8"


@pytest.mark.parametrize(
    "text",
    ["0/3", "4/3", "1/0", "a/b", "3", "", "1/2/3", "-1/2", "\u0661/\u0662", "1/" + "9" * 5000],
)
def test_bad_shard_text_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_shard(text)
    assert repr(text) in str(caught.value)
    assert "1 <= I <= K" in str(caught.value)


def test_shards_partition_the_runs() -> None:
    for count in (1, 2, 3, 7):
        parts = [shard_indices(10, Shard(i, count)) for i in range(1, count + 1)]
        flat = [index for part in parts for index in part]
        assert sorted(flat) == list(range(10))
        assert len(flat) == len(set(flat))
    assert shard_indices(10, Shard(2, 3)) == [1, 4, 7]
    assert shard_indices(2, Shard(3, 3)) == []


def _ok_runs(*indices: int) -> tuple[RunResult, ...]:
    """Successful runs at these indices, each seeded with its index."""
    return tuple(run_result(i, {"accuracy": 0.8 + i / 100}) for i in indices)


X86 = {"python": "3.11.7", "cpu": "x86_64"}
EARLIER = "2024-09-01T10:00:00+00:00"


def test_merge_orders_runs_by_index_and_keeps_identity() -> None:
    shards = [
        runset(
            runs=_ok_runs(1, 4, 7),
            shard="2/3",
            environment=X86,
            created_at="2024-09-01T10:05:00+00:00",
        ),
        runset(runs=_ok_runs(0, 3, 6, 9), shard="1/3", environment=X86, created_at=EARLIER),
        runset(
            runs=_ok_runs(2, 5, 8),
            shard="3/3",
            environment={"python": "3.11.7", "cpu": "arm64"},
            created_at=EARLIER,
        ),
    ]
    merged = merge_runsets(shards)
    assert [r.index for r in merged.runs] == list(range(10))
    assert merged.command == COMMAND
    assert merged.config_digest == CONFIG_DIGEST
    assert merged.commit == COMMIT
    assert merged.shard is None
    assert merged.created_at == "2024-09-01T10:05:00+00:00"
    assert merged.environment == {"python": "3.11.7", "cpu": "arm64 | x86_64"}


def test_merge_keeps_failed_runs() -> None:
    first = runset(runs=_ok_runs(0))
    second = runset(runs=(failed_run(1, reason="exited with code 1"),))
    merged = merge_runsets([first, second])
    assert [r.status for r in merged.runs] == [RunStatus.OK, RunStatus.FAILED]


@pytest.mark.parametrize(
    ("field", "value"),
    [("command", "python other.py"), ("config_digest", "sha256:def"), ("commit", "deadbeef")],
)
def test_merge_refuses_different_experiments_and_names_the_files(field: str, value: str) -> None:
    differs: dict[str, Any] = {field: value}
    shards = [runset(runs=_ok_runs(0)), runset(runs=_ok_runs(1), **differs)]
    with pytest.raises(RunSetError) as caught:
        merge_runsets(shards, names=["shard-1.json", "shard-2.json"])
    message = str(caught.value)
    assert f"{field} differs" in message
    assert "shard-1.json" in message
    assert f"shard-2.json: {value!r}" in message


def test_merge_refuses_a_seed_twice() -> None:
    shards = [
        runset(runs=_ok_runs(0, 1)),
        runset(runs=(run_result(2, {"accuracy": 0.82}, seed=1),)),
    ]
    with pytest.raises(RunSetError, match=r"seed 1 appears in both a.json and b.json"):
        merge_runsets(shards, names=["a.json", "b.json"])


def test_merge_refuses_an_index_twice() -> None:
    shards = [runset(runs=_ok_runs(0)), runset(runs=(run_result(0, {"accuracy": 0.8}, seed=50),))]
    with pytest.raises(RunSetError, match=r"run index 0 appears in both runset 1 and runset 2"):
        merge_runsets(shards)


def test_merge_of_nothing_or_mismatched_names_is_an_error() -> None:
    with pytest.raises(RunSetError, match="no RunSets"):
        merge_runsets([])
    with pytest.raises(RunSetError, match="2 RunSets but 1 names"):
        merge_runsets([runset(runs=_ok_runs(0)), runset(runs=_ok_runs(1))], names=["only.json"])
