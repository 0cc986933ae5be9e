"""One run of the subprocess contract, start to RunResult: the code every executor runs.

The local runner calls :func:`run_command` in a thread of the gate; the Ray executor calls
the same function inside a Ray task on a cluster node (``seedgate.run.ray_task``), so
seeds, ``SEEDGATE_*`` variables, the metrics file or last JSON line, the timeout and the
failed-run record are one piece of code wherever the run happens.
"""

from __future__ import annotations

import re
import signal
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from seedgate.errors import RunnerError
from seedgate.records import RunResult, RunStatus
from seedgate.run.identity import run_user
from seedgate.run.metrics import METRICS_FILE_ENV, InvalidMetricsError, collect_metrics, tail_text
from seedgate.run.process import SHELL, ProcessGroups, ProcessOutcome, execute
from seedgate.run.seeds import RunSpec, seed_variables
from seedgate.run.workers import STOPPED

_PLACEHOLDER = re.compile(r"\{(seed|data_seed|init_seed|index)\}")


def fill_placeholders(template: str, spec: RunSpec) -> str:
    """Replace ``{seed}``, ``{data_seed}``, ``{init_seed}``, ``{index}``; other braces stay."""
    values = {
        "seed": spec.seed,
        "data_seed": spec.data_seed,
        "init_seed": spec.init_seed,
        "index": spec.index,
    }
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


def exit_reason(code: int) -> str:
    """A readable reason for a non-zero exit status of ``/bin/sh -c``."""
    if code < 0:
        return f"killed by signal {_signal_name(-code)}"
    hints = {126: " (command not executable)", 127: " (command not found)"}
    hint = hints.get(code, "")
    if not hint and code > 128 and _signal_name(code - 128) != str(code - 128):
        hint = f" (killed by signal {_signal_name(code - 128)})"
    return f"exited with code {code}{hint}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def run_command(
    template: str,
    spec: RunSpec,
    *,
    cwd: Path,
    environment: Mapping[str, str],
    timeout: float,
    required: tuple[str, ...],
    groups: ProcessGroups,
    sink: Callable[[bytes], None] | None = None,
    token: str | None = None,
    on_ignored: Callable[[tuple[str, ...]], None] | None = None,
) -> RunResult:
    """Run ``template`` for ``spec`` in ``cwd``; a RunResult, also when the run failed.

    ``on_ignored`` hears the reported fields that were set aside (not numbers, not
    configured). Raises RunnerError only when the shell cannot start or ``groups`` is stopping.
    """
    command = fill_placeholders(template, spec)
    with tempfile.TemporaryDirectory(prefix="seedgate-run-") as scratch:
        who = run_user()
        if who is not None:  # where the run writes its metrics
            who.hand_over(Path(scratch))
        metrics_file = Path(scratch) / "metrics.json"
        env = {**environment, **seed_variables(spec), METRICS_FILE_ENV: str(metrics_file)}
        try:
            outcome = execute(
                command, cwd=cwd, env=env, timeout=timeout, groups=groups, sink=sink, token=token
            )
        except OSError as exc:
            raise RunnerError(f"cannot start {SHELL} to run {command!r}: {exc}") from exc
        if groups.stopping:  # killed by close(), not a result of the experiment
            raise RunnerError(STOPPED)
        return judge(
            spec, outcome, metrics_file, timeout=timeout, required=required, on_ignored=on_ignored
        )


def judge(
    spec: RunSpec,
    outcome: ProcessOutcome,
    metrics_file: Path,
    *,
    timeout: float,
    required: tuple[str, ...],
    on_ignored: Callable[[tuple[str, ...]], None] | None = None,
) -> RunResult:
    """The RunResult of a finished process: timed out, failed with a reason, or its metrics."""

    def failed(status: RunStatus, reason: str) -> RunResult:
        log_tail = tail_text(outcome.output)
        return spec.failed(status, reason, duration_s=outcome.duration_s, log_tail=log_tail)

    if outcome.timed_out:
        return failed(
            RunStatus.TIMED_OUT,
            f"timed out after {timeout:g}s; it and every process it started were killed",
        )
    if outcome.returncode != 0:
        return failed(RunStatus.FAILED, exit_reason(outcome.returncode))
    try:
        reported = collect_metrics(
            metrics_file, outcome.stdout_object, required=required, near_miss=outcome.near_miss
        )
    except InvalidMetricsError as exc:
        return failed(RunStatus.FAILED, str(exc))
    if reported.ignored and on_ignored is not None:
        on_ignored(reported.ignored)
    return spec.succeeded(reported.metrics, outcome.duration_s)
