"""The measuring half of benchmarks/noise_sources.py: the runs (explain and independent
seeds) and the pure checks of explain's answers against them."""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from common import ROOT, cached_runs, with_absolute_min_effect

from seedgate.config.settings import Config, load_config
from seedgate.planning.explain import run_explain
from seedgate.records import Interval, NoiseBreakdown, RunResult
from seedgate.report.noise import advice_sentences, render_explain
from seedgate.stats.variance import (
    DATA_ORDER,
    INITIALISATION,
    NON_DETERMINISM,
    MeanSquare,
    variance_interval,
)

EXAMPLE_CONFIG = ROOT / "examples" / "mnist" / "seedgate.toml"
TRAIN = "examples/mnist/train.py"
ACCURACY = "accuracy"
MIN_EFFECT = 0.01  # accuracy: 1 percentage point, the resolution the advice is checked at
CONFIDENCE = 0.95
Z_95 = 1.959963984540054
EXPLAIN_SEED_BASE = 0  # explain's runs use seeds 0 .. 2 * runs_per_factor
INDEPENDENT_SEEDS = 100_000  # disjoint from explain's
SOURCES = (DATA_ORDER, INITIALISATION, NON_DETERMINISM)


# --- the runs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setting:
    train_size: int
    test_size: int

    @property
    def name(self) -> str:
        return f"train{self.train_size}-test{self.test_size}"

    @property
    def command(self) -> str:
        """Seeds come from SEEDGATE_DATA_SEED / SEEDGATE_INIT_SEED, set by the runner."""
        return f"python {TRAIN} --train-size {self.train_size} --test-size {self.test_size}"


def example_config(command: str, **overrides: object) -> Config:
    """The example's seedgate.toml run from the repository root, accuracy's min_effect
    set to 1 percentage point (absolute)."""
    raw: dict[str, object] = {"working_directory": str(ROOT), "command": command, **overrides}
    config = load_config(raw, config_path=EXAMPLE_CONFIG)
    return with_absolute_min_effect(config, ACCURACY, MIN_EFFECT)


def independent_runs(
    setting: Setting, runs: int, *, cache: Path, jobs: int, log: TextIO
) -> tuple[RunResult, ...]:
    """The first ``runs`` successful runs with all seeds distinct, running only those the
    cache lacks (failed runs, tolerated by run_fixed, are replaced by new seeds)."""
    path = cache / f"independent-{setting.name}.json"
    config = example_config(setting.command, jobs=jobs)
    return cached_runs(
        path, runs, config=config, seed_base=INDEPENDENT_SEEDS, label=setting.name, log=log
    )


@dataclass(frozen=True, slots=True)
class Explained:
    breakdowns: tuple[NoiseBreakdown, ...]
    report: str
    wall_s: float


def explain(setting: Setting, args: argparse.Namespace, log: TextIO) -> Explained:
    """`seedgate explain` on one setting; its rendered report is kept under the cache."""
    config = example_config(setting.command, seed_base=EXPLAIN_SEED_BASE, jobs=args.jobs)
    print(f"[explain] {setting.name}: {setting.command}", file=log)
    started = time.perf_counter()
    breakdowns = run_explain(
        config, out=log, runs_per_factor=args.runs_per_factor, repeats=args.repeats
    )
    wall = time.perf_counter() - started
    report = render_explain(breakdowns, config=config)
    (args.cache / f"explain-{setting.name}.md").write_text(report, encoding="utf-8")
    return Explained(breakdowns, report, wall)


# --- the checks (pure) -----------------------------------------------------------------


