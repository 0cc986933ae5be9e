"""Files for the next steps: atomic, and 0644 whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedgate.files import write_shared_text


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


def test_a_named_pipe_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "report-reader"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so the writer can open
    try:
        write_shared_text(fifo, "report\n")
        assert os.read(reader, 100) == b"report\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
