"""The gate's steps, visible in one place.

    run_fixed:  seeds -> runner -> RunSet                       (seedgate run / baseline)
    run_gate:   look by look: runner -> RunSet -> compare, until the answer is settled
    compare_runsets: baseline + candidate -> Comparison (+ environment drift)

Edges (cli.py, action.py) turn these results into files, reports and exit codes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from seedgate import compare, environment
from seedgate.config import Config
from seedgate.errors import ConfigError, RunnerError, RunSetError
from seedgate.models import Comparison, RunResult, RunSet
from seedgate.noise_io import NOISE_FILE, read_noise
from seedgate.report.text import stop_reason
from seedgate.runner import Runner
from seedgate.runset_io import read_runset
from seedgate.seeds import RunSpec, run_spec
from seedgate.shards import merge_runsets, parse_shard, shard_indices


@dataclass(frozen=True)
class GateOutcome:
    comparison: Comparison
    candidate: RunSet
    baseline: RunSet | None


def current_commit(directory: Path) -> str | None:
    """GITHUB_SHA inside Actions, else git's HEAD of the working directory, else None."""
    if sha := os.environ.get("GITHUB_SHA"):
        return sha
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def build_runset(
    config: Config, results: Sequence[RunResult], *, command: str, shard: str | None = None
) -> RunSet:
    return RunSet(
        runs=tuple(sorted(results, key=lambda r: r.index)),
        command=command,
        config_digest=dataclasses.replace(config, command=command).digest(),
        commit=current_commit(config.working_directory),
        environment=environment.fingerprint(),
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        shard=shard,
    )


def _command(config: Config) -> str:
    """What the runs execute, as recorded in the RunSet (warm workers: ``entry:MOD:FUNC``)."""
    if config.entry:
        return f"entry:{config.entry}"
    if not config.command:
        raise ConfigError(
            "command: no command given; pass it after `--`, set `command`, or set `entry`"
        )
    return config.command


def _check_failures(runset: RunSet, allowed: int, label: str) -> None:
    failed = runset.failed_runs
    if len(failed) > allowed:
        reasons = "; ".join(f"seed {r.seed}: {r.reason}" for r in failed[:3])
        raise RunnerError(
            f"{len(failed)} {label} runs failed, more than max_failed_runs = {allowed} ({reasons})",
            partial=runset,
        )


def _run_keeping_partial(
    runner: Runner,
    specs: Sequence[RunSpec],
    config: Config,
    command: str,
    shard: str | None,
) -> tuple[RunResult, ...]:
    """Run; on Ctrl-C or SIGTERM, raise a RunnerError that carries the finished runs."""
    try:
        return runner.run(specs)
    except KeyboardInterrupt:
        partial = build_runset(config, runner.results, command=command, shard=shard)
        raise RunnerError(
            f"interrupted after {len(partial.runs)} finished runs", partial=partial
        ) from None


def run_fixed(
    config: Config, *, runs: int, out: TextIO, label: str = "baseline", shard: str | None = None
) -> RunSet:
    """Run ``runs`` seeds (or a shard's share of them) once each."""
    command = _command(config)
    indices = shard_indices(runs, parse_shard(shard)) if shard else list(range(runs))
    with Runner(
        config,
        command=command,
        out=out,
        label=label,
        required_metrics=tuple(s.name for s in config.metrics),
        planned=len(indices),
    ) as runner:
        results = _run_keeping_partial(
            runner, [run_spec(i, config.seed_base) for i in indices], config, command, shard
        )
    runset = build_runset(config, results, command=command, shard=shard)
    _check_failures(runset, config.failed_runs_allowed(len(indices)), label)
    return runset


class _Side:
    """One side's runs, topped up to a target number of successful runs."""

    def __init__(self, config: Config, command: str, label: str, out: TextIO) -> None:
        self.runner = Runner(
            config,
            command=command,
            out=out,
            label=label,
            required_metrics=tuple(s.name for s in config.metrics),
            planned=config.max_runs,
        )
        self.config = config
        self.command = command
        self.label = label
        self.allowed = config.failed_runs_allowed(config.max_runs)

    def reach(self, ok_target: int) -> RunSet:
        """Run new seeds until ``ok_target`` runs succeeded (failures are replaced)."""
        while True:
            done = self.runner.results
            runset = build_runset(self.config, done, command=self.command)
            _check_failures(runset, self.allowed, self.label)
            missing = ok_target - len(runset.ok_runs)
            if missing <= 0:
                return runset
            start = len(done)
            specs = [run_spec(i, self.config.seed_base) for i in range(start, start + missing)]
            _run_keeping_partial(self.runner, specs, self.config, self.command, None)


def run_gate(
    config: Config,
    baseline: RunSet | None,
    *,
    out: TextIO,
    baseline_command: str | None = None,
) -> GateOutcome:
    """Add candidate runs look by look while the answer is open.

    With ``baseline_command`` and no stored baseline, both sides run in lockstep in this
    job. With neither, the first look's runs are made and the verdict is no-baseline.
    """
    looks = config.effective_looks()
    lockstep = baseline is None and baseline_command is not None
    candidate_side = _Side(config, _command(config), "candidate", out)
    baseline_side = _Side(config, baseline_command, "baseline", out) if baseline_command else None
    try:
        for number, look in enumerate(looks, start=1):
            if lockstep and baseline_side is not None:
                baseline = baseline_side.reach(look)
            candidate = candidate_side.reach(look)
            comparison = compare_runsets(
                baseline, candidate, config, looks=looks, lockstep=lockstep
            )
            if baseline is not None:
                out.write(f"[gate] look {number}/{len(looks)}: {stop_reason(comparison)}\n")
                out.flush()
            if baseline is None or not compare.is_open(comparison) or look == looks[-1]:
                return GateOutcome(comparison, candidate, baseline)
    finally:
        candidate_side.runner.close()
        if baseline_side is not None:
            baseline_side.runner.close()
    raise ConfigError("looks: the look schedule is empty")  # Config never allows this


def compare_runsets(
    baseline: RunSet | None,
    candidate: RunSet,
    config: Config,
    *,
    looks: tuple[int, ...] | None = None,
    lockstep: bool = False,
) -> Comparison:
    """Compare, then add what the statistics do not see: environment drift, and the noise
    breakdown of an earlier ``seedgate explain`` kept in the store."""
    comparison = compare.compare(baseline, candidate, config, looks=looks, lockstep=lockstep)
    noise = read_noise(config.store / NOISE_FILE)
    drift = environment.differences(baseline.environment, candidate.environment) if baseline else ()
    return dataclasses.replace(comparison, environment_differences=drift, noise=noise)


def merge_folder(folder: Path) -> RunSet:
    """Merge the shard RunSets (``*.json``, searched recursively) found in a folder."""
    if not folder.is_dir():
        raise RunSetError(f"runs-path {folder} is not a directory of shard RunSets")
    files = sorted(p for p in folder.rglob("*.json") if p.is_file())
    if not files:
        raise RunSetError(f"runs-path {folder} holds no RunSet files (*.json)")
    return merge_runsets([read_runset(p) for p in files], names=[str(p) for p in files])
