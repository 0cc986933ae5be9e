"""The measuring half of benchmarks/real_example.py: pools of real runs of the example, the
change of known size, the gate replayed on those runs and the real gate end to end.

benchmarks/real_example.py turns what these measure into its tables; its docstring says how.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from common import cached_runs, with_absolute_min_effect

from seedgate import compare
from seedgate.config.settings import Config, load_config
from seedgate.errors import SeedgateError
from seedgate.records import RunResult, RunSet, Verdict

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO / "examples" / "mnist" / "seedgate.toml"
TRAIN = "examples/mnist/train.py"
METRIC = "accuracy"
REFERENCE_LR = 1e-3
BASELINE_RUNS = 20
# Disjoint seed ranges: run i of a pool gets seed base + i (pool sizes stay far below 100000).
REFERENCE_A_SEEDS = 100_000
REFERENCE_B_SEEDS = 200_000
CHANGED_SEEDS = 300_000
GATE_SEED_BASE = 0  # the CLI gate's candidate runs use seedgate's default seeds 0, 1, ...
# About 1 and 2 seed SDs of accuracy below lr 1e-3, from a first 24-run-per-pool measurement
# (lr 8.5e-4: 0.5 SD, 7e-4: 1.65 SD, seed SD 0.0082).
DEFAULT_LRS = (8e-4, 6.5e-4)
POOL_RUNS = 32  # per pool: 4 pools + 3 CLI gates fit in about 12 minutes on 2 cores
VERDICTS = (Verdict.REGRESSION, Verdict.NO_CHANGE, Verdict.INCONCLUSIVE, Verdict.IMPROVEMENT)


# --- pools of real runs ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pool:
    """One set of real runs of the example: a learning rate and a seed range."""

    name: str
    lr: float
    seed_base: int

    def command(self, train_size: int) -> str:
        return f"python {TRAIN} --seed {{seed}} --lr {self.lr:g} --train-size {train_size}"


def example_config(**overrides: object) -> Config:
    """The example's seedgate.toml, run from the repository root."""
    raw: dict[str, object] = {"working_directory": str(REPO), **overrides}
    return load_config(raw, config_path=EXAMPLE_CONFIG)


def build_pool(
    pool: Pool, runs: int, *, cache: Path, train_size: int, jobs: int, log: TextIO
) -> tuple[RunResult, ...]:
    """The pool's first ``runs`` successful runs, running only those the cache lacks."""
    command = pool.command(train_size)
    config = example_config(command=command, jobs=jobs)
    path = cache / f"{pool.name}.json"
    return cached_runs(
        path, runs, config=config, seed_base=pool.seed_base, label=pool.name, log=log
    )


def values(runs: Sequence[RunResult]) -> np.ndarray:
    return np.asarray([r.metrics[METRIC] for r in runs], dtype=float)


# --- the change of known size ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Effect:
    """Mean accuracy drop of a candidate pool against the reference, in seed-SD units."""

    drop: float
    drop_se: float
    seed_sd: float
    n_reference: int

    @property
    def in_sd(self) -> float:
        return self.drop / self.seed_sd

    @property
    def in_sd_se(self) -> float:
        # delta method: the SD is estimated too (var of s is about s^2 / (2 (n - 1)))
        relative_sd_var = 1 / (2 * (self.n_reference - 1))
        return math.sqrt((self.drop_se / self.seed_sd) ** 2 + self.in_sd**2 * relative_sd_var)


def measure_effect(
    reference: np.ndarray, baseline_side: np.ndarray, candidate: np.ndarray, seed_sd: float
) -> Effect:
    """``baseline_side`` mean minus ``candidate`` mean, shapes (n_b,), (n_c,)."""
    drop = float(baseline_side.mean() - candidate.mean())
    se = math.sqrt(
        baseline_side.var(ddof=1) / baseline_side.size + candidate.var(ddof=1) / candidate.size
    )
    return Effect(drop, se, seed_sd, reference.size)


# --- the gate replayed on the real runs -------------------------------------------------


def runset_of(runs: Sequence[RunResult], command: str) -> RunSet:
    return RunSet(tuple(runs), command, "sha256:bench", None, {}, "1970-01-01T00:00:00Z")


def replay_gate(
    baseline: RunSet, sequence: Sequence[RunResult], config: Config
) -> tuple[Verdict, int]:
    """pipeline.run_gate's loop with a stored baseline, on runs already made: the verdict
    and the candidate runs it took. ``sequence`` holds at least max_runs successful runs."""
    looks = config.look_schedule()
    for look in looks:
        candidate = runset_of(sequence[:look], "candidate")
        comparison = compare.compare(baseline, candidate, config, looks=looks)
        if not compare.is_open(comparison) or look == looks[-1]:
            return comparison.verdict, len(candidate.ok_runs)
    raise AssertionError("unreachable: the last look always returns")


@dataclass(frozen=True, slots=True)
class Case:
    """Candidates drawn from ``runs``, baselines from ``baseline_runs``."""

    label: str
    pool: Pool  # the candidate's pool
    runs: tuple[RunResult, ...]
    baseline_label: str
    baseline_runs: tuple[RunResult, ...]
    effect: Effect

    @property
    def unchanged(self) -> bool:
        return self.pool.lr == REFERENCE_LR


