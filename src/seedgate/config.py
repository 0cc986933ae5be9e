"""One frozen Config, built from seedgate.toml / [tool.seedgate] / CLI flags / action inputs.

Every source is a flat mapping of raw values; ``build_config`` validates them all in one
place, so that each error names the key, the value and what was expected.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import itertools
import json
import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from seedgate.defaults import default_gating_metric
from seedgate.errors import ConfigError
from seedgate.records import FailOn, Goal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_LOOKS = (3, 5, 10, 15, 20)
DEFAULT_MIN_EFFECT = "1%"
# metrics a run may report that describe the evaluation rather than measure the model
RESERVED_METRICS = frozenset({"n_test"})
_MINIMIZE_HINT = re.compile(r"(loss|err|error|mse|mae|rmse|perplexity|latency|time)", re.IGNORECASE)

E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class MinEffect:
    """The smallest change that matters: absolute, or relative to the baseline mean."""

    value: float
    relative: bool

    def absolute(self, reference: float) -> float:
        return abs(reference) * self.value if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"

    @classmethod
    def parse(cls, raw: object, key: str) -> MinEffect:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ConfigError(
                f"{key} = {raw!r}: expected a non-negative number or a percentage like '0.5%'"
            )
        text = str(raw).strip()
        relative = text.endswith("%")
        try:
            value = float(text[:-1] if relative else text)
        except ValueError:
            raise ConfigError(
                f"{key} = {raw!r}: expected a non-negative number or a percentage like '0.5%'"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"{key} = {raw!r}: expected a finite value >= 0")
        return cls(value / 100 if relative else value, relative)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    goal: Goal = Goal.MAXIMIZE
    min_effect: MinEffect = field(default_factory=lambda: MinEffect(0.01, relative=True))
    primary: bool = False

    @classmethod
    def default_for(cls, name: str, min_effect: MinEffect | None = None) -> MetricSpec:
        """A spec for a metric the config does not name: goal guessed from the name."""
        goal = Goal.MINIMIZE if _MINIMIZE_HINT.search(name) else Goal.MAXIMIZE
        return cls(name, goal, min_effect or MinEffect.parse(DEFAULT_MIN_EFFECT, "min_effect"))


@dataclass(frozen=True)
class Config:
    """Everything that shapes a gate run. Built once, never mutated."""

    command: str | None = None
    working_directory: Path = Path()
    metrics: tuple[MetricSpec, ...] = ()
    min_effect: MinEffect = field(default_factory=lambda: MinEffect(0.01, relative=True))
    alpha: float = 0.05
    power: float = 0.9
    runs: int = 5  # fixed runs for `seedgate run`
    baseline_runs: int = 20
    looks: tuple[int, ...] = DEFAULT_LOOKS
    max_runs: int = 20
    timeout: float = 3600.0
    max_failed_runs: int | None = None  # None: a quarter of the runs
    seed_base: int = 0
    jobs: int = 1  # 0 means one per usable core
    pass_env: tuple[str, ...] = ()
    drop_env: tuple[str, ...] = ()
    fail_on: FailOn = FailOn.REGRESSION
    store: Path = Path(".seedgate")
    entry: str | None = None  # module:function for warm workers
    worker_max_runs: int = 50
    simulations: int = 20000
    stats_seed: int = 20240917
    n_test: int | None = None

    def spec_for(self, name: str) -> MetricSpec:
        for spec in self.metrics:
            if spec.name == name:
                return spec
        return MetricSpec.default_for(name, self.min_effect)

    def gated_metric_names(self, reported: tuple[str, ...]) -> tuple[str, ...]:
        """Configured metrics if any, else every metric the runs report but ``n_test``."""
        if self.metrics:
            return tuple(s.name for s in self.metrics)
        return tuple(name for name in reported if name not in RESERVED_METRICS)

    def metric_specs(self, reported: tuple[str, ...]) -> tuple[MetricSpec, ...]:
        """The specs of the metrics compared: the configured ones, else one spec per reported
        metric with the one ``defaults.default_gating_metric`` picks marked primary (it gates
        alone; the others are reported)."""
        if self.metrics:
            return self.metrics
        names = self.gated_metric_names(reported)
        chosen = default_gating_metric(names)
        return tuple(dataclasses.replace(self.spec_for(n), primary=n == chosen) for n in names)

    def failed_runs_allowed(self, planned_runs: int) -> int:
        if self.max_failed_runs is not None:
            return self.max_failed_runs
        return planned_runs // 4

    def effective_looks(self) -> tuple[int, ...]:
        """The look schedule cut at max_runs, always ending with max_runs."""
        looks = tuple(n for n in self.looks if n < self.max_runs)
        return (*looks, self.max_runs)

    def usable_jobs(self) -> int:
        if self.jobs > 0:
            return self.jobs
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not on Linux
            return max(1, os.cpu_count() or 1)

    def digest(self) -> str:
        """What makes two RunSets comparable: command, working directory, metric specs."""
        payload = {
            "command": self.command,
            "working_directory": str(self.working_directory),
            "metrics": [
                {"name": s.name, "goal": s.goal.value, "min_effect": str(s.min_effect)}
                for s in self.metrics
            ],
        }
        blob = json.dumps(payload, sort_keys=True).encode()
        return "sha256:" + hashlib.sha256(blob).hexdigest()[:16]


# --- building -----------------------------------------------------------------------

_GLOBAL_KEYS = {f.name for f in dataclasses.fields(Config)} | {"metric"}
_METRIC_KEYS = {"goal", "min_effect", "primary"}


def _expect_int(key: str, raw: object, minimum: int) -> int:
    if isinstance(raw, bool):
        raise ConfigError(f"{key} = {raw!r}: expected a whole number >= {minimum}")
    if isinstance(raw, str):
        try:
            raw = int(raw.strip())
        except ValueError:
            raise ConfigError(f"{key} = {raw!r}: expected a whole number >= {minimum}") from None
    if not isinstance(raw, int) or raw < minimum:
        raise ConfigError(f"{key} = {raw!r}: expected a whole number >= {minimum}")
    return raw


def _expect_float(key: str, raw: object, low: float, high: float, *, open_low: bool) -> float:
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


def _expect_enum(key: str, raw: object, kind: type[E]) -> E:
    allowed = ", ".join(str(m.value) for m in kind)
    try:
        return kind(str(raw).strip().lower())
    except ValueError:
        raise ConfigError(f"{key} = {raw!r}: expected one of {allowed}") from None


def _expect_str(key: str, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{key} = {raw!r}: expected a non-empty string")
    return raw


def _expect_patterns(key: str, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        return tuple(p for p in re.split(r"[,\s]+", raw) if p)
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        return tuple(raw)
    raise ConfigError(f"{key} = {raw!r}: expected a list of glob patterns like ['HF_*']")


def _expect_looks(key: str, raw: object) -> tuple[int, ...]:
    items: list[object]
    if isinstance(raw, str):
        items = [p for p in re.split(r"[,\s]+", raw) if p]
    elif isinstance(raw, list):
        items = list(raw)
    else:
        raise ConfigError(f"{key} = {raw!r}: expected increasing run counts like [3, 5, 10]")
    looks = tuple(_expect_int(key, item, 2) for item in items)
    if not looks or any(b <= a for a, b in itertools.pairwise(looks)):
        raise ConfigError(f"{key} = {raw!r}: expected increasing run counts >= 2 like [3, 5, 10]")
    return looks


def _metric_spec(name: str, raw: object, default_effect: MinEffect) -> MetricSpec:
    key = f"metric.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{key} = {raw!r}: expected a table with goal / min_effect / primary")
    unknown = sorted(set(raw) - _METRIC_KEYS)
    if unknown:
        raise ConfigError(
            f"{key}: unknown key {unknown[0]!r}; expected one of {sorted(_METRIC_KEYS)}"
        )
    base = MetricSpec.default_for(name, default_effect)
    goal = _expect_enum(f"{key}.goal", raw["goal"], Goal) if "goal" in raw else base.goal
    effect = (
        MinEffect.parse(raw["min_effect"], f"{key}.min_effect")
        if "min_effect" in raw
        else default_effect
    )
    primary = raw.get("primary", False)
    if not isinstance(primary, bool):
        raise ConfigError(f"{key}.primary = {primary!r}: expected true or false")
    return MetricSpec(name, goal, effect, primary)


def build_config(raw: Mapping[str, Any]) -> Config:
    """Validate a flat mapping of settings (file values overlaid with flags/inputs)."""
    unknown = sorted(set(raw) - _GLOBAL_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r}; expected one of {sorted(_GLOBAL_KEYS - {'metrics'})}"
        )
    values: dict[str, Any] = {}
    default_effect = MinEffect(0.01, relative=True)
    if "min_effect" in raw:
        default_effect = MinEffect.parse(raw["min_effect"], "min_effect")
        values["min_effect"] = default_effect
    for key, item in raw.items():
        if key == "min_effect":
            continue
        if key == "metric":
            if not isinstance(item, Mapping):
                raise ConfigError(f"metric = {item!r}: expected tables like [metric.accuracy]")
            specs = tuple(_metric_spec(n, v, default_effect) for n, v in item.items())
            if sum(s.primary for s in specs) > 1:
                raise ConfigError("metric.*.primary: at most one metric may be primary")
            values["metrics"] = specs
        elif key in ("command", "entry"):
            values[key] = _expect_str(key, item)
        elif key in ("working_directory", "store"):
            values[key] = Path(_expect_str(key, item))
        elif key == "alpha":
            values[key] = _expect_float(key, item, 0.0, 0.5, open_low=True)
        elif key == "power":
            values[key] = _expect_float(key, item, 0.5, 1.0, open_low=False)
        elif key == "timeout":
            values[key] = _expect_float(key, item, 0.0, math.inf, open_low=True)
        elif key in ("runs", "baseline_runs", "max_runs"):
            values[key] = _expect_int(key, item, 2)
        elif key in ("max_failed_runs", "seed_base", "jobs", "stats_seed"):
            values[key] = _expect_int(key, item, 0)
        elif key in ("worker_max_runs", "n_test"):
            values[key] = _expect_int(key, item, 1)
        elif key == "simulations":
            values[key] = _expect_int(key, item, 1000)
        elif key == "looks":
            values[key] = _expect_looks(key, item)
        elif key in ("pass_env", "drop_env"):
            values[key] = _expect_patterns(key, item)
        elif key == "fail_on":
            values[key] = _expect_enum(key, item, FailOn)
        elif key == "metrics":  # pragma: no cover - guarded by the unknown-key check
            raise ConfigError("use [metric.NAME] tables, not 'metrics'")
    config = Config(**values)
    if config.looks[0] > config.max_runs:
        raise ConfigError(
            f"looks = {list(config.looks)}: the first look exceeds max_runs = {config.max_runs}"
        )
    return config


def read_config_file(path: Path) -> dict[str, Any]:
    """Read seedgate.toml, or [tool.seedgate] of pyproject.toml."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("seedgate", {})
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [tool.seedgate] must be a table")
        return section
    return data


