"""The GitHub Action as a sequence of steps:

    settings -> install -> baseline -> runs -> report -> annotations -> comment -> check
    -> exit code

On a label or ``/seedgate accept`` comment event the action only accepts a regression
(``seedgate.action.accept``): nothing is installed or run.

``entrypoint.py`` (the container) calls :func:`main`; so can ``seedgate github`` on a
runner host. Each step is a small function taking what the previous one produced; the
runs and the comparison are the pipeline the CLI uses too.

Exit codes (``seedgate.errors.ExitCode``): 0 pass, 1 only a verdict that fails the check
(``fail-on``), 2 configuration, GitHub or internal errors (with an ``::error`` and the
outputs known so far), 3 failed or cancelled runs (the finished ones kept in
``.seedgate/partial-runs.json``). Nothing ends in a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TextIO

import requests

from seedgate.action import build
from seedgate.action.accept import accept_step
from seedgate.action.artifacts import fetch_shards_step, shard_artifact_name, upload_step
from seedgate.action.check import check_step
from seedgate.action.deliver import (
    Journal,
    metric_absent_advice,
    no_baseline_advice,
    post_comment,
    write_report,
)
from seedgate.action.history import history_step
from seedgate.action.services import GitHubAccess, Services
from seedgate.action.settings import (
    TOKEN_INPUT,
    ActionSettings,
    Mode,
    Role,
    input_env_name,
    read_settings,
)
from seedgate.errors import (
    CancellationError,
    ConfigError,
    ExitCode,
    GitHubError,
    MissingBaselineError,
    OutputError,
    RunnerError,
    SeedgateError,
)
from seedgate.github import commands
from seedgate.log_text import safe_lines
from seedgate.outcome import as_baseline
from seedgate.pipeline import GateResult, compare_runsets, merge_folder, run_fixed, run_gate
from seedgate.records import MissingBaseline, RunSet, Verdict
from seedgate.report import isolation
from seedgate.report.annotations import annotations_for
from seedgate.report.wording import built_origin
from seedgate.run import child_env, identity
from seedgate.run.interrupts import interrupt_on_sigterm
from seedgate.run.process import follow_output
from seedgate.run.process_tree import (
    become_subreaper,
    disown,
    kill_descendants,
    kill_tree,
    make_non_dumpable,
    new_token,
    start_ticks,
)
from seedgate.run.run_log import FencedGroup
from seedgate.runset.codec import write_runset
from seedgate.store.github_artifact import SkippedBaseline

SessionFactory = Callable[[], requests.Session]


def main(
    environ: MutableMapping[str, str] | None = None,
    *,
    out: TextIO | None = None,
    session_factory: SessionFactory = requests.Session,
    in_container: bool = False,
) -> int:
    """The whole action: the runner's environment in, an exit code out. ``in_container``
    (``entrypoint.py``): install and the runs are started as the workspace's owner."""
    make_non_dumpable()  # first: no child may read the token from this process's /proc
    become_subreaper()  # whatever install or a run leaves behind stays below the gate
    since = start_ticks()
    env = os.environ if environ is None else environ
    stream = out or sys.stdout
    interrupt_on_sigterm()
    files: commands.FileCommands | None = None
    code = ExitCode.ERROR  # until something better is known
    try:
        runner_env = take_secrets(env, stream)
        files = commands.FileCommands.take(runner_env)  # before install and the first run
        journal = Journal(stream, files)
        act = lambda: _act(runner_env, journal, session_factory, in_container=in_container)  # noqa: E731
        code = _guarded(journal, act)
        kill_descendants(since)  # nothing a run started may write after the outputs
        code = _with_outputs(journal, code)
    except BaseException as exc:  # noqa: BLE001 - the last word must still be an exit code
        code = _last_resort(stream, exc)
    finally:
        kill_descendants(since)
        if files is not None:  # whatever a run appended to the runner's files goes
            code = _restored(files, stream, code)
    return int(code)


def _with_outputs(journal: Journal, code: ExitCode) -> ExitCode:
    """Write the outputs known so far; a failure to is an error (2), unless the action
    already ended in an error or in failed runs."""
    try:
        journal.write_outputs()
    except OutputError as exc:
        failed = journal.failed(exc, "outputs")
        return code if code in (ExitCode.ERROR, ExitCode.RUNS_FAILED) else failed
    return code


