"""The table and notes of benchmarks/noise_sources.py."""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common import ROOT
from noise_runs import (
    ACCURACY,
    EXPLAIN_SEED_BASE,
    INDEPENDENT_SEEDS,
    SOURCES,
    TRAIN,
    Row,
    Setting,
    example_config,
)

from seedgate.records import NoiseBreakdown, RunResult

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


def _method_note(args: argparse.Namespace) -> str:
    explain_runs = 2 * args.runs_per_factor + args.repeats
    return (
        f"- explain: run_explain with {args.runs_per_factor} runs varying only the data "
        f"seed, {args.runs_per_factor} varying only the init seed and {args.repeats} "
        f"with identical seeds ({explain_runs} runs, seeds {EXPLAIN_SEED_BASE}.."
        f"{EXPLAIN_SEED_BASE + 2 * args.runs_per_factor}); independent: {args.independent} "
        f"runs with all seeds distinct (pipeline.run_fixed, seeds {INDEPENDENT_SEEDS}..), jobs "
        f"{args.jobs or 'auto'}. Command: `python {TRAIN} --train-size T --test-size N`, seeds "
        "from SEEDGATE_DATA_SEED / SEEDGATE_INIT_SEED."
    )


def _shared_notes(shared: Sequence[SharedTestSet], rows: Sequence[Row]) -> list[str]:
    if not shared:
        return []
    return [
        "- Same models, two test sets (independent runs with the same seeds, identical "
        "seeds reproducing): "
        + "; ".join(_shared_line(x, rows) for x in shared)
        + ". The small set's own error moves every run alike, so the seed SD does "
        "not contain it."
    ]


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
    times = "; ".join(
        f"{t.setting.name} explain {t.explain_s:.0f} s, independent {t.independent_s:.0f} s "
        f"(made cold about {t.independent_cold_s:.0f} s)"
        for t in timings
    )
    return [
        _method_note(args),
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
        *_shared_notes(shared, rows),
        (
            f"- Wall time: {times}. Cold: the runs' total time over "
            f"{example_config(TRAIN, jobs=args.jobs).usable_jobs()} parallel jobs; the "
            f"independent runs are cached in {_shown(args.cache)}."
        ),
    ]
