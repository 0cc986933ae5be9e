"""Property-based: every untrusted input is accepted or refused with the layer's error.

Hypothesis mutates valid artifact zips, RunSets, noise files and metric objects (byte
flips, truncations, insertions, arbitrary JSON in every field). The examples are
derandomised and bounded, so the suite stays fast and stable in CI.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedgate.errors import RunSetError, StoreError
from seedgate.planning.noise import read_noise, write_noise
from seedgate.run.metrics import InvalidMetricsError, validate_metrics
from seedgate.runset.codec import (
    runset_from_bytes,
    runset_from_dict,
    runset_to_dict,
    runset_to_json,
)
from seedgate.store.github_artifact import extract_runset
from tests.testing.report_fixtures import regression_comparison
from tests.testing.runsets import every_field_runset

FAST = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FILE = "baseline.json"


VALID_JSON = runset_to_json(every_field_runset()).encode()


def _zip(payload: bytes, *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        archive.writestr(FILE, payload)
        archive.writestr("notes.txt", b"hello")
    return buffer.getvalue()


VALID_ZIP = _zip(VALID_JSON)
STORED_ZIP = _zip(VALID_JSON, method=zipfile.ZIP_STORED)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few bytes flipped, inserted or deleted, or cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "byte"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@FAST
@given(mutated(VALID_ZIP) | mutated(STORED_ZIP))
def test_mutated_artifact_zips_are_a_runset_or_a_store_error(data: bytes) -> None:
    try:
        extract_runset(data, FILE, "artifact 'seedgate-baseline' (1)")
    except (StoreError, RunSetError) as exc:
        str(exc).encode("utf-8")


@FAST
@given(mutated(VALID_JSON))
def test_mutated_runset_bytes_are_a_runset_or_a_runset_error(data: bytes) -> None:
    try:
        runset_from_bytes(data, "baseline.json")
    except RunSetError as exc:
        str(exc).encode("utf-8")


@FAST
@given(
    st.sampled_from(["schema", "runs", "command", "commit", "environment", "created_at"]),
    st.sampled_from(["index", "seed", "status", "metrics", "duration_s", "reason", "data_seed"]),
    JSON_VALUES,
)
def test_any_json_in_any_field_is_a_runset_or_a_runset_error(
    top: str, run_field: str, value: Any
) -> None:
    for in_run in (False, True):
        changed = runset_to_dict(every_field_runset())
        if in_run:
            changed["runs"][0][run_field] = value
        else:
            changed[top] = value
        try:
            runset_from_dict(changed, "baseline.json")
        except RunSetError as exc:
            str(exc).encode("utf-8")


@FAST
@given(st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5) | JSON_VALUES)
def test_any_metrics_object_is_metrics_or_an_invalid_metrics_error(raw: Any) -> None:
    try:
        metrics = validate_metrics(raw, source="stdout")
    except InvalidMetricsError as exc:
        str(exc).encode("utf-8")
    else:
        assert all(abs(v) <= 1e100 for v in metrics.values())


@pytest.fixture(scope="module")
def noise_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("noise") / "noise.json"
    write_noise(regression_comparison().noise, path)
    return path.read_bytes()


@FAST
@given(data=st.data())
def test_mutated_noise_files_are_read_or_a_runset_error(
    tmp_path: Path, noise_bytes: bytes, data: st.DataObject
) -> None:
    path = tmp_path / "noise.json"
    path.write_bytes(data.draw(mutated(noise_bytes)))
    try:
        read_noise(path)
    except RunSetError as exc:
        str(exc).encode("utf-8")


def _with_version_needed(archive: bytes, version: int) -> bytes:
    """Set "version needed to extract" in every local and central header."""
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        start = data.find(signature)
        while start >= 0:
            struct.pack_into("<H", data, start + offset, version)
            start = data.find(signature, start + 4)
    return bytes(data)


def test_a_zip_needing_version_21_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not a readable zip archive"):
        extract_runset(_with_version_needed(VALID_ZIP, 210), FILE, "artifact (1)")


def test_a_zip_whose_directory_points_before_the_file_is_a_store_error() -> None:
    data = bytearray(VALID_ZIP)
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<I", data, end + 12, 0xFFFFFF)  # central directory "size": too big
    with pytest.raises(StoreError):
        extract_runset(bytes(data), FILE, "artifact (1)")


def test_a_zip_holding_a_hostile_runset_is_a_runset_error() -> None:
    hostile = json.dumps({**runset_to_dict(every_field_runset()), "commit": "\ud800"}).encode()
    with pytest.raises(RunSetError, match="unpaired surrogate"):
        extract_runset(_zip(hostile), FILE, "artifact (1)")
