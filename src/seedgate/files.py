"""Files that later steps read: written atomically and readable by everyone (0644).

In the action the container runs as root while the next steps (``actions/upload-artifact``)
run on the host as the runner's own user; ``tempfile.mkstemp`` alone would leave 0600
files that user cannot read.

Directories: seedgate's own (``.seedgate/``) is ignored by git from the moment seedgate makes
it. Like pytest's ``.pytest_cache``, the directory carries a ``.gitignore`` holding ``*``, so
baselines, candidates and reports never show in ``git status`` and no user has to edit their
own ``.gitignore``. Only a ``.seedgate`` directory that seedgate creates gets one: a store the
user names elsewhere, or a ``.seedgate`` that already exists (perhaps committed on purpose), is
left as it is. Every writer creates its directories through ``make_directories``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SHARED_FILE_MODE = 0o644


def write_shared_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (never a truncated file) with mode 0644.

    A path that is not a regular file (``/dev/stdout``, a named pipe) is written in place:
    replacing it would take the reader's end away.
    """
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as handle:
            handle.write(text)
        return
    make_directories(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), SHARED_FILE_MODE)
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


SEEDGATE_DIRECTORY = ".seedgate"
GITIGNORE = "# created by seedgate: nothing in this directory is committed\n*\n"


def make_directories(directory: Path) -> None:
    """``mkdir -p directory``; a ``.seedgate`` directory created here gets its ``.gitignore``."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    for created in missing:
        if created.name == SEEDGATE_DIRECTORY:
            try:
                with (created / ".gitignore").open("x", encoding="utf-8") as handle:
                    handle.write(GITIGNORE)
            except FileExistsError:  # another process made the same directory at once
                continue
