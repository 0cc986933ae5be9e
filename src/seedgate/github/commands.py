"""Workflow commands and file commands of the GitHub Actions runner.

Stdout lines like ``::error title=T::message`` become annotations; ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` are files the runner reads after the step. A malformed
``GITHUB_OUTPUT`` fails the step, so multi-line values use a random delimiter that is
checked not to occur in the value.

The training command must not write these files: its environment lacks their variables,
but inside a container they sit in a mounted folder whose names it could guess. So the
gate owns them (``FileCommands``): it takes their contents before the first run, and
every write rewrites each file as that snapshot plus the gate's own content, which
drops whatever a run appended (the runs are all dead by then). A failed write is an
``OutputError`` naming the file.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from seedgate.errors import OutputError

MAX_ANNOTATIONS_PER_KIND = 10  # the runner shows at most 10 of each kind per step
STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024
FILE_COMMANDS = (
    "GITHUB_OUTPUT",
    "GITHUB_ENV",
    "GITHUB_PATH",
    "GITHUB_STATE",
    "GITHUB_STEP_SUMMARY",
)
MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024  # what the gate keeps of a file from before its runs
_DESCRIPTIONS = {"GITHUB_OUTPUT": "step outputs file", "GITHUB_STEP_SUMMARY": "step summary"}
CUT_NOTE = "\n\n_(seedgate cut this summary at the runner's 1 MiB limit)_\n"


def escape_data(text: str) -> str:
    """Escape a command's message: ``%`` first, then CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as data, plus ``:`` and ``,`` which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str, properties: Mapping[str, str] | None = None) -> str:
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

    def emit_each(self, notes: Iterable[tuple[str, str, str]]) -> None:
        """Write each (kind, message, title), as ``report.annotations`` words them."""
        for kind, message, title in notes:
            self.emit(kind, message, title=title)

    def emit(self, kind: str, message: str, *, title: str = "") -> bool:
        """Write one annotation; False when the kind's limit was already reached."""
        if kind not in self._counts:
            raise ValueError(f"annotation kind {kind!r}; expected one of {self.KINDS}")
        if self._counts[kind] >= self._limit:
            self.dropped[kind] += 1
            return False
        self._counts[kind] += 1
        self._out.write(workflow_command(kind, message, {"title": title}) + "\n")
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
    text = "".join(format_output(name, value) for name, value in outputs.items())
    try:
        with path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"step outputs file {path} cannot be written: {exc.strerror}") from None


def capped_summary(markdown: str, limit_bytes: int = STEP_SUMMARY_LIMIT_BYTES) -> str:
    """``markdown`` ending in a newline, cut at a line end to fit ``limit_bytes`` in UTF-8."""
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    data = text.encode("utf-8")
    if len(data) <= limit_bytes:
        return text
    room = limit_bytes - len(CUT_NOTE.encode("utf-8"))
    head = data[: max(0, room)].decode("utf-8", errors="ignore")
    return head[: head.rfind("\n") + 1] + CUT_NOTE


def append_summary(path: Path, markdown: str) -> None:
    """Append Markdown to ``GITHUB_STEP_SUMMARY``, what the gate writes capped at 1 MiB.

    Never refuses because of what others wrote before; a failed write is an OutputError.
    """
    try:
        with path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(capped_summary(markdown))
    except OSError as exc:
        raise OutputError(f"step summary {path} cannot be written: {exc.strerror}") from None


@dataclass
class FileCommands:
    """The runner's file commands, owned by the gate for the whole step.

    Take it (``FileCommands.take(os.environ)``) before the first run; write outputs and
    the summary through it; call ``restore`` at the end when nothing else was written.
    """

    paths: dict[str, Path]
    snapshot: dict[str, bytes]
    own: dict[str, str] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)  # reported once, then left alone

    @classmethod
    def take(cls, environ: Mapping[str, str]) -> FileCommands:
        paths = {name: Path(environ[name]) for name in FILE_COMMANDS if environ.get(name)}
        return cls(paths, {name: _read_start(path) for name, path in paths.items()})

    def write_outputs(self, outputs: Mapping[str, str]) -> None:
        text = "".join(format_output(name, value) for name, value in outputs.items())
        self.own["GITHUB_OUTPUT"] = self.own.get("GITHUB_OUTPUT", "") + text
        self.restore()

    def append_summary(self, markdown: str) -> None:
        """Add to the gate's summary; all the gate writes there stays within 1 MiB."""
        joined = self.own.get("GITHUB_STEP_SUMMARY", "") + markdown
        self.own["GITHUB_STEP_SUMMARY"] = capped_summary(joined)
        self.restore()

    @property
    def has_summary(self) -> bool:
        return "GITHUB_STEP_SUMMARY" in self.paths

    def summary_room(self, limit_bytes: int) -> int:
        """Bytes left under ``limit_bytes`` for the gate's summary: what the file held when
        taken and what the gate wrote since count, never what a run appended to it."""
        before = len(self.snapshot.get("GITHUB_STEP_SUMMARY", b""))
        return limit_bytes - before - len(self.own.get("GITHUB_STEP_SUMMARY", "").encode("utf-8"))

    def restore(self) -> None:
        """Rewrite every file as it was when taken, plus what the gate wrote since.

        A file that cannot be written is reported once (an ``OutputError`` naming it) and
        left alone afterwards; the others are still written.
        """
        failures: list[OutputError] = []
        for name, path in self.paths.items():
            if name in self.failed:
                continue
            content = self.snapshot[name] + self.own.get(name, "").encode("utf-8")
            try:
                _rewrite(path, content, name)
            except OutputError as exc:
                self.failed.add(name)
                failures.append(exc)
        if failures:
            raise failures[0]


def _read_start(path: Path) -> bytes:
    """What the file held before the gate's runs; nothing when it cannot be read (writing
    it will then fail, and name it, when the gate has something to say there)."""
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_SNAPSHOT_BYTES)
    except OSError:
        return b""


def _describe(name: str) -> str:
    return _DESCRIPTIONS.get(name, f"{name} file")


def _rewrite(path: Path, content: bytes, name: str) -> None:
    """Replace the file's content; a symbolic link put in its place is replaced, never
    followed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            path.unlink()
            fd = os.open(path, flags, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
    except OSError as exc:
        raise OutputError(f"{_describe(name)} {path} cannot be written: {exc.strerror}") from None
