"""seedgate's own directory (``.seedgate/``), ignored by git from the moment seedgate makes it.

Like pytest's ``.pytest_cache``, the directory carries a ``.gitignore`` holding ``*``, so
baselines, candidates and reports never show in ``git status`` and no user has to edit their
own ``.gitignore``. Only a ``.seedgate`` directory that seedgate creates gets one: a store the
user names elsewhere, or a ``.seedgate`` that already exists (perhaps committed on purpose), is
left as it is. Every writer creates its directories through ``make_directories``.
"""

from __future__ import annotations

from pathlib import Path

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
