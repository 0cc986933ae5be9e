"""The local edge: ``seedgate init | run | baseline | gate | compare | merge | plan | explain``,
``history``, ``demo``, and ``github`` (the GitHub Action's whole job from a ``run:`` step).

Each command is the ``command`` function of its module here (``seedgate.cli.gate`` ...),
imported when it runs. Only this module (and the action's ``main``) turns errors into exit codes
(``seedgate.errors.ExitCode``): 0 settled and passing, 1 only a failing verdict (per
--fail-on), 2 usage, configuration or internal error, 3 failed or cancelled runs (what
finished is still written). Nothing ends in a traceback.
Heavy modules (numpy, scipy, the pipeline) are imported inside the commands so that
``seedgate --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from seedgate.cli.args import build_parser
from seedgate.errors import ConfigError, ExitCode, SeedgateError, exit_code_for


def main(argv: Sequence[str] | None = None) -> int:
    from seedgate.run.interrupts import interrupt_on_sigterm

    args = build_parser().parse_args(argv)
    interrupt_on_sigterm()
    try:
        _change_directory(args)
        command = importlib.import_module(f"seedgate.cli.{args.subcommand}").command
        return int(command(args))
    except KeyboardInterrupt:  # a cancellation outside the runs (which keep what finished)
        return _failed("interrupted", ExitCode.RUNS_FAILED)
    except SeedgateError as exc:
        return _failed(f"error: {exc}", exit_code_for(exc))
    except Exception as exc:  # noqa: BLE001 - a bug must not look like a regression (exit 1)
        return _failed(f"internal error: {exc!r}", ExitCode.ERROR)


def _change_directory(args: argparse.Namespace) -> None:
    """``-C DIR`` (before or after the subcommand; several apply in turn, as git's do)."""
    for directory in (getattr(args, "chdir_first", None), getattr(args, "chdir", None)):
        if directory is None:
            continue
        try:
            os.chdir(directory)
        except OSError as exc:
            raise ConfigError(f"-C {directory}: cannot change to it ({exc.strerror})") from None


def _failed(message: str, code: ExitCode) -> int:
    """Print an error line by line, each made safe for a log (it may quote data)."""
    from seedgate.log_text import safe_lines

    lines = safe_lines(message).splitlines() or ["error"]
    with contextlib.suppress(OSError, UnicodeError):  # stderr gone or not UTF-8: the code tells
        print("\n".join(f"seedgate: {line}" for line in lines), file=sys.stderr, flush=True)
    return int(code)
