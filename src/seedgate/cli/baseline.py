"""`seedgate baseline`: the runs saved as the local baseline.

Runs already made on this commit with the same command and seeds (``seedgate init``'s, in the
store's ``init.json``, and an interrupted baseline's, in ``baseline.partial.json``) are reused;
only the rest are run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from seedgate.cli.common import keeping_finished_runs, load_settings, warn_resolution
from seedgate.cli.init import INIT_RUNS
from seedgate.errors import ExitCode, RunSetError
from seedgate.records import RunSet

if TYPE_CHECKING:
    from seedgate.config.settings import Config

PARTIAL_RUNS = "baseline.partial.json"


def runs_made_before(store: Path) -> list[RunSet]:
    """The store's earlier runs that a baseline may reuse: an interrupted baseline's first
    (they are the newest), then init's; a file that cannot be read is passed over."""
    from seedgate.runset.codec import read_runset

    found = []
    for name in (PARTIAL_RUNS, INIT_RUNS):
        path = store / name
        if path.is_file():
            try:
                found.append(read_runset(path))
            except RunSetError as exc:
                print(f"seedgate: not reusing {path}: {exc}", file=sys.stderr)
    return found


def command(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_fixed
    from seedgate.store.local import LocalStore

    config = load_settings(args)
    store = LocalStore(config.store)
    earlier = runs_made_before(store.directory)
    with keeping_finished_runs(store.directory / PARTIAL_RUNS):
        runset = run_fixed(config, runs=config.baseline_runs, out=sys.stderr, reuse=earlier)
    path = store.save(runset)
    (store.directory / PARTIAL_RUNS).unlink(missing_ok=True)
    print(f"seedgate: baseline of {len(runset.ok_runs)} runs saved to {path}", file=sys.stderr)
    _record_in_history(config, runset)
    warn_resolution(config, runset)  # its runs measure the noise again: is min_effect resolved?
    return ExitCode.OK


def _record_in_history(config: Config, runset: RunSet) -> None:
    """The baseline's record in the local history (``seedgate history`` shows it)."""
    from seedgate.cli.history import goals
    from seedgate.history.record import record_from_runset
    from seedgate.store.history_local import HISTORY_DIRECTORY, LocalHistory

    history = LocalHistory(config.store / HISTORY_DIRECTORY)
    record = record_from_runset(runset, goals(config, [runset.metric_names()]))
    print(f"seedgate: recorded in the history as {history.append(record)}", file=sys.stderr)
