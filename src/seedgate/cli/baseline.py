"""`seedgate baseline`: the runs saved as the local baseline."""

from __future__ import annotations

import argparse
import sys

from seedgate.cli.common import keeping_finished_runs, load_settings
from seedgate.errors import ExitCode


def command(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_fixed
    from seedgate.store.local import LocalStore

    config = load_settings(args)
    store = LocalStore(config.store)
    with keeping_finished_runs(store.directory / "baseline.partial.json"):
        runset = run_fixed(config, runs=config.baseline_runs, out=sys.stderr)
    path = store.save(runset)
    print(f"seedgate: baseline of {len(runset.ok_runs)} runs saved to {path}", file=sys.stderr)
    return ExitCode.OK
