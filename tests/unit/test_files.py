"""Files for the next steps: atomic, and 0644 whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedgate.files import (
    FileTooLargeError,
    NotRegularFileError,
    read_regular,
    write_shared_text,
)


@pytest.fixture
def strict_umask() -> Iterator[None]:
    previous = os.umask(0o077)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("strict_umask")
def test_a_new_file_is_readable_by_everyone(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "baseline.json"
    write_shared_text(path, "{}\n")
    assert path.read_text(encoding="utf-8") == "{}\n"
    assert mode(path) == 0o644


def test_a_replaced_file_gets_the_mode_too(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o600)
    write_shared_text(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert mode(path) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("kept", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_shared_text(path, "\ud800")
    assert path.read_text(encoding="utf-8") == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_a_named_pipe_named_by_the_user_is_written_in_place_not_replaced(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "report-reader"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so the writer can open
    try:
        write_shared_text(fifo, "report\n", special_ok=True)
        assert os.read(reader, 100) == b"report\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_named_pipe_where_a_file_is_written_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "report.md"  # no reader: opening it to write would wait forever
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match="a named pipe, not a regular file"):
        write_shared_text(fifo, "report\n")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize("through_a_link", [False, True])
def test_a_named_pipe_is_never_read(tmp_path: Path, through_a_link: bool) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no writer: opening it to read would wait forever
    path = fifo
    if through_a_link:
        path = tmp_path / "metrics.json"
        path.symlink_to(fifo)
    with pytest.raises(NotRegularFileError) as caught:
        read_regular(path, limit=100)
    assert caught.value.strerror == "a named pipe, not a regular file"


def test_a_directory_is_not_read_as_a_file(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFileError, match="a directory, not a regular file"):
        read_regular(tmp_path, limit=100)


def test_reading_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    path.write_bytes(b"x" * 101)
    with pytest.raises(FileTooLargeError, match="larger than 100 bytes"):
        read_regular(path, limit=100)
    path.write_bytes(b"x" * 100)
    assert read_regular(path, limit=100) == b"x" * 100