def _restored(files: commands.FileCommands, out: TextIO, code: ExitCode) -> ExitCode:
    try:
        files.restore()
    except OutputError as exc:
        return _last_resort(out, exc) if code is not ExitCode.RUNS_FAILED else code
    return code


def _act(
    environ: Mapping[str, str],
    journal: Journal,
    session_factory: SessionFactory,
    *,
    in_container: bool,
) -> ExitCode:
    settings = read_settings(environ)
    journal.settings = settings
    services = Services(journal.out, GitHubAccess(settings, session_factory=session_factory))
    separate_step(settings, services, in_container=in_container)
    return run_action(settings, services, journal)


def separate_step(settings: ActionSettings, services: Services, *, in_container: bool) -> None:
    """Who runs install and the runs, said once: in the container, the workspace's owner."""
    if not in_container:
        services.say(isolation.HOST_MODE)
        return
    owner = identity.workspace_owner(settings.context.workspace)
    if owner is None:
        services.say(isolation.STAYS_ROOT)
        return
    who = identity.drop_to(*owner)
    services.say(isolation.dropped(who.uid, who.gid))


def run_action(settings: ActionSettings, services: Services, journal: Journal) -> ExitCode:
    """The steps, in order; each one's result feeds the next."""
    services.say(
        f"mode {settings.mode.value}, acting as {settings.role.value} "
        f"({settings.context.event_name})"
    )
    os.chdir(settings.working_directory)  # the config's paths are relative to it
    if settings.mode is Mode.ACCEPT:  # nothing is installed or run on a write token
        return accept_step(settings, services)
    if settings.mode is Mode.RUN:
        install_step(settings, services)
        return shard_step(settings, services, journal)
    chosen = baseline_step(settings, services, journal)  # before install: it may build one
    install_step(settings, services)
    outcome = runs_step(settings, chosen, services, journal)
    history = history_step(settings, outcome, services)
    render = write_report(settings, outcome.comparison, journal, appendix=history)
    annotate_step(settings, outcome, chosen, services)
    post_comment(settings, outcome.comparison, render, services, journal)
    check_step(settings, outcome.comparison, services)
    return exit_code_step(settings, outcome, services)


def install_step(settings: ActionSettings, services: Services, cwd: Path | None = None) -> None:
    """The `install` input, in the working directory (or ``cwd``), with the cleaned
    environment; its output is a fenced log group like a run's (``seedgate.run.run_log``)."""
    if settings.install is None:
        return
    config = settings.config
    env = child_env.child_environment(
        os.environ, pass_env=config.pass_env, drop_env=config.drop_env
    )
    who = identity.run_user()
    if who is not None:
        env = who.environment(env)
    shell = shutil.which("bash") or "/bin/sh"
    group = FencedGroup(services.out, "seedgate: install")
    group.open()
    try:
        returncode = _run_install(shell, settings.install, env, group, cwd)
    except OSError as exc:
        raise ConfigError(f"install = {settings.install!r}: cannot start ({exc})") from None
    finally:
        group.close()
    if returncode != 0:
        raise ConfigError(f"install = {settings.install!r} failed with exit code {returncode}")


