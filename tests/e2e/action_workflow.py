"""Run the action as the runner starts it: a subprocess with exactly the container's environment.

Every input declared in action.yml is present as ``INPUT_<NAME>`` (its default, or "" when
it has none; ``github-token`` gets the job token), ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` are files, the event payload is a real webhook example, and
``GITHUB_API_URL`` points at the local GitHub stand-in that validates every exchange
against GitHub's OpenAPI description. The experiment is a tiny script that dumps its
environment, so the tests can prove the token never reached it.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from github_fake import EVENTS, FORK_REPO_ID, OWNER, REPO_ID, FakeGitHub, parse_output_file
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ENTRYPOINT = (sys.executable, str(ROOT / "entrypoint.py"))
TOKEN = "ghs_E2eSecretToken0123456789abcdefXYZ"
RUNTIME_TOKEN = "runtime-secret-0123456789"
PR_NUMBER = 2
BASE_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"  # pull_request.base.sha in the payload
MAIN_SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


def input_defaults() -> dict[str, str]:
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
    defaults = {}
    for name, spec in action["inputs"].items():
        value = str(spec.get("default", ""))
        defaults[name] = TOKEN if value == "${{ github.token }}" else value
    return defaults


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path

    def annotations(self, kind: str) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(f"::{kind} ")]


@dataclass(frozen=True)
class Job:
    """One prepared job run: its workspace, the runner's files and environment."""

    workspace: Path
    output: Path
    summary: Path
    env: dict[str, str]


