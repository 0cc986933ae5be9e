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

Special files: a run can put a named pipe, a device or a symlink to one where seedgate
reads or writes (its metrics file, the report, a RunSet). Opening a named pipe waits for
the other end, forever; reading ``/dev/zero`` never ends. So ``read_regular`` opens
without waiting, refuses anything that is not a regular file and reads at most a limit;
``write_shared_text`` refuses to write into one unless the caller asked for it (the CLI's
``--out /dev/stdout``).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

SHARED_FILE_MODE = 0o644
_CHUNK = 1 << 20


class NotRegularFileError(OSError):
    """A path names a named pipe, device, socket or directory where a file was expected."""


class FileTooLargeError(OSError):
    """A file is larger than what seedgate reads of that kind."""


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words."""
    kinds = (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _not_regular(path: Path, mode: int) -> NotRegularFileError:
    return NotRegularFileError(errno.EINVAL, f"{kind_of(mode)}, not a regular file", str(path))


def read_regular(path: Path, *, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (a symlink to one is followed), at most
    ``limit`` of them: anything else raises an OSError whose ``strerror`` says why.

    Opening never waits (``O_NONBLOCK``): a named pipe is refused before anything is read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise FileTooLargeError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return b"".join(chunks)


def write_shared_text(path: Path, text: str, *, special_ok: bool = False) -> None:
    """Write ``text`` to ``path`` atomically (never a truncated file) with mode 0644.

    A path that is not a regular file is refused with a NotRegularFileError; with
    ``special_ok`` (``/dev/stdout`` named by a user) it is written in place instead, since
    replacing it would take the reader's end away.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        if not special_ok:
            raise _not_regular(path, mode)
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
