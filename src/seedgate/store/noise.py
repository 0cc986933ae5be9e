"""``seedgate explain`` results as JSON (schema ``seedgate.noise/1``), for the gate's report.

`explain` writes them to the store (``.seedgate/noise.json``); `gate` and `compare` attach
them to the Comparison, so the PR report shows a short noise section.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from seedgate.directories import make_directories
from seedgate.errors import RunSetError
from seedgate.records import Interval, NoiseBreakdown, VarianceComponent

SCHEMA = "seedgate.noise/1"
NOISE_FILE = "noise.json"


def write_noise(breakdowns: tuple[NoiseBreakdown, ...], path: Path) -> None:
    make_directories(path.parent)
    payload = {"schema": SCHEMA, "metrics": [asdict(b) for b in breakdowns]}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def read_noise(path: Path) -> tuple[NoiseBreakdown, ...]:
    """The breakdowns in ``path``; () when the file does not exist."""
    if not path.is_file():
        return ()
    problem = f"{path}: not a seedgate explain result"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        schema = data.get("schema") if isinstance(data, Mapping) else None
        if schema == SCHEMA:
            return tuple(_breakdown(item) for item in data["metrics"])
        problem += f" (schema {schema!r}, expected {SCHEMA!r})"
    except (OSError, ValueError, TypeError, KeyError) as exc:
        problem += f" ({exc!r})"
    raise RunSetError(f"{problem}; run `seedgate explain` again")


def _breakdown(raw: Mapping[str, Any]) -> NoiseBreakdown:
    components = tuple(
        VarianceComponent(
            source=str(c["source"]),
            variance=float(c["variance"]),
            share=float(c["share"]),
            interval=Interval(float(c["interval"]["low"]), float(c["interval"]["high"])),
        )
        for c in raw["components"]
    )
    return NoiseBreakdown(
        metric=str(raw["metric"]),
        total_variance=float(raw["total_variance"]),
        components=components,
        deterministic=None if raw["deterministic"] is None else bool(raw["deterministic"]),
        identical_seed_max_diff=_optional_float(raw["identical_seed_max_diff"]),
        test_set_error=_optional_float(raw["test_set_error"]),
        advice=tuple(str(a) for a in raw["advice"]),
    )


def _optional_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