@dataclass(frozen=True, slots=True)
class Row:
    """One (case, min_effect setting) row of the replay table."""

    case: Case
    setting: str
    reps: int
    counts: dict[Verdict, int]
    runs_mean: float
    runs_se: float

    def rate(self, verdict: Verdict) -> float:
        return self.counts.get(verdict, 0) / self.reps


def replay_case(
    case: Case,
    settings: dict[str, Config],
    *,
    reps: int,
    rng: np.random.Generator,
) -> list[Row]:
    """``reps`` replays; every setting sees the same draws (common random numbers)."""
    cap = max(c.look_schedule()[-1] for c in settings.values())
    pool = case.baseline_runs
    if len(case.runs) < cap or len(pool) < BASELINE_RUNS:
        raise SeedgateError(
            f"case {case.label}: pools of {len(case.runs)} / {len(pool)} runs are too "
            f"small for {cap} candidate runs and a {BASELINE_RUNS}-run baseline"
        )
    verdicts: dict[str, list[Verdict]] = {name: [] for name in settings}
    used: dict[str, list[int]] = {name: [] for name in settings}
    for _ in range(reps):
        picked = rng.choice(len(pool), size=BASELINE_RUNS, replace=False)
        baseline = runset_of([pool[i] for i in picked], "baseline")
        order = rng.choice(len(case.runs), size=cap, replace=False)
        sequence = [case.runs[i] for i in order]
        for name, config in settings.items():
            verdict, runs = replay_gate(baseline, sequence, config)
            verdicts[name].append(verdict)
            used[name].append(runs)
    rows = []
    for name in settings:
        spent = np.asarray(used[name], dtype=float)
        counts = {v: sum(x is v for x in verdicts[name]) for v in VERDICTS}
        rows.append(
            Row(case, name, reps, counts, float(spent.mean()), float(spent.std(ddof=1)) / reps**0.5)
        )
    return rows


def with_min_effect(config: Config, min_effect: float) -> Config:
    """The config with the primary metric's min_effect set to an absolute value."""
    return with_absolute_min_effect(config, METRIC, min_effect)


# --- the real gate, end to end ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateRun:
    label: str
    verdict: str
    candidate_runs: int
    failed_runs: int
    wall_s: float


def gate_end_to_end(
    label: str, pool: Pool, baseline: Path, *, cache: Path, train_size: int, jobs: str
) -> GateRun:
    """`seedgate gate` as a user runs it, in a subprocess; its JSON report is parsed."""
    argv = [
        sys.executable, "-m", "seedgate", "gate",
        "--baseline", str(baseline),
        "--jobs", jobs,
        "--config", str(EXAMPLE_CONFIG),
        "-C", str(REPO),
        # the command's paths are the repository's: a config file's folder would be the
        # default working directory (issue 22)
        "--working-directory", str(REPO),
        "--seed-base", str(GATE_SEED_BASE),
        "--format", "json",
        "--candidate-out", str(cache / f"gate-{pool.name}.json"),
        "--", *shlex.split(pool.command(train_size)),
    ]  # fmt: skip
    print(f"[gate] {label}: {shlex.join(argv)}", file=sys.stderr)
    env = {**os.environ, "TMPDIR": str(cache / "tmp")}  # see run(): a private /tmp
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1 is the regression verdict, not an error
        raise SeedgateError(f"seedgate gate for {label} exited {done.returncode}")
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SeedgateError(f"seedgate gate for {label} printed no JSON report") from None
    return GateRun(
        label,
        str(report["verdict"]),
        int(report["candidate_runs"]),
        len(report.get("failed_runs") or ()),
        wall,
    )


# --- the cases and settings replayed -----------------------------------------------------


def make_cases(pools: Sequence[Pool], runs: dict[str, tuple[RunResult, ...]]) -> tuple[Case, ...]:
    """``pools``: reference A, reference B, then the changed ones.

    Unchanged code is replayed both ways (baselines from A, candidates from B, and the
    reverse), so the two halves' chance difference does not tilt the false-alarm rate one
    way. Changed code is replayed against baselines from all reference runs (A+B), the
    runs its known size is measured against.
    """
    ref_a, ref_b, *changed = pools
    a, b = runs[ref_a.name], runs[ref_b.name]
    reference = a + b
    seed_sd = float(values(reference).std(ddof=1))

    def case(label: str, pool: Pool, base_label: str, base: tuple[RunResult, ...]) -> Case:
        effect = measure_effect(values(reference), values(base), values(runs[pool.name]), seed_sd)
        return Case(label, pool, runs[pool.name], base_label, base, effect)

    return (
        case("unchanged (A vs B)", ref_b, ref_a.name, a),
        case("unchanged (B vs A)", ref_a, ref_b.name, b),
        *(case(f"lr {p.lr:g}", p, "reference-A+B", reference) for p in changed),
    )


def gate_settings(seed_sd: float) -> dict[str, Config]:
    """The example's seedgate.toml, and the same with min_effect one seed SD."""
    example = example_config()
    return {
        f"{example.spec_for(METRIC).min_effect} (example)": example,
        f"1 seed SD = {seed_sd:.4f}": with_min_effect(example, seed_sd),
    }