def sd_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Exact chi-square interval of the SD of normal ``values`` (shape (n,), n >= 2)."""
    variance = statistics.variance(values)
    bounds = variance_interval(MeanSquare(variance, len(values) - 1), 1.0, confidence)
    return Interval(math.sqrt(bounds.low), math.sqrt(bounds.high))


def explain_df(breakdown: NoiseBreakdown, runs_per_factor: int, repeats: int) -> float:
    """Satterthwaite degrees of freedom of explain's total variance.

    Without a grid the total is ``MS_D + MS_I - MS_e`` (``MS_D + MS_I`` without repeats),
    ``MS_D`` and ``MS_I`` on ``runs_per_factor - 1`` df, ``MS_e`` on ``repeats - 1``; the
    mean squares are rebuilt from the components (exact unless a component was clipped at 0).
    """
    variance = {c.source: c.variance for c in breakdown.components}
    noise = variance.get(NON_DETERMINISM, 0.0)
    ms_d = variance.get(DATA_ORDER, 0.0) + noise
    ms_i = variance.get(INITIALISATION, 0.0) + noise
    factor_df = runs_per_factor - 1
    spread = ms_d**2 / factor_df + ms_i**2 / factor_df
    if repeats >= 2:
        spread += noise**2 / (repeats - 1)
    total = breakdown.total_variance
    return total**2 / spread if spread > 0 else math.inf


def sd_ratio_interval(
    explained_var: float,
    explained_df: float,
    independent: Sequence[float],
    confidence: float = CONFIDENCE,
) -> tuple[float, Interval]:
    """Explain's SD over the independent SD, with the F interval of the true ratio
    (1 when both measure the same spread)."""
    from scipy import stats

    independent_var = statistics.variance(independent)
    if independent_var <= 0 or not math.isfinite(explained_df):
        return math.nan, Interval(math.nan, math.nan)
    ratio = explained_var / independent_var
    tail = (1 - confidence) / 2
    df_independent = len(independent) - 1
    high_f = float(stats.f.ppf(1 - tail, explained_df, df_independent))
    low_f = float(stats.f.ppf(tail, explained_df, df_independent))
    return math.sqrt(ratio), Interval(math.sqrt(ratio / high_f), math.sqrt(ratio / low_f))


@dataclass(frozen=True, slots=True)
class TestSetAdvice:
    limits: bool | None  # None: no test-set advice (not a proportion, or no advice planned)
    examples_needed: int | None
    sentence: str


def test_set_advice(breakdown: NoiseBreakdown) -> TestSetAdvice:
    """Explain's advice on the test set's sampling error: its numbers and its sentence."""
    advice = breakdown.advice
    if advice is None or advice.test_set_half_width is None:
        return TestSetAdvice(None, None, "")
    sentence = next((s for s in advice_sentences(breakdown) if "sampling error" in s), "")
    return TestSetAdvice(advice.test_set_limits, advice.test_examples_needed, sentence)


@dataclass(frozen=True, slots=True)
class Row:
    setting: Setting
    breakdown: NoiseBreakdown
    independent: tuple[float, ...]
    explained_df: float

    @property
    def metric(self) -> str:
        return self.breakdown.metric

    @property
    def explain_sd(self) -> float:
        return math.sqrt(self.breakdown.total_variance)

    @property
    def independent_sd(self) -> float:
        return statistics.stdev(self.independent)

    @property
    def independent_interval(self) -> Interval:
        return sd_interval(self.independent)

    @property
    def ratio(self) -> tuple[float, Interval]:
        return sd_ratio_interval(self.breakdown.total_variance, self.explained_df, self.independent)

    @property
    def explain_inside(self) -> bool:
        interval = self.independent_interval
        return interval.low <= self.explain_sd <= interval.high

    @property
    def ratio_covers_one(self) -> bool:
        _, interval = self.ratio
        return interval.low <= 1 <= interval.high

    @property
    def advice(self) -> TestSetAdvice:
        return test_set_advice(self.breakdown)

    @property
    def expected_limit(self) -> bool | None:
        """What a 95% half-width of the test-set error says about a 1-point min_effect."""
        error = self.breakdown.test_set_error
        return None if error is None else Z_95 * error > MIN_EFFECT


def make_rows(
    setting: Setting,
    explained: Explained,
    independent: Sequence[RunResult],
    args: argparse.Namespace,
) -> list[Row]:
    rows = []
    for breakdown in explained.breakdowns:
        values = tuple(r.metrics[breakdown.metric] for r in independent)
        df = explain_df(breakdown, args.runs_per_factor, args.repeats)
        rows.append(Row(setting, breakdown, values, df))
    return rows
