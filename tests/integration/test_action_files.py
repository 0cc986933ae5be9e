"""action.yml, the Dockerfile and the workflows, checked by the tools GitHub users rely on.

check-jsonschema (SchemaStore's schemas, vendored), actionlint (run in a throw-away git
repository, with the examples also pointed at ``./`` so their inputs and outputs are
checked against our action.yml) and hadolint all run offline.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from seedgate.action.settings import INPUT_NAMES, OUTPUT_NAMES
from tests.testing.workflow_tools import ROOT, actionlint_repo, load, load_text, run, tool

ACTION = ROOT / "action.yml"
DOCKERFILE = ROOT / "Dockerfile"
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PUBLISHED = "seedgate/seedgate-action@v1"


def actionlint_with_the_action(
    repo: Path, workflows: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """actionlint over ``workflows`` in a git repository holding action.yml and the Dockerfile."""
    files = {"action.yml": ACTION, "Dockerfile": DOCKERFILE}
    return actionlint_repo(repo, files, workflows)


def test_the_workflow_files_exist() -> None:
    assert [p.name for p in EXAMPLES] == [
        "seedgate-fork-comment.yml",
        "seedgate-fork-pr.yml",
        "seedgate-history.yml",
        "seedgate-host.yml",
        "seedgate-matrix.yml",
        "seedgate.yml",
    ]
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "pypi.yml", "release.yml"]


def test_action_yml_matches_the_schema() -> None:
    done = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_match_the_schema() -> None:
    files = [str(p) for p in [*EXAMPLES, *WORKFLOWS]]
    done = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files])
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_accepts_the_workflows_and_their_use_of_our_inputs(tmp_path: Path) -> None:
    workflows = {path.name: path.read_text(encoding="utf-8") for path in WORKFLOWS}
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        # the host example is checked by test_host_action_files.py; the fork-comment
        # workflow only posts a report another run made, so it uses no seedgate action
        uses_action = PUBLISHED in text or "seedgate-action/host@v1" in text
        assert uses_action or path.name == "seedgate-fork-comment.yml", path.name
        workflows[path.name] = text
        # The same workflow against this checkout's action.yml: actionlint then checks
        # every `with:` input and every `steps.*.outputs.*` against what we declare.
        workflows[f"local-{path.name}"] = text.replace(PUBLISHED, "./")
    done = actionlint_with_the_action(tmp_path, workflows)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_would_catch_an_undeclared_input(tmp_path: Path) -> None:
    text = (ROOT / "examples/workflows/seedgate.yml").read_text(encoding="utf-8")
    text = text.replace(PUBLISHED, "./")
    text = text.replace("max-runs:", "maximum-runs:")
    done = actionlint_with_the_action(tmp_path, {"bad.yml": text})
    assert done.returncode != 0
    assert "maximum-runs" in done.stdout


def test_hadolint_accepts_the_dockerfile() -> None:
    done = run([tool("hadolint"), str(DOCKERFILE)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_inputs_and_outputs_are_the_ones_the_code_reads() -> None:
    action = load(ACTION)
    assert tuple(action["inputs"]) == INPUT_NAMES
    assert tuple(action["outputs"]) == OUTPUT_NAMES
    for name, spec in {**action["inputs"], **action["outputs"]}.items():
        assert str(spec.get("description", "")).strip(), f"{name} has no description"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["mode"]["default"] == "auto"
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert version is not None
    image = f"docker://ghcr.io/seedgate/seedgate-action:{version[1]}"
    assert action["runs"] == {"using": "docker", "image": image}  # release.yml checks the same
    assert set(action["branding"]) == {"icon", "color"}


def test_dockerfile_shape() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    base = next(line for line in text.splitlines() if line.startswith("ARG BASE_IMAGE="))
    assert re.fullmatch(r"ARG BASE_IMAGE=python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base)
    assert "\nFROM ${BASE_IMAGE}\n" in text
    assert "dataset-fashion-mnist" in text
    assert "pip install --no-cache-dir -r /tmp/image-packages.txt" in text
    assert "tensorflow-cpu==" in (ROOT / "constraints.txt").read_text(encoding="utf-8")
    assert "PYTHONUNBUFFERED=1" in text
    assert 'ENTRYPOINT ["python", "/app/entrypoint.py"]' in text
    assert "\nUSER " not in text  # the runner's file-command files need root


def test_the_image_installs_the_pins_above_the_marker_and_not_ray() -> None:
    """The Dockerfile's own sed line, run on constraints.txt: TensorFlow in, Ray out."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    script = re.search(r"sed -n '([^']+)' /app/constraints.txt", text)
    assert script is not None
    done = subprocess.run(
        ["sed", "-n", script[1], str(ROOT / "constraints.txt")],
        capture_output=True,
        text=True,
        check=True,
    )
    image = done.stdout.splitlines()
    assert any(line.startswith("tensorflow-cpu==") for line in image)
    assert not any(line.startswith("ray==") for line in image)
    assert "ray==" in (ROOT / "constraints.txt").read_text(encoding="utf-8")


def test_example_workflows_grant_what_the_action_needs() -> None:
    base = {"contents": "read", "pull-requests": "write", "actions": "read"}
    for name in ("seedgate.yml", "seedgate-matrix.yml"):
        permissions = load(ROOT / "examples" / "workflows" / name)["permissions"]
        assert permissions == {**base, "checks": "write"}  # the check run with the verdict
    fork_comment = load(ROOT / "examples" / "workflows" / "seedgate-fork-comment.yml")
    assert fork_comment["permissions"] == base
    fork_pr = load(ROOT / "examples" / "workflows" / "seedgate-fork-pr.yml")
    assert fork_pr["permissions"] == {"contents": "read", "actions": "read"}


def test_only_the_baseline_job_may_write_the_history_branch() -> None:
    history = load(ROOT / "examples" / "workflows" / "seedgate-history.yml")
    assert history["permissions"] == {}
    jobs = history["jobs"]
    assert jobs["baseline"]["if"] == "github.event_name != 'pull_request'"
    assert jobs["baseline"]["permissions"] == {"contents": "write", "actions": "read"}
    assert jobs["gate"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["gate"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "actions": "read",
    }


def test_concurrency_never_cancels_a_run_on_main() -> None:
    for path in [*EXAMPLES, *WORKFLOWS]:
        workflow = load(path)
        cancel = workflow.get("concurrency", {}).get("cancel-in-progress", False)
        triggers = set(workflow[True] if True in workflow else workflow["on"])  # YAML 1.1 "on"
        if triggers <= {"pull_request"} or path.name == "ci.yml":
            continue  # pull requests only (CI is not a baseline)
        assert cancel in (False, "${{ github.event_name == 'pull_request' }}"), path.name


def test_the_fork_comment_workflow_never_runs_pull_request_code() -> None:
    workflow = load(ROOT / "examples" / "workflows" / "seedgate-fork-comment.yml")
    assert set(workflow[True] if True in workflow else workflow["on"]) == {"workflow_run"}
    steps = workflow["jobs"]["comment"]["steps"]
    assert not any(str(s.get("uses", "")).startswith("actions/checkout") for s in steps)
    script = next(s for s in steps if "github-script" in str(s.get("uses")))["with"]["script"]
    assert "MAX_BYTES" in script
    assert "p.head.sha === HEAD_SHA" in script  # the number comes from the API
    assert 'replace(/<!--[\\s\\S]*?-->/g, "")' in script  # no forged marker


def test_the_one_step_workflow_accepts_without_running_pull_request_code() -> None:
    workflow = load(ROOT / "examples" / "workflows" / "seedgate.yml")
    triggers = workflow[True] if True in workflow else workflow["on"]
    assert triggers["pull_request_target"] == {"types": ["labeled"]}
    assert triggers["issue_comment"] == {"types": ["created"]}
    gate, accept = workflow["jobs"]["seedgate"], workflow["jobs"]["accept"]
    checkout = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"  # v5.0.0
    assert [s.get("uses") for s in gate["steps"]] == [checkout, PUBLISHED]
    assert "pull_request_target" not in gate["if"]
    assert "issue_comment" not in gate["if"]
    assert [s.get("uses") for s in accept["steps"]] == [PUBLISHED]  # no checkout, no runs
    assert "with" not in accept["steps"][0]  # mode auto accepts on these events


def test_matrix_example_shards_then_compares_with_checkout_and_seedgate_only() -> None:
    jobs = load(ROOT / "examples" / "workflows" / "seedgate-matrix.yml")["jobs"]
    checkout = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"  # v5.0.0
    for job in jobs.values():  # the action uploads and downloads the shards itself
        assert [s.get("uses") for s in job["steps"]] == [checkout, PUBLISHED]
    shard_step = jobs["runs"]["steps"][1]
    assert shard_step["with"]["mode"] == "run"
    assert shard_step["with"]["shard"] == "${{ matrix.shard }}/4"
    assert jobs["gate"]["needs"] == "runs"  # the shards exist before compare lists them
    assert jobs["gate"]["steps"][1]["with"]["mode"] == "compare"
    assert "runs-path" not in jobs["gate"]["steps"][1]["with"]  # empty: fetched there


def _steps(path: Path) -> list[dict[str, object]]:
    workflow = load(path)
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_every_checkout_keeps_the_token_out_of_the_workspace() -> None:
    for path in [*EXAMPLES, *WORKFLOWS]:
        for step in _steps(path):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                settings = step.get("with") or {}
                assert isinstance(settings, dict)
                assert settings.get("persist-credentials") is False, (path.name, step)


PINNED = re.compile(r"^\s*- uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$")


def test_every_third_party_action_is_pinned_by_commit_with_its_version() -> None:
    for path in [*EXAMPLES, *WORKFLOWS]:
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            match = re.match(r"^\s*(- )?uses: (\S+)", line)
            if match is None or match.group(2).startswith(("./", "seedgate/seedgate-action")):
                continue
            assert PINNED.match(line.replace("  uses:", "- uses:", 1)), (path.name, line)


def quick_start_workflow() -> str:
    """The workflow in the README's quick start (its first YAML block)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the quick start shows no workflow"
    return match.group(1)


def test_the_quick_start_shows_the_whole_one_step_workflow(tmp_path: Path) -> None:
    text = quick_start_workflow()
    done = actionlint_with_the_action(tmp_path, {"quick-start.yml": text.replace(PUBLISHED, "./")})
    assert done.returncode == 0, done.stdout + done.stderr
    shown = load_text(text)
    example = load(ROOT / "examples" / "workflows" / "seedgate.yml")
    triggers = shown[True] if True in shown else shown["on"]
    for event in ("push", "pull_request", "pull_request_target", "issue_comment"):
        assert event in triggers  # a baseline, a gate, and both ways to accept
    assert triggers["pull_request_target"] == {"types": ["labeled"]}
    jobs = shown["jobs"]
    checkout = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"  # v5.0.0
    assert [s.get("uses") for s in jobs["seedgate"]["steps"]] == [checkout, PUBLISHED]
    assert [s.get("uses") for s in jobs["accept"]["steps"]] == [PUBLISHED]
    assert jobs["accept"]["if"] == example["jobs"]["accept"]["if"]
    assert shown["permissions"] == example["permissions"]
