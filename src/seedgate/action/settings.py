"""The action's settings: the runner's environment parsed once into one frozen value.

``INPUT_*`` variables and the config file become one :class:`~seedgate.config.Config`
(through ``load_config``, the same parse the CLI uses) plus what only the action has:
its mode and role, paths in the workspace, the comment, the token and the runner's
file-command paths. Every later step receives these typed values.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from seedgate.config.settings import Config, find_config_file, load_config
from seedgate.errors import ConfigError
from seedgate.github.artifact_service import unavailable_reason
from seedgate.github.context import BASELINE_EVENTS, RunContext
from seedgate.github.publish import GITHUB_ACTIONS_BOT, CommentMode
from seedgate.records import Executor
from seedgate.runset.shards import Shard, parse_shard

OUTPUT_DIR = ".seedgate"
DEFAULT_COMMENT_ID = "default"
DEFAULT_ARTIFACT = "seedgate-baseline"
DEFAULT_CHECK_NAME = "seedgate: verdict"  # not the job's name, which is a check of its own
DEFAULT_ACCEPT_LABEL = "seedgate: accept regression"
ACCEPT_EVENTS = ("issue_comment",)  # and a pull request's `labeled` action

# Every input declared in action.yml; the runner sets each one as INPUT_<NAME>.
INPUT_NAMES: tuple[str, ...] = (
    "command",
    "working-directory",
    "config",
    "install",
    "runs",
    "max-runs",
    "baseline-runs",
    "min-effect",
    "alpha",
    "jobs",
    "executor",
    "mode",
    "baseline-artifact",
    "baseline-path",
    "runs-path",
    "shard",
    "fail-on",
    "missing-baseline",
    "comment",
    "comment-id",
    "comment-author",
    "check-name",
    "accept-label",
    "upload-artifacts",
    "github-token",
    "history-branch",
)
OUTPUT_NAMES: tuple[str, ...] = (
    "verdict",
    "runs-used",
    "report-path",
    "results-path",
    "baseline-path",
    "runset-path",
    "comment-url",
)
TOKEN_INPUT = "github-token"  # noqa: S105 - the name of the input, not a token
# Inputs that are Config settings, passed raw to the one parse in seedgate.config.
_CONFIG_INPUTS = {
    "command": "command",
    "runs": "runs",
    "max-runs": "max_runs",
    "baseline-runs": "baseline_runs",
    "min-effect": "min_effect",
    "alpha": "alpha",
    "jobs": "jobs",
    "executor": "executor",
    "fail-on": "fail_on",
    "missing-baseline": "missing_baseline",
}

E = TypeVar("E", bound=enum.Enum)
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}")
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")


class Mode(str, enum.Enum):
    AUTO = "auto"  # baseline on pushes to the default branch, gate otherwise
    BASELINE = "baseline"
    GATE = "gate"
    COMPARE = "compare"  # merge shard RunSets from runs-path, then baseline or gate
    RUN = "run"  # one shard of runs, written to runs-path
    ACCEPT = "accept"  # a label or `/seedgate accept` comment turns a failing check green


class Role(str, enum.Enum):
    BASELINE = "baseline"
    GATE = "gate"


def input_env_name(name: str) -> str:
    return "INPUT_" + name.upper()  # hyphens are kept: INPUT_GITHUB-TOKEN


def read_inputs(environ: Mapping[str, str]) -> dict[str, str]:
    """The inputs exactly as the runner passed them, stripped ("" when unset)."""
    return {name: environ.get(input_env_name(name), "").strip() for name in INPUT_NAMES}


@dataclass(frozen=True)
class ActionSettings:
    """The validated settings of one action run. The token stays out of ``repr``."""

    mode: Mode
    role: Role
    context: RunContext
    config: Config
    working_directory: Path
    install: str | None
    baseline_artifact: str
    baseline_path: Path
    runs_path: Path
    shard: Shard | None
    comment: CommentMode
    comment_id: str
    comment_author: str  # the login whose marked comment is ours to update
    check_name: str
    accept_label: str
    config_file: Path | None  # absolute; where the check's annotations point
    upload_artifacts: bool  # the baseline and shards through the runner's artifact service
    artifact_service_missing: str | None  # why this job cannot upload (None: it can)
    output_dir: Path
    token: str = field(repr=False)
    history_branch: str | None = None  # the git data branch of main's history (None: off)
    results_url: str = field(default="", repr=False)
    runtime_token: str = field(default="", repr=False)

    def relative(self, path: Path) -> str:
        """A path as the workflow's later steps see it: relative to the workspace."""
        try:
            return str(path.relative_to(self.context.workspace.resolve()))
        except ValueError:
            return str(path)

    @property
    def shard_file(self) -> Path:
        """Where mode ``run`` writes its RunSet: one file name per shard."""
        if self.shard is None:
            return self.runs_path / "runset.json"
        return self.runs_path / f"runset-{self.shard.index}-of-{self.shard.count}.json"

    @property
    def report_title(self) -> str:
        if self.comment_id != DEFAULT_COMMENT_ID:
            return f"seedgate: {self.comment_id}"
        return "seedgate" if self.role is Role.GATE else "seedgate: baseline"


