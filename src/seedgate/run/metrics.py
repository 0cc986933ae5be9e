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

import enum
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from seedgate.files import FileTooLargeError, read_regular
from seedgate.log_text import name_problem
from seedgate.records import RunResult, RunStatus

METRICS_FILE_ENV = "SEEDGATE_METRICS_FILE"  # where a run may write its metrics
NO_METRICS_HINT = (
    'write a JSON object like {"accuracy": 0.91} to $SEEDGATE_METRICS_FILE, '
    "or print it as the last JSON line of stdout"
)
MAX_MAGNITUDE = 1e100  # far beyond any real metric; sums of squares stay finite
_MAX_PENDING_LINE = 1 << 20  # longer lines without a newline cannot be a metrics line
MAX_METRICS_FILE_BYTES = 16 << 20


class ContractProblem(enum.Enum):
    """Why a run that exited cleanly still broke the experiment contract."""

    NO_METRICS = "no metrics"  # nothing that looks like a metrics object
    NOT_JSON = "not JSON"  # a line that looks like an object but does not parse
    MISSING = "missing metric"  # a configured metric is absent
    INVALID = "invalid metric"  # a value or name that cannot be a metric


class InvalidMetricsError(ValueError):
    """The run's reported metrics are missing or malformed; the message says why.

    ``problem`` is the kind of contract break and ``line`` the text the run reported (the
    offending line, one line, shortened), when there was one.
    """

    def __init__(self, message: str, problem: ContractProblem, line: str | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.line = line


class Reported(NamedTuple):
    """A run's valid metrics, and the non-numeric fields it reported beside them."""

    metrics: dict[str, float]
    ignored: tuple[str, ...] = ()


def _preview(value: object, limit: int = 60) -> str:
    """A short one-line rendering of data for a message (``ascii`` escapes controls)."""
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown_line(raw: object) -> str:
    """What the run reported, as it wrote it (JSON), shortened to one line for a message."""
    try:
        text = json.dumps(raw, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = ascii(raw)
    return _shorten(text, 200)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
    return read_reported(raw, source=source, required=required).metrics


def read_reported(raw: object, *, source: str, required: Iterable[str] = ()) -> Reported:
    """The metrics of a decoded object; fields that are not numbers (a model's name, a
    flag) are set aside unless they are ``required``, which must be numbers."""
    wanted = tuple(required)
    line = _shown_line(raw)
    if not isinstance(raw, Mapping):
        raise InvalidMetricsError(
            f"metrics in {source} are {type(raw).__name__}, expected a JSON object",
            ContractProblem.INVALID,
            line,
        )
    metrics: dict[str, float] = {}
    ignored: list[str] = []
    for name, value in raw.items():
        if name not in wanted and not _is_number(value) and name_problem(name) is None:
            ignored.append(name)
            continue
        problem = metric_problem(name, value, source)
        if problem is not None:
            raise InvalidMetricsError(problem, ContractProblem.INVALID, line)
        metrics[name] = float(value)
    if not metrics:
        reason = f"metrics in {source} are an empty object"
        if ignored:  # the first field's own problem, e.g. "... is not a number: True"
            reason = f"{metric_problem(ignored[0], raw[ignored[0]], source)}; no field is a number"
        raise InvalidMetricsError(reason, ContractProblem.NO_METRICS, line)
    missing = [name for name in wanted if name not in metrics]
    if missing:
        reported = ", ".join(metrics)  # names are validated: one printable line each
        raise InvalidMetricsError(
            f"required metric(s) {', '.join(_preview(m) for m in missing)} missing in "
            f"{source}; reported: {reported}",
            ContractProblem.MISSING,
            line,
        )
    return Reported(metrics, tuple(ignored))


def _as_json_object(line: str) -> dict[str, object] | None:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _looks_like_object(line: str) -> bool:
    text = line.strip()
    return text.startswith("{") and text.endswith("}") and ":" in text


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
        self.near_miss: str | None = None  # the last {...} line that is not JSON

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
            self._last_in(whole.split(b"\n"))
        self._trim_pending()

    def _last_in(self, lines: list[bytes]) -> None:
        """The last object of these lines, and the last {...} line after it that is not JSON."""
        near_miss = None
        for line in reversed(lines):
            if b"{" not in line:
                continue
            text = _text(line)
            if (found := _as_json_object(text)) is not None:
                self.last = found
                break
            if near_miss is None and _looks_like_object(text):
                near_miss = text.strip()
        if near_miss is not None:
            self.near_miss = near_miss

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
        text = _text(line)
        found = _as_json_object(text)
        if found is not None:
            self.last = found
        elif _looks_like_object(text):
            self.near_miss = text.strip()


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace")


def metrics_from_file(path: Path, *, required: Iterable[str] = ()) -> Reported | None:
    """The metrics the run wrote to ``path``; None when it wrote nothing there."""
    try:
        text = read_regular(path, limit=MAX_METRICS_FILE_BYTES).decode("utf-8")
    except FileNotFoundError:
        return None
    except FileTooLargeError:
        raise InvalidMetricsError(
            f"$SEEDGATE_METRICS_FILE is larger than {MAX_METRICS_FILE_BYTES} bytes",
            ContractProblem.INVALID,
        ) from None
    except OSError as exc:
        raise InvalidMetricsError(
            f"$SEEDGATE_METRICS_FILE cannot be read: {exc.strerror}", ContractProblem.NO_METRICS
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidMetricsError(
            f"$SEEDGATE_METRICS_FILE cannot be read: {exc}", ContractProblem.NO_METRICS
        ) from None
    if not text.strip():
        return None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidMetricsError(
            f"$SEEDGATE_METRICS_FILE is not valid JSON: {exc}",
            ContractProblem.NOT_JSON,
            _shorten(text, 200),
        ) from None
    return read_reported(raw, source="$SEEDGATE_METRICS_FILE", required=required)


def collect_metrics(
    metrics_file: Path,
    stdout_object: dict[str, object] | None,
    *,
    required: Iterable[str] = (),
    near_miss: str | None = None,
) -> Reported:
    """The metrics file if the run wrote one, else the last JSON object line of stdout.

    ``near_miss`` is stdout's last line that looked like an object but was not JSON: named
    when nothing else reported metrics.
    """
    wanted = tuple(required)
    from_file = metrics_from_file(metrics_file, required=wanted)
    if from_file is not None:
        return from_file
    if stdout_object is None:
        if near_miss is not None:
            raise InvalidMetricsError(
                f"the run reported no metrics: its line {_preview(near_miss, 120)} is not "
                f"JSON{_python_hint(near_miss)}; {NO_METRICS_HINT}",
                ContractProblem.NOT_JSON,
                _shorten(near_miss, 200),
            )
        raise InvalidMetricsError(
            f"the run reported no metrics: {NO_METRICS_HINT}", ContractProblem.NO_METRICS
        )
    return read_reported(stdout_object, source="the last JSON line of stdout", required=wanted)


def _python_hint(line: str) -> str:
    if "'" in line or "True" in line or "None" in line or "nan" in line:
        return " (a Python dict? print json.dumps(metrics) instead)"
    return ""


class ContractBreak(NamedTuple):
    """How a failed run broke the metrics contract, read back from its RunResult."""

    problem: ContractProblem
    reason: str
    line: str | None  # the last line of its output that looks like a JSON object


# The reasons this module writes, by kind: a failed run's RunResult (which crosses process
# and Ray boundaries as data) says which contract it broke by its reason alone.
_REASONS = (
    (ContractProblem.MISSING, re.compile(r"^required metric\(s\) .* missing in ")),
    (ContractProblem.NOT_JSON, re.compile(r"is not (valid )?JSON")),
    (ContractProblem.NO_METRICS, re.compile(r"reported no metrics|empty object|no field is a")),
    (ContractProblem.NO_METRICS, re.compile(r"^\$SEEDGATE_METRICS_FILE cannot be read")),
    (
        ContractProblem.INVALID,
        re.compile(r"^(metric |metrics in |\$SEEDGATE_METRICS_FILE is larger)"),
    ),
)


def contract_break(result: RunResult) -> ContractBreak | None:
    """How ``result`` broke the metrics contract; None when it succeeded, crashed or timed
    out (an exit code is the script's own failure, not the contract's)."""
    if result.ok or result.status is not RunStatus.FAILED or not result.reason:
        return None
    problem = next((kind for kind, found in _REASONS if found.search(result.reason)), None)
    if problem is None:
        return None
    lines = (result.log_tail or "").splitlines()
    line = next((text.strip() for text in reversed(lines) if _looks_like_object(text)), None)
    return ContractBreak(problem, result.reason, line)


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
