"""``seedgate explain``: where a metric's run-to-run noise comes from, and the numbers for advice
(``report.noise`` says them in words).

A small factorial design is run through the ordinary runner:

* ``runs_per_factor`` runs varying only the data seed (init seed fixed),
* ``runs_per_factor`` runs varying only the init seed (data seed fixed),
* ``repeats`` runs with identical seeds (is this machine deterministic?),

then each metric's variance is split by :func:`seedgate.stats.variance.decompose`.
The split needs a command that reads ``SEEDGATE_DATA_SEED`` / ``SEEDGATE_INIT_SEED`` (or
``{data_seed}`` / ``{init_seed}``); one reading only ``SEEDGATE_SEED`` shows its whole
spread under both seeds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from seedgate.config.settings import Config
from seedgate.errors import ConfigError, RunnerError
from seedgate.log_text import safe_lines
from seedgate.planning.design import design_for
from seedgate.records import NoiseAdvice, NoiseBreakdown, RunResult
from seedgate.run.runner import Runner
from seedgate.run.seeds import RunSpec, run_spec
from seedgate.stats.paired import TYPICAL_CORRELATION
from seedgate.stats.planning import runs_needed
from seedgate.stats.variance import NoiseDesign, decompose

N_TEST_METRIC = "n_test"
_Z_95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class ExplainPlan:
    """The runs of the design and which group each belongs to (by spec index)."""

    specs: tuple[RunSpec, ...]
    data_varied: tuple[int, ...]
    init_varied: tuple[int, ...]
    repeated: tuple[int, ...]


def plan_explain(seed_base: int, runs_per_factor: int, repeats: int) -> ExplainPlan:
    """Repeats of the centre seeds first, then the data-varied, then the init-varied runs.

    Every distinct (data_seed, init_seed) pair gets its own run seed; repeats share the
    centre's, so a command that only reads SEEDGATE_SEED still repeats exactly.
    """
    if runs_per_factor < 2:
        raise ConfigError(f"runs_per_factor = {runs_per_factor}: expected a whole number >= 2")
    if repeats < 0 or repeats == 1:
        raise ConfigError(f"repeats = {repeats}: expected 0 (no determinism check) or >= 2")
    centre = run_spec(0, seed_base)
    pairs: list[tuple[int, int, int]] = [
        (centre.seed, centre.data_seed, centre.init_seed)
    ] * repeats
    pairs += [
        (seed_base + j, run_spec(j, seed_base).data_seed, centre.init_seed)
        for j in range(1, runs_per_factor + 1)
    ]
    pairs += [
        (seed_base + j, centre.data_seed, run_spec(j, seed_base).init_seed)
        for j in range(runs_per_factor + 1, 2 * runs_per_factor + 1)
    ]
    specs = tuple(RunSpec(i, seed, d, s) for i, (seed, d, s) in enumerate(pairs))
    return ExplainPlan(
        specs=specs,
        repeated=tuple(range(repeats)),
        data_varied=tuple(range(repeats, repeats + runs_per_factor)),
        init_varied=tuple(range(repeats + runs_per_factor, repeats + 2 * runs_per_factor)),
    )


def _reported_metrics(ok: Sequence[RunResult]) -> tuple[str, ...]:
    names = [n for n in ok[0].metrics if all(n in r.metrics for r in ok[1:])]
    return tuple(n for n in names if n != N_TEST_METRIC)


def _test_size(ok: Sequence[RunResult], n_test: int | None, config: Config) -> int | None:
    """The argument, else the runs' own ``n_test`` metric, else the config's."""
    if n_test is not None:
        return n_test
    reported = {r.metrics[N_TEST_METRIC] for r in ok if N_TEST_METRIC in r.metrics}
    if len(reported) == 1:
        value = reported.pop()
        if math.isfinite(value) and value >= 1 and value == int(value):
            return int(value)
    return config.n_test


def _failure_summary(results: Sequence[RunResult]) -> str:
    failed = [r for r in results if not r.ok]
    if not failed:
        return ""
    first = failed[0]
    tail = f"\n{safe_lines(first.log_tail)}" if first.log_tail else ""  # a run's raw output
    return f"; {len(failed)} run(s) failed, first (seed {first.seed}): {first.reason}{tail}"


def breakdowns_from_results(
    results: Sequence[RunResult],
    plan: ExplainPlan,
    config: Config,
    *,
    n_test: int | None = None,
) -> tuple[NoiseBreakdown, ...]:
    """Decompose every metric of the successful runs; the advice uses the config's settings."""
    by_index = {r.index: r for r in results if r.ok}
    ok = list(by_index.values())

    def group(indices: tuple[int, ...], metric: str) -> tuple[float, ...]:
        return tuple(by_index[i].metrics[metric] for i in indices if i in by_index)

    if not ok:
        raise RunnerError(f"explain: no run succeeded{_failure_summary(results)}")
    reported = _reported_metrics(ok)
    names = [n for n in config.gated_metric_names(reported) if n in reported]
    size = _test_size(ok, n_test, config)
    breakdowns = []
    for name in names:
        design = NoiseDesign(
            data_varied=group(plan.data_varied, name),
            init_varied=group(plan.init_varied, name),
            repeated=group(plan.repeated, name),
        )
        if len(design.data_varied) < 2 or len(design.init_varied) < 2:
            raise RunnerError(
                f"explain: too few successful runs to split {name!r} "
                f"({len(design.data_varied)} data-varied, {len(design.init_varied)} init-varied; "
                f"need 2 of each){_failure_summary(results)}"
            )
        breakdown = decompose(name, design, n_test=size)
        spec = config.spec_for(name)
        effect = spec.min_effect.absolute(design.all_values())
        advice = advise(
            breakdown,
            min_effect=effect,
            config=config,
            n_test=size,
        )
        breakdowns.append(dataclasses.replace(breakdown, advice=advice))
    return tuple(breakdowns)


