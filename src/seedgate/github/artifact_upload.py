"""Uploading an artifact through the runner's v4 artifact service, as ``@actions/artifact``
(actions/upload-artifact v4 and later) does it.

The runner hands every step, container actions included, ``ACTIONS_RESULTS_URL`` and
``ACTIONS_RUNTIME_TOKEN`` (a JWT whose ``scp`` claim carries
``Actions.Results:<workflow run backend id>:<job run backend id>``). The upload is:

1. ``POST {origin}/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact``
   with the token as Bearer and ``{workflow_run_backend_id, workflow_job_run_backend_id,
   name, version: 4}`` (proto field names): answers ``{ok, signed_upload_url}``;
2. the zip to that signed URL as Azure block-blob calls, without the token:
   ``PUT <url>&comp=block&blockid=<base64>`` per 8 MiB, then ``PUT <url>&comp=blocklist``
   with the XML list of blocks;
3. ``POST .../FinalizeArtifact`` with the same ids, the name, ``size`` (a string: int64 in
   proto JSON) and ``hash: "sha256:<hex>"``: answers ``{ok, artifact_id}``.

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
from typing import Any

import requests

from seedgate import __version__
from seedgate.errors import GitHubError

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


@dataclass
class ArtifactUploader:
    """One job's uploads. The runtime token goes to the results service only."""

    results_url: str
    runtime_token: str = field(repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    timeout_s: float = 60.0
    attempts: int = 5
    backoff_s: float = 3.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def upload(self, name: str, files: Mapping[str, bytes]) -> Uploaded:
        """Zip ``files`` (name in the zip -> content) and upload them as artifact ``name``."""
        run_id, job_id = backend_ids(self.runtime_token)
        ids = {"workflow_run_backend_id": run_id, "workflow_job_run_backend_id": job_id}
        created = self._twirp("CreateArtifact", {**ids, "name": name, "version": ARTIFACT_VERSION})
        url = created.get("signed_upload_url") or created.get("signedUploadUrl")
        if created.get("ok") is not True or not isinstance(url, str) or not url:
            raise GitHubError(f"artifact service: CreateArtifact of {name!r} was not ok")
        data = zip_files(files)
        self._put_blob(url, data, name)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        finalized = self._twirp(
            "FinalizeArtifact", {**ids, "name": name, "size": str(len(data)), "hash": digest}
        )
        artifact_id = finalized.get("artifact_id", finalized.get("artifactId"))
        if finalized.get("ok") is not True:
            raise GitHubError(f"artifact service: FinalizeArtifact of {name!r} was not ok")
        return Uploaded(int(str(artifact_id or 0)), len(data), digest)

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
        self, method: str, url: str, what: str, *, data: bytes | str, headers: Mapping[str, str]
    ) -> requests.Response:
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.session.request(
                    method, url, data=data, headers=dict(headers), timeout=self.timeout_s
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
