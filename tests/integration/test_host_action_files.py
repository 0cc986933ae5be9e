"""host/action.yml, its example workflow and pypi.yml, checked by the tools users rely on.

The composite action must be the container action's twin (same inputs with the same
defaults, same outputs) and hand every input to ``seedgate github`` exactly as the runner
hands a Docker action its inputs, so one settings parser serves both. check-jsonschema
(SchemaStore's schemas, vendored) and actionlint (in a throw-away git repository) run
offline.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.testing.workflow_tools import ROOT, actionlint_repo, load, run, tool

HOST = ROOT / "host" / "action.yml"
CONTAINER = ROOT / "action.yml"
HOST_EXAMPLE = ROOT / "examples" / "workflows" / "seedgate-host.yml"
PYPI = ROOT / ".github" / "workflows" / "pypi.yml"
PUBLISHED = "seedgate/seedgate-action/host@v1"
# What only the composite has: the interpreter to install seedgate into and run it with.
HOST_ONLY_INPUTS = ("python",)


def actionlint_with_the_host_action(
    repo: Path, workflows: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """actionlint over ``workflows`` in a git repository that holds host/action.yml."""
    return actionlint_repo(repo, {"host/action.yml": HOST}, workflows)


def gate_step() -> dict[str, Any]:
    steps: list[dict[str, Any]] = load(HOST)["runs"]["steps"]
    return next(step for step in steps if step.get("id") == "seedgate")


def test_host_action_matches_the_schema() -> None:
    done = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(HOST)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflows_match_the_schema() -> None:
    files = [str(HOST_EXAMPLE), str(PYPI)]
    done = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files])
    assert done.returncode == 0, done.stdout + done.stderr


# A run step gets no ACTIONS_RUNTIME_TOKEN from the runner: the host action leaves
# uploads to an upload-artifact step unless told otherwise.
HOST_DEFAULTS = {"upload-artifacts": "false"}


def test_inputs_and_outputs_are_the_container_actions() -> None:
    host, container = load(HOST), load(CONTAINER)
    assert tuple(host["inputs"]) == (*container["inputs"], *HOST_ONLY_INPUTS)
    for name, spec in container["inputs"].items():
        if name in HOST_DEFAULTS:
            assert host["inputs"][name].get("default") == HOST_DEFAULTS[name], name
            continue
        assert host["inputs"][name].get("default") == spec.get("default"), name
        assert host["inputs"][name].get("required") == spec.get("required"), name
    assert tuple(host["outputs"]) == tuple(container["outputs"])
    for name, spec in host["outputs"].items():
        assert str(spec.get("description", "")).strip(), f"{name} has no description"
        assert spec["value"] == f"${{{{ steps.seedgate.outputs.{name} }}}}", name
    for name, spec in host["inputs"].items():
        assert str(spec.get("description", "")).strip(), f"{name} has no description"
    assert host["runs"]["using"] == "composite"


def test_every_input_reaches_seedgate_as_a_docker_actions_does() -> None:
    step = gate_step()
    expected = {
        f"INPUT_{name.upper()}": f"${{{{ inputs.{name} }}}}" for name in load(HOST)["inputs"]
    }
    assert step["env"] == expected  # INPUT_GITHUB-TOKEN: hyphens kept, as the runner does
    assert step["shell"] == "bash"  # bash passes hyphenated names on; dash drops them
    assert step["run"].strip() == 'exec "$INPUT_PYTHON" -m seedgate github'
    assert step["working-directory"] == "${{ github.workspace }}"


def test_the_install_step_installs_the_actions_own_checkout_without_the_token() -> None:
    install = load(HOST)["runs"]["steps"][0]
    assert install["shell"] == "bash"
    assert install["env"] == {"INPUT_PYTHON": "${{ inputs.python }}"}  # no token here
    assert '"$INPUT_PYTHON" -m pip install' in install["run"]
    assert '"$GITHUB_ACTION_PATH/.."' in install["run"]  # the action ref's own version


def test_bash_hands_hyphenated_names_to_the_program_it_execs() -> None:
    env = {"PATH": "/usr/bin:/bin", "INPUT_GITHUB-TOKEN": "secret", "INPUT_PYTHON": sys.executable}
    script = 'exec "$INPUT_PYTHON" -c "import os; print(os.environ[\'INPUT_GITHUB-TOKEN\'])"'
    bash = [tool("bash"), "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    done = run(bash, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "secret"


def test_actionlint_accepts_the_composite_steps_as_a_job(tmp_path: Path) -> None:
    # actionlint reads workflows, not action metadata: the composite's steps go into a
    # job whose workflow_call inputs stand for the action's inputs (workflow_dispatch takes
    # at most 25, fewer than the action has).
    action = load(HOST)
    workflow = {
        "on": {"workflow_call": {"inputs": {n: {"type": "string"} for n in action["inputs"]}}},
        "jobs": {"host": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    yaml, out = YAML(), tmp_path / "steps.yml"
    with out.open("w", encoding="utf-8") as stream:
        yaml.dump(workflow, stream)
    repo = tmp_path / "repo"
    repo.mkdir()
    done = actionlint_with_the_host_action(repo, {"steps.yml": out.read_text(encoding="utf-8")})
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_checks_the_example_against_the_host_action(tmp_path: Path) -> None:
    text = HOST_EXAMPLE.read_text(encoding="utf-8")
    assert PUBLISHED in text
    local = text.replace(PUBLISHED, "./host")
    done = actionlint_with_the_host_action(tmp_path, {"published.yml": text, "local.yml": local})
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_would_catch_an_undeclared_input_or_output(tmp_path: Path) -> None:
    local = HOST_EXAMPLE.read_text(encoding="utf-8").replace(PUBLISHED, "./host")
    local = local.replace("jobs: auto", "jobs: auto\n          minimum-effect: 1%")
    local = local.replace("outputs.report-path", "outputs.report")
    done = actionlint_with_the_host_action(tmp_path, {"bad.yml": local})
    assert done.returncode != 0
    assert 'input "minimum-effect" is not defined' in done.stdout
    assert 'property "report" is not defined' in done.stdout


def test_the_host_example_sets_up_python_with_pip_caching_before_the_gate() -> None:
    workflow = load(HOST_EXAMPLE)
    assert workflow["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "actions": "read",
    }
    steps = workflow["jobs"]["seedgate"]["steps"]
    uses = [str(step.get("uses", "")) for step in steps]
    setup = next(i for i, u in enumerate(uses) if u.startswith("actions/setup-python@"))
    assert steps[setup]["with"]["cache"] == "pip"
    assert uses.index(PUBLISHED) > setup
    cancel = workflow["concurrency"]["cancel-in-progress"]
    assert cancel == "${{ github.event_name == 'pull_request' }}"  # never cancel a baseline


def test_pypi_workflow_publishes_by_trusted_publishing_from_tags() -> None:
    workflow = load(PYPI)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 "on"
    assert triggers == {"push": {"tags": ["v*.*.*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    assert "id-token" not in build.get("permissions", {})  # only the upload job gets it
    assert any("python -m build" in str(step.get("run", "")) for step in build["steps"])
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    uses = [str(step.get("uses", "")) for step in publish["steps"]]
    assert "pypa/gh-action-pypi-publish@ed0c53931b1dc9bd32cbe73a98c7f6766f8a527e" in uses  # v1.13.0
    assert not any("password" in step.get("with", {}) for step in publish["steps"])


def test_actionlint_accepts_the_pypi_workflow(tmp_path: Path) -> None:
    done = actionlint_with_the_host_action(tmp_path, {"pypi.yml": PYPI.read_text(encoding="utf-8")})
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_shows_the_host_example_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## In your own environment: the host action\n", 1)[1]
    shown = section.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    lines = HOST_EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    without_header = "".join(lines[next(i for i, s in enumerate(lines) if s.startswith("name:")) :])
    assert shown == without_header
