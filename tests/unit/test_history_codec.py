from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seedgate.errors import HistoryError
from seedgate.history.codec import (
    MAX_RECORD_BYTES,
    file_name_problem,
    record_file_name,
    record_from_bytes,
    record_to_dict,
    record_to_json,
)
from seedgate.history.record import (
    QUANTILE_LEVELS,
    environment_changes,
    record_from_runset,
)
from seedgate.records import Goal, RunSet
from seedgate.store.history_local import LocalHistory
from tests.testing.runsets import runset

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _runset(
    accuracy: list[float], *, tensorflow: str = "tensorflow 2.20.0", commit: str = COMMIT
) -> RunSet:
    """The successful runs' accuracies (loss 1 - accuracy) and one failed run after them."""
    return runset(
        {"accuracy": [*accuracy, 0.0], "loss": [1 - a for a in [*accuracy, 0.0]]},
        failed={len(accuracy)},
        commit=commit,
        environment={"python": "3.11.14", "tensorflow": tensorflow, "machine": "x86_64"},
        created_at="2026-12-03T13:00:00+00:00",
    )


def _record(**changes: Any) -> dict[str, Any]:
    raw = record_to_dict(record_from_runset(_runset([0.8, 0.82, 0.85, 0.9])))
    raw.update(changes)
    return raw


def test_a_record_keeps_counts_mean_sd_quantiles_and_the_fingerprint() -> None:
    values = [0.8, 0.82, 0.85, 0.9]
    record = record_from_runset(_runset(values), {"accuracy": Goal.MAXIMIZE})
    assert (record.commit, record.runs, record.failed_runs) == (COMMIT, 5, 1)
    accuracy = record.metric("accuracy")
    assert accuracy is not None
    assert accuracy.n == 4
    assert accuracy.mean == pytest.approx(np.mean(values))
    assert accuracy.sd == pytest.approx(np.std(values, ddof=1))
    assert accuracy.quantiles == pytest.approx(np.quantile(values, QUANTILE_LEVELS))
    assert accuracy.median == pytest.approx(0.835)
    assert accuracy.goal is Goal.MAXIMIZE
    loss = record.metric("loss")
    assert loss is not None
    assert loss.goal is None  # not configured: no direction recorded
    # only the reproducibility keys: "machine" is not one of them
    assert dict(record.environment) == {"python": "3.11.14", "tensorflow": "tensorflow 2.20.0"}


def test_json_round_trip_is_exact_and_compact() -> None:
    record = record_from_runset(_runset([0.8, 0.82, 0.85, 0.9]), {"accuracy": Goal.MAXIMIZE})
    text = record_to_json(record)
    assert text.count("\n") == 1
    assert len(text) < 1000
    assert record_from_bytes(text.encode(), "test") == record


def test_one_run_has_no_sd_and_round_trips_as_null() -> None:
    record = record_from_runset(_runset([0.8]))
    text = record_to_json(record)
    assert '"sd":null' in text
    back = record_from_bytes(text.encode(), "test").metric("accuracy")
    assert back is not None
    assert math.isnan(back.sd)


def test_file_names_sort_by_date_and_differ_per_record() -> None:
    early = record_from_runset(_runset([0.8, 0.9]))
    late = record_from_runset(
        dataclasses.replace(_runset([0.8, 0.9]), created_at="2026-12-04T01:00:00+01:00")
    )
    early_name = record_file_name(early, record_to_json(early))
    late_name = record_file_name(late, record_to_json(late))
    assert early_name.startswith("20261203T130000Z-0123456789ab-")
    assert late_name.startswith("20261204T000000Z-")  # UTC
    assert early_name < late_name
    assert file_name_problem(early_name) is None
    other = record_from_runset(_runset([0.7, 0.9]))
    assert record_file_name(other, record_to_json(other)) != early_name


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "20261203T130000Z-zz-0123456789.json",
        "x.json",
        "20261203T130000Z-nocommit-0123456789.json.exe",
    ],
)
def test_other_file_names_are_refused(name: str) -> None:
    assert file_name_problem(name) is not None


def _metric(**changes: Any) -> dict[str, Any]:
    raw = _record()
    raw["metrics"][0].update(changes)
    return raw


