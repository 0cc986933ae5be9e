from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from seedgate.errors import RunSetError
from seedgate.runset.codec import read_runset, runset_to_dict, runset_to_json, write_runset
from tests.testing.runsets import every_field_runset


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "runs.json"
    write_runset(every_field_runset(), path)
    assert read_runset(path) == every_field_runset()
    assert json.loads(path.read_text())["schema"] == "seedgate.runset/1"


def test_values_and_metric_names_use_successful_runs_only() -> None:
    runset = every_field_runset()
    assert runset.values("accuracy") == (0.81,)
    assert runset.metric_names() == ("accuracy", "loss")
    assert [r.seed for r in runset.failed_runs] == [1, 2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runs.json"
    path.write_text(text)
    return path


def _mutated(**changes: object) -> str:
    data = runset_to_dict(every_field_runset())
    data.update(changes)
    return json.dumps(data)


def _run0(**changes: object) -> dict[str, object]:
    run: dict[str, object] = runset_to_dict(every_field_runset())["runs"][0]
    return {**run, **changes}


def _refusal(tmp_path: Path, text: str, fragment: str) -> str:
    """The RunSetError reading ``text`` from a file raises: it names the file and ``fragment``."""
    path = _write(tmp_path, text)
    with pytest.raises(RunSetError) as caught:
        read_runset(path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (runset_to_json(every_field_runset())[:120], "not valid JSON"),
        ("", "not valid JSON"),
        ('{"name": "package.json"}', "not a seedgate RunSet (schema is None"),
        ("[1, 2]", "expected a JSON object"),
        (_mutated(schema="seedgate.runset/2"), "newer than this seedgate reads"),
        (_mutated(schema="seedgate.runset/x"), "unknown RunSet schema"),
        (_mutated(command=5), "field 'command' = 5, expected a string"),
        (_mutated(runs=[{"index": 0}]), "runs[0]: missing field 'status'"),
        (
            _mutated(runs=[_run0(status="weird")]),
            "status 'weird', expected one of ok, failed, timed-out",
        ),
        (_mutated(runs=[_run0(metrics={"accuracy": "hi"})]), "is not a number: 'hi'"),
        (_mutated(environment={"cpu": 3}), "environment must map strings to strings"),
    ],
)
def test_corrupt_files_are_clear_errors_naming_the_file(
    tmp_path: Path, text: str, fragment: str
) -> None:
    _refusal(tmp_path, text, fragment)


def test_binary_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RunSetError, match="not UTF-8"):
        read_runset(path)
    with pytest.raises(RunSetError, match="does not exist"):
        read_runset(tmp_path / "nope.json")


def test_nan_metric_in_file_is_rejected(tmp_path: Path) -> None:
    text = runset_to_json(every_field_runset()).replace("0.81", "NaN")
    with pytest.raises(RunSetError, match="NaN is not a JSON number"):
        read_runset(_write(tmp_path, text))


HOSTILE = [
    ('{"schema": "seedgate.runset/1", "runs": [' + "9" * 5000 + "]}", "not a RunSet"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (_mutated(schema="seedgate.runset/0"), "expected exactly 'seedgate.runset/1'"),
    (_mutated(schema="seedgate.runset/\u0661"), "unknown RunSet schema"),
    (_mutated(schema="seedgate.runset/01"), "unknown RunSet schema"),
    (_mutated(schema="seedgate.runset/1 "), "unknown RunSet schema"),
    (_mutated(schema="seedgate.runset/" + "9" * 4000), "unknown RunSet schema"),
    (_mutated(commit="\ud800"), "field 'commit' holds an unpaired surrogate"),
    (_mutated(runs=[_run0(metrics={"acc\udc00": 0.5})]), "unpaired surrogate"),
    (_mutated(runs=[_run0(metrics={"acc\n::error::x": 0.5})]), "holds control"),
    (_mutated(runs=[_run0(metrics={"accuracy": 1.5e308})]), "is too large"),
    (_mutated(runs=[_run0(metrics={"accuracy": -1e308})]), "is too large"),
    (_mutated(runs=[_run0(seed=-1)]), "field 'seed' = -1, expected a whole number"),
    (_mutated(runs=[_run0(seed=2**70)]), "expected a whole number from 0"),
    (_mutated(runs=[_run0(duration_s=-3)]), "expected a time >= 0"),
    (_mutated(runs=[_run0(), _run0(index=1)]), "seed 0 appears in more than one run"),
    (_mutated(runs=[_run0(), _run0(seed=4)]), "index 0 appears in more than one run"),
    (_mutated(environment={"cpu": "\udfff"}), "environment must map strings to strings"),
    ('{"schema": "seedgate.runset/1", "runs": [], "x": Infinity}', "Infinity is not"),
]


@pytest.mark.parametrize(("text", "fragment"), HOSTILE)
def test_hostile_runsets_are_refused_with_a_runset_error(
    tmp_path: Path, text: str, fragment: str
) -> None:
    _refusal(tmp_path, text, fragment).encode("utf-8")  # printable as it is


def test_write_failures_name_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RunSetError, match=r"file/runs.json cannot be written"):
        write_runset(every_field_runset(), blocker / "runs.json")


def test_the_node_a_run_ran_on_is_kept_and_absent_for_local_runs(tmp_path: Path) -> None:
    local = every_field_runset()
    on_ray = dataclasses.replace(
        local, runs=tuple(dataclasses.replace(r, node=f"node-{r.index % 2}") for r in local.runs)
    )
    path = tmp_path / "ray.json"
    write_runset(on_ray, path)
    assert read_runset(path) == on_ray
    assert [r["node"] for r in json.loads(path.read_text())["runs"]] == [
        "node-0",
        "node-1",
        "node-0",
    ]
    assert all("node" not in r for r in runset_to_dict(local)["runs"])
