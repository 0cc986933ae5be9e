"""The local edge: ``seedgate init | run | baseline | gate | compare | merge | plan | explain``,
``demo``, and ``github`` (the GitHub Action's whole job from a ``run:`` step).

Only this module (and the action's ``main``) turns errors into exit codes
(``seedgate.errors.ExitCode``): 0 settled and passing, 1 only a failing verdict (per
--fail-on), 2 usage, configuration or internal error, 3 failed or cancelled runs (what
finished is still written). Nothing ends in a traceback.
Heavy modules (numpy, scipy, the pipeline) are imported inside the commands so that
``seedgate --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from seedgate.cli_args import build_parser
from seedgate.errors import ConfigError, ExitCode, RunnerError, SeedgateError, exit_code_for
from seedgate.files import write_shared_text

if TYPE_CHECKING:
    from seedgate.config import Config
    from seedgate.records import Comparison, RunSet


_MAKE_BASELINE = "make one with `seedgate baseline -- CMD`"


# --- shared steps ---------------------------------------------------------------------


def _command_text(cmd: Sequence[str]) -> str | None:
    import shlex

    parts = list(cmd[1:] if cmd and cmd[0] == "--" else cmd)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shlex.join(parts)


def load_settings(args: argparse.Namespace, **extra: object) -> Config:
    """The flags named like settings (``dest``) overlay the config file, parsed as one."""
    from seedgate.config import SETTING_KEYS, load_config

    overrides = {k: v for k, v in vars(args).items() if k in SETTING_KEYS}
    for key in ("working_directory", "store"):
        if overrides.get(key) is not None:
            overrides[key] = str(overrides[key])
    if command := _command_text(getattr(args, "cmd", None) or []):
        overrides["command"] = command
    overrides.update(extra)
    return load_config(overrides, config_path=args.config, search_dir=Path.cwd())


def stdout_format(requested: str | None, out: TextIO) -> str:
    """text for a person at a terminal; markdown in GitHub Actions or into a pipe/file."""
    if requested is not None:
        return requested
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return "markdown"
    return "text" if out.isatty() else "markdown"


def _emit(comparison: Comparison, args: argparse.Namespace, out: TextIO) -> None:
    from seedgate.report import render_json, render_markdown, render_text

    text = render_json(comparison) if args.format == "json" else render_markdown(comparison)
    shown = stdout_format(args.format, out)
    if shown == "text":
        width = shutil.get_terminal_size().columns if out.isatty() else 100
        out.write(render_text(comparison, color=out.isatty(), width=width))
    else:
        out.write(text if text.endswith("\n") else text + "\n")
    if args.out:
        write_shared_text(args.out, text)
        print(f"seedgate: report written to {args.out}", file=sys.stderr)


def _verdict_exit(comparison: Comparison, config: Config) -> ExitCode:
    print(f"seedgate: verdict {comparison.verdict.value}", file=sys.stderr)
    return ExitCode.FAILING_VERDICT if config.fail_on.fails(comparison.verdict) else ExitCode.OK


@contextlib.contextmanager
def _keeping_finished_runs(path: Path) -> Iterator[None]:
    """When the runs fail or are cancelled, write the ones that finished to ``path``."""
    from seedgate.records import RunSet
    from seedgate.runset.codec import write_runset

    try:
        yield
    except RunnerError as exc:
        if isinstance(exc.partial, RunSet):
            write_runset(exc.partial, path)
            print(f"seedgate: the runs that finished are kept in {path}", file=sys.stderr)
        raise


# --- commands -------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_fixed
    from seedgate.runset.codec import write_runset
    from seedgate.runset.shards import parse_shard

    config = load_settings(args)
    shard = parse_shard(args.shard) if args.shard else None
    with _keeping_finished_runs(args.out):
        runset = run_fixed(config, runs=config.runs, out=sys.stderr, label="run", shard=shard)
    write_runset(runset, args.out)
    print(f"seedgate: {len(runset.ok_runs)} runs written to {args.out}", file=sys.stderr)
    return ExitCode.OK


def cmd_baseline(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_fixed
    from seedgate.store.local import LocalStore

    config = load_settings(args)
    store = LocalStore(config.store)
    with _keeping_finished_runs(store.directory / "baseline.partial.json"):
        runset = run_fixed(config, runs=config.baseline_runs, out=sys.stderr)
    path = store.save(runset)
    print(f"seedgate: baseline of {len(runset.ok_runs)} runs saved to {path}", file=sys.stderr)
    return ExitCode.OK


def _load_baseline(args: argparse.Namespace, config: Config) -> RunSet | None:
    from seedgate.runset.codec import read_runset
    from seedgate.store.local import LocalStore

    if getattr(args, "baseline", None):
        return read_runset(args.baseline)
    return LocalStore(config.store).load()


def _warn_resolution(config: Config, baseline: RunSet | None) -> None:
    """Before running: which metric gates by default, and min_effects the runs cannot resolve."""
    from seedgate.resolution import gate_warnings

    for line in gate_warnings(config, baseline) if baseline is not None else ():
        print(f"seedgate: {line}", file=sys.stderr)


def cmd_gate(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_gate
    from seedgate.runset.codec import write_runset

    config = load_settings(args)
    baseline = None if args.baseline_command else _load_baseline(args, config)
    candidate_path = args.candidate_out or config.store / "candidate.json"
    with _keeping_finished_runs(candidate_path):
        outcome = run_gate(config, baseline, out=sys.stderr, baseline_command=args.baseline_command)
    write_runset(outcome.candidate, candidate_path)
    if outcome.baseline is None:
        print(f"seedgate: no baseline found; {_MAKE_BASELINE} on the main branch", file=sys.stderr)
    _emit(outcome.comparison, args, sys.stdout)
    return _verdict_exit(outcome.comparison, config)


def cmd_compare(args: argparse.Namespace) -> int:
    from seedgate.pipeline import compare_runsets
    from seedgate.runset.codec import read_runset

    config = load_settings(args)
    baseline, candidate = read_runset(args.baseline), read_runset(args.candidate)
    schedule = config.look_schedule() if args.sequential else None
    comparison = compare_runsets(baseline, candidate, config, schedule=schedule)
    _emit(comparison, args, sys.stdout)
    return _verdict_exit(comparison, config)


def cmd_merge(args: argparse.Namespace) -> int:
    from seedgate.runset.codec import read_runset, write_runset
    from seedgate.runset.shards import merge_runsets

    merged = merge_runsets([read_runset(p) for p in args.files], names=[str(p) for p in args.files])
    write_runset(merged, args.out)
    print(
        f"seedgate: {len(merged.runs)} runs from {len(args.files)} shards written to {args.out}",
        file=sys.stderr,
    )
    return ExitCode.OK


def cmd_plan(args: argparse.Namespace) -> int:
    from seedgate.pipeline import plan_runs_needed
    from seedgate.report.text import plan_sentence
    from seedgate.resolution import resolutions, smallest_effect_text

    config = load_settings(args)
    baseline = _load_baseline(args, config)
    if baseline is None:
        raise ConfigError(f"plan: no baseline; pass --baseline FILE or {_MAKE_BASELINE}")
    _warn_resolution(config, baseline)
    for plan in plan_runs_needed(config, baseline):
        print(plan_sentence(plan))
    for resolution in resolutions(config, baseline):
        print(smallest_effect_text(resolution))
    return ExitCode.OK


def cmd_explain(args: argparse.Namespace) -> int:
    from seedgate.explain import render_explain, run_explain
    from seedgate.store.noise import NOISE_FILE, write_noise

    config = load_settings(args)
    breakdowns = run_explain(
        config,
        out=sys.stderr,
        runs_per_factor=args.runs_per_factor,
        repeats=args.repeats,
        n_test=args.n_test,
    )
    print(render_explain(breakdowns, config=config))
    path = config.store / NOISE_FILE
    write_noise(breakdowns, path)
    print(f"seedgate: kept in {path}; `seedgate gate` adds it to the report", file=sys.stderr)
    return ExitCode.OK


def cmd_demo(args: argparse.Namespace) -> int:
    from seedgate.demo import find_example, run_demo

    if args.config is None:
        args.config = find_example() / "seedgate.toml"
    # the demo runs as many seeds at once as there are cores unless --jobs says otherwise
    config = load_settings(args, jobs="auto" if args.jobs is None else args.jobs)
    return run_demo(
        config,
        workdir=args.workdir,
        baseline_runs=args.baseline_runs,
        changed_lr=args.lr,
        out=sys.stdout,
        text=stdout_format(None, sys.stdout) == "text",
    )


def cmd_github(args: argparse.Namespace) -> int:  # noqa: ARG001 - no arguments of its own
    from seedgate.action import main as action_main

    return action_main()  # the container's entrypoint.py calls the same function


def cmd_init(args: argparse.Namespace) -> int:
    from seedgate.init import InitRequest, run_init

    settings = {k: getattr(args, k) for k in ("runs", "jobs", "timeout")}
    request = InitRequest(
        command=_command_text(args.cmd or []),
        baseline=args.baseline,
        out=args.out,
        force=args.force,
        settings={k: v for k, v in settings.items() if v is not None},
    )
    run_init(request, out=sys.stdout)
    return ExitCode.OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "run": cmd_run,
    "baseline": cmd_baseline,
    "gate": cmd_gate,
    "compare": cmd_compare,
    "merge": cmd_merge,
    "plan": cmd_plan,
    "explain": cmd_explain,
    "demo": cmd_demo,
    "github": cmd_github,
}


def main(argv: Sequence[str] | None = None) -> int:
    from seedgate.run.interrupts import interrupt_on_sigterm

    args = build_parser().parse_args(argv)
    interrupt_on_sigterm()
    try:
        return int(COMMANDS[args.subcommand](args))
    except KeyboardInterrupt:  # a cancellation outside the runs (which keep what finished)
        return _failed("interrupted", ExitCode.RUNS_FAILED)
    except SeedgateError as exc:
        return _failed(f"error: {exc}", exit_code_for(exc))
    except Exception as exc:  # noqa: BLE001 - a bug must not look like a regression (exit 1)
        return _failed(f"internal error: {exc!r}", ExitCode.ERROR)


def _failed(message: str, code: ExitCode) -> int:
    """Print an error line by line, each made safe for a log (it may quote data)."""
    from seedgate.log_text import safe_lines

    lines = safe_lines(message).splitlines() or ["error"]
    with contextlib.suppress(OSError, UnicodeError):  # stderr gone or not UTF-8: the code tells
        print("\n".join(f"seedgate: {line}" for line in lines), file=sys.stderr, flush=True)
    return int(code)
