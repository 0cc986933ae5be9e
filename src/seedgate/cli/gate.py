"""`seedgate gate`: candidate runs against the baseline, the report, the verdict's exit code."""

from __future__ import annotations

import argparse
import sys

from seedgate.cli.common import (
    emit,
    keeping_finished_runs,
    load_baseline,
    load_settings,
    verdict_exit,
)


def command(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_gate
    from seedgate.runset.codec import write_runset

    config = load_settings(args)
    baseline = None if args.baseline_command else load_baseline(args, config)
    candidate_path = args.candidate_out or config.store / "candidate.json"
    with keeping_finished_runs(candidate_path):
        outcome = run_gate(config, baseline, out=sys.stderr, baseline_command=args.baseline_command)
    write_runset(outcome.candidate, candidate_path)
    emit(outcome.comparison, args, sys.stdout)
    return verdict_exit(outcome.comparison, config)