class Workflow:
    """One repository's workspace and the GitHub it talks to, across several job runs.

    ``command`` is what the runner starts (the container's entrypoint by default).
    """

    def __init__(self, fake: FakeGitHub, root: Path, command: Sequence[str] = ENTRYPOINT) -> None:
        self.fake = fake
        self.root = root
        self.command = tuple(command)
        self.runs = 0
        self.results: list[Result] = []

    def workspace(self, level: float, extra: Mapping[str, bytes]) -> Path:
        self.runs += 1
        workspace = self.root / f"workspace-{self.runs}"
        workspace.mkdir()
        for name in ("gate_experiment.py", "gate_install.py", "seedgate.toml"):
            shutil.copy(FIXTURES / name, workspace / name)
        (workspace / "level.txt").write_text(str(level), encoding="utf-8")
        for name, data in extra.items():
            (workspace / name).parent.mkdir(parents=True, exist_ok=True)
            (workspace / name).write_bytes(data)
        return workspace

    def prepare(
        self,
        event_name: str,
        event: Mapping[str, Any],
        *,
        ref: str,
        sha: str,
        level: float = 0.9,
        inputs: Mapping[str, str] | None = None,
        extra: Mapping[str, bytes] | None = None,
    ) -> Job:
        workspace = self.workspace(level, extra or {})
        files = self.root / f"files-{self.runs}"
        files.mkdir()
        event_path = files / "event.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        output, summary = files / "output", files / "summary.md"
        output.touch()
        summary.touch()
        values = {
            **input_defaults(),
            "install": "python gate_install.py",
            "max-runs": "5",
            "baseline-runs": "5",
            **(inputs or {}),
        }
        env = self.runner_environment(event_name, event_path, ref=ref, sha=sha, files=files)
        env.update(GITHUB_WORKSPACE=str(workspace), GITHUB_OUTPUT=str(output))
        env.update(GITHUB_STEP_SUMMARY=str(summary))
        env.update({"INPUT_" + name.upper(): value for name, value in values.items()})
        return Job(workspace, output, summary, env)

    def runner_environment(
        self, event_name: str, event_path: Path, *, ref: str, sha: str, files: Path
    ) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "HOME": str(files),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            # the container installs this checkout; here it is imported from its source
            "PYTHONPATH": str(ROOT / "src"),
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": f"{OWNER}/Hello-World",
            "GITHUB_REPOSITORY_ID": str(REPO_ID),
            "GITHUB_REPOSITORY_OWNER": OWNER,
            "GITHUB_REF": ref,
            "GITHUB_SHA": sha,
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_GRAPHQL_URL": f"{self.fake.url}/graphql",
            "GITHUB_RUN_ID": str(1000 + self.runs),
            "GITHUB_RUN_NUMBER": str(self.runs),
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "seedgate",
            "GITHUB_ACTION": "__seedgate_seedgate-action",
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(files),
            "ACTIONS_RUNTIME_TOKEN": RUNTIME_TOKEN,
            "ACTIONS_RUNTIME_URL": "https://pipelines.example/",
        }

    def start(self, job: Job) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command,
            cwd=job.workspace,
            env=job.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, job: Job, proc: subprocess.Popen[str]) -> Result:
        stdout, stderr = proc.communicate(timeout=120)
        result = Result(
            returncode=proc.returncode,
            stdout=stdout,
            stderr=stderr,
            outputs=parse_output_file(job.output.read_text(encoding="utf-8")),
            summary=job.summary.read_text(encoding="utf-8"),
            workspace=job.workspace,
        )
        self.results.append(result)
        return result

    def run(self, event_name: str, event: Mapping[str, Any], **kwargs: Any) -> Result:
        job = self.prepare(event_name, event, **kwargs)
        return self.finish(job, self.start(job))

    def check_no_leaks(self) -> None:
        """The token is in no request body, comment, summary, output, log or child env."""
        assert TOKEN not in self.fake.all_request_text()
        for comments in self.fake.state.comments.values():
            assert all(TOKEN not in c.body for c in comments)
        for result in self.results:
            assert "Traceback" not in result.stdout + result.stderr, result.stderr
            lines = [line for line in result.stdout.splitlines() if TOKEN in line]
            assert lines == [f"::add-mask::{TOKEN}"], lines  # only the mask command itself
            assert result.stdout.startswith(f"::add-mask::{TOKEN}\n")
            assert TOKEN not in result.stderr
            assert TOKEN not in result.summary
            assert all(TOKEN not in value for value in result.outputs.values())
            for dump in (result.workspace / "env-dumps").glob("*.json"):
                text = dump.read_text(encoding="utf-8")
                assert TOKEN not in text, dump.name
                assert RUNTIME_TOKEN not in text, dump.name
                assert "INPUT_" not in text, dump.name
        for rec in self.fake.requests:
            assert rec.headers.get("Authorization") == f"Bearer {TOKEN}"
        for rec in self.fake.blob_requests:
            assert "Authorization" not in rec.headers


# --- events ---------------------------------------------------------------------------------


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


def push_event() -> dict[str, Any]:
    event = load_event("push.json")
    event.update(ref="refs/heads/master", after=MAIN_SHA, base_ref=None)
    return event


def pr_event(*, fork: bool = False) -> dict[str, Any]:
    event = copy.deepcopy(load_event("pull_request.synchronize.json"))
    if fork:
        head_repo = event["pull_request"]["head"]["repo"]
        head_repo.update(id=FORK_REPO_ID, full_name="forker/Hello-World", fork=True)
    return event


def run_push(workflow: Workflow, **kwargs: Any) -> Result:
    return workflow.run("push", push_event(), ref="refs/heads/master", sha=MAIN_SHA, **kwargs)


def run_pr(workflow: Workflow, *, fork: bool = False, **kwargs: Any) -> Result:
    return workflow.run(
        "pull_request",
        pr_event(fork=fork),
        ref=f"refs/pull/{PR_NUMBER}/merge",
        sha="9" * 40,
        **kwargs,
    )


def publish_baseline(
    fake: FakeGitHub,
    data: bytes,
    *,
    artifact_id: int = 501,
    run_id: int = 77,
    sha: str = BASE_SHA,
    **run: Any,
) -> None:
    fake.add_run(run_id, head_sha=sha, **run)
    fake.add_artifact(artifact_id, run_id=run_id, data=data)
