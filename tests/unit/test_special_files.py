"""A named pipe, a symlink to one, or an oversized file where seedgate reads: a clear error
in the layer's own terms, never a wait (a run can put any of them there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seedgate.config.settings import read_config_file
from seedgate.errors import ConfigError, RunSetError
from seedgate.run.metrics import InvalidMetricsError, metrics_from_file
from seedgate.runset import codec
from seedgate.runset.codec import read_runset


def named_pipe(tmp_path: Path, name: str, *, linked: bool = False) -> Path:
    fifo = tmp_path / (name + ".fifo" if linked else name)
    os.mkfifo(fifo)
    if not linked:
        return fifo
    link = tmp_path / name
    link.symlink_to(fifo)
    return link


@pytest.mark.parametrize("linked", [False, True])
def test_a_metrics_file_that_is_a_named_pipe_fails_the_run_with_the_reason(
    tmp_path: Path, linked: bool
) -> None:
    path = named_pipe(tmp_path, "metrics.json", linked=linked)
    with pytest.raises(InvalidMetricsError) as caught:
        metrics_from_file(path)
    assert str(caught.value) == (
        "$SEEDGATE_METRICS_FILE cannot be read: a named pipe, not a regular file"
    )


@pytest.mark.parametrize("linked", [False, True])
def test_a_runset_that_is_a_named_pipe_is_refused(tmp_path: Path, linked: bool) -> None:
    path = named_pipe(tmp_path, "baseline.json", linked=linked)
    with pytest.raises(RunSetError, match="cannot be read: a named pipe, not a regular file"):
        read_runset(path)


def test_a_runset_larger_than_the_cap_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codec, "MAX_RUNSET_FILE_BYTES", 1000)
    path = tmp_path / "baseline.json"
    path.write_bytes(b" " * 1001)
    with pytest.raises(RunSetError, match="cannot be read: larger than 1000 bytes"):
        read_runset(path)


def test_a_config_file_that_is_a_named_pipe_is_a_configuration_error(tmp_path: Path) -> None:
    path = named_pipe(tmp_path, "seedgate.toml")
    with pytest.raises(ConfigError, match="cannot be read: a named pipe, not a regular file"):
        read_config_file(path)


def test_a_config_nested_too_deeply_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "seedgate.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        read_config_file(path)
