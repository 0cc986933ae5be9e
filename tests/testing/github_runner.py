"""A GitHub job as the runner starts the action, shared by the e2e and container tiers.

Every input declared in action.yml is present as ``INPUT_<NAME>`` (its default, or "" when
it has none; ``github-token`` gets the job token), ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` are files, the event payload is a real webhook example, and
``GITHUB_API_URL`` points at the local GitHub stand-in. The experiment is a tiny script
that dumps its environment, so ``Workflow.check_no_leaks`` can prove the token never
reached it. A ``Launcher`` starts the action:

- ``ENTRYPOINT``: the container's entrypoint.py as a subprocess, with host paths;
- ``SEEDGATE_GITHUB``: ``python -m seedgate github`` as the host action runs it (host
  paths, cwd the workspace, ``INPUT_PYTHON`` set as the composite step sets it);
- ``composite_action.CompositeLauncher``: host/action.yml's steps through real bash;
- ``tests/container``: the built image with ``docker run`` and the runner's ``/github/...``
  paths.

The two subprocess launchers also ``prepare``/``start``/``finish`` a job in steps, for
tests that signal the running action or change its environment first.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.testing.github_fake import (
    EVENTS,
    FORK_REPO_ID,
    OWNER,
    REPO_ID,
    FakeGitHub,
    parse_output_file,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "e2e" / "fixtures"
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


@dataclass(frozen=True)
class Job:
    """What the runner knows about one job before it starts the action."""

    event_name: str
    event: Mapping[str, Any]
    ref: str
    sha: str
    inputs: Mapping[str, str]
    number: int
    api_url: str


@dataclass(frozen=True)
class JobPaths:
    """The paths the action is told about (host paths, or the container's /github/...)."""

    workspace: str
    event: str
    file_commands: str
    home: str
    temp: str


def job_env(job: Job, paths: JobPaths) -> dict[str, str]:
    """The variables the runner passes to the action (no PATH: the host or image has one)."""
    env = {
        "HOME": paths.home,
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": job.event_name,
        "GITHUB_EVENT_PATH": paths.event,
        "GITHUB_REPOSITORY": f"{OWNER}/Hello-World",
        "GITHUB_REPOSITORY_ID": str(REPO_ID),
        "GITHUB_REPOSITORY_OWNER": OWNER,
        "GITHUB_REF": job.ref,
        "GITHUB_SHA": job.sha,
        "GITHUB_API_URL": job.api_url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_GRAPHQL_URL": f"{job.api_url}/graphql",
        "GITHUB_WORKSPACE": paths.workspace,
        "GITHUB_RUN_ID": str(1000 + job.number),
        "GITHUB_RUN_NUMBER": str(job.number),
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "seedgate",
        "GITHUB_ACTION": "__seedgate_seedgate-action",
        "GITHUB_OUTPUT": f"{paths.file_commands}/set_output",
        "GITHUB_STEP_SUMMARY": f"{paths.file_commands}/step_summary",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": paths.temp,
        "ACTIONS_RUNTIME_TOKEN": RUNTIME_TOKEN,
        "ACTIONS_RUNTIME_URL": "https://pipelines.example/",
    }
    env.update({"INPUT_" + name.upper(): value for name, value in job.inputs.items()})
    return env


def prepare_file_commands(folder: Path) -> None:
    """The runner creates the file-command files before the step starts."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("set_output", "step_summary"):
        (folder / name).touch()


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


# Starts the action for one job in a prepared workspace; ``temp`` is the job's own folder.
Launcher = Callable[[Job, Path, Path], Result]


# --- the action as a subprocess on the host ---------------------------------------------------


@dataclass(frozen=True)
class HostJob:
    """A job prepared on the host: its workspace, the runner's files and environment."""

    workspace: Path
    output: Path
    summary: Path
    env: dict[str, str]


def host_paths(workspace: Path, temp: Path) -> JobPaths:
    """The runner's own layout under the job's folder, as a host step sees it."""
    return JobPaths(
        workspace=str(workspace),
        event=str(temp / "_github_workflow" / "event.json"),
        file_commands=str(temp / "_runner_file_commands"),
        home=str(temp / "_github_home"),
        temp=str(temp / "_temp"),
    )


def host_environment(job: Job, workspace: Path, temp: Path) -> dict[str, str]:
    """Create the job's folders and files; the environment a host step starts with."""
    paths = host_paths(workspace, temp)
    for folder in (paths.home, paths.temp, str(Path(paths.event).parent)):
        Path(folder).mkdir(parents=True, exist_ok=True)
    Path(paths.event).write_text(json.dumps(job.event), encoding="utf-8")
    prepare_file_commands(Path(paths.file_commands))
    return {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        # the container and the host action install this checkout; here it is imported
        "PYTHONPATH": str(ROOT / "src"),
        **job_env(job, paths),
    }


class HostLauncher:
    """The action as one process on the host, ``command`` started in the workspace."""

    def __init__(
        self, command: Sequence[str], *, extra_env: Mapping[str, str] | None = None
    ) -> None:
        self.command = tuple(command)
        self.extra_env = dict(extra_env or {})

    def prepare(self, job: Job, workspace: Path, temp: Path) -> HostJob:
        env = {**host_environment(job, workspace, temp), **self.extra_env}
        return HostJob(workspace, Path(env["GITHUB_OUTPUT"]), Path(env["GITHUB_STEP_SUMMARY"]), env)

    def start(self, job: HostJob) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command,
            cwd=job.workspace,
            env=job.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, job: HostJob, proc: subprocess.Popen[str], *, timeout: float = 120) -> Result:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        return Result(
            returncode=proc.returncode,
            stdout=stdout,
            stderr=stderr,
            outputs=parse_output_file(job.output.read_text(encoding="utf-8")),
            summary=job.summary.read_text(encoding="utf-8"),
            workspace=job.workspace,
        )

    def __call__(self, job: Job, workspace: Path, temp: Path) -> Result:
        prepared = self.prepare(job, workspace, temp)
        return self.finish(prepared, self.start(prepared))

    def __repr__(self) -> str:  # names the parametrized tests
        return " ".join(self.command[1:])


