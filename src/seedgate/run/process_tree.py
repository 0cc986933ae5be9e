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

``become_subreaper`` makes the gate a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``):
a process whose parent dies is re-parented to the gate instead of to init, so every
process a run (or ``install``) started stays a descendant of the gate, whatever it does
with its session and environment. Then ending a run walks only the run's own tree and the
gate's orphans (``/proc/PID/task/TID/children``), not every process on the machine, and
``kill_descendants`` kills whatever is left before the gate writes its final outputs.
Orphans are told apart by the run's token; with one run in flight, an orphan with no
token at all (``env -i``) that started after the run is that run's too.
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
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

TOKEN_VARIABLE = "SEEDGATE_RUN_TOKEN"  # noqa: S105 - a variable name, not a secret
_PROC = Path("/proc")
_PR_SET_DUMPABLE = 4
_PR_GET_DUMPABLE = 3
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
_KILL_ROUNDS = 20  # a fork bomb gets this many sweeps; each one kills what it saw
_FINAL_ROUNDS = 100  # the last sweep before the outputs: until nothing is left
_REAP_TRIES = 200  # 5 ms apart: how long killed orphans are waited for (in the kernel)
_TOKEN_PREFIX = f"{TOKEN_VARIABLE}=".encode()

# Children this process started itself (runs, warm workers, install) and waits for through
# their Popen: never reaped here, and never taken for another run's orphans.
_owned_lock = threading.Lock()
_owned: set[int] = set()
# Held while a child is started and recorded: until then another thread's sweep would take
# it for an orphan (before its exec, its environment is still this process's, tokenless).
_starting = threading.Lock()


@contextlib.contextmanager
def starting() -> Iterator[None]:
    """Start a child (and ``own`` it) inside this, so no sweep sees it half-started."""
    with _starting:
        yield


def own(pid: int) -> None:
    """Record a child started (and later waited for) by this process."""
    with _owned_lock:
        _owned.add(pid)


def disown(pid: int) -> None:
    with _owned_lock:
        _owned.discard(pid)


def _owned_now() -> frozenset[int]:
    with _owned_lock:
        return frozenset(_owned)


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


def kill_tree(leader: int | None, token: str, *, alone: bool = False) -> None:
    """Kill the run led by ``leader`` (not yet reaped, so its pid is still its own; None
    once it is): its process group, its descendants and every process carrying ``token``.

    ``alone``: no other run is in flight, so an orphan without any run token that
    started after the leader (one that wiped its environment) belongs to this run too.
    """
    if not _PROC.is_dir():  # no /proc (macOS): the process group is all we can reach
        if leader is not None:
            kill_group(leader)
        return
    if is_subreaper():
        _kill_tree_below(leader, token, alone=alone)
        return
    _kill_tree_sweeping(leader, token)


def _kill_tree_sweeping(leader: int | None, token: str) -> None:
    """Without the subreaper: every process on the machine is searched for the token."""
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


def _kill_tree_below(leader: int | None, token: str, *, alone: bool) -> None:
    """With the subreaper: the leader's tree and this run's orphans, nothing else read."""
    marker = f"{TOKEN_VARIABLE}={token}".encode()
    leader_stat = _stat(leader) if leader is not None else None
    since = leader_stat[1] if leader_stat is not None else 0
    if leader is not None:
        kill_group(leader)
    killed: set[int] = set()
    for _ in range(_KILL_ROUNDS):
        targets = descendants(leader) if leader is not None else set()
        for orphan in _orphans():
            stat = _stat(orphan)
            if stat is not None and stat[1] >= since and _belongs(orphan, marker, alone=alone):
                targets |= {orphan, *descendants(orphan)}
        targets = {pid for pid in targets if not _is_zombie(pid)}
        if not targets:
            break
        _kill(targets)
        killed |= targets
    _reap(killed)


def _belongs(pid: int, marker: bytes, *, alone: bool) -> bool:
    """Whether an orphan carries this run's token (or, ``alone``, no run token at all)."""
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return alone
    if marker in environ:
        return True
    return alone and not any(entry.startswith(_TOKEN_PREFIX) for entry in environ)


def children(pid: int) -> set[int]:
    """The direct children of ``pid`` (of all its threads); empty when it is gone."""
    found: set[int] = set()
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        with contextlib.suppress(OSError, ValueError):
            found.update(int(child) for child in (task / "children").read_bytes().split())
    return found


def descendants(pid: int | None) -> set[int]:
    """Every process below ``pid`` (not ``pid`` itself)."""
    found: set[int] = set()
    todo = [pid] if pid is not None else []
    while todo:
        fresh = children(todo.pop()) - found
        found |= fresh
        todo.extend(fresh)
    return found


def _orphans() -> set[int]:
    """This process's children that it did not start itself: re-parented to the subreaper."""
    with _starting:
        return children(os.getpid()) - _owned_now()


def _reap(killed: set[int]) -> None:
    """Collect the exit status of the orphans killed here, so they do not stay zombies.

    Only those: a child that some other part of this process started and waits for
    itself (a ``subprocess.run`` in another thread) must keep its status for its waiter.
    """
    waiting = _orphans() & killed
    for _ in range(_REAP_TRIES):  # SIGKILL is delivered at once, unless the process is stuck
        for pid in tuple(waiting):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue
            waiting.discard(pid)
        if not waiting:
            return
        time.sleep(0.005)


def _tree_since(root: int, since: int) -> Iterator[int]:
    """Descendants of ``root``, leaving out subtrees whose top started before ``since``."""
    todo = [root]
    while todo:
        for child in children(todo.pop()):
            stat = _stat(child)
            if stat is not None and stat[1] >= since:
                yield child
                todo.append(child)


def start_ticks() -> int:
    """Now, in the clock ticks since boot that ``/proc/PID/stat`` counts start times in."""
    try:
        uptime = float((_PROC / "uptime").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return int(uptime * os.sysconf("SC_CLK_TCK"))


def kill_descendants(since: int = 0) -> int:
    """Kill every descendant of this process that started at or after ``since`` (clock
    ticks, see ``start_ticks``) and reap those that were orphans; how many were killed.

    With the subreaper this is every process any run or ``install`` left behind, in any
    session and with any environment. Processes started before ``since`` (a test's own
    helpers, when the gate runs inside a test process) are left alone with their subtrees.
    """
    if not _PROC.is_dir():
        return 0
    killed: set[int] = set()
    for _ in range(_FINAL_ROUNDS):
        alive = {pid for pid in _tree_since(os.getpid(), since) if not _is_zombie(pid)}
        if not alive:
            break
        _kill(alive)
        killed |= alive
    _reap(killed)
    return len(killed)


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


def become_subreaper() -> bool:
    """Make this process a child subreaper (Linux >= 3.4); True when it is one now."""
    libc = _libc()
    if libc is None:
        return False
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    return is_subreaper()


def is_subreaper() -> bool:
    libc = _libc()
    if libc is None:
        return False
    flag = ctypes.c_int(0)
    if libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) != 0:
        return False
    return flag.value != 0
