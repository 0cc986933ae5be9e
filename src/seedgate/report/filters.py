"""Small pure filters that turn values into fragments safe to place in the Markdown report.

Everything the templates print goes through one of these. Text from runs (metric names,
failure reasons, commands, notes) can hold Markdown and HTML syntax; ``md_escape`` makes it
plain text in any inline position, table cells included. Numbers are formatted here too, so
their output is known to be safe and is marked as :class:`Markdown`.
"""

from __future__ import annotations

import math
import re

from seedgate.records import Interval


class Markdown(str):
    """Text already safe to place in the report as it is (escaped, or built by us)."""

    __slots__ = ()


# Control characters, line/paragraph separators and bidirectional overrides ("Trojan
# source"): none belongs in one line of a report.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BLOCK_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
# Characters that start inline syntax anywhere: code, emphasis, links, images, raw HTML,
# table cells, strikethrough, entities, GitHub math.
_ALWAYS_ESCAPED = frozenset("\\`*_[]<>|~!#$&")
# Characters that only matter at the start of a line (lists, setext headings).
_LEADING_ESCAPED = frozenset("-+=")
_ORDERED_LIST_START = re.compile(r"^(\d{1,9})([.)])(?= |$)")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?=//)")
_WWW = re.compile(r"(?<![A-Za-z0-9])([Ww][Ww][Ww])\.")
_BACKTICK_RUN = re.compile(r"`+")
_MERMAID_UNSAFE = re.compile(r"[^\w .,/%+=()-]")
_PERCENT_RUN = re.compile(r"%+")  # "%%" starts a Mermaid comment or directive
_NEGATIVE_ZERO = re.compile(r"-0(\.0*)?")
# GitHub turns @name into a mention that notifies the user; a zero-width space after the
# @ keeps the text as it reads and stops the notification (the habit of Renovate's bot).
_AT = "@&#8203;"
ELLIPSIS = "\u2026"
NOT_AVAILABLE = "n/a"


def clip(text: str, max_len: int) -> str:
    """The text cut to max_len characters, ending with an ellipsis when cut."""
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    if len(text) <= max_len:
        return text
    return text[: max_len - 1] + ELLIPSIS


def single_spaced(value: object) -> str:
    """str(value) with control characters and runs of whitespace folded into one space."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", str(value))).strip()


def _starts_block(text: str) -> bool:
    """Whether a leading - + = would start a list item, a thematic break or a heading line."""
    return text[1:2] in ("", " ") or not text.replace(text[0], "").strip()


def md_escape(value: object, max_len: int | None = None) -> Markdown:
    """Plain text for any inline position (paragraph, heading, emphasis, table cell).

    Newlines become spaces (a newline would end a table row), every character that
    opens inline syntax is backslash-escaped, and a leading list/heading marker too.
    """
    text = single_spaced(value)
    if max_len is not None:
        text = clip(text, max_len)
    out = [_AT if ch == "@" else "\\" + ch if ch in _ALWAYS_ESCAPED else ch for ch in text]
    if out and out[0] in _LEADING_ESCAPED and _starts_block(text):
        out[0] = "\\" + out[0]
    escaped = "".join(out)
    match = _ORDERED_LIST_START.match(escaped)
    if match:
        escaped = f"{match.group(1)}\\{match.group(2)}{escaped[match.end(2) :]}"
    # GitHub links bare "scheme://..." and "www." text; an escape keeps it plain text.
    escaped = _URL_SCHEME.sub(r"\1\\:", escaped)
    return Markdown(_WWW.sub(r"\1\\.", escaped))


def longest_backtick_run(text: str) -> int:
    return max((len(m.group()) for m in _BACKTICK_RUN.finditer(text)), default=0)


def code_fence(text: object, info: str = "text") -> Markdown:
    """A fenced code block that nothing inside the text can close.

    The fence is longer than any run of backticks in the text. It must be placed at the
    start of a line in the template; its content is shown verbatim.
    """
    body = str(text).replace("\r\n", "\n").replace("\r", "\n")
    body = _BLOCK_CONTROL.sub("\ufffd", body).rstrip("\n")
    fence = "`" * max(3, longest_backtick_run(body) + 1)
    safe_info = re.sub(r"[^A-Za-z0-9_+-]", "", info)
    return Markdown(
        f"{fence}{safe_info}\n{body}\n{fence}" if body else f"{fence}{safe_info}\n{fence}"
    )


def tail_lines(text: object, max_lines: int = 40, max_chars: int = 4000) -> str:
    """The last lines of a log, at most max_lines lines and about max_chars characters."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    kept = lines[-max_lines:]
    while len(kept) > 1 and sum(len(line) + 1 for line in kept) > max_chars:
        kept = kept[1:]
    notes = []
    if len(kept) < len(lines):
        notes.append(f"{len(lines) - len(kept)} earlier lines left out")
    if len(kept[0]) > max_chars:
        kept[0] = ELLIPSIS + kept[0][-max_chars:]
        notes.append(f"first line cut to its last {max_chars} characters")
    if notes:
        kept.insert(0, f"{ELLIPSIS} ({'; '.join(notes)})")
    return "\n".join(kept)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def decimals_for_spread(spread: float | None, significant: int = 2) -> int | None:
    """Decimal places that show `significant` digits of the spread (None: unknown spread)."""
    if spread is None or not math.isfinite(spread) or spread <= 0:
        return None
    return min(12, max(0, significant - 1 - math.floor(math.log10(spread))))


