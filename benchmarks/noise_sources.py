"""`seedgate explain` checked against many independent runs of the bundled example.

    python benchmarks/noise_sources.py [--runs-per-factor 6] [--repeats 3] [--independent 20]
        [--train-sizes 1000,4000] [--test-sizes 500,10000] [--jobs 0] [--cache DIR]

For every (training-set size, test-set size) setting of `examples/mnist/train.py` (seeds
read from SEEDGATE_DATA_SEED / SEEDGATE_INIT_SEED):

1. `seedgate explain` as the CLI runs it: seedgate.explain.run_explain (runs varying only
   the data seed, runs varying only the init seed, repeats of identical seeds), its advice
   with accuracy's min_effect set to 1 percentage point, and render_explain (each report
   is kept under --cache as explain-<setting>.md).
2. --independent runs whose seeds all differ (pipeline.run_fixed, seeds 100000, 100001, ...),
   cached as RunSet files under --cache and reused (topped up) by the next invocation.
3. Per metric: explain's total SD against the independent runs' SD (exact chi-square 95%
   interval) and their ratio (F interval, explain's degrees of freedom by Satterthwaite),
   explain's shares with their intervals, whether identical seeds reproduced, the test-set
   sampling error sqrt(p(1-p)/n) against the observed SD, and explain's advice on whether
   the test set limits a 1-point min_effect.
4. Where identical seeds reproduce, the independent runs of one training size with the same
   seeds are the same trained models: their accuracy on the small test set against the
   large one shows the small set's own error, shared by every run.

The Markdown table goes to stdout and to --results (benchmarks/results/noise_sources.md);
progress goes to stderr. The orchestrator never imports TensorFlow: runs are subprocesses.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import math
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from common import ROOT, cached_runs, this_command

from seedgate.config import Config, MinEffect, load_config
from seedgate.errors import SeedgateError
from seedgate.explain import render_explain, run_explain
from seedgate.records import Interval, NoiseBreakdown, RunResult
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
    specs = tuple(
        dataclasses.replace(s, min_effect=MinEffect(MIN_EFFECT, relative=False))
        if s.name == ACCURACY
        else s
        for s in config.metrics
    )
    return dataclasses.replace(config, metrics=specs)


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
    limits: bool | None  # None: no test-set sentence, or one in an unknown wording
    examples_needed: int | None
    sentence: str


def test_set_advice(breakdown: NoiseBreakdown) -> TestSetAdvice:
    """Explain's sentence on the test set's sampling error, read back."""
    sentence = next((s for s in breakdown.advice if "sampling error" in s), "")
    if not sentence:
        return TestSetAdvice(None, None, "")
    needed = re.search(r"about (\d+) test examples would resolve it", sentence)
    limits: bool | None = None  # a wording this benchmark does not know: shown as it is
    if "does not limit" in sentence:
        limits = False
    elif "limits the resolution" in sentence:
        limits = True
    return TestSetAdvice(limits, int(needed.group(1)) if needed else None, sentence)


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


# --- the table -------------------------------------------------------------------------


def _value(value: float, metric: str) -> str:
    """Accuracy in percentage points, other metrics in their own units."""
    return f"{value * 100:.2f} pt" if metric == ACCURACY else f"{value:.4f}"


def _share(breakdown: NoiseBreakdown, source: str) -> str:
    """Share of explain's total, and the component's 95% variance interval on that scale."""
    component = next((c for c in breakdown.components if c.source == source), None)
    total = breakdown.total_variance
    if component is None:
        return "—"
    if total <= 0:
        return "0%"
    low, high = component.interval.low / total, component.interval.high / total
    return f"{component.share:.0%} [{low:.0%}, {high:.0%}]"


def _reproduced(breakdown: NoiseBreakdown) -> str:
    if breakdown.deterministic is None:
        return "not checked"
    if breakdown.deterministic:
        return "yes"
    return f"no (max diff {_value(breakdown.identical_seed_max_diff or 0.0, breakdown.metric)})"


def _advice(row: Row) -> str:
    advice = row.advice
    if advice.limits is None:
        return advice.sentence.replace("|", "\\|") or "—"
    if not advice.limits:
        return "no"
    needed = f" (about {advice.examples_needed} examples needed)" if advice.examples_needed else ""
    return f"yes{needed}"


def _test_error(row: Row) -> tuple[str, str]:
    error = row.breakdown.test_set_error
    if error is None:
        return "—", "—"
    return _value(error, row.metric), f"{error / row.independent_sd:.2f}"


def table(rows: Sequence[Row]) -> list[str]:
    lines = [
        (
            "| train | test | metric | explain SD | independent SD [95%] (runs) "
            "| SD ratio explain / independent [95%] | data order | initialisation "
            "| non-determinism | identical seeds reproduce | test-set SE sqrt(p(1-p)/n) "
            "| SE / independent SD | advice: test set limits a 1-point min_effect |"
        ),
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for row in rows:
        metric = row.metric
        interval = row.independent_interval
        ratio, ratio_interval = row.ratio
        error, error_ratio = _test_error(row)
        shares = " | ".join(_share(row.breakdown, s) for s in SOURCES)
        lines.append(
            f"| {row.setting.train_size} | {row.setting.test_size} | {metric} "
            f"| {_value(row.explain_sd, metric)} "
            f"| {_value(row.independent_sd, metric)} [{_value(interval.low, metric)}, "
            f"{_value(interval.high, metric)}] ({len(row.independent)}) "
            f"| {ratio:.2f} [{ratio_interval.low:.2f}, {ratio_interval.high:.2f}] "
            f"| {shares} | {_reproduced(row.breakdown)} | {error} | {error_ratio} "
            f"| {_advice(row)} |"
        )
    return lines


@dataclass(frozen=True, slots=True)
class Timing:
    setting: Setting
    explain_s: float
    independent_s: float  # this invocation: 0 when the cache held every run
    independent_cold_s: float  # the runs' total time over the parallel jobs


@dataclass(frozen=True, slots=True)
class SharedTestSet:
    """The same trained models scored on the first ``small`` and on ``large`` test examples."""

    train_size: int
    small: int
    large: int
    mean_diff: float  # accuracy on the small set minus on the large one, mean over models
    diff_se: float
    correlation: float
    models: int


def shared_test_sets(
    independent: dict[Setting, tuple[RunResult, ...]], rows: Sequence[Row]
) -> list[SharedTestSet]:
    """Per training size, each smaller test set against the largest, run by run (same seed).

    Only where identical seeds reproduced in every setting of that training size: then runs
    with the same seeds are the same trained model, and the test sets differ alone.
    """
    out = []
    for train_size in dict.fromkeys(s.train_size for s in independent):
        settings = sorted(
            (s for s in independent if s.train_size == train_size), key=lambda s: s.test_size
        )
        reproduced = all(
            r.breakdown.deterministic for r in rows if r.setting.train_size == train_size
        )
        if len(settings) < 2 or not reproduced:
            continue
        large = {r.seed: r.metrics[ACCURACY] for r in independent[settings[-1]]}
        for setting in settings[:-1]:
            small = {r.seed: r.metrics[ACCURACY] for r in independent[setting]}
            seeds = sorted(small.keys() & large.keys())
            if len(seeds) < 3:
                continue
            diffs = [small[k] - large[k] for k in seeds]
            correlation = statistics.correlation(
                [small[k] for k in seeds], [large[k] for k in seeds]
            )
            out.append(
                SharedTestSet(
                    train_size,
                    setting.test_size,
                    settings[-1].test_size,
                    statistics.fmean(diffs),
                    statistics.stdev(diffs) / math.sqrt(len(diffs)),
                    correlation,
                    len(seeds),
                )
            )
    return out


def _shared_line(shared: SharedTestSet, rows: Sequence[Row]) -> str:
    error = next(
        r.breakdown.test_set_error
        for r in rows
        if r.metric == ACCURACY and r.setting == Setting(shared.train_size, shared.small)
    )
    return (
        f"train {shared.train_size}: the same {shared.models} models score "
        f"{shared.mean_diff * 100:+.2f} ± {shared.diff_se * 100:.2f} pt on the first "
        f"{shared.small} test examples against all {shared.large} (r = "
        f"{shared.correlation:.2f} run by run; test-set SE at {shared.small}: "
        f"{(error or 0.0) * 100:.2f} pt)"
    )


def _above_one(rows: Sequence[Row]) -> str:
    """Where the test-set SE exceeds the observed seed SD, in words."""
    sizes = sorted(
        {
            r.setting.test_size
            for r in rows
            if r.breakdown.test_set_error is not None
            and r.breakdown.test_set_error > r.independent_sd
        }
    )
    if not sizes:
        return "below 1 in every setting"
    return "above 1 at n = " + ", ".join(map(str, sizes))


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def notes(
    args: argparse.Namespace,
    rows: Sequence[Row],
    timings: Sequence[Timing],
    shared: Sequence[SharedTestSet],
) -> list[str]:
    inside = sum(r.explain_inside for r in rows)
    covers = sum(r.ratio_covers_one for r in rows)
    accuracy = [r for r in rows if r.metric == ACCURACY and r.advice.limits is not None]
    agree = sum(r.advice.limits == r.expected_limit for r in accuracy)
    explain_runs = 2 * args.runs_per_factor + args.repeats
    times = "; ".join(
        f"{t.setting.name} explain {t.explain_s:.0f} s, independent {t.independent_s:.0f} s "
        f"(made cold about {t.independent_cold_s:.0f} s)"
        for t in timings
    )
    return [
        (
            f"- explain: run_explain with {args.runs_per_factor} runs varying only the data "
            f"seed, {args.runs_per_factor} varying only the init seed and {args.repeats} "
            f"with identical seeds ({explain_runs} runs, seeds {EXPLAIN_SEED_BASE}.."
            f"{EXPLAIN_SEED_BASE + 2 * args.runs_per_factor}); independent: {args.independent} "
            f"runs with all seeds distinct (pipeline.run_fixed, seeds {INDEPENDENT_SEEDS}..), jobs "
            f"{args.jobs or 'auto'}. Command: `python {TRAIN} --train-size T --test-size N`, seeds "
            "from SEEDGATE_DATA_SEED / SEEDGATE_INIT_SEED."
        ),
        (
            f"- explain's total SD lies inside the independent runs' 95% chi-square interval in "
            f"{inside} of {len(rows)} rows; the 95% interval of the SD ratio (F, explain's df by "
            f"Satterthwaite, about {min(r.explained_df for r in rows):.0f}-"
            f"{max(r.explained_df for r in rows):.0f}) covers 1 in {covers} of {len(rows)}. "
            "explain's own total rests on few runs, so the ratio interval is the fairer check."
        ),
        (
            "- Shares: share of explain's total variance; in brackets the component's own 95% "
            "interval (chi-square or MLS, as explain reports it) divided by that total (the "
            "total's uncertainty is not included, so a bracket can pass 100%)."
        ),
        (
            "- Test-set SE: sqrt(p(1-p)/n) from explain (p its mean accuracy), the error of an "
            "accuracy on n examples as an estimate of the accuracy on new data. Every run here "
            "scores the same first n test examples, so the seed SD holds only what changes "
            f"between runs on that set, not that error (SE / independent SD {_above_one(rows)})."
        ),
        (
            f"- Advice: explain says the test set limits a 1-point min_effect exactly when "
            f"1.96 SE > 1 point in {agree} of {len(accuracy)} settings (its rule); explain's full "
            f"reports are in {_shown(args.cache)}/explain-<setting>.md."
        ),
        *(
            [
                "- Same models, two test sets (independent runs with the same seeds, identical "
                "seeds reproducing): "
                + "; ".join(_shared_line(x, rows) for x in shared)
                + ". The small set's own error moves every run alike, so the seed SD does "
                "not contain it."
            ]
            if shared
            else []
        ),
        (
            f"- Wall time: {times}. Cold: the runs' total time over "
            f"{example_config(TRAIN, jobs=args.jobs).usable_jobs()} parallel jobs; the "
            f"independent runs are cached in {_shown(args.cache)}."
        ),
    ]


# --- main --------------------------------------------------------------------------------


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected sizes like 1000,4000") from None
    if not sizes or any(s < 1 for s in sizes) or len(set(sizes)) < len(sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: expected distinct whole numbers >= 1")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--runs-per-factor", type=int, default=6, help="explain's runs per varied seed (6)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="identical-seed runs (3)")
    parser.add_argument(
        "--independent", type=int, default=20, help="independent runs per setting (20)"
    )
    parser.add_argument(
        "--train-sizes", type=_sizes, default=(1000, 4000), help="training-set sizes (1000,4000)"
    )
    parser.add_argument(
        "--test-sizes", type=_sizes, default=(500, 10000), help="test-set sizes (500,10000)"
    )
    parser.add_argument("--jobs", type=int, default=0, help="parallel runs, 0 = auto (0)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(".seedgate/bench-noise"),
        help="RunSets of the independent runs, explain reports (.seedgate/bench-noise)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("benchmarks/results/noise_sources.md"),
        help="table (benchmarks/results/noise_sources.md)",
    )
    args = parser.parse_args(argv)
    if args.runs_per_factor < 2:
        parser.error("--runs-per-factor must be >= 2")
    if args.repeats < 0 or args.repeats == 1:
        parser.error("--repeats must be 0 or >= 2")
    if args.independent < 2:
        parser.error("--independent must be >= 2")
    if args.jobs < 0:
        parser.error("--jobs must be >= 0 (0 = one per usable core)")
    args.cache = args.cache.resolve()
    return args


def run(
    args: argparse.Namespace, log: TextIO
) -> tuple[list[Row], list[Timing], dict[Setting, tuple[RunResult, ...]]]:
    # The runs' scratch folders go to a private temporary directory, as in a CI job, out of
    # reach of whatever else cleans the shared /tmp of a busy machine.
    scratch = args.cache / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(scratch)
    rows: list[Row] = []
    timings: list[Timing] = []
    runs: dict[Setting, tuple[RunResult, ...]] = {}
    for train_size in args.train_sizes:
        for test_size in args.test_sizes:
            setting = Setting(train_size, test_size)
            explained = explain(setting, args, log)
            started = time.perf_counter()
            independent = independent_runs(
                setting, args.independent, cache=args.cache, jobs=args.jobs, log=log
            )
            jobs = example_config(setting.command, jobs=args.jobs).usable_jobs()
            cold = sum(r.duration_s for r in independent) / jobs
            wall = time.perf_counter() - started
            timings.append(Timing(setting, explained.wall_s, wall, cold))
            rows += make_rows(setting, explained, independent, args)
            runs[setting] = independent
    return rows, timings, runs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = this_command()
    started = time.perf_counter()
    try:
        rows, timings, runs = run(args, sys.stderr)
    except SeedgateError as exc:
        print(f"noise_sources: error: {exc}", file=sys.stderr)
        return 2
    report = io.StringIO()
    report.write(f"$ {command}\n\n")
    report.write("\n".join(table(rows)) + "\n\n")
    shared = shared_test_sets(runs, rows)
    report.write("\n".join(notes(args, rows, timings, shared)) + "\n\n")
    report.write(f"Total wall time {time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs.\n")
    text = report.getvalue()
    print(text, end="")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(f"noise_sources: table written to {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
