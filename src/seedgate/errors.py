"""One exception root, one subclass per layer, and the exit codes they end in.

Library errors are translated into these at the layer's edge; only the CLI and the
action turn them into exit codes, with :func:`exit_code_for`.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The contract of both edges (CLI and action)."""

    OK = 0  # settled and passing, or no verdict asked for
    FAILING_VERDICT = 1  # only a verdict that fails the check (``fail_on``)
    ERROR = 2  # configuration, usage, GitHub or internal error
    RUNS_FAILED = 3  # failed or cancelled runs; the finished ones are kept


class SeedgateError(Exception):
    """Root of every error seedgate raises on purpose."""


class ConfigError(SeedgateError):
    """A setting is unknown, has the wrong type, or an impossible value."""


class RunSetError(SeedgateError):
    """A RunSet file is missing, truncated, foreign, or of a newer schema."""


class RunnerError(SeedgateError):
    """Running the experiment failed as a whole (e.g. too many failed runs).

    ``partial`` holds what was produced before the failure, so it can still be saved
    and reported.
    """

    def __init__(self, message: str, partial: object | None = None) -> None:
        super().__init__(message)
        self.partial = partial


class StoreError(SeedgateError):
    """A baseline store could not be read or written."""


class GitHubError(SeedgateError):
    """A call to the GitHub API failed; the message names the call and the fix."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MissingBaselineError(SeedgateError):
    """Nothing to compare with under ``missing_baseline = "fail"``: the message says what is
    missing and how to make it (exit 2, like a configuration error)."""


class ReportError(SeedgateError):
    """A report could not be rendered."""


class OutputError(SeedgateError):
    """A file for the runner or the next steps (outputs, summary, report) cannot be written."""


class CancellationError(RunnerError):
    """The job was cancelled (SIGTERM, Ctrl-C); ``partial`` holds the finished runs."""


def exit_code_for(error: BaseException) -> ExitCode:
    """What an error that ends a command means for its exit code."""
    if isinstance(error, (RunnerError, KeyboardInterrupt)):
        return ExitCode.RUNS_FAILED
    return ExitCode.ERROR


class HistoryError(StoreError):
    """A history record is corrupt, foreign or too large, or the history cannot be read or
    written; the message names the record or the store."""
