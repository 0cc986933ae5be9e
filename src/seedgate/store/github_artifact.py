"""The baseline as a GitHub Actions artifact made on the default branch.

Which artifact is used: the newest non-expired one of the given name whose workflow
run succeeded, was triggered by ``push`` / ``workflow_dispatch`` / ``schedule`` on the
default branch, and ran in this very repository (a fork's run can also be on a branch
called ``main``: its ``head_repository`` id gives it away). The one made on the pull
request's base commit wins when it exists. The zip is read in memory, never extracted
to disk, and only the expected RunSet file is read from it.
"""

from __future__ import annotations

import dataclasses
import io
import posixpath
import stat
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from seedgate.errors import GitHubError, RunSetError, StoreError
from seedgate.github.client import GitHubClient
from seedgate.github.context import BASELINE_EVENTS
from seedgate.records import RunSet
from seedgate.runset.codec import runset_from_bytes

MAX_ZIP_BYTES = 64 * 1024 * 1024
MAX_RUNSET_BYTES = 32 * 1024 * 1024
MAX_MEMBERS = 64
MAX_SCANNED = 500  # artifacts listed before giving up on finding the base commit's one
HTTP_GONE = 410
GONE_STATUSES = (404, HTTP_GONE)  # a candidate that vanished: try the next one


@dataclass(frozen=True)
class SkippedBaseline:
    """A candidate that was looked at and not used, and why."""

    artifact_id: str
    reason: str

    def describe(self) -> str:
        return f"artifact {self.artifact_id}: {self.reason}"


@dataclass(frozen=True)
class FoundBaseline:
    runset: RunSet
    artifact_id: int
    run_id: int
    head_sha: str
    created_at: str
    on_base_commit: bool
    skipped: tuple[SkippedBaseline, ...] = ()

    def describe(self) -> str:
        where = "the pull request's base commit" if self.on_base_commit else "the default branch"
        return (
            f"artifact {self.artifact_id} of run {self.run_id} "
            f"(commit {self.head_sha[:12]}, {self.created_at}, {where})"
        )


@dataclass(frozen=True)
class BaselineLookup:
    """What a search found: the baseline used (None: none usable) and every candidate
    passed over on the way, newest first."""

    found: FoundBaseline | None
    skipped: tuple[SkippedBaseline, ...]


def _ignore(_: str) -> None:
    return None


class _Rejected(Exception):  # noqa: N818 - a control-flow signal inside this module only
    """A candidate failed one of its checks; the next one is tried."""


