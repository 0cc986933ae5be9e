"""Raw setting values into typed ones: each check names the key, the value and what was
expected, and every count stops at an upper bound from one table (``UPPER_BOUNDS``)."""

from __future__ import annotations

import enum
import itertools
import math
import re
from pathlib import Path
from typing import TypeVar

from seedgate.errors import ConfigError

E = TypeVar("E", bound=enum.Enum)
MAX_SEED = 2**63 - 1  # seeds, indices and derived seeds are non-negative 63-bit numbers

# Upper bounds, one table: far beyond any real use, low enough that a typo (10**12 runs)
# is a ConfigError naming the bound instead of a MemoryError or a seed RunSets refuse.
MAX_RUN_COUNT = 10_000
UPPER_BOUNDS: dict[str, int] = {
    "runs": MAX_RUN_COUNT,
    "baseline_runs": MAX_RUN_COUNT,
    "max_runs": MAX_RUN_COUNT,
    "looks": MAX_RUN_COUNT,
    "max_failed_runs": MAX_RUN_COUNT,
    "worker_max_runs": MAX_RUN_COUNT,
    "simulations": 1_000_000,
    "jobs": 1024,
    "timeout": 30 * 24 * 3600,  # seconds: 30 days, longer than any runner keeps a job
    "n_test": 10**12,
    "seed_base": MAX_SEED,  # and seed_base + runs - 1 too: the seeds RunSets accept
    "stats_seed": MAX_SEED,
    "ray_memory": 2**50,  # bytes per run: 1 PiB
}


def expect_int(key: str, raw: object, minimum: int) -> int:
    maximum = UPPER_BOUNDS.get(key.partition("[")[0], MAX_SEED)
    expected = f"expected a whole number >= {minimum}"
    if isinstance(raw, bool):
        raise ConfigError(f"{key} = {raw!r}: {expected}")
    if isinstance(raw, str):
        try:
            raw = int(raw.strip())
        except ValueError:
            raise ConfigError(f"{key} = {shown(raw)}: {expected}") from None
    if not isinstance(raw, int) or raw < minimum:
        raise ConfigError(f"{key} = {shown(raw)}: {expected}")
    if raw > maximum:
        raise ConfigError(f"{key} = {shown(raw)}: at most {maximum:,} (seedgate's upper bound)")
    return raw


def shown(raw: object) -> str:
    """A value for a message: a huge integer by its size, a long text cut."""
    if isinstance(raw, int) and abs(raw) >= 10**30:
        return f"a {raw.bit_length()}-bit number"  # str() refuses over 4,300 digits
    text = repr(raw)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def expect_float(key: str, raw: object, low: float, high: float, *, open_low: bool) -> float:
    span = f"{'(' if open_low else '['}{low:g}, {high:g})"
    if isinstance(raw, bool):
        raise ConfigError(f"{key} = {raw!r}: expected a number in {span}")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{key} = {raw!r}: expected a number in {span}") from None
    too_low = value <= low if open_low else value < low
    if not math.isfinite(value) or too_low or value >= high:
        raise ConfigError(f"{key} = {raw!r}: expected a number in {span}")
    return value


def expect_enum(key: str, raw: object, kind: type[E]) -> E:
    allowed = ", ".join(str(m.value) for m in kind)
    try:
        return kind(str(raw).strip().lower())
    except ValueError:
        raise ConfigError(f"{key} = {raw!r}: expected one of {allowed}") from None


_BYTE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_BYTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


def expect_bytes(key: str, raw: object) -> int:
    """A size: a whole number of bytes, or a number with a unit ("16GiB", "512MB")."""
    expected = 'expected bytes > 0 as a whole number or with a unit, e.g. "16GiB" or "512MB"'
    if isinstance(raw, bool):
        raise ConfigError(f"{key} = {raw!r}: {expected}")
    text = str(raw) if isinstance(raw, (int, str)) else ""
    match = _BYTES.match(text.lower())
    if match is None or match.group(2) not in _BYTE_UNITS:
        raise ConfigError(f"{key} = {shown(raw)}: {expected}")
    value = int(float(match.group(1)) * _BYTE_UNITS[match.group(2)])
    if value <= 0:
        raise ConfigError(f"{key} = {shown(raw)}: {expected}")
    if value > UPPER_BOUNDS[key]:
        raise ConfigError(f"{key} = {shown(raw)}: at most {UPPER_BOUNDS[key]:,} bytes (1 PiB)")
    return value


def expect_str(key: str, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{key} = {raw!r}: expected a non-empty string")
    return raw


MAX_COMMAND_BYTES = 131_072  # Linux's limit on one argument (MAX_ARG_STRLEN) to /bin/sh -c


def expect_command(key: str, raw: object) -> str:
    """A shell command: non-empty, no NUL (no process argument can hold one), and short
    enough to be passed to ``/bin/sh -c`` at all."""
    command = expect_str(key, raw)
    if "\0" in command:
        raise ConfigError(f"{key}: holds a NUL character, which no command line can carry")
    size = len(command.encode("utf-8", "surrogatepass"))
    if size > MAX_COMMAND_BYTES:
        raise ConfigError(
            f"{key}: {size:,} bytes long; a command may be at most {MAX_COMMAND_BYTES:,} "
            "bytes (Linux's limit for one argument): put a long script in a file and run that"
        )
    return command


def expect_patterns(key: str, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        return tuple(p for p in re.split(r"[,\s]+", raw) if p)
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        return tuple(raw)
    raise ConfigError(f"{key} = {raw!r}: expected a list of glob patterns like ['HF_*']")


def expect_looks(key: str, raw: object) -> tuple[int, ...]:
    items: list[object]
    if isinstance(raw, str):
        items = [p for p in re.split(r"[,\s]+", raw) if p]
    elif isinstance(raw, list):
        items = list(raw)
    else:
        raise ConfigError(f"{key} = {raw!r}: expected increasing run counts like [3, 5, 10]")
    looks = tuple(expect_int(key, item, 2) for item in items)
    if not looks or any(b <= a for a, b in itertools.pairwise(looks)):
        raise ConfigError(f"{key} = {raw!r}: expected increasing run counts >= 2 like [3, 5, 10]")
    return looks


def expect_jobs(key: str, raw: object) -> int:
    """A number of runs at once, or "auto" (stored as 0): one per usable core."""
    if isinstance(raw, str) and raw.strip().lower() == "auto":
        return 0
    try:
        return expect_int(key, raw, 0)
    except ConfigError:
        bound = f"{UPPER_BOUNDS[key]:,}"
        raise ConfigError(
            f"{key} = {shown(raw)}: expected a whole number >= 1 or 'auto' (at most {bound})"
        ) from None


def expect_seconds(key: str, raw: object) -> float:
    most = UPPER_BOUNDS[key]
    try:
        value = expect_float(key, raw, 0.0, math.inf, open_low=True)
    except ConfigError:
        expected = f"expected seconds > 0, at most {most:,}"
        raise ConfigError(f"{key} = {shown(raw)}: {expected}") from None
    if value > most:
        raise ConfigError(f"{key} = {shown(raw)}: at most {most:,} seconds (30 days)")
    return value


def expect_path(key: str, raw: object) -> Path:
    return Path(expect_str(key, raw))
