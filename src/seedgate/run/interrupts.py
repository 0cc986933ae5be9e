"""Cancellation: a cancelled CI job gets SIGTERM; treat it like Ctrl-C.

The pipeline turns KeyboardInterrupt into a CancellationError that carries the finished
runs, and the edges catch it anywhere else, so a cancelled job exits 3 keeping them.
Only the first SIGTERM interrupts: later ones would cut short the writing of what finished.
"""

from __future__ import annotations

import signal


def _interrupt(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
