"""A baseline kept in a local directory (default ``.seedgate/``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seedgate.errors import StoreError
from seedgate.records import RunSet
from seedgate.runset.codec import read_runset, write_runset

BASELINE_FILE = "baseline.json"


@dataclass(frozen=True)
class LocalStore:
    directory: Path

    @property
    def path(self) -> Path:
        return self.directory / BASELINE_FILE

    def describe(self) -> str:
        return str(self.path)

    def load(self) -> RunSet | None:
        if not self.path.exists():
            return None
        return read_runset(self.path)

    def save(self, runset: RunSet) -> Path:
        try:
            write_runset(runset, self.path)
        except OSError as exc:
            raise StoreError(f"cannot write the baseline to {self.path}: {exc.strerror}") from None
        return self.path
