"""`seedgate github`: the GitHub Action's whole job from a ``run:`` step."""

from __future__ import annotations

import argparse


def command(args: argparse.Namespace) -> int:  # noqa: ARG001 - no arguments of its own
    from seedgate.action import main as action_main

    return action_main()  # the container's entrypoint.py calls the same function
