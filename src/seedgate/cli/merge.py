"""`seedgate merge`: shards' RunSets into one."""

from __future__ import annotations

import argparse
import sys

from seedgate.errors import ExitCode


def command(args: argparse.Namespace) -> int:
    from seedgate.runset.codec import read_runset, write_runset
    from seedgate.runset.shards import merge_runsets

    merged = merge_runsets([read_runset(p) for p in args.files], names=[str(p) for p in args.files])
    write_runset(merged, args.out)
    print(
        f"seedgate: {len(merged.runs)} runs from {len(args.files)} shards written to {args.out}",
        file=sys.stderr,
    )
    return ExitCode.OK
