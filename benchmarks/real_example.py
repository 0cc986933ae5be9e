"""Verdict quality on real training runs of the bundled example (examples/mnist/train.py).

    python benchmarks/real_example.py [--pool N] [--reps R] [--lrs 8e-4,6.5e-4] [--no-gate]

1. Pools of real runs, made with seedgate's own runner (pipeline.run_fixed, jobs auto) and
   cached as RunSet files under --cache: the reference (lr 1e-3) in two halves A and B with
   disjoint seeds (so "unchanged code" compares different seeds), and one pool per changed
   learning rate. A second invocation reuses the pools (and tops them up when
   --pool grows).
2. The change of known size: the mean accuracy drop of each pool against the reference, in
   seed-SD units (SD of the reference runs), with its standard error.
3. The gate replayed on those runs: a 20-run baseline and the candidate's runs, each drawn
   without replacement (unchanged code: baseline from reference A, candidates from B, and
   the reverse; changed code: baseline from A+B, candidates from the changed pool), and
   compare.compare() called look by look exactly as pipeline.run_gate does, with the
   example's seedgate.toml (accuracy primary, min_effect 0.01) and with min_effect set to
   one seed SD (the simulation benchmark's setting).
4. The real gate, end to end, once per case: `python -m seedgate gate --baseline FILE
   --jobs auto -- python examples/mnist/train.py --seed {seed} --lr X` against a baseline
   RunSet of 20 reference runs; its verdict, runs and wall time.

The Markdown table goes to stdout and to --results (benchmarks/results/real_example.md);
progress goes to stderr. The orchestrator never imports TensorFlow: runs are subprocesses.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import plus_minus, rate_cell
from real_example_runs import (
    BASELINE_RUNS,
    CHANGED_SEEDS,
    DEFAULT_LRS,
    GATE_SEED_BASE,
    METRIC,
    POOL_RUNS,
    REFERENCE_A_SEEDS,
    REFERENCE_B_SEEDS,
    REFERENCE_LR,
    TRAIN,
    VERDICTS,
    Case,
    GateRun,
    Pool,
    Row,
    build_pool,
    example_config,
    gate_end_to_end,
    gate_settings,
    make_cases,
    replay_case,
    values,
)

from seedgate.config.settings import Config
from seedgate.errors import SeedgateError
from seedgate.records import RunResult, Verdict
from seedgate.runset.codec import read_runset, write_runset

# --- the table ---------------------------------------------------------------------------


def _sides(case: Case) -> str:
    return f"{case.baseline_label} / {case.pool.name}"


def replay_table(rows: Sequence[Row]) -> list[str]:
    lines = [
        (
            "| case | baseline from / candidates from | true drop (seed SD) | min_effect "
            "| P(regression): false alarm / detection | P(no-change) | P(inconclusive) "
            "| P(improvement) | mean candidate runs |"
        ),
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        e = r.case.effect
        rates = " | ".join(rate_cell(r.rate(v), r.reps) for v in VERDICTS)
        lines.append(
            f"| {r.case.label} | {_sides(r.case)} | {plus_minus(e.in_sd, e.in_sd_se, 2)} "
            f"| {r.setting} | {rates} "
            f"| {plus_minus(r.runs_mean, r.runs_se, 2)} |"
        )
    return lines


def pool_lines(pools: Sequence[tuple[Pool, tuple[RunResult, ...]]]) -> list[str]:
    lines = [
        "| pool | lr | seeds | runs | accuracy mean ± SD | mean run time |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for pool, runs in pools:
        vals = values(runs)
        seeds = f"{runs[0].seed}..{runs[-1].seed}"
        duration = sum(r.duration_s for r in runs) / len(runs)
        lines.append(
            f"| {pool.name} | {pool.lr:g} | {seeds} | {vals.size} "
            f"| {vals.mean():.4f} ± {vals.std(ddof=1):.4f} | {duration:.1f} s |"
        )
    return lines


def effect_lines(cases: Sequence[Case]) -> list[str]:
    lines = [
        (
            "| case | baseline pool / candidate pool | accuracy drop (mean ± SE) "
            "| drop in seed SD (± SE) |"
        ),
        "|---|---|---:|---:|",
    ]
    lines += [
        f"| {c.label} | {_sides(c)} | {plus_minus(c.effect.drop, c.effect.drop_se, 4)} "
        f"| {plus_minus(c.effect.in_sd, c.effect.in_sd_se, 2)} |"
        for c in cases
    ]
    return lines


def gate_lines(runs: Sequence[GateRun]) -> list[str]:
    lines = [
        "| case | verdict | candidate runs | failed runs | wall time |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {g.label} | {g.verdict} | {g.candidate_runs} | {g.failed_runs} | {g.wall_s:.0f} s |"
        for g in runs
    ]
    return lines


def false_alarm_lines(rows: Sequence[Row], alpha: float) -> list[str]:
    """The issue's false-alarm target per setting, over both directions of unchanged code."""
    out = []
    for setting in dict.fromkeys(r.setting for r in rows):
        unchanged = [r for r in rows if r.setting == setting and r.case.unchanged]
        if not unchanged:
            continue
        rates = [r.rate(Verdict.REGRESSION) for r in unchanged]
        rate = sum(rates) / len(rates)
        each = ", ".join(f"{r.case.label} {x:.3f}" for r, x in zip(unchanged, rates, strict=True))
        mark = "met   " if rate <= alpha else "MISSED"
        out.append(
            f"- {mark} false alarm on unchanged code, min_effect {setting}: {rate:.3f} "
            f"({each}; target <= {alpha:g})"
        )
    return out


