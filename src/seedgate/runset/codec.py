"""RunSet <-> JSON (schema ``seedgate.runset/1``), validated when read.

A truncated, foreign or newer-version file is a RunSetError that names the file and
what is wrong, never a traceback.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seedgate.directories import make_directories
from seedgate.errors import RunSetError
from seedgate.records import RunResult, RunSet, RunStatus

SCHEMA = "seedgate.runset/1"
_SCHEMA_PREFIX = "seedgate.runset/"
SCHEMA_VERSION = 1


def runset_to_dict(runset: RunSet) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "command": runset.command,
        "config_digest": runset.config_digest,
        "commit": runset.commit,
        "created_at": runset.created_at,
        "shard": runset.shard,
        "environment": dict(runset.environment),
        "runs": [_run_to_dict(r) for r in runset.runs],
    }


def _run_to_dict(run: RunResult) -> dict[str, Any]:
    return {
        "index": run.index,
        "seed": run.seed,
        "data_seed": run.data_seed,
        "init_seed": run.init_seed,
        "status": run.status.value,
        "metrics": dict(run.metrics),
        "duration_s": round(run.duration_s, 4),
        "reason": run.reason,
        "log_tail": run.log_tail,
    }


def runset_to_json(runset: RunSet) -> str:
    return json.dumps(runset_to_dict(runset), indent=2, allow_nan=False) + "\n"


def write_runset(runset: RunSet, path: Path) -> None:
    """Write atomically, so an interrupted write never leaves a truncated file."""
    make_directories(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".runset-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(runset_to_json(runset))
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_runset(path: Path) -> RunSet:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RunSetError(f"RunSet file {path} does not exist") from None
    except OSError as exc:
        raise RunSetError(f"RunSet file {path} cannot be read: {exc.strerror}") from None
    return runset_from_bytes(data, str(path))


def runset_from_bytes(data: bytes, source: str) -> RunSet:
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise RunSetError(f"{source}: not a RunSet (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise RunSetError(
            f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}); the file may be truncated"
        ) from None
    return runset_from_dict(raw, source)


def runset_from_dict(raw: object, source: str) -> RunSet:
    if not isinstance(raw, Mapping):
        raise RunSetError(f"{source}: expected a JSON object with schema {SCHEMA!r}")
    _check_schema(raw.get("schema"), source)
    runs_raw = _field(raw, "runs", list, source)
    runs = tuple(_run_from_dict(item, f"{source}: runs[{i}]") for i, item in enumerate(runs_raw))
    environment = _field(raw, "environment", dict, source)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items()):
        raise RunSetError(f"{source}: environment must map strings to strings")
    return RunSet(
        runs=runs,
        command=_field(raw, "command", str, source),
        config_digest=_field(raw, "config_digest", str, source),
        commit=_optional(raw, "commit", str, source),
        environment=environment,
        created_at=_field(raw, "created_at", str, source),
        shard=_optional(raw, "shard", str, source),
    )


def _check_schema(schema: object, source: str) -> None:
    if not isinstance(schema, str) or not schema.startswith(_SCHEMA_PREFIX):
        raise RunSetError(
            f"{source}: not a seedgate RunSet (schema is {schema!r}, expected {SCHEMA!r})"
        )
    version = schema.removeprefix(_SCHEMA_PREFIX)
    if not version.isdigit():
        raise RunSetError(f"{source}: unknown RunSet schema {schema!r}, expected {SCHEMA!r}")
    if int(version) > SCHEMA_VERSION:
        raise RunSetError(
            f"{source}: RunSet schema {schema!r} is newer than this seedgate reads "
            f"({SCHEMA!r}); upgrade seedgate"
        )


def _run_from_dict(raw: object, where: str) -> RunResult:
    if not isinstance(raw, Mapping):
        raise RunSetError(f"{where}: expected an object")
    status_raw = _field(raw, "status", str, where)
    try:
        status = RunStatus(status_raw)
    except ValueError:
        allowed = ", ".join(s.value for s in RunStatus)
        raise RunSetError(f"{where}: status {status_raw!r}, expected one of {allowed}") from None
    metrics = _field(raw, "metrics", dict, where)
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RunSetError(f"{where}: metric {name!r} = {value!r}, expected a number")
        if not math.isfinite(value):
            raise RunSetError(f"{where}: metric {name!r} = {value!r}, expected a finite number")
    duration = _field(raw, "duration_s", (int, float), where)
    return RunResult(
        index=_field(raw, "index", int, where),
        seed=_field(raw, "seed", int, where),
        status=status,
        metrics={k: float(v) for k, v in metrics.items()},
        duration_s=float(duration),
        reason=_optional(raw, "reason", str, where),
        log_tail=_optional(raw, "log_tail", str, where),
        data_seed=_optional(raw, "data_seed", int, where),
        init_seed=_optional(raw, "init_seed", int, where),
    )


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {"str": "a string", "int": "an integer", "float": "a number", "list": "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k.__name__, "an object") for k in kinds)


def _field(raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in raw:
        raise RunSetError(f"{where}: missing field {key!r}")
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise RunSetError(f"{where}: field {key!r} = {value!r}, expected {_type_name(kind)}")
    return value


def _optional(raw: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if raw.get(key) is None:
        return None
    return _field(raw, key, kind, where)
