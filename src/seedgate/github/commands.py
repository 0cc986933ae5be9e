"""Workflow commands and file commands of the GitHub Actions runner.

Stdout lines like ``::error title=T::message`` become annotations; ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` are files the runner reads after the step. A malformed
``GITHUB_OUTPUT`` fails the step, so multi-line values use a random delimiter that is
checked not to occur in the value.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

MAX_ANNOTATIONS_PER_KIND = 10  # the runner shows at most 10 of each kind per step
STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024


def escape_data(text: str) -> str:
    """Escape a command's message: ``%`` first, then CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as data, plus ``:`` and ``,`` which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_command(name: str, message: str, properties: Mapping[str, str] | None = None) -> str:
    props = ",".join(
        f"{key}={escape_property(value)}" for key, value in (properties or {}).items() if value
    )
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(message)}"


def add_mask(value: str) -> str:
    """The command that hides ``value`` in every later log line (one line per value line)."""
    return "\n".join(f"::add-mask::{line}" for line in value.splitlines() if line.strip())


class Annotations:
    """Emits ``::error``/``::warning``/``::notice`` lines, at most 10 of each kind."""

    KINDS = ("error", "warning", "notice")

    def __init__(self, out: TextIO, limit: int = MAX_ANNOTATIONS_PER_KIND) -> None:
        self._out = out
        self._limit = limit
        self._counts = dict.fromkeys(self.KINDS, 0)
        self.dropped = dict.fromkeys(self.KINDS, 0)

    def emit(self, kind: str, message: str, *, title: str = "") -> bool:
        """Write one annotation; False when the kind's limit was already reached."""
        if kind not in self._counts:
            raise ValueError(f"annotation kind {kind!r}; expected one of {self.KINDS}")
        if self._counts[kind] >= self._limit:
            self.dropped[kind] += 1
            return False
        self._counts[kind] += 1
        self._out.write(format_command(kind, message, {"title": title}) + "\n")
        self._out.flush()
        return True


def _delimiter(value: str) -> str:
    while True:
        candidate = f"ghadelimiter_{secrets.token_hex(16)}"
        if candidate not in value:
            return candidate


def format_output(name: str, value: str) -> str:
    """One ``GITHUB_OUTPUT`` entry: ``NAME=value``, or a delimited block when multi-line."""
    if not name or any(c in name for c in "=\r\n<"):
        raise ValueError(f"output name {name!r}: expected a plain name")
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = _delimiter(value)
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append step outputs to the runner's ``GITHUB_OUTPUT`` file."""
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        for name, value in outputs.items():
            handle.write(format_output(name, value))


def append_summary(path: Path, markdown: str) -> None:
    """Append Markdown to ``GITHUB_STEP_SUMMARY``; refuses what would pass the 1 MiB cap."""
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    size = path.stat().st_size if path.exists() else 0
    if size + len(text.encode("utf-8")) > STEP_SUMMARY_LIMIT_BYTES:
        raise ValueError(
            f"step summary would exceed {STEP_SUMMARY_LIMIT_BYTES} bytes; shorten it first"
        )
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
