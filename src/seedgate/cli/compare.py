"""`seedgate compare`: two RunSet files compared, no runs."""

from __future__ import annotations

import argparse
import sys

from seedgate.cli.common import emit, load_settings, verdict_exit


def command(args: argparse.Namespace) -> int:
    from seedgate.pipeline import compare_runsets
    from seedgate.runset.codec import read_runset

    config = load_settings(args)
    baseline, candidate = read_runset(args.baseline), read_runset(args.candidate)
    schedule = config.look_schedule() if args.sequential else None
    comparison = compare_runsets(baseline, candidate, config, schedule=schedule)
    emit(comparison, args, sys.stdout)
    return verdict_exit(comparison, config)
