"""A run's own output in the GitHub Actions log, so that a long run shows it is alive.

In GitHub Actions (``GITHUB_ACTIONS=true``) each run's stdout and stderr go to the log as
one collapsed group, before the line that says the run finished::

    ::group::seedgate: candidate run 3 (seed 2)
    ::stop-commands::seedgate-<32 random hex digits>
    ... the run's output ...
    ::seedgate-<the same digits>::
    ::endgroup::

The runner reads a line starting with ``::`` as a workflow command (``::error``,
``::add-mask::``, ``::set-output``); after ``::stop-commands::TOKEN`` it reads none until
the line ``::TOKEN::``, so what a run prints stays text. The token is new for every run
and made by the gate; the run never sees it, so it cannot end the fence early. Escapes
and control characters are removed from the run's lines as from all of seedgate's log.

With one run at a time the output is shown as it comes. With several at once their lines
would interleave and a group cannot hold two runs, so each run's output is kept in a
temporary file (at most ``BUFFER_LIMIT_BYTES``) and shown as one group when the run ends.
A warm worker's run (``entry``) writes to the worker's log file; its part of the file is
shown as one group when the run ends. Outside Actions a run's output is not shown (the
line per finished run is).
"""

from __future__ import annotations

import codecs
import enum
import re
import secrets
import tempfile
import threading
from collections.abc import Mapping
from typing import IO, TextIO

from seedgate.log_text import MAX_LINE_CHARS, one_line, plain, plain_lines

BUFFER_LIMIT_BYTES = 16 << 20  # of one run's output, when runs go in parallel
_COPY_BYTES = 64 * 1024
_BREAKS = (
    "\n",
    "\r",
    "\v",
    "\f",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
)  # splitlines'
_LINE_BREAK = re.compile("\r\n|[" + "".join(_BREAKS) + "]")  # one break, as splitlines sees it
_ASCII_BREAKS = ("\r", "\v", "\f", "\x1c", "\x1d", "\x1e")  # the ASCII ones but "\n"


class Streaming(enum.Enum):
    OFF = "off"  # not in Actions: only the line per finished run
    LIVE = "live"  # one run at a time: its output as it comes
    BUFFERED = "buffered"  # runs in parallel: each run's output when it ends


def streaming_for(environ: Mapping[str, str], *, jobs: int) -> Streaming:
    if environ.get("GITHUB_ACTIONS") != "true":
        return Streaming.OFF
    return Streaming.LIVE if jobs == 1 else Streaming.BUFFERED


def fence_token() -> str:
    return f"seedgate-{secrets.token_hex(16)}"


class FencedGroup:
    """One run's output written to ``out`` as a group fenced by a fresh stop-commands token."""

    def __init__(self, out: TextIO, title: str) -> None:
        self._out = out
        self._title = one_line(title)
        self._token = fence_token()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    def open(self) -> None:
        self._out.write(f"::group::{self._title}\n::stop-commands::{self._token}\n")
        self._out.flush()

    def feed(self, chunk: bytes) -> None:
        self._write(self._decoder.decode(chunk))

    def close(self, note: str | None = None) -> None:
        self._write(self._decoder.decode(b"", final=True))
        if self._pending:
            self._out.write(plain(self._pending) + "\n")
            self._pending = ""
        self._out.write(f"::{self._token}::\n")
        if note:
            self._out.write(one_line(note) + "\n")
        self._out.write("::endgroup::\n")
        self._out.flush()

    def _write(self, text: str) -> None:
        """Whole lines out (every line break as ``\\n``, cleaned as :func:`plain` does), the
        unfinished last line kept; the text is handled as one block, not line by line."""
        if not text:
            return
        text = self._pending + text
        end = max(text.rfind(mark) for mark in _BREAKS) + 1  # after the last line break
        whole, self._pending = text[:end], text[end:]
        pieces = []
        while len(self._pending) > MAX_LINE_CHARS:  # a line that never ends is cut in pieces
            pieces.append(plain(self._pending[:MAX_LINE_CHARS]) + "\n")
            self._pending = self._pending[MAX_LINE_CHARS:]
        if whole:
            pieces.insert(0, plain_lines(_one_kind_of_break(whole)))
        if pieces:
            self._out.write("".join(pieces))
            self._out.flush()


def _one_kind_of_break(text: str) -> str:
    """Every line break (as ``str.splitlines`` sees them, ``\\r\\n`` as one) as ``\\n``."""
    if text.isascii() and not any(mark in text for mark in _ASCII_BREAKS):
        return text  # the common case: only newlines, found without a substitution
    return _LINE_BREAK.sub("\n", text)


class RunOutput:
    """Where one run's output goes while it runs (``feed``), and its end (``finish``)."""

    def __init__(self, out: TextIO, title: str, *, live: bool, lock: threading.RLock) -> None:
        self._group = FencedGroup(out, title)
        self._lock = lock
        self._buffer: IO[bytes] | None = None
        self._kept = self._dropped = 0
        if live:
            self._group.open()
        else:
            self._buffer = tempfile.TemporaryFile(prefix="seedgate-output-")  # noqa: SIM115 - closed in finish

    def feed(self, chunk: bytes) -> None:
        if self._buffer is None:
            self._group.feed(chunk)
            return
        room = max(0, BUFFER_LIMIT_BYTES - self._kept)
        self._buffer.write(chunk[:room])
        self._kept += min(room, len(chunk))
        self._dropped += len(chunk) - min(room, len(chunk))

    def finish(self) -> None:
        """Close the group (live), or show the kept output as one whole group."""
        if self._buffer is None:
            self._group.close()
            return
        with self._lock, self._buffer:
            self._group.open()
            self._buffer.seek(0)
            while chunk := self._buffer.read(_COPY_BYTES):
                self._group.feed(chunk)
            note = (
                f"seedgate: {self._dropped} more bytes of output left out"
                if self._dropped
                else None
            )
            self._group.close(note)


class RunLog:
    """Makes a ``RunOutput`` per run, according to where seedgate runs (see the module)."""

    def __init__(self, out: TextIO | None, streaming: Streaming, lock: threading.RLock) -> None:
        self._out = out
        self._streaming = streaming
        self._lock = lock

    def start(self, title: str, *, live: bool = True) -> RunOutput | None:
        """The run's output place; ``live=False`` when its output comes only at its end."""
        if self._out is None or self._streaming is Streaming.OFF:
            return None
        live = live and self._streaming is Streaming.LIVE
        return RunOutput(self._out, title, live=live, lock=self._lock)