ENTRYPOINT = HostLauncher((sys.executable, str(ROOT / "entrypoint.py")))
# The host action's step: `exec "$INPUT_PYTHON" -m seedgate github`, INPUT_PYTHON included.
SEEDGATE_GITHUB = HostLauncher(
    (sys.executable, "-m", "seedgate", "github"), extra_env={"INPUT_PYTHON": sys.executable}
)
HOST_LAUNCHERS = {"entrypoint": ENTRYPOINT, "seedgate-github": SEEDGATE_GITHUB}


class Workflow:
    """One repository's workspace and the GitHub it talks to, across several job runs."""

    def __init__(self, fake: FakeGitHub, root: Path, launcher: Launcher = ENTRYPOINT) -> None:
        self.fake = fake
        self.root = root
        self.launcher = launcher
        self.runs = 0
        self.results: list[Result] = []

    def workspace(self, level: float, extra: Mapping[str, bytes]) -> Path:
        workspace = self.root / f"workspace-{self.runs}"
        workspace.mkdir()
        for name in ("gate_experiment.py", "gate_install.py", "seedgate.toml"):
            (workspace / name).write_bytes((FIXTURES / name).read_bytes())
        (workspace / "level.txt").write_text(str(level), encoding="utf-8")
        for name, data in extra.items():
            (workspace / name).parent.mkdir(parents=True, exist_ok=True)
            (workspace / name).write_bytes(data)
        return workspace

    def _job(
        self,
        event_name: str,
        event: Mapping[str, Any],
        *,
        ref: str,
        sha: str,
        level: float = 0.9,
        inputs: Mapping[str, str] | None = None,
        extra: Mapping[str, bytes] | None = None,
    ) -> tuple[Job, Path, Path]:
        self.runs += 1
        values = {
            **input_defaults(),
            "install": "python gate_install.py",
            "max-runs": "5",
            "baseline-runs": "5",
            **(inputs or {}),
        }
        job = Job(event_name, event, ref, sha, values, self.runs, self.fake.url)
        return job, self.workspace(level, extra or {}), self.root / f"temp-{self.runs}"

    def run(self, event_name: str, event: Mapping[str, Any], **kwargs: Any) -> Result:
        result = self.launcher(*self._job(event_name, event, **kwargs))
        self.results.append(result)
        return result

    def prepare(self, event_name: str, event: Mapping[str, Any], **kwargs: Any) -> HostJob:
        """A job made ready for a host launcher, to be started and finished in steps."""
        return self._host_launcher().prepare(*self._job(event_name, event, **kwargs))

    def start(self, job: HostJob) -> subprocess.Popen[str]:
        return self._host_launcher().start(job)

    def finish(self, job: HostJob, proc: subprocess.Popen[str], *, timeout: float = 120) -> Result:
        result = self._host_launcher().finish(job, proc, timeout=timeout)
        self.results.append(result)
        return result

    def _host_launcher(self) -> HostLauncher:
        assert isinstance(self.launcher, HostLauncher), "only a host process runs in steps"
        return self.launcher

    def check_no_leaks(self) -> None:
        """The token is in no request body, comment, summary, output, log or child env."""
        assert TOKEN not in self.fake.all_request_text()
        for comments in self.fake.state.comments.values():
            assert all(TOKEN not in c.body for c in comments)
        for result in self.results:
            output = result.stdout + result.stderr
            assert "Traceback" not in output, output[-6000:]
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


def artifact_zip(name: str, data: bytes) -> bytes:
    """What actions/upload-artifact uploads for one file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def run_with_a_directory_as(workflow: Workflow, variable: str, name: str) -> tuple[Result, Path]:
    """A push job on the default branch whose runner file ``variable`` is a directory
    called ``name``, so every write to it fails; the result and that directory."""
    job = workflow.prepare("push", push_event(), ref="refs/heads/master", sha=MAIN_SHA)
    unwritable = job.output.parent / name
    unwritable.mkdir()
    job.env[variable] = str(unwritable)
    return workflow.finish(job, workflow.start(job)), unwritable


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
