"""Main's history on a git data branch (default ``seedgate-history``), one file a record.

The branch holds only ``records/<date>-<commit>-<digest>.json`` files and has no history in
common with the code. Writing never touches the work tree or the index: the record's blob,
a tree (the branch's tree plus the new file, through a private index file) and a commit
are made with git's plumbing, then pushed without force. When another push landed first,
the push is rejected as not a fast-forward; the writer fetches the branch again and builds
its commit on the new tip, up to MAX_ATTEMPTS times, so two pushes writing at once keep
both records. A record already on the branch is not written again.

Reading fetches the branch into the private ref ``refs/seedgate/history`` and reads the
records with ``git ls-tree`` and ``git cat-file``: names are validated and sizes checked
before a blob is read, and every record is decoded as untrusted input.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from seedgate.errors import HistoryError
from seedgate.history.codec import (
    MAX_RECORD_BYTES,
    file_name_problem,
    record_file_name,
    record_from_bytes,
    record_to_json,
)
from seedgate.history.record import HistoryRecord

DEFAULT_BRANCH = "seedgate-history"
RECORDS = "records"
PRIVATE_REF = "refs/seedgate/history"
MAX_ATTEMPTS = 8
MAX_RECORDS = 10_000  # a branch with more entries is refused rather than read
_GIT_TIMEOUT_S = 120
_NO_ENV: Mapping[str, str] = MappingProxyType({})
# Nothing a repository's own config or hooks name runs while git holds our settings.
_HARDENING = (("core.hooksPath", os.devnull), ("credential.helper", ""))
_IDENTITY = {
    "GIT_AUTHOR_NAME": "seedgate",
    "GIT_AUTHOR_EMAIL": "seedgate@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "seedgate",
    "GIT_COMMITTER_EMAIL": "seedgate@users.noreply.github.com",
}
# What git prints when a push lost a race: retry on a fresh tip; anything else is an error.
_LOST_RACE = ("non-fast-forward", "fetch first", "stale info", "cannot lock ref", "failed to lock")


@dataclass(frozen=True)
class PendingRecord:
    """A commit made on the branch tip as last fetched, not yet pushed (None: no branch)."""

    commit: str
    parent: str | None
    path: str


@dataclass(frozen=True)
class GitHistory:
    """The history branch of ``remote`` (a name like ``origin``, a URL or a path).

    ``repository``: a git repository to work in (the checkout); objects and the private
    ref are written there. ``config``: extra git settings, in order, passed through the
    environment (``GIT_CONFIG_COUNT``), never on the command line: e.g. an authorisation
    header (a key may come twice: an empty value first resets a multi-valued setting).
    """

    repository: Path
    remote: str
    branch: str = DEFAULT_BRANCH
    config: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def describe(self) -> str:
        return f"branch {self.branch!r} of {self.remote}"

    # --- reading ------------------------------------------------------------------------

    def load(self) -> tuple[HistoryRecord, ...]:
        """Every record on the branch, oldest first; () when the branch does not exist."""
        tip = self.fetch()
        if tip is None:
            return ()
        entries = self._entries(tip)
        blobs = self._blobs([sha for sha, _ in entries])
        return tuple(
            record_from_bytes(blobs[sha], f"{self.describe()}: {RECORDS}/{name}")
            for sha, name in entries
        )

    def fetch(self) -> str | None:
        """Fetch the branch into the private ref; its tip, or None when there is none."""
        listed = self._git("ls-remote", "--heads", "--", self.remote, f"refs/heads/{self.branch}")
        if not listed.strip():
            return None
        refspec = f"+refs/heads/{self.branch}:{PRIVATE_REF}"
        self._git("fetch", "--quiet", "--no-tags", "--", self.remote, refspec)
        return self._git("rev-parse", "--verify", f"{PRIVATE_REF}^{{commit}}").strip()

    def _entries(self, tip: str) -> list[tuple[str, str]]:
        """(blob sha, file name) of each record, in name (= date) order; names checked."""
        listing = self._git("ls-tree", "-l", "-z", tip, f"{RECORDS}/")
        rows = [row for row in listing.split("\0") if row]
        if len(rows) > MAX_RECORDS:
            raise HistoryError(f"{self.describe()}: {len(rows)} entries, more than {MAX_RECORDS}")
        entries = []
        for row in rows:
            meta, _, path = row.partition("\t")
            mode, kind, sha, size = meta.split()
            name = path.removeprefix(f"{RECORDS}/")
            problem = file_name_problem(name)
            if problem is not None or kind != "blob" or mode != "100644":
                reason = problem or f"{ascii(path)[:80]} is a {kind} of mode {mode}, not a file"
                raise HistoryError(f"{self.describe()}: {reason}; remove it from the branch")
            if not size.isdigit() or int(size) > MAX_RECORD_BYTES:
                raise HistoryError(
                    f"{self.describe()}: {path} has {size} bytes, more than a history record "
                    f"may hold ({MAX_RECORD_BYTES}); refused"
                )
            entries.append((sha, name))
        return sorted(entries, key=lambda entry: entry[1])

    def _blobs(self, shas: list[str]) -> dict[str, bytes]:
        """The blobs' contents, read by one ``git cat-file --batch`` (sizes already checked)."""
        if not shas:
            return {}
        wanted = "".join(f"{sha}\n" for sha in shas).encode("ascii")
        output = self._git_bytes("cat-file", "--batch", stdin=wanted)
        blobs, position = {}, 0
        for _ in shas:
            header_end = output.index(b"\n", position)
            header = output[position:header_end].decode("ascii", "replace").split()
            if len(header) != 3:  # "<sha> missing"
                raise HistoryError(f"{self.describe()}: git could not read {ascii(header)[:80]}")
            sha, kind, size = header
            if kind != "blob":
                raise HistoryError(f"{self.describe()}: object {sha} is a {kind}, not a file")
            start = header_end + 1
            blobs[sha] = output[start : start + int(size)]
            position = start + int(size) + 1
        return blobs

    # --- writing ------------------------------------------------------------------------

    def append(self, record: HistoryRecord, *, pause_s: float = 0.5) -> str:
        """Add the record to the branch; its path there. Retries a lost race on a fresh tip."""
        for attempt in range(MAX_ATTEMPTS):
            pending = self.stage(record)
            if pending is None or self.publish(pending):
                return f"{RECORDS}/{record_file_name(record, record_to_json(record))}"
            time.sleep(pause_s * (attempt + random.random()))  # noqa: S311 - jitter, not secrets
        raise HistoryError(
            f"{self.describe()}: the record could not be pushed in {MAX_ATTEMPTS} attempts; "
            "other pushes kept landing first"
        )

    def stage(self, record: HistoryRecord) -> PendingRecord | None:
        """A commit adding the record on the freshly fetched tip (None: already there)."""
        text = record_to_json(record)
        path = f"{RECORDS}/{record_file_name(record, text)}"
        parent = self.fetch()
        if parent is not None and self._has(parent, path):
            return None
        blob = self._git("hash-object", "-w", "--stdin", stdin=text.encode("utf-8")).strip()
        tree = self._tree_with(parent, path, blob)
        message = f"seedgate: baseline of {record.short_commit} ({record.created_at})"
        parents = ["-p", parent] if parent is not None else []
        commit = self._git("commit-tree", tree, *parents, "-m", message).strip()
        return PendingRecord(commit, parent, path)

    def publish(self, pending: PendingRecord) -> bool:
        """Push without force; False when another push landed first (a lost race)."""
        refspec = f"{pending.commit}:refs/heads/{self.branch}"
        done = self._run(("push", "--porcelain", "--quiet", "--", self.remote, refspec))
        if done.returncode == 0:
            return True
        said = (done.stdout + done.stderr).decode("utf-8", "replace")
        if any(reason in said for reason in _LOST_RACE):
            return False
        raise HistoryError(f"{self.describe()}: git push failed: {_last_line(said)}")

    def _has(self, tip: str, path: str) -> bool:
        return bool(self._git("ls-tree", "--name-only", tip, "--", path).strip())

    def _tree_with(self, parent: str | None, path: str, blob: str) -> str:
        """The parent's tree plus ``path`` (through a private index file, never the user's)."""
        with tempfile.TemporaryDirectory(prefix="seedgate-history-") as scratch:
            index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            if parent is not None:
                self._git("read-tree", parent, env=index)
            entry = f"100644,{blob},{path}"
            self._git("update-index", "--add", "--cacheinfo", entry, env=index)
            return self._git("write-tree", env=index).strip()

    # --- git ----------------------------------------------------------------------------

    def _git(self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] = _NO_ENV) -> str:
        return self._git_bytes(*args, stdin=stdin, env=env).decode("utf-8", "replace")

    def _git_bytes(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] = _NO_ENV,
    ) -> bytes:
        done = self._run(args, stdin=stdin, env=env)
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace")
            raise HistoryError(f"{self.describe()}: git {args[0]} failed: {_last_line(said)}")
        return done.stdout

    def _run(
        self,
        args: Sequence[str],
        *,
        stdin: bytes | None = None,
        env: Mapping[str, str] = _NO_ENV,
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=self.repository,
                input=stdin,
                capture_output=True,
                env=self._environment(env),
                timeout=_GIT_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError:
            raise HistoryError(f"{self.describe()}: git is not installed") from None
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HistoryError(f"{self.describe()}: git {args[0]} failed: {exc}") from None

    def _environment(self, extra: Mapping[str, str]) -> dict[str, str]:
        settings = (*_HARDENING, ("safe.directory", str(self.repository)), *self.config)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(_IDENTITY)
        env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_COUNT": str(len(settings))})
        for number, (key, value) in enumerate(settings):
            env[f"GIT_CONFIG_KEY_{number}"] = key
            env[f"GIT_CONFIG_VALUE_{number}"] = value
        env.update(extra)
        return env


def scratch_repository(directory: Path) -> Path:
    """A new bare repository in ``directory`` to fetch and push the branch from, so that
    no hook, config or object of a checkout takes part (the action works in one)."""
    done = subprocess.run(
        ["git", "init", "--quiet", "--bare", str(directory)],
        capture_output=True,
        timeout=_GIT_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace")
        raise HistoryError(f"cannot make a git repository in {directory}: {_last_line(said)}")
    return directory


def origin_url(checkout: Path) -> str:
    """The URL of ``origin`` in a checkout (what actions/checkout cloned from)."""
    done = subprocess.run(
        ["git", "-c", f"safe.directory={checkout}", "remote", "get-url", "origin"],
        cwd=checkout,
        capture_output=True,
        timeout=_GIT_TIMEOUT_S,
        check=False,
    )
    url = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not url:
        raise HistoryError(
            f"{checkout} is not a git checkout with a remote 'origin' (the history branch is "
            "read from and written to it); check out the repository with actions/checkout"
        )
    return url


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return ascii(lines[-1])[1:-1][:300] if lines else "(no message)"
