"""Files that later steps read: written atomically and readable by everyone (0644).

In the action the container runs as root while the next steps (``actions/upload-artifact``)
run on the host as the runner's own user; ``tempfile.mkstemp`` alone would leave 0600
files that user cannot read.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from seedgate.directories import make_directories

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
