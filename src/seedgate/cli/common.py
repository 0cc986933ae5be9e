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
    return load_config(overrides, config_path=args.config, search_dir=Path.cwd())


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
    print(f"seedgate: verdict {comparison.verdict.value}", file=sys.stderr)
    return ExitCode.FAILING_VERDICT if config.fail_on.fails(comparison.verdict) else ExitCode.OK


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
    from seedgate.runset.codec import read_runset
    from seedgate.store.local import LocalStore

    if getattr(args, "baseline", None):
        return read_runset(args.baseline)
    return LocalStore(config.store).load()


def warn_resolution(config: Config, baseline: RunSet | None) -> None:
    """Before running: which metric gates by default, and min_effects the runs cannot resolve."""
    from seedgate.report.plans import gate_warnings

    for line in gate_warnings(config, baseline) if baseline is not None else ():
        print(f"seedgate: {line}", file=sys.stderr)
