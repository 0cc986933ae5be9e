"""HistoryRecord <-> JSON (schema ``seedgate.history/1``), validated like any untrusted input.

A history branch can be written by anyone who can push to it, so a record is accepted only
when it is exactly what this module writes: at most MAX_RECORD_BYTES of UTF-8 JSON, the
exact schema, no unknown fields, a commit of hex digits, a date with a time zone, metric
names as a run may report them, finite numbers of sane size, quantiles in order, only the
fingerprint keys seedgate records. Anything else is a HistoryError naming the record.

A record's file name is derived from it (date, commit, digest of its text), so names
sort by date and two baselines never write the same file; names are validated too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from seedgate.errors import HistoryError
from seedgate.history.record import QUANTILE_LEVELS, HistoryRecord, MetricRecord
from seedgate.log_text import has_surrogates, name_problem
from seedgate.records import Goal
from seedgate.run.fingerprint import REPRODUCIBILITY_KEYS
from seedgate.run.metrics import MAX_MAGNITUDE

SCHEMA = "seedgate.history/1"
MAX_RECORD_BYTES = 64 * 1024
MAX_METRICS = 100
MAX_RUNS = 1_000_000
MAX_VALUE_CHARS = 200
_COMMIT = re.compile(r"[0-9a-f]{7,64}")
_DIGEST = re.compile(r"[A-Za-z0-9:._-]{0,128}")
FILE_NAME = re.compile(r"(\d{8}T\d{6}Z)-([0-9a-f]{7,12}|nocommit)-([0-9a-f]{10})\.json")
_FIELDS = {"schema", "commit", "created_at", "config_digest", "runs", "failed_runs"}
_TOP_FIELDS = frozenset(_FIELDS | {"metrics", "environment"})
_METRIC_FIELDS = frozenset({"name", "n", "mean", "sd", "quantiles", "goal"})


def record_to_dict(record: HistoryRecord) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "commit": record.commit,
        "created_at": record.created_at,
        "config_digest": record.config_digest,
        "runs": record.runs,
        "failed_runs": record.failed_runs,
        "metrics": [_metric_to_dict(m) for m in record.metrics],
        "environment": dict(record.environment),
    }


def _metric_to_dict(metric: MetricRecord) -> dict[str, Any]:
    return {
        "name": metric.name,
        "n": metric.n,
        "mean": metric.mean,
        "sd": None if math.isnan(metric.sd) else metric.sd,
        "quantiles": list(metric.quantiles),
        "goal": None if metric.goal is None else metric.goal.value,
    }


def record_to_json(record: HistoryRecord) -> str:
    """One line of compact JSON and a newline; a record that would not read back is refused."""
    text = json.dumps(record_to_dict(record), separators=(",", ":"), allow_nan=False) + "\n"
    record_from_bytes(text.encode("utf-8"), "the new history record")  # same rules both ways
    return text


def record_file_name(record: HistoryRecord, text: str) -> str:
    """``YYYYMMDDTHHMMSSZ-<commit>-<digest>.json``: sorts by date, unique per record text."""
    when = record.when.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    commit = record.commit[:12] if record.commit else "nocommit"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"{when}-{commit}-{digest}.json"


def file_name_problem(name: str) -> str | None:
    """Why ``name`` is not the name of a history record (None when it is)."""
    if FILE_NAME.fullmatch(name):
        return None
    return (
        f"{ascii(name)[:80]} is not a history record's name (YYYYMMDDTHHMMSSZ-COMMIT-DIGEST.json)"
    )


def record_from_bytes(data: bytes, source: str) -> HistoryRecord:
    if len(data) > MAX_RECORD_BYTES:
        raise HistoryError(
            f"{source}: {len(data)} bytes, more than a history record may hold "
            f"({MAX_RECORD_BYTES}); refused"
        )
    try:
        raw = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise HistoryError(f"{source}: not a history record (not UTF-8 text)") from None
    except RecursionError:
        raise HistoryError(f"{source}: not a history record (JSON nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, NaN, an integer too long to convert
        raise HistoryError(f"{source}: not a history record ({ascii(str(exc))[:120]})") from None
    try:
        return record_from_dict(raw)
    except (TypeError, ValueError) as exc:
        raise HistoryError(f"{source}: not a valid history record: {exc}") from None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def record_from_dict(raw: object) -> HistoryRecord:
    """The record in ``raw``; a TypeError or ValueError saying what is wrong otherwise."""
    schema = raw.get("schema") if isinstance(raw, dict) else None
    if isinstance(raw, dict) and schema != SCHEMA:
        raise ValueError(f"schema {ascii(schema)[:80]}, expected exactly {SCHEMA!r}")
    top = _object(raw, _TOP_FIELDS, "the record")
    runs = _count(top.get("runs"), "runs", 1)
    failed = _count(top.get("failed_runs"), "failed_runs", 0)
    if failed > runs:
        raise ValueError(f"failed_runs {failed} exceeds runs {runs}")
    metrics_raw = top.get("metrics")
    if not isinstance(metrics_raw, list) or len(metrics_raw) > MAX_METRICS:
        raise TypeError(f"'metrics' must be a list of at most {MAX_METRICS} metrics")
    metrics = tuple(_metric(item, runs - failed) for item in metrics_raw)
    names = [m.name for m in metrics]
    if len(set(names)) != len(names):
        raise ValueError("a metric appears twice")
    return HistoryRecord(
        commit=_commit(top.get("commit")),
        created_at=_created_at(top.get("created_at")),
        config_digest=_digest(top.get("config_digest")),
        runs=runs,
        failed_runs=failed,
        metrics=metrics,
        environment=_environment(top.get("environment")),
    )


def _object(raw: object, fields: frozenset[str], what: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError(f"{what} must be a JSON object")
    unknown = sorted(str(k) for k in raw if k not in fields)
    if unknown:
        raise ValueError(f"{what} has unknown fields {ascii(unknown[:5])[:120]}")
    missing = sorted(fields - raw.keys())
    if missing:
        raise ValueError(f"{what} lacks the fields {missing}")
    return raw


def _count(value: object, field: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_RUNS:
        raise ValueError(
            f"{field!r} = {ascii(value)[:40]}, expected a whole number {least}..{MAX_RUNS}"
        )
    return value


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{field} = {ascii(value)[:40]}, expected a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{field} is too large") from None
    if not abs(number) <= MAX_MAGNITUDE:
        raise ValueError(
            f"{field} = {number!r}, expected a finite number of at most {MAX_MAGNITUDE:g}"
        )
    return number


def _metric(raw: object, ok_runs: int) -> MetricRecord:
    fields = _object(raw, _METRIC_FIELDS, "a metric")
    name = fields["name"]
    problem = name_problem(name)
    if problem is not None:
        raise ValueError(f"metric name {ascii(name)[:60]} {problem}")
    where = f"metric {name!r}"
    n = _count(fields["n"], f"{where}: n", 1)
    if n > ok_runs:
        raise ValueError(f"{where}: n {n} exceeds the successful runs ({ok_runs})")
    sd = math.nan if fields["sd"] is None and n == 1 else _number(fields["sd"], f"{where}: sd")
    if sd < 0:
        raise ValueError(f"{where}: sd {sd!r} is negative")
    quantiles = fields["quantiles"]
    if not isinstance(quantiles, list) or len(quantiles) != len(QUANTILE_LEVELS):
        raise TypeError(f"{where}: quantiles must be a list of {len(QUANTILE_LEVELS)} numbers")
    values = tuple(_number(q, f"{where}: quantile") for q in quantiles)
    if any(b < a for a, b in itertools.pairwise(values)):
        raise ValueError(f"{where}: quantiles are not in increasing order")
    mean = _number(fields["mean"], f"{where}: mean")
    if not values[0] <= mean <= values[-1]:
        raise ValueError(f"{where}: mean {mean!r} lies outside its min and max")
    return MetricRecord(name, n, mean, sd, values, _goal(fields["goal"], where))


def _goal(value: object, where: str) -> Goal | None:
    if value is None:
        return None
    try:
        return Goal(value)
    except ValueError:
        allowed = ", ".join(g.value for g in Goal)
        raise ValueError(f"{where}: goal {ascii(value)[:40]}, expected {allowed} or null") from None


def _commit(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _COMMIT.fullmatch(value):
        raise ValueError(f"commit {ascii(value)[:80]}, expected 7 to 64 lower-case hex digits")
    return value


def _created_at(value: object) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"created_at {ascii(value)[:60]}, expected an ISO 8601 date and time")
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"created_at {value!a}, expected an ISO 8601 date and time") from None
    if when.tzinfo is None:
        raise ValueError(f"created_at {value!r} has no time zone")
    return value


def _digest(value: object) -> str:
    if not isinstance(value, str) or not _DIGEST.fullmatch(value):
        raise ValueError(
            f"config_digest {ascii(value)[:80]}, expected up to 128 letters and digits"
        )
    return value


def _environment(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TypeError("'environment' must be a JSON object")
    unknown = sorted(str(k) for k in value if k not in REPRODUCIBILITY_KEYS)
    if unknown:
        raise ValueError(
            f"environment has keys seedgate does not record: {ascii(unknown[:5])[:120]}"
        )
    for key, text in value.items():
        if not isinstance(text, str) or len(text) > MAX_VALUE_CHARS or has_surrogates(text):
            raise ValueError(
                f"environment {key!r} must be text of at most {MAX_VALUE_CHARS} characters"
            )
        if text and name_problem(text) is not None:
            raise ValueError(f"environment {key!r} = {ascii(text)[:60]} {name_problem(text)}")
    return dict(value)
