"""A stand-in for the runner's v4 artifact service on 127.0.0.1, strict about exactly what
``@actions/artifact`` (as bundled in actions/upload-artifact v5's ``dist/index.js``)
sends, so that seedgate's own upload is held to the same
contract:

- Twirp JSON calls ``POST /twirp/github.actions.results.api.v1.ArtifactService/<Method>``
  with ``Content-Type: application/json``, ``Authorization: Bearer <runtime token>``, and
  proto field names (``workflow_run_backend_id``, ``workflow_job_run_backend_id``) that
  must equal the ``Actions.Results:<run>:<job>`` scope of the token's ``scp`` claim;
  CreateArtifact with ``version: 4``; a second artifact of one name in a run is a 409
  (``already_exists``), as GitHub answers a re-run job that uploads a name again;
- ListArtifacts (optionally ``name_filter``, ``id_filter``), DeleteArtifact and
  GetSignedArtifactURL as download-artifact and upload-artifact's ``overwrite`` call them:
  the last two with the run and job ids the artifact was listed with (those of the job
  that uploaded it); the signed download URL is fetched with a plain GET;
- :meth:`ResultsService.new_attempt` starts another job run of the same workflow run
  (a re-run: a new runtime token with a new job backend id);
- the blob upload to the signed URL as @azure/storage-blob sends it: no Authorization
  header (401), the signature kept, ``comp=block&blockid=<base64 of 48 chars>`` blocks,
  then ``comp=blocklist`` with the XML list of exactly those blocks;
- FinalizeArtifact with ``size`` (a string) and ``hash`` equal to the committed zip's.

Unknown or malformed requests answer 400 and are recorded in ``errors``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

SERVICE_PATH = "/twirp/github.actions.results.api.v1.ArtifactService/"
_KEY = b"stand-in-signing-key"
_BLOCK_LIST = re.compile(
    rb"<\?xml[^>]*\?><BlockList>((?:<Latest>[A-Za-z0-9+/=]+</Latest>)+)</BlockList>"
)


def runtime_token(run_backend_id: str, job_backend_id: str) -> str:
    """A JWT shaped like the runner's (unsigned here: @actions/artifact only decodes it)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {
        "scp": f"Actions.GenericRead:00000000 Actions.Results:{run_backend_id}:{job_backend_id}",
        "exp": 4102444800,
    }
    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


@dataclass
class StoredArtifact:
    artifact_id: int
    name: str
    run_backend_id: str
    job_backend_id: str = "job-19c2"
    blocks: dict[str, bytes] = field(default_factory=dict)
    committed: bytes | None = None
    finalized: bool = False
    requests: list[str] = field(default_factory=list)