# --- main ----------------------------------------------------------------------------------


def _lrs(text: str) -> tuple[float, ...]:
    try:
        lrs = tuple(float(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected learning rates like 8e-4,6.5e-4"
        ) from None
    if not lrs or any(not 0 < lr < 1 for lr in lrs) or len(set(lrs)) < len(lrs):
        raise argparse.ArgumentTypeError(f"{text!r}: expected distinct learning rates in (0, 1)")
    return lrs


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pool", type=int, default=POOL_RUNS, help=f"runs per pool ({POOL_RUNS})")
    parser.add_argument("--reps", type=int, default=1000, help="replays per case (1000)")
    parser.add_argument(
        "--lrs",
        type=_lrs,
        default=DEFAULT_LRS,
        help="changed learning rates, comma-separated (default 8e-4,6.5e-4: drops of about "
        "1 and 2 seed SDs)",
    )
    parser.add_argument("--train-size", type=int, default=1000, help="training examples (1000)")
    parser.add_argument("--jobs", default="auto", help="parallel runs: N or auto (auto)")
    parser.add_argument("--seed", type=int, default=0, help="resampling seed (0)")
    parser.add_argument(
        "--cache", type=Path, default=Path(".seedgate/bench-real"), help="pool RunSets"
    )
    parser.add_argument(
        "--results", type=Path, default=Path("benchmarks/results/real_example.md"), help="table"
    )
    parser.add_argument("--no-gate", action="store_true", help="skip the end-to-end CLI gates")
    args = parser.parse_args(argv)
    if args.pool < BASELINE_RUNS:
        parser.error(f"--pool must be >= {BASELINE_RUNS} (a baseline and a candidate's runs)")
    if args.reps < 2:
        parser.error("--reps must be >= 2")
    if args.train_size < 1:
        parser.error("--train-size must be >= 1")
    if args.jobs != "auto" and not (args.jobs.isdigit() and int(args.jobs) >= 1):
        parser.error("--jobs: expected a number >= 1 or 'auto'")
    args.cache = args.cache.resolve()  # the CLI gates run from the repository root
    return args


@dataclass(frozen=True, slots=True)
class Results:
    pools: tuple[tuple[Pool, tuple[RunResult, ...]], ...]
    cases: tuple[Case, ...]
    rows: tuple[Row, ...]
    gates: tuple[GateRun, ...]
    pool_wall_s: float
    replay_wall_s: float


def end_to_end_gates(
    args: argparse.Namespace, pools: Sequence[Pool], runs: dict[str, tuple[RunResult, ...]]
) -> tuple[GateRun, ...]:
    """The real gate once per pool after reference A, against reference A's first runs."""
    baseline_path = args.cache / "gate-baseline.json"
    # The reference-A RunSet as made (environment, commit, digest), cut to its first runs.
    made = read_runset(args.cache / f"{pools[0].name}.json")
    first = runs[pools[0].name][:BASELINE_RUNS]
    write_runset(dataclasses.replace(made, runs=first), baseline_path)
    return tuple(
        gate_end_to_end(
            "unchanged" if pool.lr == REFERENCE_LR else f"lr {pool.lr:g}",
            pool,
            baseline_path,
            cache=args.cache,
            train_size=args.train_size,
            jobs=args.jobs,
        )
        for pool in pools[1:]
    )


def run(args: argparse.Namespace) -> Results:
    pools = (
        Pool("reference-A", REFERENCE_LR, REFERENCE_A_SEEDS),
        Pool("reference-B", REFERENCE_LR, REFERENCE_B_SEEDS),
        *(Pool(f"lr-{lr:g}", lr, CHANGED_SEEDS + 100_000 * i) for i, lr in enumerate(args.lrs)),
    )
    jobs = 0 if args.jobs == "auto" else int(args.jobs)
    # The runs' scratch folders go to a private temporary directory, as in a CI job, out of
    # reach of whatever else cleans the shared /tmp of a busy machine.
    scratch = args.cache / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(scratch)
    started = time.perf_counter()
    runs = {
        p.name: build_pool(
            p, args.pool, cache=args.cache, train_size=args.train_size, jobs=jobs, log=sys.stderr
        )
        for p in pools
    }
    pool_wall = time.perf_counter() - started
    cases = make_cases(pools, runs)
    settings = gate_settings(cases[0].effect.seed_sd)

    started = time.perf_counter()
    streams = np.random.SeedSequence(args.seed).spawn(len(cases))
    rows = tuple(
        row
        for case, stream in zip(cases, streams, strict=True)
        for row in replay_case(case, settings, reps=args.reps, rng=np.random.default_rng(stream))
    )
    replay_wall = time.perf_counter() - started
    print(f"[replay] {len(rows)} rows in {replay_wall:.0f} s", file=sys.stderr)

    gates = () if args.no_gate else end_to_end_gates(args, pools, runs)
    pairs = tuple((p, runs[p.name]) for p in pools)
    return Results(pairs, cases, rows, gates, pool_wall, replay_wall)


def _replay_intro(args: argparse.Namespace, config: Config) -> str:
    looks = ", ".join(map(str, config.look_schedule()))
    return (
        f"Replayed gate on real runs of `{TRAIN}` (train size {args.train_size}): {args.reps} "
        f"replays per case. Each draws a {BASELINE_RUNS}-run baseline and the candidate's runs "
        "without replacement from the pools named in the row, then calls compare() look by "
        f"look ({looks}) while the answer is open, as "
        f"pipeline.run_gate does; alpha {config.alpha:g}, power {config.power:g}, accuracy is "
        "the primary (gating) metric. ± is the Monte-Carlo standard error."
    )


def _gate_intro(args: argparse.Namespace) -> str:
    return (
        f"The real gate, end to end, once per case: `python -m seedgate gate --baseline FILE "
        f"--jobs {args.jobs} --config examples/mnist/seedgate.toml -- python {TRAIN} --seed "
        f"{{seed}} --lr X --train-size {args.train_size}`, against a baseline RunSet of the first "
        f"{BASELINE_RUNS} reference-A runs; candidate seeds {GATE_SEED_BASE}, "
        f"{GATE_SEED_BASE + 1}, ... (disjoint from the baseline's)."
    )


def _notes(args: argparse.Namespace, results: Results) -> str:
    seed_sd = results.cases[0].effect.seed_sd
    jobs = example_config(jobs=0 if args.jobs == "auto" else int(args.jobs)).usable_jobs()
    cold_s = sum(r.duration_s for _, runs in results.pools for r in runs) / jobs
    reference_mean = float(values([r for _, runs in results.pools[:2] for r in runs]).mean())
    example_effect = example_config().spec_for(METRIC).min_effect.absolute([reference_mean])
    return (
        "Notes: the replays resample finite pools, so they understate the variability of real "
        f"gates: with {args.pool} runs per pool the replays share their runs (a "
        f"{BASELINE_RUNS}-run baseline drawn from {args.pool} runs barely varies), and the "
        "Monte-Carlo SE covers the resampling only, not the pools' own sampling error (see the "
        "drop's SE): a chance difference between the two reference halves moves the "
        "false-alarm rate of each direction, hence both directions and their mean. A drop "
        "smaller than min_effect is also rightly answered no-change (no change as large as "
        f"the one that matters): the example's min_effect {example_effect:g} is "
        f"{example_effect / seed_sd:.1f} seed SDs. Unchanged code compares disjoint "
        f"seeds (reference A vs B). Pools: {results.pool_wall_s:.0f} s to make or load "
        f"this time (cache {args.cache}; made cold, about {cold_s:.0f} s: the runs' total "
        f"time over {jobs} parallel jobs); replays: {results.replay_wall_s:.0f} s."
    )


def render(args: argparse.Namespace, command: str, results: Results) -> str:
    example = example_config()
    parts = [
        f"$ {command}",
        "",
        _replay_intro(args, example),
        "",
        *replay_table(results.rows),
        "",
        *false_alarm_lines(results.rows, example.alpha),
    ]
    if results.gates:
        parts += ["", _gate_intro(args), "", *gate_lines(results.gates)]
    parts += [
        "",
        f"Pools: real runs made by seedgate's runner (pipeline.run_fixed, jobs {args.jobs}):",
        "",
        *pool_lines(results.pools),
        "",
        "Change of known size, measured on the pools (seed SD = SD of the reference A+B runs):",
        "",
        *effect_lines(results.cases),
        "",
        _notes(args, results),
    ]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    shown = ["python", "benchmarks/real_example.py", *(sys.argv[1:] if argv is None else argv)]
    command = " ".join(shlex.quote(a) for a in shown)
    started = time.perf_counter()
    try:
        results = run(args)
    except SeedgateError as exc:
        print(f"real_example: error: {exc}", file=sys.stderr)
        return 2
    report = render(args, command, results)
    report += f"\n\nTotal wall time {time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs."
    print(report)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(report + "\n", encoding="utf-8")
    print(f"real_example: table written to {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
