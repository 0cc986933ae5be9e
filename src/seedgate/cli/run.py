"""`seedgate run`: the runs, written as one RunSet (or one shard of it)."""

from __future__ import annotations

import argparse
import sys

from seedgate.cli.common import keeping_finished_runs, load_settings
from seedgate.errors import ExitCode


def command(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_fixed
    from seedgate.runset.codec import write_runset
    from seedgate.runset.shards import parse_shard

    config = load_settings(args)
    shard = parse_shard(args.shard) if args.shard else None
    with keeping_finished_runs(args.out):
        runset = run_fixed(config, runs=config.runs, out=sys.stderr, label="run", shard=shard)
    write_runset(runset, args.out)
    print(f"seedgate: {len(runset.ok_runs)} runs written to {args.out}", file=sys.stderr)
    return ExitCode.OK
