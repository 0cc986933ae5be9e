from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedgate.errors import RunSetError
from seedgate.records import RunResult, RunSet, RunStatus
from seedgate.runset.codec import read_runset, runset_to_dict, runset_to_json, write_runset


def _runset() -> RunSet:
    return RunSet(
        runs=(
            RunResult(0, 0, RunStatus.OK, {"accuracy": 0.81, "loss": 0.5}, 1.25, data_seed=7),
            RunResult(1, 1, RunStatus.FAILED, {}, 0.5, reason="exit code 1", log_tail="boom"),
            RunResult(2, 2, RunStatus.TIMED_OUT, {}, 9.0, reason="timed out after 9 s"),
        ),
        command="python train.py --seed {seed}",
        config_digest="sha256:abc",
        commit="0123abcd",
        environment={"python": "3.11.7", "cpu": "Xeon"},
        created_at="2026-11-29T00:00:00+00:00",
    )


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "runs.json"
    write_runset(_runset(), path)
    assert read_runset(path) == _runset()
    assert json.loads(path.read_text())["schema"] == "seedgate.runset/1"


def test_values_and_metric_names_use_successful_runs_only() -> None:
    runset = _runset()
    assert runset.values("accuracy") == (0.81,)
    assert runset.metric_names() == ("accuracy", "loss")
    assert [r.seed for r in runset.failed_runs] == [1, 2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runs.json"
    path.write_text(text)
    return path


def _mutated(**changes: object) -> str:
    data = runset_to_dict(_runset())
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (runset_to_json(_runset())[:120], "not valid JSON"),
        ("", "not valid JSON"),
        ('{"name": "package.json"}', "not a seedgate RunSet (schema is None"),
        ("[1, 2]", "expected a JSON object"),
        (_mutated(schema="seedgate.runset/2"), "newer than this seedgate reads"),
        (_mutated(schema="seedgate.runset/x"), "unknown RunSet schema"),
        (_mutated(command=5), "field 'command' = 5, expected a string"),
        (_mutated(runs=[{"index": 0}]), "runs[0]: missing field 'status'"),
        (
            _mutated(runs=[{**runset_to_dict(_runset())["runs"][0], "status": "weird"}]),
            "status 'weird', expected one of ok, failed, timed-out",
        ),
        (
            _mutated(
                runs=[{**runset_to_dict(_runset())["runs"][0], "metrics": {"accuracy": "hi"}}]
            ),
            "metric 'accuracy' = 'hi', expected a number",
        ),
        (_mutated(environment={"cpu": 3}), "environment must map strings to strings"),
    ],
)
def test_corrupt_files_are_clear_errors_naming_the_file(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RunSetError) as caught:
        read_runset(path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_binary_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RunSetError, match="not UTF-8"):
        read_runset(path)
    with pytest.raises(RunSetError, match="does not exist"):
        read_runset(tmp_path / "nope.json")


def test_nan_metric_in_file_is_rejected(tmp_path: Path) -> None:
    text = runset_to_json(_runset()).replace("0.81", "NaN")
    with pytest.raises(RunSetError, match="expected a finite number"):
        read_runset(_write(tmp_path, text))
