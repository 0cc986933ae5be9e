"""The GitHub Action: environment -> settings -> pipeline -> files, comment, exit code.

``entrypoint.py`` only calls :func:`main`. Every step here is a small function taking
what the previous one produced, so the glue stays readable and testable.

Exit codes: 0 pass, 1 failing verdict (per ``fail-on``), 2 configuration or usage
error (also a GitHub call that keeps failing), 3 too many runs failed.
"""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import requests

from seedgate.config import Config, load_config
from seedgate.errors import ConfigError, GitHubError, RunnerError, SeedgateError
from seedgate.files import write_shared_text
from seedgate.github import commands
from seedgate.github.client import GitHubClient, RetryPolicy
from seedgate.github.context import BASELINE_EVENTS, RunContext
from seedgate.github.publish import (
    COMMENT_LIMIT_CHARS,
    FORK_ADVICE,
    SUMMARY_LIMIT_BYTES,
    CommentMode,
    annotate,
    fit_to_bytes,
    is_read_only_token,
    publish_comment,
)
from seedgate.records import Comparison, RunSet
from seedgate.report.filters import md_escape
from seedgate.run import child_env as childenv
from seedgate.run.interrupts import interrupt_on_sigterm

if TYPE_CHECKING:
    from seedgate.store.github_artifact import FoundBaseline

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_RUNS_FAILED = 0, 1, 2, 3
OUTPUT_DIR = ".seedgate"
DEFAULT_COMMENT_ID = "default"

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
    "mode",
    "baseline-artifact",
    "baseline-path",
    "runs-path",
    "shard",
    "fail-on",
    "comment",
    "comment-id",
    "github-token",
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
_CONFIG_INPUTS = {
    "command": "command",
    "runs": "runs",
    "max-runs": "max_runs",
    "baseline-runs": "baseline_runs",
    "min-effect": "min_effect",
    "alpha": "alpha",
    "jobs": "jobs",
    "fail-on": "fail_on",
}


class Mode(str, enum.Enum):
    AUTO = "auto"  # baseline on pushes to the default branch, gate otherwise
    BASELINE = "baseline"
    GATE = "gate"
    COMPARE = "compare"  # merge shard RunSets from runs-path, then baseline or gate
    RUN = "run"  # one shard of runs, written to runs-path


class Role(str, enum.Enum):
    BASELINE = "baseline"
    GATE = "gate"


