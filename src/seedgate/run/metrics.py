"""How a run reports its metrics, and what counts as valid.

A run writes a JSON object ``{"name": number, ...}`` to ``$SEEDGATE_METRICS_FILE``, or
else prints it as the last line of stdout that is a JSON object. Values must be finite
real numbers of sane magnitude (``|x| <= 1e100``: not booleans, strings, lists or
objects, not NaN or infinity), so no sum or product in the statistics can overflow; names
are one line of printable text (see ``seedgate.log_text.name_problem``).

Nothing here raises past its callers: invalid metrics become an ``InvalidMetricsError``
whose message is the reason recorded on the failed run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from seedgate.files import FileTooLargeError, read_regular
from seedgate.log_text import name_problem

METRICS_FILE_ENV = "SEEDGATE_METRICS_FILE"  # where a run may write its metrics
NO_METRICS_HINT = (
    'write a JSON object like {"accuracy": 0.91} to $SEEDGATE_METRICS_FILE, '
    "or print it as the last JSON line of stdout"
)
MAX_MAGNITUDE = 1e100  # far beyond any real metric; sums of squares stay finite
_MAX_PENDING_LINE = 1 << 20  # longer lines without a newline cannot be a metrics line
MAX_METRICS_FILE_BYTES = 16 << 20


class InvalidMetricsError(ValueError):
    """The run's reported metrics are missing or malformed; the message says why."""


def _preview(value: object) -> str:
    """A short one-line rendering of data for a message (``ascii`` escapes controls)."""
    text = ascii(value)
    return text if len(text) <= 60 else text[:57] + "..."


def metric_problem(name: object, value: object, source: str) -> str | None:
    """Why ``name = value`` from ``source`` is not a valid metric (None when it is)."""
    problem = name_problem(name)
    if problem is not None:
        return f"metric name {_preview(name)} in {source} {problem}"
    what = f"metric {_preview(name)} in {source}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{what} is not a number: {_preview(value)}"
    try:
        number = float(value)
    except OverflowError:
        return f"{what} is too large (|value| > {MAX_MAGNITUDE:g})"
    if math.isnan(number):
        return f"{what} is NaN"
    if math.isinf(number):
        return f"{what} is infinite ({number})"
    if abs(number) > MAX_MAGNITUDE:
        return f"{what} = {number:g} is too large (|value| > {MAX_MAGNITUDE:g})"
    return None


def validate_metrics(raw: object, *, source: str, required: Iterable[str] = ()) -> dict[str, float]:
    """Check a decoded metrics object and return it as ``{name: float}``.

    ``source`` names where it came from (for the message), e.g. "stdout".
    """
    if not isinstance(raw, Mapping):
        raise InvalidMetricsError(
            f"metrics in {source} are {type(raw).__name__}, expected a JSON object"
        )
    if not raw:
        raise InvalidMetricsError(f"metrics in {source} are an empty object")
    metrics: dict[str, float] = {}
    for name, value in raw.items():
        problem = metric_problem(name, value, source)
        if problem is not None:
            raise InvalidMetricsError(problem)
        metrics[name] = float(value)
    missing = [name for name in required if name not in metrics]
    if missing:
        reported = ", ".join(metrics)  # names are validated: one printable line each
        raise InvalidMetricsError(
            f"required metric(s) {', '.join(_preview(m) for m in missing)} missing in "
            f"{source}; reported: {reported}"
        )
    return metrics


def _as_json_object(line: str) -> dict[str, object] | None:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def last_json_object(text: str) -> dict[str, object] | None:
    """The last line of ``text`` that is a JSON object, decoded; None if there is none."""
    for line in reversed(text.splitlines()):
        found = _as_json_object(line)
        if found is not None:
            return found
    return None


class JsonLineTracker:
    """Remembers the last JSON-object line of a byte stream fed in chunks.

    Keeps only the unfinished line and the last object found, so a run may print
    any amount of output.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._skipping = False  # inside an over-long line: ignore it up to its newline
        self.last: dict[str, object] | None = None

    def feed(self, chunk: bytes) -> None:
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            self._pending += chunk
            self._trim_pending()
            return
        data = bytes(self._pending) + chunk if self._pending else chunk
        cut += len(data) - len(chunk)
        whole, self._pending = data[:cut], bytearray(data[cut:])
        if self._skipping:  # the end of an over-long line
            self._skipping = False
            whole = whole[whole.find(b"\n") + 1 :]
        # Only the last object counts: look from the end, and stop at the first one found.
        if b"{" in whole:
            for line in reversed(whole.split(b"\n")):
                if b"{" in line and (found := _as_json_object(_text(line))) is not None:
                    self.last = found
                    break
        self._trim_pending()

    def close(self) -> None:
        """Consider the final line that ended without a newline."""
        if self._pending and not self._skipping:
            self._consider(bytes(self._pending))
        self._pending.clear()
        self._skipping = False

    def _trim_pending(self) -> None:
        if len(self._pending) > _MAX_PENDING_LINE:
            self._pending.clear()
            self._skipping = True

    def _consider(self, line: bytes) -> None:
        if b"{" not in line:
            return
        found = _as_json_object(_text(line))
        if found is not None:
            self.last = found


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace")


def metrics_from_file(path: Path, *, required: Iterable[str] = ()) -> dict[str, float] | None:
    """The metrics the run wrote to ``path``; None when it wrote nothing there."""
    try:
        text = read_regular(path, limit=MAX_METRICS_FILE_BYTES).decode("utf-8")
    except FileNotFoundError:
        return None
    except FileTooLargeError:
        raise InvalidMetricsError(
            f"$SEEDGATE_METRICS_FILE is larger than {MAX_METRICS_FILE_BYTES} bytes"
        ) from None
    except OSError as exc:
        raise InvalidMetricsError(
            f"$SEEDGATE_METRICS_FILE cannot be read: {exc.strerror}"
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidMetricsError(f"$SEEDGATE_METRICS_FILE cannot be read: {exc}") from None
    if not text.strip():
        return None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidMetricsError(f"$SEEDGATE_METRICS_FILE is not valid JSON: {exc}") from None
    return validate_metrics(raw, source="$SEEDGATE_METRICS_FILE", required=required)


def collect_metrics(
    metrics_file: Path,
    stdout_object: dict[str, object] | None,
    *,
    required: Iterable[str] = (),
) -> dict[str, float]:
    """The metrics file if the run wrote one, else the last JSON object line of stdout."""
    wanted = tuple(required)
    from_file = metrics_from_file(metrics_file, required=wanted)
    if from_file is not None:
        return from_file
    if stdout_object is None:
        raise InvalidMetricsError(f"the run reported no metrics: {NO_METRICS_HINT}")
    return validate_metrics(stdout_object, source="the last JSON line of stdout", required=wanted)


def tail_text(data: bytes, *, max_lines: int = 40, max_chars: int = 4096) -> str:
    """The last lines of a run's output as a terminal would show them.

    Carriage-return progress bars keep only their final state; the result has at most
    ``max_lines`` lines and ``max_chars`` characters (the end is kept).
    """
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    lines = [line.rstrip("\r").rsplit("\r", 1)[-1].rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    tail = "\n".join(lines[-max_lines:])
    return tail[-max_chars:]


class ByteTail:
    """The last ``limit`` bytes of a stream fed in chunks."""

    def __init__(self, limit: int = 64 * 1024) -> None:
        self._limit = limit
        self._data = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) > 2 * self._limit:
            del self._data[: len(self._data) - self._limit]

    def value(self) -> bytes:
        return bytes(self._data[-self._limit :])