def _significant(value: float, digits: int) -> str:
    magnitude = abs(value)
    if magnitude != 0 and (magnitude >= 1e7 or magnitude < 1e-3):
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return f"{_strip_zeros(mantissa)}e{int(exponent)}"
    decimals = 0 if magnitude == 0 else max(0, digits - 1 - math.floor(math.log10(magnitude)))
    return _strip_zeros(f"{value:.{decimals}f}")


def _strip_zeros(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_number(value: float | None, decimals: int | None = None) -> Markdown:
    """A number with the given decimal places, or 4 significant digits when None."""
    if value is None or not _is_number(value) or math.isnan(value):
        return Markdown(NOT_AVAILABLE)
    if math.isinf(value):
        return Markdown("\u221e" if value > 0 else "-\u221e")
    text = f"{value:.{decimals}f}" if decimals is not None else _significant(float(value), 4)
    if _NEGATIVE_ZERO.fullmatch(text):
        text = text[1:]  # "-0.000" reads as a sign that is not there
    return Markdown(text)


def fmt_signed(value: float | None, decimals: int | None = None) -> Markdown:
    """Like fmt_number, with a leading + on positive values (differences)."""
    text = fmt_number(value, decimals)
    if value is not None and _is_number(value) and value > 0 and not text.startswith("-"):
        return Markdown("+" + text)
    return text


def fmt_interval(interval: Interval | None, decimals: int | None = None) -> Markdown:
    """[low, high], or n/a when the interval is missing or undefined."""
    if interval is None or (math.isnan(interval.low) and math.isnan(interval.high)):
        return Markdown(NOT_AVAILABLE)
    low = fmt_number(interval.low, decimals)
    high = fmt_number(interval.high, decimals)
    return Markdown(f"[{low}, {high}]")


def fmt_pct(value: float | None, digits: int = 1, signed: bool = False) -> Markdown:
    """A fraction as a percentage: 0.0123 -> 1.2% (or +1.2% when signed)."""
    if value is None or not _is_number(value) or not math.isfinite(value):
        return Markdown(NOT_AVAILABLE)
    text = f"{value * 100:.{digits}f}"
    if _NEGATIVE_ZERO.fullmatch(text):
        text = text[1:]
    elif signed and value > 0:
        text = "+" + text
    return Markdown(text + "%")


def fmt_p(value: float | None) -> Markdown:
    """A p-value: three decimals, or <0.001."""
    if value is None or not _is_number(value) or math.isnan(value):
        return Markdown(NOT_AVAILABLE)
    if value < 0.001:
        return Markdown("<0.001")
    return Markdown(f"{min(value, 1.0):.3f}")


def fmt_probability(value: float | None) -> Markdown:
    if value is None or not _is_number(value) or math.isnan(value):
        return Markdown(NOT_AVAILABLE)
    return Markdown(f"{value:.2f}")


def fmt_z(value: float | None) -> Markdown:
    """A z statistic with two decimals."""
    if value is None or not _is_number(value) or math.isnan(value):
        return Markdown(NOT_AVAILABLE)
    if math.isinf(value):
        return Markdown("\u221e" if value > 0 else "-\u221e")
    text = f"{value:.2f}"
    return Markdown(text[1:] if _NEGATIVE_ZERO.fullmatch(text) else text)


def mermaid_label(value: object, max_len: int = 60) -> str:
    """Text for a quoted Mermaid label: no quotes, brackets, newlines, HTML or comments."""
    text = _PERCENT_RUN.sub("%", _MERMAID_UNSAFE.sub(" ", single_spaced(value)))
    text = _SPACES.sub(" ", text).strip()
    return clip(text, max_len) if text else "value"
