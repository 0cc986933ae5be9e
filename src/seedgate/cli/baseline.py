"""`seedgate baseline`: the runs saved as the local baseline."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from seedgate.cli.common import keeping_finished_runs, load_settings
from seedgate.errors import ExitCode

if TYPE_CHECKING:
    from seedgate.config.settings import Config
    from seedgate.records import RunSet


def command(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_fixed
    from seedgate.store.local import LocalStore

    config = load_settings(args)
    store = LocalStore(config.store)
    with keeping_finished_runs(store.directory / "baseline.partial.json"):
        runset = run_fixed(config, runs=config.baseline_runs, out=sys.stderr)
    path = store.save(runset)
    print(f"seedgate: baseline of {len(runset.ok_runs)} runs saved to {path}", file=sys.stderr)
    _record_in_history(config, runset)
    return ExitCode.OK


def _record_in_history(config: Config, runset: RunSet) -> None:
    """The baseline's record in the local history (``seedgate history`` shows it)."""
    from seedgate.cli.history import goals
    from seedgate.history.record import record_from_runset
    from seedgate.store.history_local import HISTORY_DIRECTORY, LocalHistory

    history = LocalHistory(config.store / HISTORY_DIRECTORY)
    record = record_from_runset(runset, goals(config, [runset.metric_names()]))
    print(f"seedgate: recorded in the history as {history.append(record)}", file=sys.stderr)