@dataclass(frozen=True)
class ActionInputs:
    """The raw inputs, exactly as the runner passed them ("" when unset)."""

    values: Mapping[str, str]
    github_token: str = field(repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionInputs:
        values = {name: environ.get(_env_name(name), "").strip() for name in INPUT_NAMES}
        token = values.pop("github-token")
        return cls(values=values, github_token=token)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def _env_name(name: str) -> str:
    return "INPUT_" + name.upper()  # hyphens are kept: INPUT_GITHUB-TOKEN


@dataclass(frozen=True)
class ActionSettings:
    """The validated settings of one action run. The token stays out of ``repr``."""

    mode: Mode
    context: RunContext
    working_directory: Path
    config_path: Path | None
    overrides: Mapping[str, Any]
    install: str | None
    baseline_artifact: str
    baseline_path: Path
    runs_path: Path
    shard: str | None
    comment: CommentMode
    comment_id: str
    output_dir: Path
    token: str = field(repr=False)

    @classmethod
    def build(cls, inputs: ActionInputs, context: RunContext) -> ActionSettings:
        workspace = context.workspace.resolve()
        working_directory = _inside(
            workspace, inputs.get("working-directory") or ".", "working-directory"
        )
        if not working_directory.is_dir():
            raise ConfigError(
                f"working-directory = {inputs.get('working-directory')!r}: no such directory "
                f"in the workspace; did the workflow run actions/checkout first?"
            )
        config_input = inputs.get("config")
        config_path = working_directory / config_input if config_input else None
        if config_path is not None and not config_path.is_file():
            raise ConfigError(f"config = {config_input!r}: no such file in {working_directory}")
        baseline_path = _inside(
            workspace, inputs.get("baseline-path") or f"{OUTPUT_DIR}/baseline.json", "baseline-path"
        )
        artifact = inputs.get("baseline-artifact") or "seedgate-baseline"
        return cls(
            mode=_choice("mode", inputs.get("mode") or "auto", Mode),
            context=context,
            working_directory=working_directory,
            config_path=config_path,
            overrides=_config_overrides(inputs),
            install=inputs.get("install") or None,
            baseline_artifact=artifact,
            baseline_path=baseline_path,
            runs_path=_inside(
                workspace, inputs.get("runs-path") or f"{OUTPUT_DIR}/runs", "runs-path"
            ),
            shard=inputs.get("shard") or None,
            comment=_choice("comment", inputs.get("comment") or "always", CommentMode),
            comment_id=inputs.get("comment-id") or DEFAULT_COMMENT_ID,
            output_dir=workspace / OUTPUT_DIR,
            token=inputs.github_token,
        )

    def load_config(self) -> Config:
        """seedgate.toml / [tool.seedgate] in the working directory, overlaid by inputs.

        Relative to the working directory (the process runs there), so the config
        digest does not depend on where the runner mounts the workspace.
        """
        config_path = (
            self.config_path.relative_to(self.working_directory) if self.config_path else None
        )
        config = load_config(self.overrides, config_path=config_path, search_dir=Path())
        if not config.command and self.mode is not Mode.COMPARE:
            raise ConfigError(
                "command: no command given; set the `command` input (e.g. "
                "`python train.py`) or `command` in seedgate.toml"
            )
        return config

    def role(self) -> Role:
        if self.mode is Mode.BASELINE:
            return Role.BASELINE
        if self.mode is Mode.GATE:
            return Role.GATE
        return Role.BASELINE if self.is_baseline_event() else Role.GATE

    def is_baseline_event(self) -> bool:
        """A push (or dispatch / schedule) on the default branch makes the baseline."""
        branch = self.context.default_branch
        return (
            self.context.event_name in BASELINE_EVENTS
            and branch is not None
            and self.context.on_branch(branch)
        )

    def relative(self, path: Path) -> str:
        """A path as the workflow's later steps see it: relative to the workspace."""
        try:
            return str(path.relative_to(self.context.workspace.resolve()))
        except ValueError:
            return str(path)


def _inside(workspace: Path, raw: str, name: str) -> Path:
    path = Path(raw)
    resolved = (path if path.is_absolute() else workspace / path).resolve()
    if not resolved.is_relative_to(workspace) and not path.is_absolute():
        raise ConfigError(f"{name} = {raw!r}: must stay inside the workspace")
    return resolved


def _choice(name: str, raw: str, kind: type[Mode | CommentMode]) -> Any:
    try:
        return kind(raw.lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ConfigError(f"{name} = {raw!r}: expected one of {allowed}") from None


def _config_overrides(inputs: ActionInputs) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for input_name, key in _CONFIG_INPUTS.items():
        value = inputs.get(input_name)
        if value:
            overrides[key] = value
    if overrides.get("jobs", "").lower() == "auto":
        overrides["jobs"] = 0
    return overrides


# --- the run ----------------------------------------------------------------------------


@dataclass
class Publication:
    """What the run produced, gathered for the outputs."""

    outputs: dict[str, str] = field(default_factory=dict)
    deferred_error: GitHubError | None = None


@dataclass(frozen=True)
class Services:
    """What talks to the outside, passed in so tests can point it at local servers."""

    session_factory: Callable[[], requests.Session] = requests.Session
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class Action:
    def __init__(
        self,
        settings: ActionSettings,
        config: Config,
        *,
        out: TextIO,
        environ: Mapping[str, str],
        services: Services,
    ) -> None:
        self.settings = settings
        self.config = config
        self.out = out
        self.environ = environ
        self.services = services
        self.annotations = commands.Annotations(out)
        self._client: GitHubClient | None = None
        self._repository: dict[str, Any] | None = None

    # --- small helpers ------------------------------------------------------------------

    def say(self, message: str) -> None:
        self.out.write(f"seedgate: {message}\n")
        self.out.flush()

    @property
    def client(self) -> GitHubClient:
        if self._client is None:
            if not self.settings.token:
                raise ConfigError(
                    "github-token is empty; leave it at its default (${{ github.token }}) or "
                    "pass a token that can read artifacts and write pull request comments"
                )
            self._client = GitHubClient(
                token=self.settings.token,
                repository=self.settings.context.repository,
                api_url=self.settings.context.api_url,
                session=self.services.session_factory(),
                retry=self.services.retry,
            )
        return self._client

    def repository(self) -> dict[str, Any]:
        if self._repository is None:
            self._repository = self.client.get_repository()
        return self._repository

    # --- steps ----------------------------------------------------------------------------

    def run(self) -> int:
        mode, role = self.settings.mode, self.settings.role()
        self.say(f"mode {mode.value}, acting as {role.value} ({self.settings.context.event_name})")
        if mode is Mode.RUN:
            return self.run_shard(role)
        if mode is Mode.COMPARE:
            merged = self._merge_shards()
            if role is Role.BASELINE:
                return self.finish_baseline(merged)
            return self.finish_fixed_gate(merged)
        if role is Role.BASELINE:
            return self.make_baseline()
        return self.gate()

    def make_baseline(self) -> int:
        from seedgate.pipeline import run_fixed

        runset = run_fixed(
            self.config, runs=self.config.baseline_runs, out=self.out, label="baseline"
        )
        return self.finish_baseline(runset)

    def finish_baseline(self, runset: RunSet) -> int:
        from seedgate.pipeline import compare_runsets
        from seedgate.runset.codec import write_runset

        write_runset(runset, self.settings.baseline_path)
        self.say(
            f"baseline of {len(runset.ok_runs)} runs written to "
            f"{self.settings.relative(self.settings.baseline_path)}; upload it with "
            f"actions/upload-artifact as {self.settings.baseline_artifact!r}"
        )
        comparison = compare_runsets(None, runset, self.config)
        publication = self.publish(comparison, comment=False)
        publication.outputs["baseline-path"] = self.settings.relative(self.settings.baseline_path)
        publication.outputs["runs-used"] = str(len(runset.ok_runs))
        return self.conclude(publication, EXIT_OK)

    def gate(self) -> int:
        from seedgate.pipeline import run_gate
        from seedgate.runset.codec import write_runset

        found = self.fetch_baseline()
        outcome = run_gate(self.config, found.runset if found else None, out=self.out)
        write_runset(outcome.candidate, self.settings.output_dir / "candidate.json")
        return self.finish_gate(outcome.comparison, found)

    def finish_fixed_gate(self, candidate: RunSet) -> int:
        from seedgate.pipeline import compare_runsets

        found = self.fetch_baseline()
        comparison = compare_runsets(found.runset if found else None, candidate, self.config)
        return self.finish_gate(comparison, found)

    def finish_gate(self, comparison: Comparison, found: FoundBaseline | None) -> int:
        publication = self.publish(comparison, comment=True)
        failing = self.config.fail_on.fails(comparison.verdict)
        self.say(f"verdict {comparison.verdict.value}" + (" (fails the check)" if failing else ""))
        if found is None:
            self.annotations.emit(
                "warning", self._no_baseline_advice(), title="seedgate: no baseline"
            )
        return self.conclude(publication, EXIT_FAIL if failing else EXIT_OK)

    def run_shard(self, role: Role) -> int:
        from seedgate.pipeline import run_fixed
        from seedgate.runset.codec import write_runset

        runs = self.config.baseline_runs if role is Role.BASELINE else self.config.runs
        runset = run_fixed(
            self.config, runs=runs, out=self.out, label=role.value, shard=self.settings.shard
        )
        name = "runset.json"
        if self.settings.shard:
            index, _, count = self.settings.shard.partition("/")
            name = f"runset-{index}-of-{count}.json"
        path = self.settings.runs_path / name
        write_runset(runset, path)
        self.say(f"{len(runset.ok_runs)} runs written to {self.settings.relative(path)}")
        outputs = {
            "runset-path": self.settings.relative(path),
            "runs-used": str(len(runset.ok_runs)),
        }
        return self.conclude(Publication(outputs), EXIT_OK)

    def _merge_shards(self) -> RunSet:
        from seedgate.pipeline import merge_folder

        merged = merge_folder(self.settings.runs_path)
        self.say(
            f"merged {len(merged.runs)} runs from {self.settings.relative(self.settings.runs_path)}"
        )
        return merged

    def fetch_baseline(self) -> FoundBaseline | None:
        from seedgate.store.github_artifact import GitHubArtifactStore

        context = self.settings.context
        repository_id = context.repository_id or int(self.repository()["id"])
        default_branch = context.default_branch or str(self.repository()["default_branch"])
        store = GitHubArtifactStore(
            self.client,
            artifact_name=self.settings.baseline_artifact,
            file_name=self.settings.baseline_path.name,
            repository_id=repository_id,
            default_branch=default_branch,
            prefer_sha=context.base_sha,
            log=self.say,
            warn=self._warn_baseline,
        )
        self.say(f"looking for the baseline: {store.describe()}")
        found = store.find()
        if found is not None:
            self.say(f"baseline: {found.describe()}, {len(found.runset.ok_runs)} runs")
        return found

    def _warn_baseline(self, text: str) -> None:
        self.annotations.emit("warning", text, title="seedgate: baseline")

    def _no_baseline_advice(self) -> str:
        return (
            f"No baseline artifact {self.settings.baseline_artifact!r} was found on the default "
            "branch, so nothing was compared (verdict no-baseline). Make one: run this workflow "
            "on a push to the default branch (mode auto makes the baseline there) and upload "
            f"{self.settings.relative(self.settings.baseline_path)} with actions/upload-artifact "
            f"as {self.settings.baseline_artifact!r}; see examples/workflows/seedgate.yml."
        )

    # --- publishing -----------------------------------------------------------------------

    def publish(self, comparison: Comparison, *, comment: bool) -> Publication:
        from seedgate.report import comment_marker, render_json, render_markdown

        settings = self.settings
        title = "seedgate" if comment else "seedgate: baseline"
        if settings.comment_id != DEFAULT_COMMENT_ID:
            title = f"seedgate: {settings.comment_id}"
        run_url = settings.context.run_url

        def render(max_chars: int | None) -> str:
            return render_markdown(
                comparison,
                title=title,
                comment_id=settings.comment_id,
                max_chars=max_chars,
                run_url=run_url,
            )

        report_path = settings.output_dir / "report.md"
        results_path = settings.output_dir / "results.json"
        settings.output_dir.mkdir(parents=True, exist_ok=True)
        write_shared_text(report_path, render(None))
        write_shared_text(results_path, render_json(comparison))
        publication = Publication(
            {
                "verdict": comparison.verdict.value,
                "runs-used": str(comparison.candidate_runs),
                "report-path": settings.relative(report_path),
                "results-path": settings.relative(results_path),
            }
        )
        self._write_summary(render)
        annotate(comparison, self.annotations)
        number = settings.context.pr_number
        if comment and number is not None:
            body = render(COMMENT_LIMIT_CHARS)
            marker = comment_marker(settings.comment_id)
            try:
                result = publish_comment(
                    self.client,
                    number,
                    body=body,
                    marker=marker,
                    mode=settings.comment,
                    verdict=comparison.verdict,
                )
            except GitHubError as exc:
                self._comment_failed(exc, publication)
            else:
                self.say(f"comment {result.action}" + (f": {result.url}" if result.url else ""))
                if result.url:
                    publication.outputs["comment-url"] = result.url
        return publication

    def _write_summary(self, render: Callable[[int | None], str]) -> None:
        path = self.environ.get("GITHUB_STEP_SUMMARY")
        if not path:
            return
        summary_path = Path(path)
        used = summary_path.stat().st_size if summary_path.exists() else 0
        text = fit_to_bytes(render, max(4096, SUMMARY_LIMIT_BYTES - used))
        commands.append_summary(summary_path, text)

    def _comment_failed(self, error: GitHubError, publication: Publication) -> None:
        if is_read_only_token(error) and self.settings.context.is_fork:
            self.annotations.emit("warning", FORK_ADVICE, title="seedgate: no comment on forks")
            return
        publication.deferred_error = error

    def conclude(self, publication: Publication, code: int) -> int:
        path = self.environ.get("GITHUB_OUTPUT")
        if path:
            commands.write_outputs(Path(path), publication.outputs)
        if publication.deferred_error is not None:
            raise publication.deferred_error
        return code


# --- the edge -------------------------------------------------------------------------------


def scrub_environment(environ: MutableMapping[str, str]) -> None:
    """Remove the inputs and runner tokens, so no child process can inherit them."""
    for name in [n for n in environ if childenv.is_dropped(n)]:
        del environ[name]


def run_install(command: str, config: Config, *, out: TextIO) -> None:
    """The `install` input, in the working directory, with the cleaned environment."""
    env = childenv.child_environment(os.environ, pass_env=config.pass_env, drop_env=config.drop_env)
    shell = shutil.which("bash") or "/bin/sh"
    out.write("::group::seedgate: install\n")
    out.flush()
    try:
        done = subprocess.run(
            [shell, "-c", command], env=env, check=False, stdout=out, stderr=subprocess.STDOUT
        )
    except OSError as exc:
        raise ConfigError(f"install = {command!r}: cannot start ({exc.strerror})") from None
    finally:
        out.write("::endgroup::\n")
        out.flush()
    if done.returncode != 0:
        raise ConfigError(f"install = {command!r} failed with exit code {done.returncode}")


def main(
    environ: MutableMapping[str, str] | None = None,
    *,
    out: TextIO | None = None,
    services: Services | None = None,
) -> int:
    env = os.environ if environ is None else environ
    stream = out or sys.stdout
    inputs = ActionInputs.from_environ(env)
    if inputs.github_token:
        stream.write(commands.add_mask(inputs.github_token) + "\n")
        stream.flush()
    # Read everything the run needs, then remove inputs and tokens from this process.
    context_env = dict(env)
    scrub_environment(env)
    interrupt_on_sigterm()
    settings: ActionSettings | None = None
    try:
        settings = ActionSettings.build(inputs, RunContext.from_environ(context_env))
        os.chdir(settings.working_directory)
        config = settings.load_config()
        if settings.install:
            run_install(settings.install, config, out=stream)
        action = Action(
            settings, config, out=stream, environ=context_env, services=services or Services()
        )
        return action.run()
    except ConfigError as exc:
        return _fail(stream, "configuration", exc, EXIT_USAGE)
    except RunnerError as exc:
        kept = _keep_finished_runs(exc, settings, context_env)
        return _fail(stream, "runs", RunnerError(f"{exc}{kept}"), EXIT_RUNS_FAILED)
    except GitHubError as exc:
        return _fail(stream, "GitHub", exc, EXIT_USAGE)
    except SeedgateError as exc:
        return _fail(stream, "error", exc, EXIT_USAGE)


def _keep_finished_runs(
    error: RunnerError, settings: ActionSettings | None, environ: Mapping[str, str]
) -> str:
    """Write the runs that finished before the failure, list them in the job summary, and
    say where they are (for the error message)."""
    from seedgate.runset.codec import write_runset

    if settings is None or not isinstance(error.partial, RunSet):
        return ""
    path = settings.output_dir / "partial-runs.json"
    write_runset(error.partial, path)
    rows = [
        f"| {r.seed} | {r.status.value} | {md_escape(r.reason or '')} |" for r in error.partial.runs
    ]
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        commands.append_summary(
            Path(summary),
            "\n".join(
                [
                    "## seedgate: the experiment failed",
                    "",
                    md_escape(str(error)),
                    "",
                    "| Seed | Status | Reason |",
                    "| --: | :-- | :-- |",
                    *rows,
                    "",
                ]
            ),
        )
    return f"; the {len(error.partial.runs)} finished runs are kept in {settings.relative(path)}"


def _fail(out: TextIO, title: str, error: SeedgateError, code: int) -> int:
    out.write(commands.format_command("error", str(error), {"title": f"seedgate: {title}"}) + "\n")
    out.flush()
    return code


__all__ = [
    "INPUT_NAMES",
    "OUTPUT_NAMES",
    "ActionInputs",
    "ActionSettings",
    "Mode",
    "Services",
    "main",
]
