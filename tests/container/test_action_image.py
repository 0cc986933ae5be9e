"""The built image, started exactly as GitHub's runner starts a Docker container action.

``docker run --workdir /github/workspace --rm --network host -e NAME ...``: every
``GITHUB_*``/``RUNNER_*``/``INPUT_*`` variable passed by name with the container's paths,
the Docker socket mounted at ``/var/run/docker.sock``, the job's ``_github_home``,
``_github_workflow`` and ``_runner_file_commands`` folders and the workspace mounted at
their ``/github/...`` paths, root inside the container. The job's
folders belong to the runner's user (uid 1001 on GitHub-hosted runners), and what the
action leaves for the next steps is read back as that user, as ``actions/upload-artifact``
would. GitHub is the fake on 127.0.0.1, reached through the host network.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container.images import EngineError, action_image
from tests.testing.actions_log import read_log
from tests.testing.github_fake import FakeGitHub, parse_output_file
from tests.testing.github_runner import (
    FIXTURES,
    PR_NUMBER,
    TOKEN,
    Job,
    JobPaths,
    Launcher,
    Result,
    Workflow,
    artifact_zip,
    job_env,
    pr_event,
    prepare_file_commands,
    publish_baseline,
    run_pr,
    run_push,
)

pytestmark = pytest.mark.container


@pytest.fixture(scope="session")
def image() -> str:
    if os.geteuid() != 0:  # loud: it chowns folders to the runner's uid and reads as that uid
        pytest.fail("the container tier runs as root, as CI does (sudo ./dev test)", pytrace=False)
    try:
        return action_image()
    except EngineError as exc:  # loud: this tier never skips
        pytest.fail(f"the container tier needs Docker: {exc}", pytrace=False)


RUNNER_UID = 1001  # the runner's user on GitHub-hosted runners
DOCKER_SOCKET = "/var/run/docker.sock"  # the runner mounts it into every container action
JOB_TIMEOUT_S = 300


def as_runner(*command: str) -> subprocess.CompletedProcess[bytes]:
    """A command run as the runner's user, as the steps after the action are."""
    return subprocess.run(
        list(command),
        user=RUNNER_UID,
        group=RUNNER_UID,
        extra_groups=[],
        capture_output=True,
        timeout=30,
        check=False,
    )


def read_as_runner(path: Path) -> bytes:
    done = as_runner("cat", str(path))
    assert done.returncode == 0, f"uid {RUNNER_UID} cannot read {path}: {done.stderr!r}"
    return done.stdout


def give_to_runner(*paths: Path) -> None:
    for top in paths:
        for path in [top, *top.rglob("*")]:
            os.chown(path, RUNNER_UID, RUNNER_UID)


# The runner's other file commands, as it names them in the mounted folder.
MORE_FILE_COMMANDS = {
    "GITHUB_ENV": "set_env_0b1f",
    "GITHUB_PATH": "add_path_0b1f",
    "GITHUB_STATE": "save_state_0b1f",
}