HOSTILE: list[tuple[str, object, str]] = [
    ("not an object", [], "JSON object"),
    ("another schema", _record(schema="seedgate.history/2"), "schema"),
    ("an unknown field", _record(extra=1), "unknown fields"),
    ("a missing field", {k: v for k, v in _record().items() if k != "runs"}, "lacks"),
    ("a commit that is not hex", _record(commit="main; rm -rf /"), "hex"),
    ("a date without a zone", _record(created_at="2026-12-03T13:00:00"), "time zone"),
    ("a date that is not one", _record(created_at="yesterday"), "ISO 8601"),
    ("more failed runs than runs", _record(failed_runs=99), "exceeds"),
    ("a boolean count", _record(runs=True), "whole number"),
    ("a huge count", _record(runs=10**30), "whole number"),
    ("a metric name with a line break", _metric(name="acc\nuracy"), "metric name"),
    ("a metric appearing twice", {**_record(), "metrics": _record()["metrics"][:1] * 2}, "twice"),
    ("a huge mean", _metric(mean=1e300), "finite"),
    ("a negative SD", _metric(sd=-1.0), "negative"),
    ("a missing SD with many runs", _metric(sd=None), "number"),
    ("quantiles out of order", _metric(quantiles=[1, 0, 0, 0, 0, 0, 0]), "order"),
    ("too few quantiles", _metric(quantiles=[0.5]), "quantiles"),
    ("a mean outside min and max", _metric(mean=5.0), "outside"),
    ("n above the successful runs", _metric(n=50), "exceeds"),
    ("an unknown goal", _metric(goal="sideways"), "goal"),
    ("an unknown fingerprint key", _record(environment={"token": "x"}), "does not record"),
    (
        "a fingerprint value with escapes",
        _record(environment={"gpu": "\x1b[31mred"}),
        "environment",
    ),
    ("too many metrics", _record(metrics=[_record()["metrics"][0]] * 101), "at most 100"),
]


@pytest.mark.parametrize(("label", "raw", "expected"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_records_are_refused_with_the_reason(
    label: str, raw: object, expected: str
) -> None:
    del label
    with pytest.raises(HistoryError, match=expected) as caught:
        record_from_bytes(json.dumps(raw).encode(), "records/x.json")
    assert str(caught.value).startswith("records/x.json: ")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xfe", "UTF-8"),
        (b'{"schema": NaN}', "NaN"),
        (b"[" * 60_000, "nested too deeply"),
        (b"{" + b" " * MAX_RECORD_BYTES + b"}", "more than a history record may hold"),
        (b'{"runs": 1' + b"0" * 5000 + b"}", "not a history record"),
    ],
)
def test_bytes_that_are_not_a_record_are_refused(data: bytes, expected: str) -> None:
    with pytest.raises(HistoryError, match=expected):
        record_from_bytes(data, "x")


def test_environment_changes_name_the_key_that_moved() -> None:
    records = tuple(
        record_from_runset(_runset([0.8, 0.9], tensorflow=tf))
        for tf in ("tensorflow 2.19.0", "tensorflow 2.19.0", "tensorflow 2.20.0")
    )
    changes = environment_changes(records)
    assert changes[:2] == ((), ())
    assert [(d.key, d.baseline, d.candidate) for d in changes[2]] == [
        ("tensorflow", "tensorflow 2.19.0", "tensorflow 2.20.0")
    ]


def test_local_history_appends_one_file_per_record_and_reads_them_in_date_order(
    tmp_path: Path,
) -> None:
    store = LocalHistory(tmp_path / "history")
    assert store.load() == ()
    first = record_from_runset(_runset([0.8, 0.9]))
    later = dataclasses.replace(first, created_at="2026-12-05T00:00:00+00:00")
    path_later = store.append(later)
    path_first = store.append(first)
    assert store.append(first) == path_first  # the same record twice: one file
    assert sorted(p.name for p in store.directory.iterdir()) == sorted(
        [path_first.name, path_later.name]
    )
    assert store.load() == (first, later)


def test_local_history_refuses_foreign_files_links_and_oversized_records(tmp_path: Path) -> None:
    store = LocalHistory(tmp_path)
    good = store.append(record_from_runset(_runset([0.8, 0.9])))
    stray = tmp_path / "notes.txt"
    stray.write_text("hello", encoding="utf-8")
    with pytest.raises(HistoryError, match=r"notes\.txt.*not a history record's name"):
        store.load()
    stray.unlink()
    link = tmp_path / good.name.replace("20261203", "20261204")
    link.symlink_to(good)
    with pytest.raises(HistoryError, match="not a regular file"):
        store.load()
    link.unlink()
    big = tmp_path / good.name.replace("20261203", "20261205")
    big.write_bytes(b" " * (MAX_RECORD_BYTES + 10))
    with pytest.raises(HistoryError, match="more than a history record may hold"):
        store.load()
