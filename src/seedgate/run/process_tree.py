"""Every process a run started, found and killed, and the gate shielded from them.

A run is its own process group, but a descendant can leave it (``setsid``, a daemonising
data loader) and outlive a timeout. So each run's environment carries a random
``SEEDGATE_RUN_TOKEN``; killing a run kills its group, every descendant of its leader
(walked by ``PPid`` in ``/proc``) and every process whose environment holds the token
(which finds re-parented orphans), repeated until nothing is left. A process that both
left the session and wiped its environment after being orphaned is out of reach; a
cgroup would reach it, but GitHub's container actions cannot create one.

``make_non_dumpable`` turns the gate into a process whose ``/proc/PID/environ``,
``/proc/PID/fd`` and memory other processes of the same user cannot open (Linux
``PR_SET_DUMPABLE``), so a training command cannot read the token from the gate's
original environment nor write into the gate's own stdout. Root with
``CAP_SYS_PTRACE`` still can; Docker's default capabilities do not include it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import secrets
import signal
import sys
from collections.abc import Iterable
from pathlib import Path

TOKEN_VARIABLE = "SEEDGATE_RUN_TOKEN"  # noqa: S105 - a variable name, not a secret
_PROC = Path("/proc")
_PR_SET_DUMPABLE = 4
_PR_GET_DUMPABLE = 3
_KILL_ROUNDS = 20  # a fork bomb gets this many sweeps; each one kills what it saw


def new_token() -> str:
    """A fresh token for one run's (or one warm worker's) environment."""
    return secrets.token_hex(12)


def _stat(pid: int) -> tuple[int, int] | None:
    """``(parent pid, start time in clock ticks since boot)``; None when it is gone."""
    try:
        stat = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    fields = stat.rsplit(b")", 1)[-1].split()  # the command name may hold spaces
    if len(fields) < 20:  # stat(5) field 22, start time, is the 20th after the name
        return None
    return int(fields[1]), int(fields[19])


def _holds_token(pid: int, marker: bytes) -> bool:
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return marker in environ.split(b"\0")


def _pids() -> list[int]:
    try:
        return [int(entry.name) for entry in _PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return []


def members(token: str, leader: int | None = None) -> set[int]:
    """The processes of a run: holders of ``token`` and all their descendants, and those
    of ``leader`` (which must not be reaped yet, or its pid may name another process).

    Only processes started since the leader are searched for the token: older ones
    cannot belong to the run, and reading every environment would cost per run.
    """
    marker = f"{TOKEN_VARIABLE}={token}".encode()
    stats = {pid: stat for pid in _pids() if (stat := _stat(pid)) is not None}
    leader_stat = stats.get(leader) if leader is not None else None
    since = leader_stat[1] if leader_stat is not None else 0
    found = {pid for pid, (_, start) in stats.items() if start >= since}
    found = {pid for pid in found if _holds_token(pid, marker)}
    if leader is not None:
        found.add(leader)
    grew = True
    while grew:
        grew = False
        for pid, (parent, _) in stats.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    found.discard(os.getpid())
    return {pid for pid in found if pid in stats}


def _kill(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def kill_tree(leader: int | None, token: str) -> None:
    """Kill the run led by ``leader`` (not yet reaped, so its pid is still its own; None
    once it is): its process group, its descendants and every process carrying ``token``."""
    if not _PROC.is_dir():  # no /proc (macOS): the process group is all we can reach
        if leader is not None:
            kill_group(leader)
        return
    # Before the leader dies: afterwards its children are re-parented and only the token
    # would still find them.
    outside = {pid for pid in members(token, leader) - {leader} if not _is_zombie(pid)}
    _kill(outside)
    if leader is not None:
        kill_group(leader)
    if not outside:  # the common case: everything was in the group, one scan is enough
        return
    killed: set[int] = set()
    for _ in range(_KILL_ROUNDS):
        alive = {pid for pid in members(token, leader) if not _is_zombie(pid)} - {leader}
        fresh = alive - killed
        if not alive or (not fresh and killed):
            return
        _kill(alive)
        killed |= alive


def _is_zombie(pid: int) -> bool:
    try:
        stat = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return True
    fields = stat.rsplit(b")", 1)[-1].split()
    return not fields or fields[0] in (b"Z", b"X")


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, loaded once (``find_library`` starts a subprocess: only a fallback)."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError):
        return ctypes.CDLL("libc.so.6", use_errno=True)
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, TypeError):
        return ctypes.CDLL(name, use_errno=True)
    return None


def make_non_dumpable() -> bool:
    """Make this process non-dumpable (Linux); True when it is now.

    Call it before the first training command starts. Children are dumpable again once
    they ``exec``, so their own tools (debuggers, profilers) keep working on themselves.
    """
    libc = _libc()
    if libc is None:
        return False
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        return False
    return bool(libc.prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0) == 0)
