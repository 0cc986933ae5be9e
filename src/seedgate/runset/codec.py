"""RunSet <-> JSON (schema ``seedgate.runset/1``), validated when read.

A RunSet may come from an artifact anyone with write access could have shaped, so every
input is either a RunSet or a RunSetError that names the file and what is wrong, never
another exception: huge integers, deep nesting, NaN, unpaired surrogates, metric values
beyond ``1e100``, unprintable metric names, duplicate seeds and any schema other than
exactly ``seedgate.runset/1`` are refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seedgate.config.values import MAX_SEED
from seedgate.errors import RunSetError
from seedgate.files import read_regular, write_shared_text
from seedgate.log_text import has_surrogates
from seedgate.records import RunResult, RunSet, RunStatus
from seedgate.run.metrics import metric_problem

SCHEMA = "seedgate.runset/1"
_SCHEMA_PREFIX = "seedgate.runset/"
SCHEMA_VERSION = 1
_SEED_FIELDS = ("index", "seed", "data_seed", "init_seed")


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
    record: dict[str, Any] = {
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
    if run.node is not None:  # written only when known: local RunSets stay as they were
        record["node"] = run.node
    return record


def runset_to_json(runset: RunSet) -> str:
    return json.dumps(runset_to_dict(runset), indent=2, allow_nan=False) + "\n"


def write_runset(runset: RunSet, path: Path) -> None:
    """Write atomically with mode 0644 (see seedgate.files); never a truncated file.

    A full disk or a missing permission is a RunSetError naming the path.
    """
    try:
        text = runset_to_json(runset)
    except (ValueError, UnicodeError) as exc:
        raise RunSetError(f"RunSet for {path} cannot be written as JSON: {exc}") from None
    try:
        write_shared_text(path, text)
    except OSError as exc:
        raise RunSetError(f"RunSet file {path} cannot be written: {exc.strerror}") from None


MAX_RUNSET_FILE_BYTES = 256 << 20  # a RunSet of thousands of runs is a few megabytes


def read_runset(path: Path) -> RunSet:
    """The RunSet in the regular file ``path`` (at most ``MAX_RUNSET_FILE_BYTES``)."""
    try:
        data = read_regular(path, limit=MAX_RUNSET_FILE_BYTES)
    except FileNotFoundError:
        raise RunSetError(f"RunSet file {path} does not exist") from None
    except OSError as exc:
        raise RunSetError(f"RunSet file {path} cannot be read: {exc.strerror}") from None
    return runset_from_bytes(data, str(path))


def runset_from_bytes(data: bytes, source: str) -> RunSet:
    try:
        raw = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise RunSetError(f"{source}: not a RunSet (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise RunSetError(
            f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}); the file may be truncated"
        ) from None
    except RecursionError:
        raise RunSetError(f"{source}: not a RunSet (JSON nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise RunSetError(f"{source}: not a RunSet ({exc})") from None
    return runset_from_dict(raw, source)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def runset_from_dict(raw: object, source: str) -> RunSet:
    if not isinstance(raw, Mapping):
        raise RunSetError(f"{source}: expected a JSON object with schema {SCHEMA!r}")
    _check_schema(raw.get("schema"), source)
    runs_raw = _field(raw, "runs", list, source)
    runs = tuple(_run_from_dict(item, f"{source}: runs[{i}]") for i, item in enumerate(runs_raw))
    _check_unique(runs, source)
    environment = _field(raw, "environment", dict, source)
    if not all(_is_text(k) and _is_text(v) for k, v in environment.items()):
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
    if schema == SCHEMA:
        return
    if not isinstance(schema, str) or not schema.startswith(_SCHEMA_PREFIX):
        raise RunSetError(
            f"{source}: not a seedgate RunSet (schema is {ascii(schema)[:80]}, expected {SCHEMA!r})"
        )
    version = schema.removeprefix(_SCHEMA_PREFIX)
    if version.isascii() and version.isdigit() and len(version) < 10 and int(version) > 1:
        raise RunSetError(
            f"{source}: RunSet schema {schema!r} is newer than this seedgate reads "
            f"({SCHEMA!r}); upgrade seedgate"
        )
    raise RunSetError(
        f"{source}: unknown RunSet schema {ascii(schema)[:80]}, expected exactly {SCHEMA!r}"
    )


def _check_unique(runs: tuple[RunResult, ...], source: str) -> None:
    """Two runs with one seed would be one measurement counted twice."""
    for field in ("seed", "index"):
        seen: set[int] = set()
        for run in runs:
            value: int = getattr(run, field)
            if value in seen:
                raise RunSetError(
                    f"{source}: {field} {value} appears in more than one run; each run must "
                    "have its own seed and index (was the file edited or merged by hand?)"
                )
            seen.add(value)


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
        problem = metric_problem(name, value, where)
        if problem is not None:
            raise RunSetError(problem)
    duration = _field(raw, "duration_s", (int, float), where)
    if not 0 <= duration < math.inf:
        raise RunSetError(f"{where}: field 'duration_s' = {duration!r}, expected a time >= 0")
    seeds = {key: _seed(raw, key, where) for key in _SEED_FIELDS}
    index, seed = seeds["index"], seeds["seed"]
    if index is None or seed is None:
        missing = "index" if index is None else "seed"
        raise RunSetError(f"{where}: missing field {missing!r}")
    return RunResult(
        index=index,
        seed=seed,
        status=status,
        metrics={k: float(v) for k, v in metrics.items()},
        duration_s=float(duration),
        reason=_optional(raw, "reason", str, where),
        log_tail=_optional(raw, "log_tail", str, where),
        data_seed=seeds["data_seed"],
        init_seed=seeds["init_seed"],
        node=_optional(raw, "node", str, where),
    )


def _seed(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    value: int | None = _optional(raw, key, int, where)
    if value is not None and not 0 <= value <= MAX_SEED:
        raise RunSetError(
            f"{where}: field {key!r} = {ascii(value)[:40]}, expected a whole number "
            f"from 0 to {MAX_SEED}"
        )
    return value


def _is_text(value: object) -> bool:
    return isinstance(value, str) and not has_surrogates(value)


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {"str": "a string", "int": "an integer", "float": "a number", "list": "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k.__name__, "an object") for k in kinds)


def _field(raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in raw:
        raise RunSetError(f"{where}: missing field {key!r}")
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        shown = ascii(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise RunSetError(f"{where}: field {key!r} = {shown}, expected {_type_name(kind)}")
    if isinstance(value, str) and has_surrogates(value):
        raise RunSetError(
            f"{where}: field {key!r} holds an unpaired surrogate ({ascii(value)[:60]}), "
            "which is not text"
        )
    return value


def _optional(raw: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if raw.get(key) is None:
        return None
    return _field(raw, key, kind, where)
