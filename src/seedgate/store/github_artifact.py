"""The baseline as a GitHub Actions artifact made on the default branch.

Which artifact is trusted: the newest non-expired one of the given name whose workflow
run succeeded, was triggered by ``push`` / ``workflow_dispatch`` / ``schedule`` on the
default branch, and ran in this very repository (a fork's run can also be on a branch
called ``main``: its ``head_repository`` id gives it away). The one made on the pull
request's base commit wins when it exists. The zip is read in memory, never extracted
to disk, and only the expected RunSet file is read from it.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class FoundBaseline:
    runset: RunSet
    artifact_id: int
    run_id: int
    head_sha: str
    created_at: str
    on_base_commit: bool

    def describe(self) -> str:
        where = "the pull request's base commit" if self.on_base_commit else "the default branch"
        return (
            f"artifact {self.artifact_id} of run {self.run_id} "
            f"(commit {self.head_sha[:12]}, {self.created_at}, {where})"
        )


def _ignore(_: str) -> None:
    return None


class GitHubArtifactStore:
    """Finds and reads the baseline artifact."""

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

    def describe(self) -> str:
        return (
            f"artifact {self.artifact_name!r} ({self.file_name}) from successful runs on "
            f"{self.default_branch} of {self.client.repository}"
        )

    def load(self) -> RunSet | None:
        found = self.find()
        return found.runset if found else None

    def find(self) -> FoundBaseline | None:
        runs: dict[int, Mapping[str, Any]] = {}
        for artifact in self._candidates():
            run_id = int(artifact["workflow_run"]["id"])
            if run_id not in runs:
                runs[run_id] = self.client.get_workflow_run(run_id)
            problem = self._untrusted_run(runs[run_id])
            if problem:
                self._log(f"skipping artifact {artifact['id']}: {problem}")
                continue
            found = self._read(artifact, run_id)
            if found is not None:
                return found
        return None

    # --- choosing ---------------------------------------------------------------------

    def _candidates(self) -> list[Mapping[str, Any]]:
        """Trusted-looking artifacts, the base commit's first, then newest first."""
        picked: list[Mapping[str, Any]] = []
        for scanned, artifact in enumerate(self._listed(), start=1):
            problem = self._untrusted_artifact(artifact)
            if problem:
                self._log(f"skipping artifact {ascii(artifact.get('id'))[:40]}: {problem}")
            else:
                picked.append(artifact)
            if self._on_base(artifact) and not problem:
                break  # the best match; older ones cannot beat it
            if scanned >= MAX_SCANNED:
                break
        picked.sort(key=lambda a: str(a.get("created_at", "")), reverse=True)
        picked.sort(key=lambda a: not self._on_base(a))  # stable: base commit first
        return picked[: self.max_candidates]

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

    # --- reading ----------------------------------------------------------------------

    def _read(self, artifact: Mapping[str, Any], run_id: int) -> FoundBaseline | None:
        artifact_id = int(artifact["id"])
        source = f"artifact {self.artifact_name!r} ({artifact_id})"
        try:
            data = self.client.download_artifact(artifact_id, max_bytes=MAX_ZIP_BYTES)
        except GitHubError as exc:
            if exc.status != HTTP_GONE:
                raise
            self._log(f"skipping {source}: it has expired (HTTP 410)")
            return None
        try:
            runset = extract_runset(data, self.file_name, source)
        except (StoreError, RunSetError) as exc:
            self._warn(f"rejected {source}: {exc}")
            return None
        return FoundBaseline(
            runset=runset,
            artifact_id=artifact_id,
            run_id=run_id,
            head_sha=str(artifact["workflow_run"].get("head_sha", "")),
            created_at=str(artifact.get("created_at", "")),
            on_base_commit=self._on_base(artifact),
        )


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
