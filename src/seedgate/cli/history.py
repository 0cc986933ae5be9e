"""`seedgate history`: main's baselines as tables and charts, with any slow drift found.

Reads the local history (``history/`` in the store, where `seedgate baseline` records each
baseline) or a git data branch (``--branch``), records RunSets first with ``--add``, and
writes text (a table and a dot chart per metric), Markdown or JSON. Drift is reported; it
never changes the exit code.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from seedgate.cli.common import load_settings, stdout_format
from seedgate.errors import ConfigError, ExitCode
from seedgate.files import write_shared_text

if TYPE_CHECKING:
    from seedgate.config.settings import Config
    from seedgate.history.record import HistoryRecord
    from seedgate.history.view import HistoryView
    from seedgate.records import Goal
    from seedgate.store.history_git import GitHistory
    from seedgate.store.history_local import LocalHistory


def command(args: argparse.Namespace) -> int:
    from seedgate.history.record import record_from_runset
    from seedgate.history.view import build_view
    from seedgate.runset.codec import read_runset

    if args.last < 1:
        raise ConfigError(f"--last {args.last}: expected at least 1 baseline to show")
    config = load_settings(args)
    store = history_store(args, config)
    for path in args.add or ():
        runset = read_runset(path)
        added = store.append(record_from_runset(runset, goals(config, [runset.metric_names()])))
        print(f"seedgate: {path} recorded in the history as {added}", file=sys.stderr)
    records = store.load()
    view = build_view(records, goals(config, _names(records)), shown=args.last)
    _emit(view, args, sys.stdout)
    return ExitCode.OK


def history_store(args: argparse.Namespace, config: Config) -> LocalHistory | GitHistory:
    from seedgate.store.history_git import GitHistory
    from seedgate.store.history_local import HISTORY_DIRECTORY, LocalHistory

    if args.branch:
        if args.add:
            raise ConfigError("--add records in the local history; it cannot go with --branch")
        return GitHistory(Path.cwd(), args.remote, args.branch)
    return LocalHistory(config.store / HISTORY_DIRECTORY)


def goals(config: Config, names: Iterable[Iterable[str]]) -> dict[str, Goal]:
    """Each metric's goal: the config's, else guessed from its name (as the gate does)."""
    return {name: config.spec_for(name).goal for group in names for name in group}


def _names(records: tuple[HistoryRecord, ...]) -> list[list[str]]:
    return [[m.name for m in record.metrics] for record in records]


def _emit(view: HistoryView, args: argparse.Namespace, out: TextIO) -> None:
    from seedgate.report.history import history_json, history_markdown, history_terminal

    if args.format == "json":
        text = json.dumps(history_json(view), indent=2, allow_nan=False) + "\n"
    else:
        text = history_markdown(view, folded=False)
    if stdout_format(args.format, out) == "text":
        width = shutil.get_terminal_size().columns if out.isatty() else 110
        out.write(history_terminal(view, width=width, colour=out.isatty()))
    else:
        out.write(text)
    if args.out:
        write_shared_text(args.out, text)
        print(f"seedgate: history written to {args.out}", file=sys.stderr)
