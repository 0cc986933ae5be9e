from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedgate.run.metrics import (
    ByteTail,
    ContractProblem,
    InvalidMetricsError,
    JsonLineTracker,
    collect_metrics,
    contract_break,
    last_json_object,
    metrics_from_file,
    read_reported,
    tail_text,
    validate_metrics,
)
from tests.testing.runsets import failed_run, run_result


def test_valid_metrics_become_floats_in_order() -> None:
    metrics = validate_metrics({"accuracy": 0.9, "epochs": 3}, source="stdout")
    assert metrics == {"accuracy": 0.9, "epochs": 3.0}
    assert list(metrics) == ["accuracy", "epochs"]
    assert all(isinstance(v, float) for v in metrics.values())


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"ok": True}, "'ok' in stdout is not a number: True; no field is a number"),
        ({"model": "rf", "tags": [1]}, "'model' in stdout is not a number: 'rf'; no field"),
        ({"loss": float("nan")}, "'loss' in stdout is NaN"),
        ({"loss": float("inf")}, "'loss' in stdout is infinite"),
        ({"loss": float("-inf")}, "'loss' in stdout is infinite"),
        ({}, "empty object"),
        ([0.9], "are list, expected a JSON object"),
        ({"": 1.0}, "metric name '' in stdout"),
    ],
)
def test_invalid_metrics_are_rejected_with_the_reason(raw: object, fragment: str) -> None:
    with pytest.raises(InvalidMetricsError) as caught:
        validate_metrics(raw, source="stdout")
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "value", ["0.9", {"top1": 0.9}, [0.9], None, True], ids=["str", "dict", "list", "None", "bool"]
)
def test_a_configured_metric_must_be_a_number(value: object) -> None:
    with pytest.raises(InvalidMetricsError) as caught:
        validate_metrics({"accuracy": value, "loss": 0.2}, source="stdout", required=["accuracy"])
    assert "'accuracy' in stdout is not a number" in str(caught.value)
    assert caught.value.problem is ContractProblem.INVALID


def test_fields_that_are_not_numbers_are_set_aside_and_named() -> None:
    raw = {"accuracy": 0.9, "model": "rf", "ok": True, "tags": ["a"], "loss": 0.2}
    reported = read_reported(raw, source="stdout", required=["accuracy"])
    assert reported.metrics == {"accuracy": 0.9, "loss": 0.2}
    assert reported.ignored == ("model", "ok", "tags")


def test_a_python_dict_printed_is_named_with_its_line(tmp_path: Path) -> None:
    tracker = JsonLineTracker()
    tracker.feed(b"epoch 1\n{'accuracy': 0.9}\n")
    tracker.close()
    assert tracker.last is None
    with pytest.raises(InvalidMetricsError) as caught:
        collect_metrics(tmp_path / "none.json", None, near_miss=tracker.near_miss)
    assert caught.value.problem is ContractProblem.NOT_JSON
    assert caught.value.line == "{'accuracy': 0.9}"
    assert "print json.dumps(metrics)" in str(caught.value)


def test_missing_required_metric_is_named() -> None:
    with pytest.raises(InvalidMetricsError, match=r"'loss' missing in stdout; reported: accuracy"):
        validate_metrics({"accuracy": 0.9}, source="stdout", required=("accuracy", "loss"))


def test_last_json_object_line_wins() -> None:
    lines = [
        '{"accuracy": 0.1}',
        "epoch 2",
        '{"accuracy": 0.8, "loss": 0.4}',
        "[1, 2]",
        "{not json}",
        '"text"',
        "done",
    ]
    text = "\n".join(lines)
    assert last_json_object(text) == {"accuracy": 0.8, "loss": 0.4}
    assert last_json_object("no json here\n[1]\n") is None
    assert last_json_object('  {"a": 1}  \r\n') == {"a": 1}


def test_nan_token_in_stdout_is_parsed_then_rejected() -> None:
    found = last_json_object('{"loss": NaN}')
    assert found is not None
    with pytest.raises(InvalidMetricsError, match="NaN"):
        validate_metrics(found, source="stdout")


def test_tracker_matches_whole_text_however_chunked() -> None:
    text = b'log line\n{"a": 1}\npartial {"b": 2}\n{"c": 3, "d": [1]}\ntrailing'
    for size in (1, 2, 5, 7, len(text)):
        tracker = JsonLineTracker()
        for start in range(0, len(text), size):
            tracker.feed(text[start : start + size])
        tracker.close()
        assert tracker.last == {"c": 3, "d": [1]}