class GitHubArtifactStore:
    """Finds and reads the baseline artifact.

    Every candidate is checked whole (the listing, its workflow run, its zip, its RunSet)
    before it is used; one that fails any check is logged with its reason and the next
    one is tried: the base commit's first, then the newest first.
    """

    def __init__(
        self,
        client: GitHubClient,
        *,
        artifact_name: str,
        file_name: str,
        repository_id: int,
        default_branch: str,
        prefer_sha: str | None = None,
        max_candidates: int = 10,
        log: Callable[[str], None] = _ignore,
        warn: Callable[[str], None] = _ignore,
    ) -> None:
        self.client = client
        self.artifact_name = artifact_name
        self.file_name = file_name
        self.repository_id = repository_id
        self.default_branch = default_branch
        self.prefer_sha = prefer_sha
        self.max_candidates = max_candidates
        self._log = log
        self._warn = warn
        self._runs: dict[int, Mapping[str, Any]] = {}
        self._skipped: list[SkippedBaseline] = []

    def describe(self) -> str:
        return (
            f"artifact {self.artifact_name!r} ({self.file_name}) from successful runs on "
            f"{self.default_branch} of {self.client.repository}"
        )

    def load(self) -> RunSet | None:
        found = self.find()
        return found.runset if found else None

    def find(self) -> FoundBaseline | None:
        return self.lookup().found

    def lookup(self) -> BaselineLookup:
        """The first candidate that passes every check, and the ones skipped before it."""
        self._skipped = []
        tried = 0
        for artifact in self._candidates():
            if tried >= self.max_candidates:
                self._log(f"stopped after {tried} candidates that could not be used")
                break
            tried += 1
            try:
                found = self._checked(artifact)
            except _Rejected as exc:
                self._skip(artifact, str(exc))
                continue
            found = dataclasses.replace(found, skipped=tuple(self._skipped))
            return BaselineLookup(found, found.skipped)
        return BaselineLookup(None, tuple(self._skipped))

    def _skip(self, artifact: Mapping[str, Any], reason: str) -> None:
        skipped = SkippedBaseline(ascii(artifact.get("id"))[:40], reason)
        self._skipped.append(skipped)
        self._log(f"skipping {skipped.describe()}")

    # --- choosing ---------------------------------------------------------------------

    def _candidates(self) -> Iterator[Mapping[str, Any]]:
        """Trusted-looking artifacts: the base commit's first, then newest first.

        The listing is read up to the base commit's artifact; the ones before it (newer)
        follow it, then the rest of the listing, read only when they are needed.
        """
        listed = enumerate(self._listed(), start=1)
        ahead: list[Mapping[str, Any]] = []
        for scanned, artifact in listed:
            if self._listed_trusted(artifact):
                ahead.append(artifact)
                if self._on_base(artifact):
                    break
            if scanned >= MAX_SCANNED:
                yield from self._base_first(ahead)
                return
        yield from self._base_first(ahead)
        for scanned, artifact in listed:
            if self._listed_trusted(artifact):
                yield artifact
            if scanned >= MAX_SCANNED:
                return

    def _base_first(self, artifacts: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        ordered = sorted(artifacts, key=lambda a: str(a.get("created_at", "")), reverse=True)
        return sorted(ordered, key=lambda a: not self._on_base(a))  # stable

    def _listed_trusted(self, artifact: Mapping[str, Any]) -> bool:
        problem = self._untrusted_artifact(artifact)
        if problem:
            self._skip(artifact, problem)
        return problem is None

    def _listed(self) -> Iterator[Mapping[str, Any]]:
        for artifact in self.client.list_artifacts(self.artifact_name):
            if artifact.get("name") == self.artifact_name:
                yield artifact

    def _on_base(self, artifact: Mapping[str, Any]) -> bool:
        run = artifact.get("workflow_run")
        return bool(
            self.prefer_sha and isinstance(run, Mapping) and run.get("head_sha") == self.prefer_sha
        )

    def _untrusted_artifact(self, artifact: Mapping[str, Any]) -> str | None:
        if not _is_id(artifact.get("id")):
            return f"its id {ascii(artifact.get('id'))[:40]} is not a number"
        if artifact.get("expired") is True:
            return "expired"
        run = artifact.get("workflow_run")
        if not isinstance(run, Mapping) or not _is_id(run.get("id")):
            return "no workflow run recorded"
        if run.get("repository_id") not in (None, self.repository_id):
            return f"made in another repository (id {run.get('repository_id')})"
        if run.get("head_repository_id") not in (None, self.repository_id):
            return (
                f"made from a fork (head repository id {run.get('head_repository_id')}), "
                f"even though its branch is {run.get('head_branch')!r}"
            )
        if run.get("head_branch") not in (None, self.default_branch):
            return f"made on branch {run.get('head_branch')!r}, not {self.default_branch!r}"
        return None

    def _untrusted_run(self, run: Mapping[str, Any]) -> str | None:
        head_repo = run.get("head_repository")
        head_repo_id = head_repo.get("id") if isinstance(head_repo, Mapping) else None
        repo = run.get("repository")
        repo_id = repo.get("id") if isinstance(repo, Mapping) else None
        if repo_id != self.repository_id or head_repo_id != self.repository_id:
            return (
                f"run {run.get('id')} ran in repository {head_repo_id}, "
                f"not in this one ({self.repository_id})"
            )
        if run.get("head_branch") != self.default_branch:
            return f"run {run.get('id')} ran on {run.get('head_branch')!r}"
        if run.get("event") not in BASELINE_EVENTS:
            return f"run {run.get('id')} was triggered by {run.get('event')!r}"
        if run.get("conclusion") != "success":
            return f"run {run.get('id')} did not succeed ({run.get('conclusion')})"
        return None

    # --- checking one candidate whole -------------------------------------------------

    def _checked(self, artifact: Mapping[str, Any]) -> FoundBaseline:
        run_id = int(artifact["workflow_run"]["id"])
        problem = self._untrusted_run(self._run(run_id))
        if problem:
            raise _Rejected(problem)
        runset = self._read(int(artifact["id"]))
        return FoundBaseline(
            runset=runset,
            artifact_id=int(artifact["id"]),
            run_id=run_id,
            head_sha=str(artifact["workflow_run"].get("head_sha", "")),
            created_at=str(artifact.get("created_at", "")),
            on_base_commit=self._on_base(artifact),
        )

    def _run(self, run_id: int) -> Mapping[str, Any]:
        if run_id not in self._runs:
            try:
                self._runs[run_id] = self.client.get_workflow_run(run_id)
            except GitHubError as exc:
                if exc.status not in GONE_STATUSES:
                    raise
                raise _Rejected(f"its workflow run {run_id} is gone (HTTP {exc.status})") from None
        return self._runs[run_id]

    def _read(self, artifact_id: int) -> RunSet:
        source = f"artifact {self.artifact_name!r} ({artifact_id})"
        try:
            data = self.client.download_artifact(artifact_id, max_bytes=MAX_ZIP_BYTES)
        except GitHubError as exc:
            if exc.status not in GONE_STATUSES:
                raise
            what = "it has expired" if exc.status == HTTP_GONE else "it cannot be downloaded"
            raise _Rejected(f"{what} (HTTP {exc.status})") from None
        try:
            return extract_runset(data, self.file_name, source)
        except (StoreError, RunSetError) as exc:
            self._warn(f"rejected {source}: {exc}")
            raise _Rejected(f"unreadable: {exc}") from None


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return f"member {name!r} has an absolute or Windows path"
    if ".." in name.split("/") or posixpath.normpath(name).startswith(".."):
        return f"member {name!r} escapes the archive with '..'"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"member {name!r} is a symbolic link"
    if info.flag_bits & 0x1:
        return f"member {name!r} is encrypted"
    return None


def extract_runset(
    data: bytes, file_name: str, source: str, *, max_bytes: int = MAX_RUNSET_BYTES
) -> RunSet:
    """Read ``file_name`` from a zip in memory and validate it as a RunSet.

    The whole archive is refused when any member is unsafe (absolute path, ``..``,
    symbolic link, encrypted) or when the RunSet is larger than ``max_bytes``. Every
    malformed archive is a StoreError, every malformed RunSet a RunSetError.
    """
    try:
        payload = _read_member(data, file_name, source, max_bytes)
    except (StoreError, RunSetError):
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile's failures on hostile bytes are open-ended
        # (BadZipFile, a negative seek's ValueError, NotImplementedError for a "version
        # needed" it does not know, zlib.error, EOFError, struct.error, ...)
        raise StoreError(
            f"{source}: not a readable zip archive ({type(exc).__name__}: {ascii(str(exc))[:200]})"
        ) from None
    if len(payload) > max_bytes:
        raise StoreError(f"{source}: {file_name} is over {max_bytes} bytes")
    return runset_from_bytes(payload, f"{source}: {file_name}")


def _read_member(data: bytes, file_name: str, source: str, max_bytes: int) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise StoreError(f"{source}: {len(infos)} members, more than {MAX_MEMBERS}")
        for info in infos:
            problem = _unsafe_member(info)
            if problem:
                raise StoreError(f"{source}: {problem}")
        matches = [i for i in infos if i.filename == file_name and not i.is_dir()]
        if not matches:
            names = ", ".join(ascii(i.filename) for i in sorted(infos, key=_name)[:5])
            raise StoreError(
                f"{source}: holds no {file_name} at its root (it holds {names or 'nothing'})"
            )
        info = matches[0]
        if info.file_size > max_bytes:
            raise StoreError(f"{source}: {file_name} is {info.file_size} bytes, over {max_bytes}")
        with archive.open(info) as handle:
            return handle.read(max_bytes + 1)  # the header's size may lie


def _name(info: zipfile.ZipInfo) -> str:
    return info.filename
