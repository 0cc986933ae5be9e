"""Who runs the user's commands: inside the container, not root.

GitHub's runner starts a Docker action as root, with the Docker socket mounted and the
token in the container's environment; a root process could ask the Docker API for that
environment, read the gate's memory or change the image. So inside the container
(``entrypoint.py``) ``install``, the runs and the warm workers run as the workspace's
owner (the runner's own user, uid 1001 on GitHub-hosted runners), with the owner's group
and no supplementary groups (so not the Docker socket's group). Files they write in the
workspace belong to the runner's user, as files written by the steps around the action do.

They run in a virtual environment made for them, layered on the image's packages
(``--system-site-packages``): ``pip install`` in ``install`` lands there, and ``python``,
``pip`` and the warm workers find both. A workspace owned by root (a runner that itself
runs as root, or nektos/act) gives no user to switch to: then everything stays root, and
the gate says so.

Outside the container (the host action, the CLI) nothing changes user: see the README's
isolation section for what holds there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from seedgate.errors import RunnerError
from seedgate.run.process_tree import TOKEN_VARIABLE, own, starting

_PIP_SHIM = """#!{python}
import sys
from pip._internal.cli.main import main
sys.exit(main())
"""


@dataclass(frozen=True, slots=True)
class RunUser:
    """The unprivileged user (and its virtual environment) that runs the user's commands."""

    uid: int
    gid: int
    venv: Path

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """``env`` with the virtual environment first on ``PATH``."""
        path = env.get("PATH", os.defpath)
        return {
            **env,
            "PATH": f"{self.venv / 'bin'}{os.pathsep}{path}",
            "VIRTUAL_ENV": str(self.venv),
        }

    def hand_over(self, path: Path) -> None:
        """Give ``path`` (a scratch folder the gate made) to this user."""
        os.chown(path, self.uid, self.gid)


_current: list[RunUser] = []  # set once, by the container's entry point


def run_user() -> RunUser | None:
    """The user the commands run as, or None: the gate's own user."""
    return _current[0] if _current else None


def start_command(
    argv: Sequence[str],
    *,
    cwd: Path | None,
    env: Mapping[str, str],
    token: str,
    stdout: int | IO[bytes],
    stderr: int,
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen[bytes]:
    """Start one of the user's commands (``install``, a run, a warm worker) as the user they
    run as, in a session of its own, marked with ``token`` and owned by the gate."""
    who = run_user()
    with starting():
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={**env, TOKEN_VARIABLE: token},
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            pass_fds=tuple(pass_fds),
            start_new_session=True,
            user=who.uid if who is not None else None,
            group=who.gid if who is not None else None,
            extra_groups=[] if who is not None else None,
        )
        own(proc.pid)
    return proc


def hand_over(tree: Path) -> None:
    """Give a folder the gate made for the commands (the base commit's worktree) to the user
    they run as, so that ``install`` and the runs can write there; nothing when they run as
    the gate's own user."""
    who = run_user()
    if who is not None:
        _chown_tree(tree, who.uid, who.gid)


def _chown_tree(tree: Path, uid: int, gid: int) -> None:
    for folder, dirs, files in os.walk(tree):
        for name in (*dirs, *files):
            os.lchown(Path(folder) / name, uid, gid)
    os.chown(tree, uid, gid)


def workspace_owner(workspace: Path) -> tuple[int, int] | None:
    """``(uid, gid)`` of the workspace when the gate is root and it belongs to someone else."""
    if os.geteuid() != 0:
        return None
    info = workspace.stat()
    if info.st_uid == 0:
        return None
    return info.st_uid, info.st_gid


def drop_to(uid: int, gid: int) -> RunUser:
    """Make the virtual environment for ``uid`` and run every later command as that user."""
    venv = Path(tempfile.mkdtemp(prefix="seedgate-venv-"))
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or str(exc).encode()
        reason = detail.decode(errors="replace").strip()
        raise RunnerError(f"cannot make the virtual environment for the runs: {reason}") from exc
    python = venv / "bin" / "python"
    for name in ("pip", "pip3"):
        shim = venv / "bin" / name
        shim.write_text(_PIP_SHIM.format(python=python), encoding="utf-8")
        shim.chmod(0o755)
    _chown_tree(venv, uid, gid)
    who = RunUser(uid, gid, venv)
    _current[:] = [who]
    return who