def _run_install(
    shell: str, command: str, env: Mapping[str, str], group: FencedGroup, cwd: Path | None
) -> int:
    """Run ``install``; when cancelled, it and everything it started are killed at once
    (background children of a finished install live on until the gate's last sweep)."""
    token = new_token()
    proc = identity.start_command(
        [shell, "-c", command],
        cwd=cwd,
        env=env,
        token=token,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        follow_output(proc, group.feed)
        return proc.wait()
    except BaseException:  # cancelled: the command and all it started do not outlive us
        kill_tree(proc.pid, token, alone=True)
        proc.wait()
        raise
    finally:
        disown(proc.pid)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def shard_step(settings: ActionSettings, services: Services, journal: Journal) -> ExitCode:
    """Mode run: this shard's share of the runs, written for a later compare job."""
    config = settings.config
    runs = config.baseline_runs if settings.role is Role.BASELINE else config.runs
    runset = run_fixed(
        config, runs=runs, out=services.out, label=settings.role.value, shard=settings.shard
    )
    journal.runs = runset
    path = settings.shard_file
    write_runset(runset, path)
    services.say(f"{len(runset.ok_runs)} runs written to {settings.relative(path)}")
    upload_step(
        settings,
        services,
        what=f"this shard's {len(runset.ok_runs)} runs",
        name=shard_artifact_name(settings),
        path=path,
    )
    journal.outputs.update(
        {"runset-path": settings.relative(path), "runs-used": str(len(runset.ok_runs))}
    )
    return ExitCode.OK


@dataclasses.dataclass(frozen=True)
class ChosenBaseline:
    """The baseline the gate compares with (None: none), where it came from, and the
    artifacts passed over on the way."""

    runset: RunSet | None
    origin: str | None
    skipped: tuple[SkippedBaseline, ...] = ()


def baseline_step(settings: ActionSettings, services: Services, journal: Journal) -> ChosenBaseline:
    """The gate's baseline artifact from the default branch (the baseline role has none),
    found before the first run. With none usable: ``missing-baseline`` fail ends the
    action here, saying what is missing and how to make it; build makes one now."""
    if settings.role is Role.BASELINE:
        return ChosenBaseline(None, None)
    lookup = services.find_baseline()
    if lookup.found is not None:
        return ChosenBaseline(lookup.found.runset, lookup.found.describe(), lookup.skipped)
    choice = settings.config.missing_baseline
    if choice is MissingBaseline.BUILD:
        return build_step(settings, services, journal, lookup.skipped)
    if choice.fails(Verdict.NO_BASELINE):
        journal.outputs["verdict"] = Verdict.NO_BASELINE.value
        raise MissingBaselineError(no_baseline_advice(settings, lookup.skipped))
    return ChosenBaseline(None, None, lookup.skipped)


def build_step(
    settings: ActionSettings,
    services: Services,
    journal: Journal,
    skipped: tuple[SkippedBaseline, ...],
) -> ChosenBaseline:
    """The baseline made now from the base commit: its install, its runs, the same seeds."""
    services.say("no usable baseline artifact: making one from the base commit (build)")
    base = build.check_out_base(settings)
    services.say(f"base commit {base.sha} checked out in {settings.relative(base.worktree)}")
    install_step(settings, services, cwd=base.working_directory)
    config = dataclasses.replace(settings.config, working_directory=base.working_directory)
    runs = run_fixed(config, runs=config.baseline_runs, out=services.out, label="baseline")
    runset = build.as_built(runs, base)
    path = settings.output_dir / build.BUILT_FILE
    write_runset(runset, path)
    journal.outputs["baseline-path"] = settings.relative(path)
    services.say(f"baseline of {len(runset.ok_runs)} runs built, kept in {settings.relative(path)}")
    return ChosenBaseline(runset, built_origin(base.sha, len(runset.ok_runs)), skipped)


def runs_step(
    settings: ActionSettings, chosen: ChosenBaseline, services: Services, journal: Journal
) -> GateResult:
    """Run (or merge the shards' runs), compare, and keep the runs as a file."""
    outcome = _compared(settings, chosen.runset, services)
    comparison = dataclasses.replace(
        outcome.comparison,
        baseline_origin=chosen.origin,
        baseline_skipped=tuple(s.describe() for s in chosen.skipped),
    )
    if settings.role is Role.BASELINE:
        comparison = as_baseline(comparison)
    outcome = dataclasses.replace(outcome, comparison=comparison)
    journal.runs = outcome.candidate
    keep_runs(settings, outcome.candidate, services, journal)
    return outcome


def _compared(settings: ActionSettings, baseline: RunSet | None, services: Services) -> GateResult:
    config, out = settings.config, services.out
    if settings.mode is Mode.COMPARE:
        fetch_shards_step(settings, services)
        runs = merge_folder(settings.runs_path)
        services.say(f"merged {len(runs.runs)} runs from {settings.relative(settings.runs_path)}")
        outcome = GateResult(compare_runsets(baseline, runs, config), runs, baseline)
    elif settings.role is Role.BASELINE:
        runs = run_fixed(config, runs=config.baseline_runs, out=out, label="baseline")
        outcome = GateResult(compare_runsets(None, runs, config), runs, None)
    else:
        outcome = run_gate(config, baseline, out=out)
    return outcome


def keep_runs(settings: ActionSettings, runs: RunSet, services: Services, journal: Journal) -> None:
    if settings.role is Role.GATE:
        write_runset(runs, settings.output_dir / "candidate.json")
        return
    write_runset(runs, settings.baseline_path)
    journal.outputs["baseline-path"] = settings.relative(settings.baseline_path)
    upload_step(
        settings,
        services,
        what=f"the baseline of {len(runs.ok_runs)} runs",
        name=settings.baseline_artifact,
        path=settings.baseline_path,
    )


def annotate_step(
    settings: ActionSettings,
    outcome: GateResult,
    chosen: ChosenBaseline,
    services: Services,
) -> None:
    """Annotations: regressions, failed runs, an open answer, a missing baseline (the one
    a ``missing-baseline: fail`` check fails with is its ``::error``, in the exit step)."""
    services.annotations.emit_each(annotations_for(outcome.comparison))
    verdict = outcome.comparison.verdict
    if settings.role is not Role.GATE or settings.config.missing_baseline.fails(verdict):
        return
    if verdict is Verdict.NO_BASELINE:
        services.warn(no_baseline_advice(settings, chosen.skipped), title="no baseline")
    elif verdict is Verdict.METRIC_ABSENT:
        services.warn(metric_absent_advice(outcome.comparison), title="metric absent")


def exit_code_step(settings: ActionSettings, outcome: GateResult, services: Services) -> ExitCode:
    """1 only for a gate's verdict that ``fail-on`` names; a baseline always passes."""
    verdict = outcome.comparison.verdict
    if settings.role is Role.GATE and settings.config.missing_baseline.fails(verdict):
        services.say(f"verdict {verdict.value} (fails the check: missing-baseline is fail)")
        if verdict is Verdict.METRIC_ABSENT:
            raise MissingBaselineError(metric_absent_advice(outcome.comparison))
        raise MissingBaselineError(no_baseline_advice(settings, ()))
    if settings.role is Role.GATE and settings.config.fail_on.fails(verdict):
        services.say(f"verdict {verdict.value} (fails the check)")
        return ExitCode.FAILING_VERDICT
    services.say(f"verdict {verdict.value}")
    return ExitCode.OK


# --- the edge: secrets, errors, exit codes ----------------------------------------------------


def take_secrets(environ: MutableMapping[str, str], out: TextIO) -> dict[str, str]:
    """Mask the token in the log, then remove the inputs and runner tokens from this
    process's environment so no child can inherit them; a copy for the settings."""
    token = environ.get(input_env_name(TOKEN_INPUT), "").strip()
    runtime_token = environ.get("ACTIONS_RUNTIME_TOKEN", "").strip()
    for secret in (token, runtime_token):
        if secret:
            out.write(commands.add_mask(secret) + "\n")
    out.flush()
    copy = dict(environ)
    for name in [n for n in environ if child_env.is_dropped(n)]:
        del environ[name]
    return copy


def _guarded(journal: Journal, body: Callable[[], ExitCode]) -> ExitCode:
    """Run the action; every way it can end becomes an exit code with an ``::error``."""
    try:
        return body()
    except KeyboardInterrupt:  # SIGTERM of a cancelled job, outside the runs
        return journal.failed(CancellationError("cancelled"), "cancelled")
    except CancellationError as exc:  # during the runs: it carries the finished ones
        return journal.failed(exc, "cancelled")
    except ConfigError as exc:
        return journal.failed(exc, "configuration")
    except RunnerError as exc:
        return journal.failed(exc, "runs")
    except GitHubError as exc:
        return journal.failed(exc, "GitHub")
    except MissingBaselineError as exc:
        return journal.failed(exc, "nothing compared")
    except SeedgateError as exc:
        return journal.failed(exc, "error")
    except Exception as exc:  # noqa: BLE001 - a bug must not look like a regression (exit 1)
        return journal.failed(SeedgateError(f"internal error: {exc!r}"), "internal error")


def _last_resort(out: TextIO, error: BaseException) -> ExitCode:
    """Reporting itself failed (a full disk, a second cancellation): one plain line."""
    code = ExitCode.RUNS_FAILED if isinstance(error, KeyboardInterrupt) else ExitCode.ERROR
    text = str(error) if isinstance(error, SeedgateError) else repr(error)
    line = safe_lines(text.encode("ascii", "backslashreplace").decode("ascii"))
    with contextlib.suppress(OSError, ValueError):  # the exit code still tells
        out.write(f"::error title=seedgate: internal error::{commands.escape_data(line)}\n")
        out.flush()
    return code
