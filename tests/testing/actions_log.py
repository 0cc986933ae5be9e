"""A step's log read the way GitHub's runner reads it, for tests of what seedgate prints.

A line whose text (after leading spaces) starts with ``::`` is a workflow command, except
between ``::stop-commands::TOKEN`` and the line ``::TOKEN::``, where no command is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReadLog:
    commands: list[str] = field(default_factory=list)  # what the runner would act on
    fences: list[str] = field(default_factory=list)  # the stop-commands tokens, in order
    open_fence: str | None = None  # a fence never closed (commands stay off to the end)


def read_log(log: str) -> ReadLog:
    read = ReadLog()
    for line in log.splitlines():  # the runner also ends a line at a lone "\r"
        text = line.lstrip()
        if read.open_fence is not None:
            if text == f"::{read.open_fence}::":
                read.open_fence = None
            continue
        if text.startswith("::"):
            read.commands.append(text)
            if text.startswith("::stop-commands::"):
                read.open_fence = text.removeprefix("::stop-commands::")
                read.fences.append(read.open_fence)
    return read


def own_commands_only(read: ReadLog) -> bool:
    """Only the groups and fences seedgate writes around a run's output."""
    return all(
        c.startswith(("::group::seedgate ", "::stop-commands::seedgate-")) or c == "::endgroup::"
        for c in read.commands
    )
