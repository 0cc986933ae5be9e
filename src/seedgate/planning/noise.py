"""``seedgate explain`` results as JSON (schema ``seedgate.noise/2``), for the gate's report.

`explain` writes them to the store (``.seedgate/noise.json``); `gate` and `compare` attach
them to the Comparison, so the PR report shows a short noise section.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from seedgate.errors import RunSetError, StoreError
from seedgate.files import read_regular, write_shared_text
from seedgate.log_text import has_surrogates, name_problem
from seedgate.records import Interval, NoiseAdvice, NoiseBreakdown, VarianceComponent
from seedgate.run.metrics import MAX_MAGNITUDE

SCHEMA = "seedgate.noise/2"
NOISE_FILE = "noise.json"
MAX_NOISE_BYTES = 16 << 20


def write_noise(breakdowns: tuple[NoiseBreakdown, ...], path: Path) -> None:
    payload = {"schema": SCHEMA, "metrics": [asdict(b) for b in breakdowns]}
    try:
        write_shared_text(path, json.dumps(payload, indent=2) + "\n")
    except OSError as exc:
        raise StoreError(f"{path} cannot be written: {exc.strerror}") from None


def read_noise(path: Path) -> tuple[NoiseBreakdown, ...]:
    """The breakdowns in ``path``; () when the file does not exist.

    Anything else than a valid ``seedgate.noise/2`` file is a RunSetError naming the file.
    """
    if not path.is_file():
        return ()
    problem = f"{path}: not a seedgate explain result"
    try:
        text = read_regular(path, limit=MAX_NOISE_BYTES).decode("utf-8")
        data = json.loads(text, parse_constant=_refuse_constant)
        schema = data.get("schema") if isinstance(data, Mapping) else None
        if schema == SCHEMA:
            return tuple(_breakdown(item) for item in _list(data["metrics"]))
        problem += f" (schema {ascii(schema)[:80]}, expected {SCHEMA!r})"
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        problem += f" ({type(exc).__name__}: {ascii(str(exc))[:200]})"
    raise RunSetError(f"{problem}; run `seedgate explain` again")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, found {type(value).__name__}")
    return value


def _number(value: object) -> float:
    """A finite JSON number of sane size; anything else is a ValueError or TypeError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, found {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("a number too large for a float") from None
    if not abs(number) <= MAX_MAGNITUDE:
        raise ValueError(f"{number!r} is not a finite number of at most {MAX_MAGNITUDE:g}")
    return number


def _text(value: object) -> str:
    if not isinstance(value, str) or has_surrogates(value):
        raise TypeError(f"expected text, found {type(value).__name__}")
    return value


def _breakdown(raw: Mapping[str, Any]) -> NoiseBreakdown:
    components = tuple(
        VarianceComponent(
            source=_text(c["source"]),
            variance=_number(c["variance"]),
            share=_number(c["share"]),
            interval=Interval(_number(c["interval"]["low"]), _number(c["interval"]["high"])),
        )
        for c in _list(raw["components"])
    )
    deterministic = raw["deterministic"]
    if deterministic is not None and not isinstance(deterministic, bool):
        raise TypeError("'deterministic' must be true, false or null")
    metric = _text(raw["metric"])
    problem = name_problem(metric)
    if problem is not None:
        raise ValueError(f"metric name {ascii(metric)[:60]} {problem}")
    return NoiseBreakdown(
        metric=metric,
        total_variance=_number(raw["total_variance"]),
        components=components,
        deterministic=deterministic,
        identical_seed_max_diff=_optional_number(raw["identical_seed_max_diff"]),
        test_set_error=_optional_number(raw["test_set_error"]),
        advice=None if raw["advice"] is None else _advice(raw["advice"]),
    )


def _advice(raw: Mapping[str, Any]) -> NoiseAdvice:
    return NoiseAdvice(
        min_effect=_number(raw["min_effect"]),
        alpha=_number(raw["alpha"]),
        power=_number(raw["power"]),
        cap=_count(raw["cap"]),
        runs_unpaired=_optional_count(raw["runs_unpaired"]),
        runs_paired=_optional_count(raw["runs_paired"]),
        paired_correlation=_number(raw["paired_correlation"]),
        n_test=_optional_count(raw["n_test"]),
        test_set_half_width=_optional_number(raw["test_set_half_width"]),
        test_examples_needed=_optional_count(raw["test_examples_needed"]),
    )


def _count(value: object) -> int:
    """A whole number >= 0 (not a bool); anything else is a TypeError or ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, found {type(value).__name__}")
    if not 0 <= value <= MAX_MAGNITUDE:
        raise ValueError(f"{value} is not a count of at most {MAX_MAGNITUDE:g}")
    return value


def _optional_count(value: object) -> int | None:
    return None if value is None else _count(value)


def _optional_number(value: object) -> float | None:
    return None if value is None else _number(value)
