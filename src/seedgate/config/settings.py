"""One frozen Config, built from seedgate.toml / [tool.seedgate] / CLI flags / action inputs.

Every source is a flat mapping of raw values; ``build_config`` validates them all in one
place, so that each error names the key, the value and what was expected.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedgate.config.defaults import default_gating_metric
from seedgate.config.values import (
    MAX_SEED,
    expect_bytes,
    expect_command,
    expect_enum,
    expect_float,
    expect_int,
    expect_jobs,
    expect_looks,
    expect_path,
    expect_patterns,
    expect_seconds,
    expect_str,
)
from seedgate.errors import ConfigError
from seedgate.files import read_regular
from seedgate.log_text import name_problem
from seedgate.records import Executor, FailOn, Goal, MissingBaseline

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_LOOKS = (3, 4, 5, 7, 10, 15, 20)


def _batched(looks: tuple[int, ...], jobs: int) -> tuple[int, ...]:
    """``looks`` without those fewer than ``jobs`` runs after the last look kept."""
    kept: list[int] = []
    for n in looks:
        if not kept or n - kept[-1] >= jobs:
            kept.append(n)
    return tuple(kept)


# metrics a run may report that describe the evaluation rather than measure the model
RESERVED_METRICS = frozenset({"n_test"})
_MINIMIZE_HINT = re.compile(r"(loss|err|error|mse|mae|rmse|perplexity|latency|time)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MinEffect:
    """The smallest change that matters: absolute, or relative to the baseline mean."""

    value: float
    relative: bool

    def absolute(self, reference: Sequence[float]) -> float:
        """In the metric's units: a relative min_effect is a share of the mean of the
        ``reference`` values (the baseline's, as a rule); 0 when there are none."""
        if not self.relative:
            return self.value
        return abs(math.fsum(reference) / len(reference)) * self.value if reference else 0.0

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


DEFAULT_MIN_EFFECT = MinEffect(0.01, relative=True)


def usable_cores() -> int:
    """The cores this process may run on: what ``jobs = "auto"`` means."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    goal: Goal = Goal.MAXIMIZE
    min_effect: MinEffect = DEFAULT_MIN_EFFECT
    primary: bool = False

    @classmethod
    def default_for(cls, name: str, min_effect: MinEffect = DEFAULT_MIN_EFFECT) -> MetricSpec:
        """A spec for a metric the config does not name: goal guessed from the name."""
        goal = Goal.MINIMIZE if _MINIMIZE_HINT.search(name) else Goal.MAXIMIZE
        return cls(name, goal, min_effect)


@dataclass(frozen=True)
class Config:
    """Everything that shapes a gate run. Built once, never mutated."""

    command: str | None = None
    working_directory: Path = Path()
    metrics: tuple[MetricSpec, ...] = ()
    min_effect: MinEffect = DEFAULT_MIN_EFFECT
    alpha: float = 0.05
    power: float = 0.9
    runs: int = 5  # fixed runs for `seedgate run`
    baseline_runs: int = 20
    looks: tuple[int, ...] = DEFAULT_LOOKS
    max_runs: int = 20
    timeout: float = 3600.0
    max_failed_runs: int | None = None  # None: a quarter of the runs
    seed_base: int = 0
    jobs: int = 1  # 0 ("auto") means one per usable core
    pass_env: tuple[str, ...] = ()
    drop_env: tuple[str, ...] = ()
    fail_on: FailOn = FailOn.REGRESSION
    missing_baseline: MissingBaseline = MissingBaseline.FAIL
    store: Path = Path(".seedgate")
    entry: str | None = None  # module:function for warm workers
    executor: Executor = Executor.LOCAL
    ray_address: str | None = None  # None: $RAY_ADDRESS
    ray_num_cpus: float = 1.0  # per run
    ray_num_gpus: float = 0.0  # per run
    ray_memory: int | None = None  # bytes reserved per run
    ray_install: str | None = None  # run once per node before its first run
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

    def look_schedule(self) -> tuple[int, ...]:
        """The candidate run counts at which the test looks: ``looks`` cut at max_runs,
        always ending with max_runs.

        The default schedule looks often early (3, 4, 5 runs), which is free with one job;
        with ``jobs`` runs at a time, reaching a look one run after the last would leave the
        other workers idle, so the default keeps a look only a whole batch after the one
        before it (2 jobs: 3, 5, 7, 10, 15, 20). Other looks set in the config are used as
        given.
        """
        looks = tuple(n for n in self.looks if n < self.max_runs)
        if self.looks == DEFAULT_LOOKS:
            looks = _batched(looks, self.usable_jobs())
        return (*looks, self.max_runs)

    def usable_jobs(self) -> int:
        return self.jobs if self.jobs > 0 else usable_cores()

    def run_command(self) -> str:
        """What the runs execute, as recorded in a RunSet (warm workers: ``entry:MOD:FUNC``)."""
        if self.entry:
            return f"entry:{self.entry}"
        if not self.command:
            raise ConfigError(
                "command: no command given; pass it after `--` (CLI) or as the `command` "
                "input (action), or set `command` or `entry` in seedgate.toml"
            )
        return self.command

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

_METRIC_KEYS = {"goal", "min_effect", "primary"}


def _metric_spec(
    name: str, raw: object, default_effect: MinEffect, *, effect_is_override: bool
) -> MetricSpec:
    key = f"metric.{name}"
    problem = name_problem(name)
    if problem is not None:
        raise ConfigError(f"[metric.*]: the metric name {ascii(name)[:80]} {problem}")
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{key} = {raw!r}: expected a table with goal / min_effect / primary")
    check_known_keys(raw, _METRIC_KEYS, where=f"{key}: unknown key")
    base = MetricSpec.default_for(name, default_effect)
    goal = expect_enum(f"{key}.goal", raw["goal"], Goal) if "goal" in raw else base.goal
    effect = default_effect
    # a flag or action input is the newest word: it applies to every metric
    if "min_effect" in raw and not effect_is_override:
        effect = MinEffect.parse(raw["min_effect"], f"{key}.min_effect")
    primary = raw.get("primary", False)
    if not isinstance(primary, bool):
        raise ConfigError(f"{key}.primary = {primary!r}: expected true or false")
    return MetricSpec(name, goal, effect, primary)


def _metric_specs(
    raw: object, default_effect: MinEffect, *, effect_is_override: bool
) -> tuple[MetricSpec, ...]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"metric = {raw!r}: expected tables like [metric.accuracy]")
    specs = tuple(
        _metric_spec(n, v, default_effect, effect_is_override=effect_is_override)
        for n, v in raw.items()
    )
    if sum(s.primary for s in specs) > 1:
        raise ConfigError("metric.*.primary: at most one metric may be primary")
    return specs


# One validator per setting: the only place a raw value becomes a typed one.
_VALIDATORS: dict[str, Callable[[str, object], Any]] = {
    "command": expect_command,
    "entry": expect_str,
    "executor": lambda k, v: expect_enum(k, v, Executor),
    "ray_address": expect_str,
    "ray_num_cpus": lambda k, v: expect_float(k, v, 0.0, 1025.0, open_low=True),
    "ray_num_gpus": lambda k, v: expect_float(k, v, 0.0, 1025.0, open_low=False),
    "ray_memory": expect_bytes,
    "ray_install": expect_str,
    "working_directory": expect_path,
    "store": expect_path,
    "alpha": lambda k, v: expect_float(k, v, 0.0, 0.5, open_low=True),
    "power": lambda k, v: expect_float(k, v, 0.5, 1.0, open_low=False),
    "timeout": expect_seconds,
    "runs": lambda k, v: expect_int(k, v, 2),
    "baseline_runs": lambda k, v: expect_int(k, v, 2),
    "max_runs": lambda k, v: expect_int(k, v, 2),
    "max_failed_runs": lambda k, v: expect_int(k, v, 0),
    "seed_base": lambda k, v: expect_int(k, v, 0),
    "stats_seed": lambda k, v: expect_int(k, v, 0),
    "jobs": expect_jobs,
    "worker_max_runs": lambda k, v: expect_int(k, v, 1),
    "n_test": lambda k, v: expect_int(k, v, 1),
    "simulations": lambda k, v: expect_int(k, v, 1000),
    "looks": expect_looks,
    "pass_env": expect_patterns,
    "drop_env": expect_patterns,
    "fail_on": lambda k, v: expect_enum(k, v, FailOn),
    "missing_baseline": lambda k, v: expect_enum(k, v, MissingBaseline),
    "min_effect": lambda k, v: MinEffect.parse(v, k),
}
SETTING_KEYS = frozenset(_VALIDATORS) | {"metric"}


def check_known_keys(raw: Mapping[str, Any], known: Iterable[str], *, where: str) -> None:
    """Refuse the first key of ``raw`` not in ``known``, with the closest known one."""
    unknown = sorted(set(raw) - set(known))
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{where} {unknown[0]!r}{hint} (expected one of {', '.join(sorted(known))})")


def build_config(raw: Mapping[str, Any], *, overridden: frozenset[str] = frozenset()) -> Config:
    """Validate a flat mapping of settings (file values overlaid with flags/inputs).

    ``overridden`` names the keys a flag or action input set: a ``min_effect`` among them
    applies to every metric, over the metric tables' own.
    """
    check_known_keys(raw, SETTING_KEYS, where="unknown setting")
    values = {key: _VALIDATORS[key](key, item) for key, item in raw.items() if key != "metric"}
    if "metric" in raw:
        values["metrics"] = _metric_specs(
            raw["metric"],
            values.get("min_effect", DEFAULT_MIN_EFFECT),
            effect_is_override="min_effect" in overridden,
        )
    config = Config(**values)
    if config.looks[0] > config.max_runs:
        raise ConfigError(
            f"looks = {list(config.looks)}: the first look exceeds max_runs = {config.max_runs}"
        )
    _check_seed_range(config)
    if config.executor is Executor.RAY and config.entry:
        raise ConfigError(
            'entry: warm workers run on the gate\'s machine only; with executor = "ray" set '
            "`command` instead"
        )
    return config


def _check_seed_range(config: Config) -> None:
    """Run i gets seed seed_base + i: the last one must still be a seed RunSets accept."""
    most = max(config.runs, config.baseline_runs, config.max_runs)
    if config.seed_base + most - 1 > MAX_SEED:
        raise ConfigError(
            f"seed_base = {config.seed_base}: with {most} runs the last seed passes "
            f"{MAX_SEED:,} (2**63 - 1, the largest seed a RunSet holds); "
            f"expected seed_base <= {MAX_SEED - most + 1:,}"
        )


MAX_CONFIG_BYTES = 4 << 20  # a config file is a few kilobytes


def read_config_file(path: Path) -> dict[str, Any]:
    """Read seedgate.toml, or [tool.seedgate] of pyproject.toml."""
    try:
        data = tomllib.loads(read_regular(path, limit=MAX_CONFIG_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(
            f"config file {path} is not valid TOML: arrays or tables nested too deeply"
        ) from None
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


def _check_file_keys(values: Mapping[str, Any], path: Path | None) -> None:
    """Unknown keys in a config file are named with the file they are in."""
    if path is None:
        return
    check_known_keys(values, SETTING_KEYS, where=f"{path}: unknown setting")
    metrics = values.get("metric")
    if isinstance(metrics, Mapping):
        for name, table in metrics.items():
            if isinstance(table, Mapping):
                where = f"{path}: [metric.{name}] has an unknown key"
                check_known_keys(table, _METRIC_KEYS, where=where)


def load_config(
    overrides: Mapping[str, Any],
    *,
    config_path: Path | None = None,
    search_dir: Path | None = None,
    root: Path = Path(),
) -> Config:
    """File settings (explicit path, or found in search_dir) overlaid with overrides.

    Relative paths are read from ``root`` but recorded as given: the config digest must
    not depend on where a checkout lives (the action runs with ``root`` as its cwd).
    A config file's folder is where its project is: ``working_directory`` and ``store``
    (given in it or not) are relative to that folder; flags stay relative to the shell.
    """
    found = find_config_file(root / search_dir) if search_dir is not None else None
    if config_path is None and found is not None and search_dir is not None:
        config_path = search_dir / found.name
    path = config_path
    file_values = read_config_file(root / path) if path else {}
    _check_file_keys(file_values, path)
    if path is not None:  # paths in a file are relative to the file, flags to the shell
        defaults = {"working_directory": ".", "store": str(Config.store)}
        for key, default in defaults.items():
            value = file_values.get(key, default)
            if isinstance(value, str) and value.strip() and not Path(value).is_absolute():
                file_values[key] = str(path.parent / value)
    given = {k: v for k, v in overrides.items() if v is not None}
    return build_config({**file_values, **given}, overridden=frozenset(given))
