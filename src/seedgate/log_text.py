"""Text from data (metric names, run output, file contents) made safe for one log line.

The GitHub Actions runner reads every stdout line that starts with ``::`` as a workflow
command (``::error``, ``::add-mask::``, ``::stop-commands::``), and a terminal obeys ANSI
escapes. Anything seedgate prints that quotes data goes through ``one_line`` first, so a
metric named ``"acc\\n::error::forged"`` stays a piece of text inside seedgate's own line.

``name_problem`` is the stricter rule for names that identify things (metrics): they are
refused outright when they hold characters that cannot be shown on one line.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LINE_CHARS = 4000
MAX_NAME_CHARS = 200

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and two-character escapes (ESC x).
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_]?)")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_UNSHOWN = frozenset({"Cc", "Zl", "Zp", "Cs"})
# The same set as character classes (Cc: C0, DEL and C1; Zl; Zp; Cs; the bidi controls),
# so long text is cleaned at regex speed, not character by character.
_UNSHOWN_REST = "\x7f-\x9f\u2028\u2029\ud800-\udfff" + "".join(sorted(_BIDI))
_UNSHOWN_RE = re.compile(f"[\x00-\x1f{_UNSHOWN_REST}]")
_UNSHOWN_BUT_NEWLINE_RE = re.compile(f"[\x00-\x09\x0b-\x1f{_UNSHOWN_REST}]")
# Escapes as above, but an OSC never runs past the end of its line.
_ANSI_IN_LINE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-_]?)")


def _is_unshown(char: str) -> bool:
    """Controls (C0, DEL, C1), line/paragraph separators, surrogates, bidi overrides."""
    return unicodedata.category(char) in _UNSHOWN or char in _BIDI


def one_line(text: object, *, limit: int = MAX_LINE_CHARS) -> str:
    """``text`` as one printable line: escapes dropped, controls and breaks turned into
    spaces, at most ``limit`` characters, never starting with ``::`` (which the runner
    would read as a workflow command, also after leading spaces)."""
    line = plain(text).strip()
    if len(line) > limit:
        line = line[: max(0, limit - 1)] + "\u2026"
    if line.startswith("::"):
        line = "> " + line
    return line


def plain(text: object) -> str:
    """``text`` with escapes dropped and controls and breaks turned into spaces; nothing
    else changed (for a run's own output, shown between ``::stop-commands::`` fences)."""
    raw = _SURROGATE.sub("\ufffd", _ANSI.sub("", str(text)))
    return _UNSHOWN_RE.sub(" ", raw)


def plain_lines(text: str) -> str:
    """Whole lines (each ending in ``\\n``) through :func:`plain` at once, newlines kept."""
    if "\x1b" in text:
        text = _ANSI_IN_LINE.sub("", text)
    if text.isascii():  # the common case, at memory speed: bytes.translate
        return text.encode("ascii").translate(_ASCII_BUT_NEWLINE).decode("ascii")
    return _UNSHOWN_BUT_NEWLINE_RE.sub(" ", _SURROGATE.sub("\ufffd", text))


# ASCII's unshown characters (C0 controls but the newline, and DEL) as spaces.
_ASCII_BUT_NEWLINE = bytes(
    0x20 if (code < 0x20 and code != 0x0A) or code == 0x7F else code for code in range(256)
)


def safe_lines(text: object, *, limit: int = MAX_LINE_CHARS) -> str:
    """``text`` line by line through :func:`one_line` (blank lines dropped): for messages
    that may span lines, such as an error quoting a run's log tail."""
    lines = (one_line(line, limit=limit) for line in str(text).splitlines())
    return "\n".join(line for line in lines if line)


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a metric (None when it can): empty, too long, or holding
    control characters, line breaks, escapes or unpaired surrogates."""
    if not isinstance(name, str):
        return f"is a {type(name).__name__}, not text"
    if not name.strip():
        return "is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"is {len(name)} characters long, more than {MAX_NAME_CHARS}"
    bad = sorted({char for char in name if _is_unshown(char)})
    if bad:
        shown = ", ".join(f"U+{ord(char):04X}" for char in bad[:5])
        return f"holds control, line-break or unpaired surrogate characters ({shown})"
    return None


def has_surrogates(text: str) -> bool:
    """Whether ``text`` holds an unpaired surrogate, which no UTF-8 file can store."""
    return _SURROGATE.search(text) is not None