def read_settings(environ: Mapping[str, str]) -> ActionSettings:
    """Parse the runner's environment (inputs, GITHUB_*, the config file) once."""
    inputs = read_inputs(environ)
    context = RunContext.from_environ(environ)
    workspace = context.workspace.resolve()
    working_directory = _working_directory(workspace, inputs["working-directory"])
    mode = _mode(_choice("mode", inputs["mode"] or Mode.AUTO.value, Mode), context)
    config = _load_config(inputs, working_directory)
    if mode not in (Mode.COMPARE, Mode.ACCEPT):
        config.run_command()  # every mode but compare runs something: say so now
    install = inputs["install"] or None
    if config.executor is Executor.RAY and install is not None:
        # the runs happen on the cluster's nodes: the install goes there (once per node)
        config = dataclasses.replace(config, ray_install=install)
        install = None
    return ActionSettings(
        mode=mode,
        role=_role(mode, context),
        context=context,
        config=config,
        working_directory=working_directory,
        install=install,
        baseline_artifact=inputs["baseline-artifact"] or DEFAULT_ARTIFACT,
        baseline_path=_inside(
            workspace, inputs["baseline-path"] or f"{OUTPUT_DIR}/baseline.json", "baseline-path"
        ),
        runs_path=_inside(workspace, inputs["runs-path"] or f"{OUTPUT_DIR}/runs", "runs-path"),
        shard=parse_shard(inputs["shard"]) if inputs["shard"] else None,
        comment=_choice("comment", inputs["comment"] or CommentMode.ALWAYS.value, CommentMode),
        comment_id=inputs["comment-id"] or DEFAULT_COMMENT_ID,
        comment_author=_login("comment-author", inputs["comment-author"] or GITHUB_ACTIONS_BOT),
        check_name=_check_name(inputs["check-name"], inputs["comment-id"]),
        accept_label=inputs["accept-label"] or DEFAULT_ACCEPT_LABEL,
        config_file=_config_file(inputs["config"], working_directory),
        upload_artifacts=_flag("upload-artifacts", inputs["upload-artifacts"] or "true"),
        artifact_service_missing=unavailable_reason(environ),
        output_dir=workspace / OUTPUT_DIR,
        token=inputs[TOKEN_INPUT],
        history_branch=_branch("history-branch", inputs["history-branch"]),
        results_url=environ.get("ACTIONS_RESULTS_URL", ""),
        runtime_token=environ.get("ACTIONS_RUNTIME_TOKEN", ""),
    )


