"""Cancellation: a cancelled CI job gets SIGTERM; treat it like Ctrl-C.

The pipeline turns KeyboardInterrupt into a RunnerError that carries the finished runs,
so the edges can still write them.
"""

from __future__ import annotations

import signal


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
