"""This workflow run's artifacts through the runner's v4 artifact service, as
``@actions/artifact`` (actions/upload-artifact and download-artifact v4 and later) reaches it.

The runner hands every step, container actions included, ``ACTIONS_RESULTS_URL`` and
``ACTIONS_RUNTIME_TOKEN`` (a JWT whose ``scp`` claim carries
``Actions.Results:<workflow run backend id>:<job run backend id>``). Every call is a Twirp
JSON ``POST {origin}/twirp/github.actions.results.api.v1.ArtifactService/<Method>`` with the
token as Bearer and proto field names. An upload is:

1. ``CreateArtifact`` with ``{workflow_run_backend_id, workflow_job_run_backend_id, name,
   version: 4}``: answers ``{ok, signed_upload_url}``;
2. the zip to that signed URL as Azure block-blob calls, without the token:
   ``PUT <url>&comp=block&blockid=<base64>`` per 8 MiB, then ``PUT <url>&comp=blocklist``
   with the XML list of blocks;
3. ``FinalizeArtifact`` with the same ids, the name, ``size`` (a string: int64 in proto
   JSON) and ``hash: "sha256:<hex>"``: answers ``{ok, artifact_id}``.

A name can be uploaded once per workflow run: GitHub answers ``CreateArtifact`` of a name
that an earlier attempt of the run (a re-run job) uploaded with 409 ``already_exists``.
The upload then replaces it as upload-artifact's ``overwrite: true`` does: ``ListArtifacts``
with ``name_filter``, ``DeleteArtifact`` of the newest with the ids it was listed with, and
``CreateArtifact`` again. (act's artifact server never answers 409: its CreateArtifact
truncates the stored zip.)

A download (download-artifact's): ``ListArtifacts`` of the run, ``GetSignedArtifactURL``
with the listed ids and name (answers ``{signed_url}``), then a plain ``GET`` of that URL.

GitHub Enterprise Server has no v4 service (``@actions/artifact`` refuses it by the
server's host name); :func:`unavailable_reason` says so and the caller falls back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import time
import urllib.parse
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import requests

from seedgate import __version__
from seedgate.errors import GitHubError
from seedgate.github.responses import read_limited

SERVICE = "github.actions.results.api.v1.ArtifactService"
BLOCK_BYTES = 8 * 1024 * 1024  # @actions/artifact's upload chunk size
BLOB_API_VERSION = "2023-11-03"  # x-ms-version that @azure/storage-blob sends
ARTIFACT_VERSION = 4
_RETRY_STATUSES = (429, 500, 502, 503, 504)  # what @actions/artifact retries


def unavailable_reason(environ: Mapping[str, str]) -> str | None:
    """Why this job cannot upload through the v4 service, or None when it can."""
    if _is_ghes(environ.get("GITHUB_SERVER_URL") or "https://github.com"):
        return "GitHub Enterprise Server has no v4 artifact service"
    missing = [n for n in ("ACTIONS_RESULTS_URL", "ACTIONS_RUNTIME_TOKEN") if not environ.get(n)]
    if missing:
        return f"the runner gave this step no {' or '.join(missing)}"
    return None


def _is_ghes(server_url: str) -> bool:
    host = (urllib.parse.urlsplit(server_url).hostname or "").upper()
    return not (host == "GITHUB.COM" or host.endswith((".GHE.COM", ".LOCALHOST")))


@dataclass(frozen=True)
class Uploaded:
    artifact_id: int
    size: int
    digest: str  # sha256:<hex> of the zip
    replaced: bool = False  # the name's artifact of an earlier attempt was deleted first


@dataclass(frozen=True)
class RunArtifact:
    """One artifact of this workflow run, as ``ListArtifacts`` lists it."""

    name: str
    database_id: int
    run_backend_id: str
    job_backend_id: str  # the job run that uploaded it


@dataclass
class ArtifactService:
    """One job's calls. The runtime token goes to the results service only."""

    results_url: str
    runtime_token: str = field(repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    timeout_s: float = 60.0
    attempts: int = 5
    backoff_s: float = 3.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def upload(self, name: str, files: Mapping[str, bytes]) -> Uploaded:
        """Zip ``files`` (name in the zip -> content) and upload them as artifact ``name``,
        replacing the artifact of that name an earlier attempt of this run uploaded."""
        ids = self._ids()
        replaced = False
        try:
            url = self._create(ids, name)
        except GitHubError as exc:
            if exc.status != HTTPStatus.CONFLICT:
                raise
            self._delete(name)
            replaced = True
            url = self._create(ids, name)
        data = zip_files(files)
        self._put_blob(url, data, name)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        finalized = self._twirp(
            "FinalizeArtifact", {**ids, "name": name, "size": str(len(data)), "hash": digest}
        )
        if finalized.get("ok") is not True:
            raise GitHubError(f"artifact service: FinalizeArtifact of {name!r} was not ok")
        artifact_id = _field(finalized, "artifact_id")
        return Uploaded(int(str(artifact_id or 0)), len(data), digest, replaced)

    def artifacts(self, *, name: str | None = None) -> list[RunArtifact]:
        """This run's artifacts (only those called ``name`` when given)."""
        body: dict[str, Any] = dict(self._ids())
        if name is not None:
            body["name_filter"] = name  # a StringValue: the bare string in proto JSON
        listed = self._twirp("ListArtifacts", body).get("artifacts") or []
        if not isinstance(listed, list):
            raise GitHubError("artifact service: ListArtifacts answered no list of artifacts")
        return [_run_artifact(item) for item in listed]

    def download(self, artifact: RunArtifact, *, max_bytes: int) -> bytes:
        """The artifact's zip, at most ``max_bytes``; the signed URL gets no token."""
        what = f"download of artifact {artifact.name!r}"
        signed = self._twirp(
            "GetSignedArtifactURL",
            {
                "workflow_run_backend_id": artifact.run_backend_id,
                "workflow_job_run_backend_id": artifact.job_backend_id,
                "name": artifact.name,
            },
        )
        url = _field(signed, "signed_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise GitHubError(
                f"artifact service: GetSignedArtifactURL of {artifact.name!r} answered no URL"
            )
        response = self._send("GET", url, what, data=None, headers={}, stream=True)
        deadline = time.monotonic() + self.timeout_s * self.attempts
        return read_limited(response, max_bytes, f"artifact service: {what}", deadline)

    def _ids(self) -> dict[str, str]:
        run_id, job_id = backend_ids(self.runtime_token)
        return {"workflow_run_backend_id": run_id, "workflow_job_run_backend_id": job_id}

    def _create(self, ids: Mapping[str, str], name: str) -> str:
        created = self._twirp("CreateArtifact", {**ids, "name": name, "version": ARTIFACT_VERSION})
        url = _field(created, "signed_upload_url")
        if created.get("ok") is not True or not isinstance(url, str) or not url:
            raise GitHubError(f"artifact service: CreateArtifact of {name!r} was not ok")
        return url

    def _delete(self, name: str) -> None:
        """Delete the newest artifact ``name`` of this run, with the ids it is listed with
        (those of the job run that uploaded it), as ``@actions/artifact`` does."""
        found = [a for a in self.artifacts(name=name) if a.name == name]
        if not found:
            raise GitHubError(
                f"artifact service: an artifact {name!r} already exists in this workflow "
                "run, but ListArtifacts lists none to replace"
            )
        newest = max(found, key=lambda a: a.database_id)
        deleted = self._twirp(
            "DeleteArtifact",
            {
                "workflow_run_backend_id": newest.run_backend_id,
                "workflow_job_run_backend_id": newest.job_backend_id,
                "name": newest.name,
            },
        )
        if deleted.get("ok") is not True:
            raise GitHubError(f"artifact service: DeleteArtifact of {name!r} was not ok")

    def _twirp(self, method: str, body: Mapping[str, Any]) -> dict[str, Any]:
        origin = _origin(self.results_url)
        url = f"{origin}/twirp/{SERVICE}/{method}"
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.runtime_token}",
            "User-Agent": f"seedgate/{__version__}",
        }
        response = self._send("POST", url, method, data=json.dumps(body), headers=headers)
        try:
            answer = response.json()
        except ValueError:
            raise GitHubError(f"artifact service: {method} answered no JSON") from None
        if not isinstance(answer, dict):
            raise GitHubError(f"artifact service: {method} answered no object")
        return answer

    def _put_blob(self, signed_url: str, data: bytes, name: str) -> None:
        """Azure block-blob upload as @azure/storage-blob's uploadStream sends it."""
        prefix = str(uuid.uuid4())
        blocks = []
        joiner = "&" if "?" in signed_url else "?"
        for index, start in enumerate(range(0, max(len(data), 1), BLOCK_BYTES)):
            block_id = base64.b64encode(_block_name(prefix, index).encode()).decode()
            blocks.append(block_id)
            query = urllib.parse.urlencode({"comp": "block", "blockid": block_id})
            self._send(
                "PUT",
                f"{signed_url}{joiner}{query}",
                f"upload of {name!r} (block {index})",
                data=data[start : start + BLOCK_BYTES],
                headers={
                    "x-ms-version": BLOB_API_VERSION,
                    "Content-Type": "application/octet-stream",
                },
            )
        latest = "".join(f"<Latest>{b}</Latest>" for b in blocks)
        xml = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f"<BlockList>{latest}</BlockList>"
        )
        self._send(
            "PUT",
            f"{signed_url}{joiner}comp=blocklist",
            f"upload of {name!r} (block list)",
            data=xml.encode(),
            headers={
                "x-ms-version": BLOB_API_VERSION,
                "x-ms-blob-content-type": "zip",
                "Content-Type": "application/xml; charset=utf-8",
            },
        )

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        data: bytes | str | None,
        headers: Mapping[str, str],
        stream: bool = False,
    ) -> requests.Response:
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.session.request(
                    method,
                    url,
                    data=data,
                    headers=dict(headers),
                    timeout=self.timeout_s,
                    stream=stream,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == self.attempts:
                    raise GitHubError(
                        f"artifact service: {what} failed after {attempt} tries "
                        f"({type(exc).__name__})"
                    ) from None
            else:
                if 200 <= response.status_code < 300:
                    return response
                if response.status_code not in _RETRY_STATUSES or attempt == self.attempts:
                    raise GitHubError(
                        f"artifact service: {what} answered {response.status_code}"
                        f"{_message(response)}",
                        status=response.status_code,
                    )
            self.sleep(self.backoff_s * 1.5 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover


def backend_ids(runtime_token: str) -> tuple[str, str]:
    """The workflow run and job run backend ids from the token's ``Actions.Results`` scope."""
    problem = GitHubError(
        "ACTIONS_RUNTIME_TOKEN: not a runtime token with the Actions.Results scope"
    )
    parts = runtime_token.split(".")
    if len(parts) != 3:
        raise problem
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        raise problem from None
    scopes = payload.get("scp") if isinstance(payload, dict) else None
    if not isinstance(scopes, str):
        raise problem
    for scope in scopes.split(" "):
        pieces = scope.split(":")
        if pieces[0] == "Actions.Results":
            if len(pieces) != 3:
                raise problem
            return pieces[1], pieces[2]
    raise problem


def zip_files(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _field(answer: Mapping[str, Any], name: str) -> Any:
    """A field of a Twirp answer by its proto name, or by the lowerCamelCase JSON name
    that protojson's default (act's server) writes."""
    if name in answer:
        return answer[name]
    head, *rest = name.split("_")
    return answer.get(head + "".join(part.title() for part in rest))


def _run_artifact(item: object) -> RunArtifact:
    problem = GitHubError("artifact service: ListArtifacts answered a malformed artifact")
    if not isinstance(item, dict):
        raise problem
    name, database_id = _field(item, "name"), str(_field(item, "database_id"))
    run_id = _field(item, "workflow_run_backend_id")
    job_id = _field(item, "workflow_job_run_backend_id")
    texts = (name, run_id, job_id)
    if not all(isinstance(t, str) and t for t in texts) or not database_id.isdigit():
        raise problem
    return RunArtifact(str(name), int(database_id), str(run_id), str(job_id))


def _block_name(prefix: str, index: int) -> str:
    """48 characters, as @azure/storage-blob's generateBlockID makes them."""
    return prefix + str(index).rjust(48 - len(prefix), "0")


def _origin(url: str) -> str:
    split = urllib.parse.urlsplit(url)
    return f"{split.scheme}://{split.netloc}"


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    msg = body.get("msg") if isinstance(body, dict) else None
    return f": {str(msg)[:200]}" if msg else ""
