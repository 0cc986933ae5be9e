"""The shard artifacts' names: what mode run uploads, and which names mode compare takes
back (with the RunSet file each holds), refusing any other name a listing may carry."""

from __future__ import annotations

import pytest

from seedgate.action.artifacts import shard_file_name


@pytest.mark.parametrize(
    ("name", "file_name"),
    [
        ("seedgate-shard-1-of-4", "runset-1-of-4.json"),
        ("seedgate-shard-12-of-12", "runset-12-of-12.json"),
        ("seedgate-shard-all", "runset.json"),
    ],
)
def test_a_shard_artifact_names_the_runset_file_it_holds(name: str, file_name: str) -> None:
    assert shard_file_name(name) == file_name


@pytest.mark.parametrize(
    "name",
    [
        "seedgate-baseline",
        "seedgate-shard-",
        "seedgate-shard-0-of-4",
        "seedgate-shard-1-of-4/../../etc",
        "seedgate-shard-../x",
        "seedgate-shard-1-of-4.json",
        "seedgate-shard-1-of-4\n",
        "other-seedgate-shard-1-of-4",
    ],
)
def test_any_other_name_is_no_shard(name: str) -> None:
    assert shard_file_name(name) is None
