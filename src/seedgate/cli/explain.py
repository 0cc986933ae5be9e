"""`seedgate explain`: where the noise comes from, kept for the gate's report."""

from __future__ import annotations

import argparse
import sys

from seedgate.cli.common import load_settings
from seedgate.errors import ExitCode


def command(args: argparse.Namespace) -> int:
    from seedgate.planning.explain import run_explain
    from seedgate.planning.noise import NOISE_FILE, write_noise
    from seedgate.report.noise import render_explain

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