def run_explain(
    config: Config,
    *,
    command: str | None = None,
    out: TextIO,
    runs_per_factor: int = 6,
    repeats: int = 3,
    n_test: int | None = None,
) -> tuple[NoiseBreakdown, ...]:
    """Run the factorial design through the runner and decompose each metric."""
    plan = plan_explain(config.seed_base, runs_per_factor, repeats)
    out.write(
        f"explain: {runs_per_factor} runs varying the data seed, {runs_per_factor} varying "
        f"the init seed, {repeats} with identical seeds ({len(plan.specs)} runs)\n"
    )
    required = tuple(s.name for s in config.metrics)
    with Runner(
        config,
        command=command,
        out=out,
        label="explain",
        required_metrics=required,
        planned=len(plan.specs),
    ) as runner:
        results = runner.run(plan.specs)
    return breakdowns_from_results(results, plan, config, n_test=n_test)


# --- advice ------------------------------------------------------------------------------


def gate_runs(sd: float, min_effect: float, config: Config, *, paired: float | None) -> int | None:
    """Candidate runs the gate needs for min_effect against a ``max_runs``-run baseline, from
    ``stats.planning.runs_needed`` (the one formula) under ``planning.design.design_for``;
    ``paired``: the same-seed correlation of paired seeds (None: unrelated seeds)."""
    if min_effect <= 0:
        return None
    design = design_for(config, config.max_runs, correlation=paired).design
    if sd == 0:
        return design.looks[0]
    return runs_needed(min_effect / sd, design, correlation=paired)


def advise(
    breakdown: NoiseBreakdown,
    *,
    min_effect: float,
    config: Config,
    n_test: int | None = None,
) -> NoiseAdvice:
    """The numbers for advice: runs the gate needs for ``min_effect`` (absolute) with unrelated
    and with paired seeds, and what the test set's sampling error allows."""
    sd = math.sqrt(breakdown.total_variance)
    share = next((c.share for c in breakdown.components if c.source == "non-determinism"), 0.0)
    rho = min(TYPICAL_CORRELATION, 1 - share)
    error = breakdown.test_set_error
    half_width = None if error is None else _Z_95 * error
    needed = None
    if error is not None and n_test and min_effect > 0 and _Z_95 * error > min_effect:
        needed = math.ceil(_Z_95**2 * error**2 * n_test / min_effect**2)
    return NoiseAdvice(
        min_effect=min_effect,
        alpha=config.alpha,
        power=config.power,
        cap=config.max_runs,
        runs_unpaired=gate_runs(sd, min_effect, config, paired=None),
        runs_paired=gate_runs(sd, min_effect, config, paired=rho),
        paired_correlation=rho,
        n_test=n_test,
        test_set_half_width=half_width,
        test_examples_needed=needed,
    )
