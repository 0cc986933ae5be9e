"""The steps the commands share: settings from flags, the baseline, the report, exit codes."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from seedgate.errors import ExitCode, RunnerError
from seedgate.files import write_shared_text

if TYPE_CHECKING:
    from seedgate.config.settings import Config
    from seedgate.records import Comparison, RunSet

MAKE_BASELINE = "make one with `seedgate baseline -- CMD`"
WITHOUT_BASELINE = '(--missing-baseline pass, or missing_baseline = "pass", passes instead)'


def command_text(cmd: Sequence[str]) -> str | None:
    import shlex

    parts = list(cmd[1:] if cmd and cmd[0] == "--" else cmd)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shlex.join(parts)


def load_settings(args: argparse.Namespace, **extra: object) -> Config:
    """The flags named like settings (``dest``) overlay the config file, parsed as one."""
    from seedgate.config.settings import SETTING_KEYS, load_config

    overrides = {k: v for k, v in vars(args).items() if k in SETTING_KEYS}
    for key in ("working_directory", "store"):
        if overrides.get(key) is not None:
            overrides[key] = str(overrides[key])
    if command := command_text(getattr(args, "cmd", None) or []):
        overrides["command"] = command
    overrides.update(extra)
    return load_config(overrides, config_path=args.config, search_dir=Path())


def stdout_format(requested: str | None, out: TextIO) -> str:
    """text for a person at a terminal; markdown in GitHub Actions or into a pipe/file."""
    if requested is not None:
        return requested
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return "markdown"
    return "text" if out.isatty() else "markdown"


def emit(comparison: Comparison, args: argparse.Namespace, out: TextIO) -> None:
    from seedgate.report import render_json, render_markdown, render_text

    text = render_json(comparison) if args.format == "json" else render_markdown(comparison)
    shown = stdout_format(args.format, out)
    if shown == "text":
        # the terminal's width, or COLUMNS into a pipe, else 100
        width = shutil.get_terminal_size((100, 24)).columns
        out.write(render_text(comparison, color=out.isatty(), width=width))
    else:
        out.write(text if text.endswith("\n") else text + "\n")
    if args.out:
        write_shared_text(args.out, text, special_ok=True)  # --out /dev/stdout
        print(f"seedgate: report written to {args.out}", file=sys.stderr)


def verdict_exit(comparison: Comparison, config: Config) -> ExitCode:
    """1 for a verdict fail_on names; nothing compared is 2 under missing_baseline = "fail"
    and a warning under "pass"."""
    from seedgate.records import NOT_COMPARED
    from seedgate.report.wording import why

    verdict = comparison.verdict
    print(f"seedgate: verdict {verdict.value}", file=sys.stderr)
    if config.missing_baseline.fails(verdict):
        print(f"seedgate: error: {why(comparison)} {WITHOUT_BASELINE}", file=sys.stderr)
        return ExitCode.ERROR
    if verdict in NOT_COMPARED:
        print(f"seedgate: warning: {why(comparison)}", file=sys.stderr)
    return ExitCode.FAILING_VERDICT if config.fail_on.fails(verdict) else ExitCode.OK


@contextlib.contextmanager
def keeping_finished_runs(path: Path) -> Iterator[None]:
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


def load_baseline(args: argparse.Namespace, config: Config) -> RunSet | None:
    """The --baseline file, else the store's baseline; with none, an error before any run
    under missing_baseline = "fail", a warning under "pass"."""
    from seedgate.errors import MissingBaselineError
    from seedgate.records import MissingBaseline, Verdict
    from seedgate.runset.codec import read_runset
    from seedgate.store.local import LocalStore

    if getattr(args, "baseline", None):
        return read_runset(args.baseline)
    store = LocalStore(config.store)
    baseline = store.load()
    if baseline is None:
        missing = f"no baseline at {store.describe()}"
        if config.missing_baseline is MissingBaseline.BUILD:
            missing += (
                " (missing_baseline = build is the action's: the CLI knows no pull request "
                "base commit; --baseline-command runs a baseline in lockstep)"
            )
        if config.missing_baseline.fails(Verdict.NO_BASELINE):
            raise MissingBaselineError(f"{missing}: {MAKE_BASELINE}; {WITHOUT_BASELINE}")
        print(f"seedgate: warning: {missing}; nothing will be compared", file=sys.stderr)
    return baseline


def warn_resolution(config: Config, baseline: RunSet | None) -> None:
    """Before running: which metric gates by default, and min_effects the runs cannot resolve."""
    from seedgate.report.plans import gate_warnings

    for line in gate_warnings(config, baseline) if baseline is not None else ():
        print(f"seedgate: {line}", file=sys.stderr)
