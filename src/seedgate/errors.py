"""One exception root, one subclass per layer.

Library errors are translated into these at the layer's edge; only the CLI and the
entrypoint turn them into exit codes.
"""

from __future__ import annotations


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


class ReportError(SeedgateError):
    """A report could not be rendered."""


class OutputError(SeedgateError):
    """A file for the runner or the next steps (outputs, summary, report) cannot be written."""