def find_config_file(directory: Path) -> Path | None:
    """seedgate.toml in the directory, else a pyproject.toml with [tool.seedgate]."""
    candidate = directory / "seedgate.toml"
    if candidate.is_file():
        return candidate
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file() and read_config_file(pyproject):
        return pyproject
    return None


def load_config(
    overrides: Mapping[str, Any],
    *,
    config_path: Path | None = None,
    search_dir: Path | None = None,
) -> Config:
    """File settings (explicit path, or found in search_dir) overlaid with overrides."""
    path = config_path or (find_config_file(search_dir) if search_dir else None)
    file_values = read_config_file(path) if path else {}
    if path is not None:  # paths in a file are relative to the file, flags to the shell
        for key in ("working_directory", "store"):
            value = file_values.get(key)
            if isinstance(value, str) and value.strip() and not Path(value).is_absolute():
                file_values[key] = str(path.parent / value)
    given = {k: v for k, v in overrides.items() if v is not None}
    if "min_effect" in given and isinstance(file_values.get("metric"), Mapping):
        # a flag or action input is the newest word: it applies to every metric
        file_values["metric"] = {
            name: {k: v for k, v in spec.items() if k != "min_effect"}
            if isinstance(spec, Mapping)
            else spec
            for name, spec in file_values["metric"].items()
        }
    merged = {**file_values, **given}
    if "metric" in file_values and "metric" in overrides:
        merged["metric"] = {**file_values["metric"], **overrides["metric"]}
    return build_config(merged)
