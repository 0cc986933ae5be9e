"""Where baselines live. Each store loads the newest baseline RunSet, or None."""

from __future__ import annotations

from typing import Protocol

from seedgate.records import RunSet


class BaselineStore(Protocol):
    def load(self) -> RunSet | None:
        """The baseline RunSet, or None when none has been made yet."""

    def describe(self) -> str:
        """Where the store looks, for messages."""
