"""Main's history in a local directory (default ``.seedgate/history/``), one file a record.

One file per baseline, named by date, commit and digest (``seedgate.history.codec``), so
appending never rewrites a file, two writers never write the same one, and a directory
listing in name order is the history in date order. Files are read as untrusted: a name
that is not a record's, a link, or a file over the size cap is refused before it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seedgate.errors import HistoryError
from seedgate.files import write_shared_text
from seedgate.history.codec import (
    MAX_RECORD_BYTES,
    file_name_problem,
    record_file_name,
    record_from_bytes,
    record_to_json,
)
from seedgate.history.record import HistoryRecord

HISTORY_DIRECTORY = "history"


@dataclass(frozen=True)
class LocalHistory:
    directory: Path

    def describe(self) -> str:
        return str(self.directory)

    def append(self, record: HistoryRecord) -> Path:
        """Write the record's file (a record already there is left as it is)."""
        text = record_to_json(record)
        path = self.directory / record_file_name(record, text)
        if path.is_file():
            return path
        try:
            write_shared_text(path, text)
        except OSError as exc:
            raise HistoryError(f"history record {path} cannot be written: {exc.strerror}") from None
        return path

    def load(self) -> tuple[HistoryRecord, ...]:
        """Every record, oldest first; () when the directory does not exist."""
        if not self.directory.is_dir():
            return ()
        try:
            names = sorted(p.name for p in self.directory.iterdir() if not p.name.startswith("."))
        except OSError as exc:
            raise HistoryError(
                f"history {self.directory} cannot be listed: {exc.strerror}"
            ) from None
        return tuple(self._read(self.directory / name) for name in names)

    def _read(self, path: Path) -> HistoryRecord:
        problem = file_name_problem(path.name)
        if problem is not None:
            raise HistoryError(f"{self.directory}: {problem}; remove the file")
        if path.is_symlink() or not path.is_file():
            raise HistoryError(f"{path}: not a regular file; a history record must be one")
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_RECORD_BYTES + 1)
        except OSError as exc:
            raise HistoryError(f"{path} cannot be read: {exc.strerror}") from None
        return record_from_bytes(data, str(path))
