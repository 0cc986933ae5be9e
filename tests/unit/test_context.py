"""The run context from the runner's variables and real webhook payloads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from seedgate.errors import ConfigError
from seedgate.github.context import RunContext

EVENTS = Path(__file__).resolve().parents[1] / "data" / "github" / "events"


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


def context(tmp_path: Path, event_name: str, event: dict[str, Any], **env: str) -> RunContext:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    environ = {
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
        "GITHUB_REPOSITORY_ID": "186853002",
        "GITHUB_REF": "refs/pull/2/merge",
        "GITHUB_SHA": "c" * 40,
        "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
        "GITHUB_SERVER_URL": "https://ghe.example.com",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_RUN_ID": "42",
        **env,
    }
    return RunContext.from_environ(environ)


def test_pull_request_fields(tmp_path: Path) -> None:
    ctx = context(tmp_path, "pull_request", payload("pull_request.opened.json"))
    assert ctx.pr_number == 2
    assert ctx.base_sha == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    assert ctx.default_branch == "master"
    assert ctx.repository_id == 186853002
    assert not ctx.is_fork
    assert ctx.api_url == "https://ghe.example.com/api/v3"
    assert ctx.run_url == "https://ghe.example.com/Codertocat/Hello-World/actions/runs/42"
    assert "Codertocat/Hello-World/pull/2" not in repr(ctx)  # no payload dump in logs


def test_a_fork_is_recognised_by_the_head_repository(tmp_path: Path) -> None:
    event = copy.deepcopy(payload("pull_request.synchronize.json"))
    event["pull_request"]["head"]["repo"]["id"] = 999
    event["pull_request"]["head"]["repo"]["full_name"] = "forker/Hello-World"
    assert context(tmp_path, "pull_request", event).is_fork


def test_a_deleted_fork_counts_as_a_fork(tmp_path: Path) -> None:
    event = copy.deepcopy(payload("pull_request.opened.json"))
    event["pull_request"]["head"]["repo"] = None
    assert context(tmp_path, "pull_request", event).is_fork


def test_push_to_the_default_branch(tmp_path: Path) -> None:
    event = payload("push.json")
    ctx = context(tmp_path, "push", event, GITHUB_REF="refs/heads/master")
    assert ctx.pr_number is None
    assert ctx.base_sha is None
    assert ctx.on_branch("master")
    assert not context(tmp_path, "push", event, GITHUB_REF="refs/tags/simple-tag").on_branch(
        "master"
    )


def test_repository_id_falls_back_to_the_payload(tmp_path: Path) -> None:
    ctx = context(
        tmp_path, "workflow_dispatch", payload("workflow_dispatch.json"), GITHUB_REPOSITORY_ID=""
    )
    assert ctx.repository_id == 6811672
    assert ctx.default_branch == "main"


def test_defaults_for_github_com(tmp_path: Path) -> None:
    ctx = context(tmp_path, "push", payload("push.json"), GITHUB_API_URL="", GITHUB_SERVER_URL="")
    assert ctx.api_url == "https://api.github.com"
    assert ctx.server_url == "https://github.com"


def test_a_missing_event_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GITHUB_EVENT_PATH"):
        RunContext.from_environ(
            {"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": str(tmp_path / "none.json")}
        )


def test_a_bad_repository_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OWNER/NAME"):
        RunContext.from_environ({"GITHUB_REPOSITORY": "just-a-name"})