class ResultsService:
    """The service and its blob store on one port. Use as a context manager."""

    def __init__(
        self, *, run_backend_id: str = "run-7f3a", job_backend_id: str = "job-19c2"
    ) -> None:
        self.run_backend_id = run_backend_id
        self.token = ""
        self.ids: dict[str, str] = {}
        self.new_attempt(job_backend_id)
        self.artifacts: dict[str, StoredArtifact] = {}
        self.deleted: list[StoredArtifact] = []
        self.errors: list[str] = []
        self.headers_seen: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._next_id = 9001
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = outer.handle(self.command, self.path, dict(self.headers), body)
                raw = isinstance(payload, bytes)
                data = payload if raw else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/zip" if raw else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_GET = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ARG002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def new_attempt(self, job_backend_id: str) -> None:
        """The next job run of this workflow run (a re-run) and its runtime token."""
        self.token = runtime_token(self.run_backend_id, job_backend_id)
        self.ids = {
            "workflow_run_backend_id": self.run_backend_id,
            "workflow_job_run_backend_id": job_backend_id,
        }

    def zip_of(self, name: str) -> bytes:
        artifact = self.artifacts[name]
        assert artifact.finalized, name
        assert artifact.committed is not None, name
        return artifact.committed

    # --- the protocol -----------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        with self._lock:
            self.headers_seen.append(headers)
            parts = urllib.parse.urlsplit(raw_path)
            if method == "PUT" and parts.path == "/blob":
                return self._blob(parts.query, headers, body)
            if method == "GET" and parts.path == "/download":
                return self._download(parts.query, headers)
            if method == "POST" and parts.path.startswith(SERVICE_PATH):
                return self._twirp(parts.path.removeprefix(SERVICE_PATH), headers, body)
            return self._error(404, f"{method} {parts.path}: no such route")

    def _error(self, status: int, problem: str) -> tuple[int, Any]:
        self.errors.append(problem)
        return status, {"code": "invalid_argument", "msg": problem}

    def _twirp(self, rpc: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, f"{rpc}: no Bearer runtime token")
        if headers.get("Content-Type") != "application/json":
            return self._error(400, f"{rpc}: Content-Type {headers.get('Content-Type')!r}")
        try:
            request = json.loads(body)
        except ValueError:
            return self._error(400, f"{rpc}: body is not JSON")
        if rpc in ("DeleteArtifact", "GetSignedArtifactURL"):
            return self._by_listed_ids(rpc, request)
        for key, value in self.ids.items():
            if request.get(key) != value:
                return self._error(400, f"{rpc}: {key} = {request.get(key)!r}, not {value!r}")
        if rpc == "CreateArtifact":
            return self._create(request)
        if rpc == "FinalizeArtifact":
            return self._finalize(request)
        if rpc == "ListArtifacts":
            return self._list(request)
        return self._error(400, f"{rpc}: not what @actions/artifact calls")

    def _create(self, request: dict[str, Any]) -> tuple[int, Any]:
        allowed = {*self.ids, "name", "version", "expires_at"}
        if set(request) - allowed or request.get("version") != 4:
            return self._error(400, f"CreateArtifact: unexpected fields {sorted(request)}")
        name = request.get("name")
        if not isinstance(name, str) or not name:
            return self._error(400, "CreateArtifact: no name")
        if name in self.artifacts:
            return 409, {
                "code": "already_exists",
                "msg": "an artifact with this name already exists on the workflow run",
            }
        self.artifacts[name] = StoredArtifact(
            self._next_id, name, self.run_backend_id, self.ids["workflow_job_run_backend_id"]
        )
        self._next_id += 1
        query = urllib.parse.urlencode(
            {"artifact": name, "se": "2099-01-01", "sig": self._sign(name)}
        )
        return 200, {"ok": True, "signed_upload_url": f"{self.url}blob?{query}"}

    def _sign(self, name: str) -> str:
        return base64.b64encode(hmac.new(_KEY, name.encode(), hashlib.sha256).digest()).decode()

    def _blob(self, query: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if "Authorization" in headers:
            return self._error(401, "blob: an Authorization header on a signed URL")
        params = dict(urllib.parse.parse_qsl(query))
        artifact = self.artifacts.get(params.get("artifact", ""))
        if artifact is None or params.get("sig") != self._sign(artifact.name):
            return self._error(403, "blob: signature does not match")
        comp = params.get("comp")
        artifact.requests.append(comp or "")
        if comp == "block":
            block_id = params.get("blockid", "")
            if len(base64.b64decode(block_id)) != 48:
                return self._error(400, f"blob: block id {block_id!r} is not 48 bytes in base64")
            artifact.blocks[block_id] = body
            return 201, {}
        if comp == "blocklist":
            match = _BLOCK_LIST.fullmatch(body)
            if match is None:
                return self._error(400, f"blob: block list {body[:200]!r}")
            listed = re.findall(rb"<Latest>([^<]+)</Latest>", match.group(1))
            ids = [b.decode() for b in listed]
            if set(ids) != set(artifact.blocks):
                return self._error(400, "blob: block list differs from the staged blocks")
            artifact.committed = b"".join(artifact.blocks[i] for i in ids)
            return 201, {}
        return self._error(400, f"blob: comp={comp!r}")

    def _finalize(self, request: dict[str, Any]) -> tuple[int, Any]:
        artifact = self.artifacts.get(request.get("name", ""))
        if artifact is None or artifact.committed is None:
            return self._error(404, "FinalizeArtifact: nothing committed under that name")
        data = artifact.committed
        if request.get("size") != str(len(data)):
            return self._error(400, f"FinalizeArtifact: size {request.get('size')!r}")
        if request.get("hash") != "sha256:" + hashlib.sha256(data).hexdigest():
            return self._error(400, "FinalizeArtifact: hash differs from the committed zip")
        artifact.finalized = True
        return 200, {"ok": True, "artifact_id": str(artifact.artifact_id)}

    def _list(self, request: dict[str, Any]) -> tuple[int, Any]:
        if set(request) - {*self.ids, "name_filter", "id_filter"}:
            return self._error(400, f"ListArtifacts: unexpected fields {sorted(request)}")
        name, ident = request.get("name_filter"), request.get("id_filter")
        if (name is not None and not isinstance(name, str)) or (
            ident is not None and not (isinstance(ident, str) and ident.isdigit())
        ):
            return self._error(400, f"ListArtifacts: filters {name!r}, {ident!r}")
        listed = [
            {
                "workflow_run_backend_id": a.run_backend_id,
                "workflow_job_run_backend_id": a.job_backend_id,
                "database_id": str(a.artifact_id),
                "name": a.name,
                "size": str(len(a.committed or b"")),
                "created_at": "2026-01-01T00:00:00Z",
            }
            for a in self.artifacts.values()
            if name in (None, a.name) and ident in (None, str(a.artifact_id))
        ]
        return 200, {"artifacts": listed}

    def _by_listed_ids(self, rpc: str, request: dict[str, Any]) -> tuple[int, Any]:
        if set(request) != {*self.ids, "name"}:
            return self._error(400, f"{rpc}: fields {sorted(request)}")
        artifact = self.artifacts.get(request["name"])
        if artifact is None:
            return 404, {"code": "not_found", "msg": "artifact not found"}
        listed = (artifact.run_backend_id, artifact.job_backend_id)
        sent = (request["workflow_run_backend_id"], request["workflow_job_run_backend_id"])
        if sent != listed:
            return self._error(400, f"{rpc}: ids {sent}, not the listed {listed}")
        if rpc == "DeleteArtifact":
            self.deleted.append(self.artifacts.pop(artifact.name))
            return 200, {"ok": True, "artifact_id": str(artifact.artifact_id)}
        query = urllib.parse.urlencode(
            {"artifact": artifact.name, "sig": self._sign("download:" + artifact.name)}
        )
        return 200, {"signed_url": f"{self.url}download?{query}"}

    def _download(self, query: str, headers: dict[str, str]) -> tuple[int, Any]:
        if "Authorization" in headers:
            return self._error(401, "download: an Authorization header on a signed URL")
        params = dict(urllib.parse.parse_qsl(query))
        artifact = self.artifacts.get(params.get("artifact", ""))
        if artifact is None or params.get("sig") != self._sign("download:" + artifact.name):
            return self._error(403, "download: signature does not match")
        if not artifact.finalized or artifact.committed is None:
            return self._error(404, "download: the artifact was never finalized")
        return 200, artifact.committed
