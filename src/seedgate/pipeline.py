"""The gate's steps, visible in one place; the CLI and the action both call these.

    run_fixed:  seeds -> runner -> RunSet                       (seedgate run / baseline)
    run_gate:   look by look: runner -> RunSet -> compare, until the answer is settled
    compare_runsets: baseline + candidate -> Comparison (+ environment drift, noise)

A cancellation (SIGTERM, Ctrl-C) anywhere in here becomes ``CancellationError`` carrying the
finished runs. Edges (cli.py, action/) turn results into files, reports and exit codes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from seedgate import compare
from seedgate.config.settings import Config
from seedgate.errors import CancellationError, RunnerError, RunSetError
from seedgate.log_text import one_line
from seedgate.planning.noise import NOISE_FILE, read_noise
from seedgate.records import Comparison, NoiseBreakdown, RunResult, RunSet
from seedgate.report.plans import gate_warnings
from seedgate.report.wording import (
    broken_contract,
    failed_count,
    look_progress,
    reused_runs_line,
)
from seedgate.run import fingerprint
from seedgate.run.metrics import ContractProblem, contract_break
from seedgate.run.runner import Runner
from seedgate.run.seeds import RunSpec, run_specs
from seedgate.runset.codec import read_runset
from seedgate.runset.reuse import reusable_runs
from seedgate.runset.shards import Shard, merge_runsets, shard_indices


@dataclass(frozen=True)
class GateResult:
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


@dataclass(frozen=True)
class RunSetHeader:
    """What every RunSet of one side shares. Built once per side: asking git and
    nvidia-smi takes time, and the answers do not change between looks."""

    command: str
    config_digest: str
    commit: str | None
    environment: Mapping[str, str]
    shard: str | None = None

    @classmethod
    def for_side(cls, config: Config, command: str, shard: Shard | None = None) -> RunSetHeader:
        return cls(
            command=command,
            config_digest=dataclasses.replace(config, command=command).digest(),
            commit=current_commit(config.working_directory),
            environment=fingerprint.fingerprint(),
            shard=str(shard) if shard else None,
        )

    def runset(
        self, results: Sequence[RunResult], environment: Mapping[str, str] | None = None
    ) -> RunSet:
        """The RunSet of these results; ``environment``: where they ran, when that was not
        this machine (a Ray cluster's workers)."""
        return RunSet(
            runs=tuple(sorted(results, key=lambda r: r.index)),
            command=self.command,
            config_digest=self.config_digest,
            commit=self.commit,
            environment=self.environment if environment is None else environment,
            created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            shard=self.shard,
        )


def _check_failures(runset: RunSet, allowed: int, label: str) -> None:
    failed = runset.failed_runs
    if len(failed) > allowed:
        reasons = "; ".join(f"seed {r.seed}: {r.reason}" for r in failed[:3])
        raise RunnerError(
            f"{failed_count(len(failed), len(runset.runs), label)}, more than "
            f"max_failed_runs = {allowed} ({reasons})",
            partial=runset,
        )


class SideRuns:
    """One side's runs (baseline or candidate): its runner and its RunSet header."""

    def __init__(
        self,
        config: Config,
        *,
        command: str,
        label: str,
        out: TextIO,
        planned: int,
        shard: Shard | None = None,
        header: RunSetHeader | None = None,
    ) -> None:
        self.config = config
        self.label = label
        self.header = header or RunSetHeader.for_side(config, command, shard)
        self.allowed = config.failed_runs_allowed(planned)
        self.first_look = min(config.look_schedule()[0], planned)
        self.runner = Runner(
            config,
            command=command,
            out=out,
            label=label,
            required_metrics=tuple(s.name for s in config.metrics),
            planned=planned,
        )

    def close(self) -> None:
        self.runner.close()

    def finished(self) -> RunSet:
        return self.header.runset(self.runner.results, self.runner.fingerprint())

    def cancelled(self) -> CancellationError:
        partial = self.finished()
        return CancellationError(
            f"interrupted after {len(partial.runs)} finished runs", partial=partial
        )

    def run(self, specs: Sequence[RunSpec]) -> RunSet:
        """Run these seeds; the RunSet of every run so far, checked for too many failures.

        The side's first runs go in parts so that a broken contract stops early: the first
        run alone when metrics are configured (one missing stops there), then the rest of
        the first look (all failing the same way stops there).
        """
        for part in self._parts(tuple(specs)):
            self.runner.run(part)
            self._stop_on_broken_contract()
        runset = self.finished()
        _check_failures(runset, self.allowed, self.label)
        return runset

    def _parts(self, batch: tuple[RunSpec, ...]) -> tuple[tuple[RunSpec, ...], ...]:
        done = len(self.runner.results)
        if done >= self.first_look:
            return (batch,)
        first = 1 if done == 0 and self.runner.required_metrics else 0
        look = max(first, self.first_look - done)
        return tuple(part for part in (batch[:first], batch[first:look], batch[look:]) if part)

    def _stop_on_broken_contract(self) -> None:
        """Stop when the first run misses a configured metric, or when every run of the
        first look broke the metrics contract the same way."""
        results = self.runner.results
        problems = [contract_break(r) for r in results[: self.first_look]]
        first = problems[0] if problems else None
        if first is None:
            return
        missing = first.problem is ContractProblem.MISSING
        same = all(p is not None and p.problem is first.problem for p in problems)
        if missing or (len(results) == self.first_look and same):
            runs = 1 if missing else self.first_look
            raise RunnerError(
                broken_contract(runs, self.label, first.reason, first.line, missing=missing),
                partial=self.finished(),
            )

    def reach(self, ok_target: int) -> RunSet:
        """Run new seeds until ``ok_target`` runs succeeded (failures are replaced)."""
        runset = self.finished()
        while (missing := ok_target - len(runset.ok_runs)) > 0:
            start = len(runset.runs)
            runset = self.run(run_specs(range(start, start + missing), self.config.seed_base))
        return runset


def run_fixed(
    config: Config,
    *,
    runs: int,
    out: TextIO,
    label: str = "baseline",
    shard: Shard | None = None,
    reuse: Sequence[RunSet] = (),
) -> RunSet:
    """Run ``runs`` seeds (or a shard's share of them) once each.

    Successful runs in ``reuse`` made on the same commit by the same command with the same
    seeds (``runset.reuse``) are taken instead of being run again.
    """
    indices = shard_indices(runs, shard) if shard else list(range(runs))
    command = config.run_command()
    header = RunSetHeader.for_side(config, command, shard)
    specs = run_specs(indices, config.seed_base)
    reused = reusable_runs(reuse, specs, command=command, commit=header.commit)
    if reused:
        out.write(f"seedgate: {reused_runs_line(len(reused), len(specs))}\n")
    taken = {run.index for run in reused}
    side = SideRuns(
        config,
        command=command,
        label=label,
        out=out,
        planned=len(specs) - len(taken),
        header=header,
    )
    try:
        made = side.run([spec for spec in specs if spec.index not in taken])
    except KeyboardInterrupt:
        raise _with_runs(side.cancelled(), reused) from None
    except RunnerError as exc:
        raise _with_runs(exc, reused) from exc
    finally:
        side.close()
    return header.runset([*reused, *made.runs])


def _with_runs(error: RunnerError, reused: Sequence[RunResult]) -> RunnerError:
    """The error with the reused runs added to its finished ones, so none is lost."""
    if isinstance(error.partial, RunSet) and reused:
        partial = error.partial
        error.partial = dataclasses.replace(
            partial, runs=tuple(sorted([*reused, *partial.runs], key=lambda r: r.index))
        )
    return error


def run_gate(
    config: Config,
    baseline: RunSet | None,
    *,
    out: TextIO,
    baseline_command: str | None = None,
) -> GateResult:
    """Add candidate runs look by look while the answer is open.

    With ``baseline_command`` and no stored baseline, both sides run in lockstep in this
    job. With neither, the first look's runs are made and the verdict is no-baseline.
    Before the first run it says which metric gates by default and which min_effect the
    configured runs cannot resolve (with the runs that would).
    """
    out.writelines(
        f"seedgate: {one_line(line)}\n"
        for line in (gate_warnings(config, baseline) if baseline is not None else ())
    )
    planned = config.max_runs
    candidate = SideRuns(
        config, command=config.run_command(), label="candidate", out=out, planned=planned
    )
    lockstep = None
    if baseline is None and baseline_command is not None:
        lockstep = SideRuns(
            config, command=baseline_command, label="baseline", out=out, planned=planned
        )
    try:
        return _looks(config, baseline, candidate, lockstep, out)
    except KeyboardInterrupt:
        raise candidate.cancelled() from None
    finally:
        candidate.close()
        if lockstep is not None:
            lockstep.close()


def _looks(
    config: Config,
    baseline: RunSet | None,
    candidate: SideRuns,
    lockstep: SideRuns | None,
    out: TextIO,
) -> GateResult:
    schedule = config.look_schedule()
    noise = read_noise(config.store / NOISE_FILE)  # once per gate, not at every look
    for number, look in enumerate(schedule, start=1):
        if lockstep is not None:
            baseline = lockstep.reach(look)
        runs = candidate.reach(look)
        comparison = compare_runsets(
            baseline, runs, config, schedule=schedule, lockstep=lockstep is not None, noise=noise
        )
        if baseline is not None:
            out.write(look_progress(number, len(schedule), comparison) + "\n")
            out.flush()
        if baseline is None or not compare.is_open(comparison) or look == schedule[-1]:
            return GateResult(comparison, runs, baseline)
    raise AssertionError("the look schedule always ends with max_runs")  # pragma: no cover


def compare_runsets(
    baseline: RunSet | None,
    candidate: RunSet,
    config: Config,
    *,
    schedule: tuple[int, ...] | None = None,
    lockstep: bool = False,
    noise: tuple[NoiseBreakdown, ...] | None = None,
) -> Comparison:
    """Compare, then add what the statistics do not see: environment drift, and the noise
    breakdown of an earlier ``seedgate explain`` kept in the store (read unless given).

    ``schedule=None`` compares once at the candidate's run count (fixed N)."""
    comparison = compare.compare(baseline, candidate, config, looks=schedule, lockstep=lockstep)
    if noise is None:
        noise = read_noise(config.store / NOISE_FILE)
    drift = fingerprint.differences(baseline.environment, candidate.environment) if baseline else ()
    return dataclasses.replace(comparison, environment_differences=drift, noise=noise)


def merge_folder(folder: Path) -> RunSet:
    """Merge the shard RunSets (``*.json``, searched recursively) found in a folder."""
    if not folder.is_dir():
        raise RunSetError(f"runs-path {folder} is not a directory of shard RunSets")
    files = sorted(p for p in folder.rglob("*.json") if p.is_file())
    if not files:
        raise RunSetError(f"runs-path {folder} holds no RunSet files (*.json)")
    return merge_runsets([read_runset(p) for p in files], names=[str(p) for p in files])