def _load_config(inputs: Mapping[str, str], working_directory: Path) -> Config:
    """seedgate.toml / [tool.seedgate] in the working directory, overlaid by inputs.

    Paths are kept relative to the working directory (the runs start there), so the
    config digest does not depend on where the runner mounts the workspace.
    """
    config_input = inputs["config"]
    if config_input and not (working_directory / config_input).is_file():
        raise ConfigError(f"config = {config_input!r}: no such file in {working_directory}")
    overrides = {key: inputs[name] for name, key in _CONFIG_INPUTS.items() if inputs[name]}
    return load_config(
        overrides,
        config_path=Path(config_input) if config_input else None,
        search_dir=Path(),
        root=working_directory,
    )


def _mode(mode: Mode, context: RunContext) -> Mode:
    """Auto on a comment or a label event is an acceptance, never a run: those events
    come with a write token and must not run the pull request's code."""
    if mode is not Mode.AUTO:
        return mode
    labeled = context.event.get("action") == "labeled" and context.pull_request is not None
    return Mode.ACCEPT if context.event_name in ACCEPT_EVENTS or labeled else mode


def _flag(name: str, raw: str) -> bool:
    value = raw.lower()
    if value not in ("true", "false"):
        raise ConfigError(f"{name} = {raw!r}: expected true or false")
    return value == "true"


def _check_name(raw: str, comment_id: str) -> str:
    if raw:
        return raw
    return f"{DEFAULT_CHECK_NAME} ({comment_id})" if comment_id else DEFAULT_CHECK_NAME


def _config_file(raw: str, working_directory: Path) -> Path | None:
    if raw:
        return (working_directory / raw).resolve()
    found = find_config_file(working_directory)
    return found.resolve() if found is not None else None


def _role(mode: Mode, context: RunContext) -> Role:
    if mode is Mode.BASELINE:
        return Role.BASELINE
    if mode is Mode.GATE:
        return Role.GATE
    # auto, compare and run: a push (or dispatch / schedule) on the default branch
    branch = context.default_branch
    on_default = branch is not None and context.on_branch(branch)
    return Role.BASELINE if context.event_name in BASELINE_EVENTS and on_default else Role.GATE


def _working_directory(workspace: Path, raw: str) -> Path:
    directory = _inside(workspace, raw or ".", "working-directory")
    if not directory.is_dir():
        raise ConfigError(
            f"working-directory = {raw!r}: no such directory in the workspace; "
            "did the workflow run actions/checkout first?"
        )
    return directory


def _inside(workspace: Path, raw: str, name: str) -> Path:
    path = Path(raw)
    resolved = (path if path.is_absolute() else workspace / path).resolve()
    if not resolved.is_relative_to(workspace):  # absolute or relative, symlinks followed
        raise ConfigError(
            f"{name} = {raw!r}: must stay inside the workspace ({workspace}); "
            "expected a path relative to it"
        )
    return resolved


def _branch(name: str, raw: str) -> str | None:
    """A branch name git accepts and no option or path can hide in ("" -> None)."""
    if not raw:
        return None
    parts = raw.split("/")
    if (
        not _BRANCH.fullmatch(raw)
        or ".." in raw
        or any(not p or p.startswith(".") or p.endswith(".lock") for p in parts)
        or raw.endswith(".")
    ):
        raise ConfigError(
            f"{name} = {raw!r}: expected a branch name such as seedgate-history "
            "(letters, digits, '-', '_', '.', '/'; no '..', no leading '-' or '.')"
        )
    return raw


def _login(name: str, raw: str) -> str:
    """A GitHub login: letters, digits and hyphens, ``[bot]`` at the end for an app."""
    if not _LOGIN.fullmatch(raw):
        raise ConfigError(
            f"{name} = {raw!r}: expected a GitHub login (a user's login, or "
            "<app-slug>[bot] for a GitHub App, e.g. github-actions[bot])"
        )
    return raw


def _choice(name: str, raw: str, kind: type[E]) -> E:
    try:
        return kind(raw.lower())
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise ConfigError(f"{name} = {raw!r}: expected one of {allowed}") from None
