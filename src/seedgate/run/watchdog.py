"""Kills a process's runs when that process dies: ``python -m seedgate.run.watchdog``.

A Ray task runs the user's command as a child of a Ray worker process. When the worker is
killed (``ray.cancel(force=True)``, a node's memory monitor, a run that kills its parent),
nothing is left to kill the run, which is its own session and outlives the worker. So the
first run on a worker starts this watchdog, in a session of its own, and tells it over its
stdin which runs are in flight (``+TOKEN`` when one starts, ``-TOKEN`` when it ended). The
worker never closes that pipe, so an end of input means the worker died: the watchdog kills
every process carrying a token still in flight (``seedgate.run.process_tree``) and exits.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from typing import IO

from seedgate.run.process_tree import kill_tree


def watch(lines: IO[str]) -> set[str]:
    """Follow ``+TOKEN`` / ``-TOKEN`` lines to the end of input; the tokens left in flight."""
    in_flight: set[str] = set()
    for line in lines:
        sign, token = line[:1], line[1:].strip()
        if sign == "+" and token:
            in_flight.add(token)
        elif sign == "-":
            in_flight.discard(token)
    return in_flight


def main() -> None:
    for token in watch(sys.stdin):
        kill_tree(None, token)


class Watchdog:
    """The worker's side: one watchdog process per worker, told about each run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def _pipe(self) -> IO[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._let_go()
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "seedgate.run.watchdog"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,  # a kill of the worker's group must not reach it
            )
        assert self._proc.stdin is not None  # noqa: S101 - Popen was given PIPE
        return self._proc.stdin

    def _let_go(self) -> None:
        """Close the pipe to a watchdog that has ended (killed with the rest of a process
        tree, say), so that starting the next one leaks no file."""
        if self._proc is not None and self._proc.stdin is not None:
            with contextlib.suppress(OSError):  # a pipe to a dead reader: nothing to flush to
                self._proc.stdin.close()

    def started(self, token: str) -> None:
        self._say(f"+{token}")

    def ended(self, token: str) -> None:
        self._say(f"-{token}")

    def _say(self, line: str) -> None:
        with self._lock:
            pipe = self._pipe()
            pipe.write(line + "\n")
            pipe.flush()


if __name__ == "__main__":
    main()
