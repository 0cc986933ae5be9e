"""One baseline of main as a history record: small enough to keep thousands of.

A RunSet holds every run; a record keeps what a chart and the drift detector need: the
commit and its date, how many runs, and per metric n, mean, SD and seven quantiles, plus
the reproducibility part of the environment fingerprint (Python, TensorFlow, GPU, image,
...). A record of a 20-run baseline of three metrics is under 2 KB.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from seedgate.records import EnvironmentDifference, Goal, RunSet
from seedgate.run.fingerprint import REPRODUCIBILITY_KEYS, differences

# min, 10%, 25%, median, 75%, 90%, max of the successful runs' values.
QUANTILE_LEVELS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


@dataclass(frozen=True, slots=True)
class MetricRecord:
    """One metric of one baseline. ``sd`` is NaN with one run; ``goal`` None when unknown."""

    name: str
    n: int
    mean: float
    sd: float
    quantiles: tuple[float, ...]  # at QUANTILE_LEVELS
    goal: Goal | None = None

    @property
    def median(self) -> float:
        return self.quantiles[QUANTILE_LEVELS.index(0.5)]


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One baseline of main: the commit, when it ran, its runs and their summaries."""

    commit: str | None
    created_at: str  # ISO 8601 with a time zone, from the RunSet
    config_digest: str
    runs: int
    failed_runs: int
    metrics: tuple[MetricRecord, ...]
    environment: Mapping[str, str]

    def metric(self, name: str) -> MetricRecord | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at)

    @property
    def short_commit(self) -> str:
        return self.commit[:7] if self.commit else "(no commit)"


def record_from_runset(runset: RunSet, goals: Mapping[str, Goal] | None = None) -> HistoryRecord:
    """The record of a baseline RunSet; ``goals`` gives the direction of configured metrics."""
    goals = goals or {}
    metrics = tuple(
        _metric_record(name, runset.values(name), goals.get(name)) for name in runset.metric_names()
    )
    environment = {
        k: runset.environment[k] for k in REPRODUCIBILITY_KEYS if k in runset.environment
    }
    return HistoryRecord(
        commit=runset.commit,
        created_at=runset.created_at,
        config_digest=runset.config_digest,
        runs=len(runset.runs),
        failed_runs=len(runset.failed_runs),
        metrics=metrics,
        environment=environment,
    )


def _metric_record(name: str, values: tuple[float, ...], goal: Goal | None) -> MetricRecord:
    """``values``: shape (n,), n >= 1, finite (RunSets hold only valid metrics)."""
    data = np.asarray(values, dtype=float)
    quantiles = np.quantile(data, QUANTILE_LEVELS)
    return MetricRecord(
        name=name,
        n=int(data.size),
        mean=float(data.mean()),
        sd=float(data.std(ddof=1)) if data.size > 1 else math.nan,
        quantiles=tuple(float(q) for q in quantiles),
        goal=goal,
    )


def environment_changes(
    records: tuple[HistoryRecord, ...],
) -> tuple[tuple[EnvironmentDifference, ...], ...]:
    """Per record (shape (T,)), what differs from the record before it; () for the first."""
    return tuple(
        () if index == 0 else differences(records[index - 1].environment, record.environment)
        for index, record in enumerate(records)
    )
