"""Paired seeds on real training runs of the bundled example (examples/mnist/train.py).

    python benchmarks/paired_real.py [--pool N] [--reps R] [--no-gate]

1. Pools of real runs with MATCHED seeds 0, 1, ..., N-1 (seedgate's default seeds), cached as
   RunSets under --cache: the reference (lr 1e-3), the same code run again on the first
   --replays seeds (is it bit for bit identical?), and lr 8e-4 (0.8x).
2. Replays of the gate: per replay, 20 of the N seeds in random order; the baseline is the
   reference runs of those seeds, the candidate the changed runs of the SAME seeds in the
   same order, so compare() pairs them. The same-code case takes its first look's seeds
   from the rerun seeds, with their rerun values (the rest of the reference as a stand-in:
   the gate decides at the first look or the table says it did not). Each case with the
   example's seedgate.toml (accuracy primary, min_effect 0.015) and with min_effect one seed
   SD; the same draws with the candidate's seeds relabelled (seedgate's unpaired fallback).
3. The real gate, end to end: `python -m seedgate gate --baseline FILE --jobs auto
   [--min-effect SD] -- python examples/mnist/train.py --seed {seed} --lr X` against the
   reference's first 20 runs (the same code, and lr 0.8x with the example's min_effect and
   with one seed SD).
Progress goes to stderr; the table to stdout. TensorFlow runs in subprocesses only.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import this_command
from real_example_runs import (
    BASELINE_RUNS,
    EXAMPLE_CONFIG,
    METRIC,
    REFERENCE_LR,
    REPO,
    Pool,
    build_pool,
    example_config,
    values,
)

from seedgate.compare import compare, runs_used
from seedgate.config.settings import MinEffect
from seedgate.errors import SeedgateError
from seedgate.records import PairingStatus, RunResult, RunSet, RunStatus, Verdict
from seedgate.runset.codec import read_runset, write_runset
from seedgate.stats import FloatArray

CHANGED_LR = 8e-4


@dataclass(frozen=True, slots=True)
class Row:
    case: str
    setting: str
    analysis: str
    reps: int
    verdicts: dict[Verdict, float]
    runs_mean: float
    runs_se: float
    first_look: float


def runset(seeds: Sequence[int] | np.ndarray, vals: Sequence[float] | np.ndarray) -> RunSet:
    runs = tuple(
        RunResult(i, int(s), RunStatus.OK, {METRIC: float(v)}, 0.0)
        for i, (s, v) in enumerate(zip(seeds, vals, strict=True))
    )
    return RunSet(runs, "replay", "sha256:replay", None, {}, "1970-01-01T00:00:00Z")


def replay(
    label: str,
    reference: FloatArray,
    candidate: FloatArray,
    *,
    first: Sequence[int],
    settings: dict[str, MinEffect],
    reps: int,
    rng: np.random.Generator,
) -> list[Row]:
    """The gate on ``reps`` random 20-seed draws (the first look's seeds from ``first``)."""
    rows: list[Row] = []
    looks = example_config().look_schedule()
    for setting, min_effect in settings.items():
        base_config = example_config()
        spec = dataclasses.replace(base_config.spec_for(METRIC), min_effect=min_effect)
        config = dataclasses.replace(base_config, metrics=(spec,))
        for analysis, offset in (("paired", 0), ("unpaired (seeds relabelled)", 10_000)):
            verdicts, runs, first_look = [], [], 0
            for _ in range(reps):
                head = rng.choice(first, size=looks[0], replace=False)
                rest = rng.permutation(np.setdiff1d(np.arange(reference.size), head))
                seeds = np.concatenate([head, rest[: BASELINE_RUNS - looks[0]]])
                base = runset(seeds, reference[seeds])
                cand = runset(seeds + offset, candidate[seeds])
                result = compare(base, cand, config, looks=looks)
                pairing = result.metrics[0].pairing
                if (pairing is not None and pairing.status is PairingStatus.PAIRED) != (
                    offset == 0
                ):
                    raise AssertionError(f"{label}: compare() paired {offset == 0} runs wrongly")
                verdicts.append(result.verdict)
                runs.append(runs_used(result))
                first_look += (
                    runs_used(result) == looks[0] and result.verdict is not Verdict.INCONCLUSIVE
                )
            used = np.asarray(runs, dtype=float)
            rows.append(
                Row(
                    label, setting, analysis, reps,
                    {v: verdicts.count(v) / reps for v in Verdict},
                    float(used.mean()), float(used.std(ddof=1) / math.sqrt(reps)),
                    first_look / reps,
                )
            )  # fmt: skip
    return rows


def correlation(reference: FloatArray, candidate: FloatArray) -> float:
    return float(np.corrcoef(reference, candidate)[0, 1])


def table(rows: Sequence[Row]) -> list[str]:
    lines = [
        (
            "| case | min_effect | analysis | regression | no-change | inconclusive "
            "| mean candidate runs | decided at look 1 |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        v = r.verdicts
        lines.append(
            f"| {r.case} | {r.setting} | {r.analysis} | {v[Verdict.REGRESSION]:.3f} "
            f"| {v[Verdict.NO_CHANGE]:.3f} | {v[Verdict.INCONCLUSIVE]:.3f} "
            f"| {r.runs_mean:.2f} ± {r.runs_se:.2f} | {r.first_look:.3f} |"
        )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pool", type=int, default=24, help="runs per pool, seeds 0..N-1 (24)")
    parser.add_argument("--replays", type=int, default=8, help="reference seeds run again (8)")
    parser.add_argument("--reps", type=int, default=500, help="gate replays per case (500)")
    parser.add_argument("--seed", type=int, default=0, help="resampling seed (0)")
    parser.add_argument("--jobs", default="auto", help="parallel runs: N or auto (auto)")
    parser.add_argument(
        "--cache", type=Path, default=Path(".seedgate/bench-paired"), help="pool RunSets"
    )
    parser.add_argument("--no-gate", action="store_true", help="skip the end-to-end CLI gates")
    args = parser.parse_args(argv)
    if args.pool < BASELINE_RUNS or not 3 <= args.replays <= args.pool:
        parser.error(f"--pool must be >= {BASELINE_RUNS} and 3 <= --replays <= --pool")
    args.cache = args.cache.resolve()
    return args


def pools(args: argparse.Namespace) -> dict[str, tuple[RunResult, ...]]:
    jobs = 0 if args.jobs == "auto" else int(args.jobs)
    made = {}
    for pool, n in (
        (Pool("paired-reference", REFERENCE_LR, 0), args.pool),
        (Pool("paired-rerun", REFERENCE_LR, 0), args.replays),
        (Pool(f"paired-lr-{CHANGED_LR:g}", CHANGED_LR, 0), args.pool),
    ):
        made[pool.name] = build_pool(
            pool, n, cache=args.cache, train_size=1000, jobs=jobs, log=sys.stderr
        )
    return made


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    (args.cache / "tmp").mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(args.cache / "tmp")
    started = time.perf_counter()
    made = pools(args)
    pool_wall = time.perf_counter() - started
    reference = values(made["paired-reference"])
    rerun = values(made["paired-rerun"])
    changed = values(made[f"paired-lr-{CHANGED_LR:g}"])
    identical = bool(np.array_equal(rerun, reference[: rerun.size]))
    same_code = reference.copy()
    same_code[: rerun.size] = rerun
    seed_sd = float(reference.std(ddof=1))
    settings = {
        "example (0.015)": MinEffect(0.015, relative=False),
        f"one seed SD ({seed_sd:.4f})": MinEffect(seed_sd, relative=False),
    }
    rng = np.random.default_rng(args.seed)
    first = list(range(args.replays))
    rows = replay(
        "same code", reference, same_code, first=first, settings=settings, reps=args.reps, rng=rng
    )
    rows += replay(
        f"lr {CHANGED_LR:g} (0.8x)", reference, changed, first=list(range(args.pool)),
        settings=settings, reps=args.reps, rng=rng,
    )  # fmt: skip
    print(f"$ {this_command()}\n")
    print(
        f"pools: {args.pool} runs at lr {REFERENCE_LR:g} and {CHANGED_LR:g} on seeds "
        f"0-{args.pool - 1}, {args.replays} reruns of the reference "
        f"({pool_wall:.0f} s to make or load)\n"
        f"rerun of the same code on seeds 0-{args.replays - 1}: "
        f"{'bit for bit identical' if identical else 'NOT identical'}\n"
        f"accuracy: reference {reference.mean():.4f} ± {seed_sd:.4f} (seed SD); lr {CHANGED_LR:g} "
        f"{changed.mean():.4f}; drop {(reference.mean() - changed.mean()) / seed_sd:.2f} seed SDs; "
        f"same-seed correlation {correlation(reference, changed):.2f}; SD of same-seed "
        f"differences {np.std(changed - reference, ddof=1) / seed_sd:.2f} seed SDs\n"
    )
    print("\n".join(table(rows)))
    if not args.no_gate:
        print("\n" + "\n".join(cli_gates(args, made, seed_sd)))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


def cli_gate(label: str, lr: float, baseline: Path, extra: Sequence[str], cache: Path) -> str:
    """`seedgate gate` as a user runs it (subprocess, JSON report): one table row."""
    command = Pool("gate", lr, 0).command(1000)
    argv = [
        sys.executable, "-m", "seedgate", "gate", "--baseline", str(baseline), "--jobs", "auto",
        "--config", str(EXAMPLE_CONFIG), "-C", str(REPO), "--working-directory", str(REPO),
        "--format", "json", *extra,
        "--", *shlex.split(command),
    ]  # fmt: skip
    print(f"[gate] {label}: {shlex.join(argv)}", file=sys.stderr)
    env = {**os.environ, "TMPDIR": str(cache / "tmp")}
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode not in (0, 1):  # 1 is the regression verdict, not an error
        raise SeedgateError(f"seedgate gate for {label} exited {done.returncode}")
    report = json.loads(done.stdout)
    (metric,) = [m for m in report["metrics"] if m["name"] == METRIC]
    pairing = metric.get("pairing") or {}
    return (
        f"| {label} | {' '.join(extra) or 'example'} | {report['verdict']} "
        f"| {report['candidate_runs']} | {pairing.get('status')} "
        f"| {metric.get('decided_by')} | {time.perf_counter() - started:.0f} |"
    )


def cli_gates(
    args: argparse.Namespace, made: dict[str, tuple[RunResult, ...]], sd: float
) -> list[str]:
    baseline_path = args.cache / "gate-baseline.json"
    runset_made = read_runset(args.cache / "paired-reference.json")
    write_runset(
        dataclasses.replace(runset_made, runs=made["paired-reference"][:BASELINE_RUNS]),
        baseline_path,
    )
    lines = [
        "End to end (`seedgate gate --baseline` the reference's first 20 runs; seeds 0, 1, ...):",
        "",
        "| case | min_effect | verdict | candidate runs | pairing | decided by | wall (s) |",
        "|---|---|---|---:|---|---|---:|",
    ]
    cases = (
        ("same code", REFERENCE_LR, ()),
        (f"lr {CHANGED_LR:g}", CHANGED_LR, ()),
        (f"lr {CHANGED_LR:g}", CHANGED_LR, ("--min-effect", f"{sd:.4f}")),
    )
    for label, lr, extra in cases:
        lines.append(cli_gate(label, lr, baseline_path, extra, args.cache))
    return lines


if __name__ == "__main__":
    sys.exit(main())