def container_launcher(image: str, *, all_file_commands: bool = False) -> Launcher:
    def launch(job: Job, workspace: Path, temp: Path) -> Result:
        home, workflow, commands = (
            temp / "_github_home",
            temp / "_github_workflow",
            temp / "_runner_file_commands",
        )
        home.mkdir(parents=True)
        workflow.mkdir()
        (workflow / "event.json").write_text(json.dumps(job.event), encoding="utf-8")
        prepare_file_commands(commands)
        more = MORE_FILE_COMMANDS if all_file_commands else {}
        for name in more.values():
            (commands / name).touch()
        give_to_runner(workspace, temp)
        paths = JobPaths(
            workspace="/github/workspace",
            event="/github/workflow/event.json",
            file_commands="/github/file_commands",
            home="/github/home",
            temp=str(temp),  # the runner passes its host path; nothing is mounted there
        )
        env = job_env(job, paths)
        env.update({key: f"{paths.file_commands}/{name}" for key, name in more.items()})
        name = f"seedgate-test-{uuid.uuid4().hex[:12]}"
        args = ["docker", "run", "--name", name, "--label", "seedgate-test",
                "--workdir", "/github/workspace", "--rm", "--network", "host"]  # fmt: skip
        for key in env:
            args += ["-e", key]
        args += [
            "-v", f"{DOCKER_SOCKET}:{DOCKER_SOCKET}",
            "-v", f"{home}:/github/home",
            "-v", f"{workflow}:/github/workflow",
            "-v", f"{commands}:/github/file_commands",
            "-v", f"{workspace}:/github/workspace",
            image,
        ]  # fmt: skip
        client_env = {k: v for k, v in os.environ.items() if k == "PATH" or k.startswith("DOCKER_")}
        try:
            done = subprocess.run(
                args,
                env={**client_env, **env},
                capture_output=True,
                text=True,
                timeout=JOB_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
            raise
        return Result(
            returncode=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
            outputs=parse_output_file(read_as_runner(commands / "set_output").decode()),
            summary=read_as_runner(commands / "step_summary").decode(),
            workspace=workspace,
        )

    return launch


@pytest.fixture
def runner_root() -> Iterator[Path]:
    """Job folders that uid 1001 can reach (pytest's own tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="seedgate-runner-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root)


@pytest.fixture
def workflow(image: str, runner_root: Path) -> Iterator[Workflow]:
    with FakeGitHub() as fake:
        flow = Workflow(fake, runner_root, container_launcher(image))
        yield flow
        flow.check_no_leaks()
    assert fake.errors == [], fake.errors


@pytest.fixture
def attacked_workflow(image: str, runner_root: Path) -> Iterator[Workflow]:
    """As ``workflow``, with every file command the runner gives a step."""
    with FakeGitHub() as fake:
        flow = Workflow(fake, runner_root, container_launcher(image, all_file_commands=True))
        yield flow
        flow.check_no_leaks()
    assert fake.errors == [], fake.errors


def assert_left_for_the_runner(path: Path) -> bytes:
    """What the next step sees: a file it can read, written by root, mode 0644."""
    done = as_runner("stat", "-c", "%a %u", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split() == ["644", "0"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    return read_as_runner(path)


def test_push_baseline_then_pull_request_comment(workflow: Workflow) -> None:
    push = run_push(workflow)

    assert push.returncode == 0, push.stdout + push.stderr
    assert push.outputs["verdict"] == "baseline"
    assert push.outputs["baseline-path"] == ".seedgate/baseline.json"
    baseline = assert_left_for_the_runner(push.workspace / ".seedgate/baseline.json")
    assert json.loads(baseline)["schema"].startswith("seedgate.runset/")
    assert len(json.loads(baseline)["runs"]) == 5
    for output in ("report-path", "results-path"):
        assert_left_for_the_runner(push.workspace / push.outputs[output])
    # actions/upload-artifact, as uid 1001, uploads what it read; the pull request finds it
    publish_baseline(workflow.fake, artifact_zip("baseline.json", baseline))

    pr = run_pr(workflow, level=0.85)  # a clear regression

    assert pr.returncode == 1, pr.stdout + pr.stderr
    assert pr.outputs["verdict"] == "regression"
    comments = workflow.fake.comments(PR_NUMBER)
    assert len(comments) == 1
    assert "<!-- seedgate:comment-id=default -->" in comments[0].body
    assert pr.outputs["comment-url"].endswith(f"#issuecomment-{comments[0].id}")
    assert any(r.path.endswith("/zip") and r.status == 302 for r in workflow.fake.requests)
    candidate = assert_left_for_the_runner(pr.workspace / ".seedgate/candidate.json")
    assert len(json.loads(candidate)["runs"]) >= 3
    results = json.loads(assert_left_for_the_runner(pr.workspace / pr.outputs["results-path"]))
    assert results["verdict"] == "regression"
    assert "regression" in pr.summary.lower()


def test_a_shard_runset_is_left_for_the_upload_step(workflow: Workflow) -> None:
    result = run_pr(workflow, inputs={"mode": "run", "shard": "1/2", "runs": "4"})

    assert result.returncode == 0, result.stdout + result.stderr
    shard = assert_left_for_the_runner(result.workspace / result.outputs["runset-path"])
    assert sorted(run["seed"] for run in json.loads(shard)["runs"]) == [0, 2]


def test_failed_runs_exit_3_and_keep_a_readable_partial_runset(workflow: Workflow) -> None:
    result = run_push(workflow, extra={"crash-seeds.txt": b"1,2,3"})

    assert result.returncode == 3, result.stdout + result.stderr
    partial = assert_left_for_the_runner(result.workspace / ".seedgate/partial-runs.json")
    statuses = sorted(run["status"] for run in json.loads(partial)["runs"])
    assert statuses.count("ok") == 2


ATTACK = Path(__file__).resolve().parents[1] / "fixtures" / "attack_gate.py"


@pytest.mark.parametrize("step", ["install", "command"])
def test_a_hostile_command_cannot_reach_the_gates_token_outputs_or_log(
    attacked_workflow: Workflow, step: str
) -> None:
    """Docker's default capabilities, no ``--init``: the entrypoint is pid 1, the gate."""
    attack = "python attack_gate.py /github/workspace/attack.json /github/file_commands"
    result = run_push(
        attacked_workflow,
        inputs={step: attack},
        extra={"attack_gate.py": ATTACK.read_bytes()},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(read_as_runner(result.workspace / "attack.json"))
    assert seen["ancestors"][-1] == 1  # the walk reached the gate, and the runs' shell
    assert 1 not in seen["environ_read"]  # /proc/1/environ holds the token: closed
    assert seen["token_seen"] == []  # nor in the shell's ($PPID) environment
    assert 1 not in seen["fd_written"]  # /proc/1/fd/1, the gate's own log: closed
    # the run's own output shows inside its stop-commands fence; no forged command is read
    assert not [c for c in read_log(result.stdout).commands if "FORGED" in c]
    assert "FORGED" not in result.stderr
    assert len(seen["appended"]) >= 5  # it found the mounted files and wrote them ...
    assert result.outputs["verdict"] == "baseline"  # ... and none of it stayed
    assert "LD_PRELOAD" not in result.outputs
    assert "LD_PRELOAD" not in result.summary
    commands = result.workspace.parent / f"temp-{attacked_workflow.runs}" / "_runner_file_commands"
    for name in MORE_FILE_COMMANDS.values():
        assert read_as_runner(commands / name) == b""
    # the Docker API would show the container's environment: the socket is out of reach
    assert seen["docker"].startswith("refused: [Errno 13]"), seen["docker"][:300]
    assert TOKEN not in seen["docker"]
    # setsid env -i: its own session, no environment, still killed before the outputs
    escapee = read_as_runner(result.workspace / "attack.json.escapee").decode()
    time.sleep(1.0)  # it appended every 0.2 s while it lived
    assert escapee.strip().isdigit()  # it ran ...
    assert not an_escapee_lives()  # ... and is gone
    assert parse_output_file(read_as_runner(commands / "set_output").decode()) == result.outputs
    for name in MORE_FILE_COMMANDS.values():
        assert read_as_runner(commands / name) == b""


def an_escapee_lives() -> bool:
    """Whether any process on this machine still runs a container's escapee (its pid was
    the container's own: look for its command line instead)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes()
        except OSError:
            continue
        if b"report-path=/etc/passwd" in command and b"/github/file_commands/" in command:
            return True
    return False


PROBE_PACKAGE = {
    "probe/pyproject.toml": b"""[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "seedgate-probe"
version = "1.0"
""",
    "probe/seedgate_probe.py": b"ACCURACY = 0.5\n",
    "whoami.py": b"""import json, os, sys
import seedgate_probe
with open(f"whoami-{os.environ['SEEDGATE_SEED']}.json", "w") as handle:
    json.dump({"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
               "prefix": sys.prefix}, handle)
print(json.dumps({"accuracy": seedgate_probe.ACCURACY + int(os.environ["SEEDGATE_SEED"]) / 100}))
""",
}


def test_install_and_the_runs_are_the_runners_user_with_pip_and_no_socket(
    workflow: Workflow,
) -> None:
    install = "pip install --no-index --no-build-isolation --no-deps ./probe"
    result = run_push(
        workflow,
        inputs={"install": install, "command": "python whoami.py", "baseline-runs": "3"},
        extra=PROBE_PACKAGE,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "start as the workspace's owner (uid 1001" in result.stdout
    for seed in range(3):
        written = result.workspace / f"whoami-{seed}.json"
        assert written.stat().st_uid == RUNNER_UID  # the runner's user owns what runs wrote
        who = json.loads(read_as_runner(written))
        assert (who["uid"], who["gid"], who["groups"]) == (RUNNER_UID, RUNNER_UID, [])
        assert who["prefix"].startswith("/tmp/seedgate-venv-")  # pip installed it there


def test_a_configuration_error_exits_2_with_an_annotation(workflow: Workflow) -> None:
    result = run_push(workflow, inputs={"config": "missing.toml"})

    assert result.returncode == 2, result.stdout + result.stderr
    assert any("missing.toml" in line for line in result.annotations("error"))


def test_a_missing_working_directory_exits_2_not_1(workflow: Workflow) -> None:
    result = run_pr(workflow, inputs={"working-directory": "no/such/folder"})

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.annotations("error")


KERAS_CONFIG = b"""
command = "python /app/examples/mnist/train.py --data-seed {data_seed} --init-seed {init_seed}"
timeout = 300

[metric.accuracy]
goal = "maximize"
min_effect = 0.015
primary = true
"""


def pinned_tensorflow() -> str:
    root = Path(__file__).resolve().parents[2]
    for line in (root / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("tensorflow-cpu=="):
            return line.split("==", 1)[1]
    pytest.fail("constraints.txt pins no tensorflow-cpu")


@pytest.mark.slow
def test_the_bundled_keras_example_trains_inside_the_image(workflow: Workflow) -> None:
    result = run_push(
        workflow,
        inputs={"config": "keras.toml", "install": "", "baseline-runs": "3", "jobs": "2"},
        extra={"keras.toml": KERAS_CONFIG},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    baseline = json.loads(assert_left_for_the_runner(result.workspace / ".seedgate/baseline.json"))
    runs = baseline["runs"]
    assert [run["status"] for run in runs] == ["ok"] * 3
    assert all(0.5 < run["metrics"]["accuracy"] < 0.95 for run in runs)  # it learned
    assert len({run["metrics"]["accuracy"] for run in runs}) > 1  # seeds differ
    assert baseline["environment"]["tensorflow"] == f"tensorflow-cpu {pinned_tensorflow()}"
    assert baseline["environment"]["image"] == "seedgate-action (built from the Dockerfile)"


def git(cwd: Path, *args: str) -> str:
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def history(source: Path) -> str:
    """The default branch's base commit (the experiment at 0.9), then the pull request's
    (lowered to 0.5); the base commit's SHA."""
    source.mkdir()
    for name in ("gate_experiment.py", "gate_install.py", "seedgate.toml"):
        shutil.copy(FIXTURES / name, source / name)
    git(source, "init", "-q", "-b", "main")
    (source / "level.txt").write_text("0.9", encoding="utf-8")
    git(source, "add", ".")
    git(source, "commit", "-q", "-m", "base")
    base = git(source, "rev-parse", "HEAD")
    (source / "level.txt").write_text("0.5", encoding="utf-8")
    git(source, "commit", "-q", "-am", "pull request: a lower learning rate")
    return base


def test_build_makes_the_baseline_from_the_base_commit_in_the_container(
    image: str, runner_root: Path
) -> None:
    source = runner_root / "source"
    base_sha = history(source)
    launch = container_launcher(image)

    def checked_out(job: Job, workspace: Path, temp: Path) -> Result:
        git(workspace, "init", "-q")  # actions/checkout: the pull request's commit
        git(workspace, "fetch", "-q", str(source), "main")
        git(workspace, "reset", "-q", "--hard", "FETCH_HEAD")
        return launch(job, workspace, temp)

    event = pr_event()
    event["pull_request"]["base"]["sha"] = base_sha
    with FakeGitHub() as fake:
        flow = Workflow(fake, runner_root, checked_out)
        result = flow.run(
            "pull_request",
            event,
            ref=f"refs/pull/{PR_NUMBER}/merge",
            sha="9" * 40,
            level=0.5,
            inputs={"missing-baseline": "build", "comment": "always"},
        )
        flow.check_no_leaks()
    assert fake.errors == [], fake.errors

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.outputs["verdict"] == "regression"
    built = json.loads(assert_left_for_the_runner(result.workspace / BUILT))
    assert built["commit"] == base_sha
    assert len(built["runs"]) == 5
    (comment,) = fake.comments(PR_NUMBER)
    assert f"built in this job from the base commit {base_sha[:12]}" in comment.body
    worktree = result.workspace / ".seedgate" / "base-worktree"
    assert (worktree / "level.txt").read_text(encoding="utf-8") == "0.9"
    assert (result.workspace / "level.txt").read_text(encoding="utf-8") == "0.5"
    token = TOKEN.encode()
    for path in result.workspace.rglob("*"):  # .git, the worktree, every run's files
        if path.is_file() and not path.is_symlink():
            assert token not in path.read_bytes(), path


BUILT = ".seedgate/built-baseline.json"