def test_tracker_reads_a_final_line_without_newline() -> None:
    tracker = JsonLineTracker()
    tracker.feed(b'noise\n{"a": 2}')
    assert tracker.last is None
    tracker.close()
    assert tracker.last == {"a": 2}


def test_tracker_skips_an_over_long_line_but_not_the_next_one() -> None:
    tracker = JsonLineTracker()
    tracker.feed(b"{" + b"x" * (2 << 20))
    tracker.feed(b'"}\n{"a": 5}\n')
    tracker.close()
    assert tracker.last == {"a": 5}


def test_metrics_file_absent_or_empty_means_not_written(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    assert metrics_from_file(path) is None
    path.write_text("  \n", encoding="utf-8")
    assert metrics_from_file(path) is None


def test_metrics_file_with_bad_json_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text("{accuracy: 0.9}", encoding="utf-8")
    with pytest.raises(InvalidMetricsError, match="SEEDGATE_METRICS_FILE is not valid JSON"):
        metrics_from_file(path)


def test_collect_prefers_the_file_over_stdout(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"accuracy": 0.7}), encoding="utf-8")
    assert collect_metrics(path, {"accuracy": 0.1}).metrics == {"accuracy": 0.7}
    path.unlink()
    assert collect_metrics(path, {"accuracy": 0.1}).metrics == {"accuracy": 0.1}


def test_collect_without_any_metrics_explains_the_contract(tmp_path: Path) -> None:
    with pytest.raises(InvalidMetricsError, match=r"reported no metrics.*SEEDGATE_METRICS_FILE"):
        collect_metrics(tmp_path / "none.json", None)


def test_tail_keeps_last_lines_and_final_progress_state() -> None:
    lines = [f"line {i}" for i in range(100)]
    tail = tail_text(("\n".join(lines) + "\n\n").encode(), max_lines=40)
    assert tail.splitlines() == lines[-40:]
    progress = b"epoch 1\n 10/100\r 50/100\r100/100 done\nTraceback: boom\n"
    assert tail_text(progress) == "epoch 1\n100/100 done\nTraceback: boom"
    assert len(tail_text(b"x" * 10000, max_chars=4096)) == 4096


def test_byte_tail_keeps_exactly_the_last_bytes() -> None:
    tail = ByteTail(limit=10)
    stream = b"".join(str(i).encode() for i in range(1000))
    for start in range(0, len(stream), 7):
        tail.feed(stream[start : start + 7])
    assert tail.value() == stream[-10:]


def test_an_oversized_metrics_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    with path.open("wb") as handle:
        handle.write(b'{"accuracy": 0.5' + b" " * (16 << 20) + b"}")
    with pytest.raises(InvalidMetricsError, match="larger than"):
        metrics_from_file(path)


@pytest.mark.parametrize(
    ("raw", "required"),
    [
        ({"accuracy": 0.9}, ("loss",)),
        ({"accuracy": float("nan")}, ()),
        ({"accuracy": "0.9"}, ("accuracy",)),
        ({"model": "rf"}, ()),
        ({}, ()),
        ([0.9], ()),
    ],
)
def test_a_failed_run_says_which_contract_it_broke_by_its_reason(
    raw: object, required: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidMetricsError) as caught:
        validate_metrics(raw, source="the last JSON line of stdout", required=required)
    failed = failed_run(0, 0, str(caught.value), f"epoch 3\n{json.dumps(raw)}\n")
    found = contract_break(failed)
    assert found is not None
    assert found.problem is caught.value.problem
    assert found.line == (json.dumps(raw) if isinstance(raw, dict) and raw else None)


def test_a_python_dict_and_a_crash_are_told_apart(tmp_path: Path) -> None:
    with pytest.raises(InvalidMetricsError) as caught:
        collect_metrics(tmp_path / "none.json", None, near_miss="{'accuracy': 0.9}")
    printed = failed_run(0, 0, str(caught.value), "training\n{'accuracy': 0.9}")
    assert contract_break(printed) == (
        ContractProblem.NOT_JSON,
        str(caught.value),
        "{'accuracy': 0.9}",
    )
    assert contract_break(failed_run(1, 1, "exited with code 1", "Traceback")) is None
    assert contract_break(run_result(2, {"accuracy": 0.9})) is None
