"""``missing-baseline: build``: make the baseline in this job from the pull request's base
commit, then gate against it.

The base commit is checked out as a ``git worktree`` in the output folder (``.seedgate/``,
ignored by git), outside the workspace's tracked tree; the same install and command run
there with ``baseline-runs`` and the same seeds, so pairing still works. When the checkout
lacks the base commit (a shallow checkout of the merge commit), the gate fetches it itself:
the token travels only in the environment of that one ``git fetch`` process (git's
``GIT_CONFIG_*`` variables, never its arguments), is written nowhere (not ``.git/config``,
not a file, not a run's environment), and the runs start after that process has ended.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from seedgate.action.settings import ActionSettings
from seedgate.errors import MissingBaselineError
from seedgate.records import RunSet
from seedgate.run import identity

WORKTREE = "base-worktree"
BUILT_FILE = "built-baseline.json"
GIT_TIMEOUT = 600.0
HARDENING = (
    "-c",
    "safe.directory=*",
    "-c",
    f"core.hooksPath={os.devnull}",
    "-c",
    "credential.helper=",
)


@dataclasses.dataclass(frozen=True)
class BaseCheckout:
    sha: str
    worktree: Path  # the base commit's tree
    working_directory: Path  # the working directory's counterpart inside it


def _git(
    args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        return subprocess.run(
            # the checkout belongs to the runner's user and the container runs as root:
            # without safe.directory git refuses it ("dubious ownership"); no hook of the
            # checkout runs and no credential helper is asked while the token is around
            ["git", *HARDENING, *args],
            cwd=cwd,
            env={**clean, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise MissingBaselineError(
            f"missing-baseline: build: git {args[0]} failed ({exc})"
        ) from None


def _failed(what: str, done: subprocess.CompletedProcess[str], token: str) -> MissingBaselineError:
    detail = done.stderr or done.stdout
    if token:
        detail = detail.replace(token, "***")
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    said = (fatal or lines or [f"exit code {done.returncode}"])[0]
    return MissingBaselineError(f"missing-baseline: build: {what} ({said})")


def auth_environment(server_url: str, token: str) -> dict[str, str]:
    """git configuration for one process: the token as an HTTP header for the server only."""
    if not token:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{server_url}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def check_out_base(settings: ActionSettings) -> BaseCheckout:
    """The base commit in a worktree under the output folder, fetched when missing."""
    context = settings.context
    sha = context.base_sha
    if sha is None:
        raise MissingBaselineError(
            "missing-baseline: build needs the pull request's base commit "
            f"(pull_request.base.sha); this {context.event_name or 'unknown'} run has none. "
            "Make a baseline on the default branch instead (see examples/workflows/seedgate.yml)"
        )
    top = _git(["rev-parse", "--show-toplevel"], settings.working_directory)
    if top.returncode != 0:
        raise _failed(f"{settings.working_directory} is not a git checkout", top, "")
    repo = Path(top.stdout.strip()).resolve()
    if _git(["cat-file", "-e", f"{sha}^{{commit}}"], repo).returncode != 0:
        _fetch(settings, repo, sha)
    worktree = (settings.output_dir / WORKTREE).resolve()
    if worktree.exists():
        _git(["worktree", "remove", "--force", str(worktree)], repo)
    _git(["worktree", "prune"], repo)
    added = _git(["worktree", "add", "--detach", "--force", str(worktree), sha], repo)
    if added.returncode != 0:
        raise _failed(f"cannot check out the base commit {sha} in {worktree}", added, "")
    identity.hand_over(worktree)  # install and the runs write there, as the workspace's owner
    inside = settings.working_directory.resolve().relative_to(repo)
    return BaseCheckout(sha, worktree, worktree / inside)


def _fetch(settings: ActionSettings, repo: Path, sha: str) -> None:
    context = settings.context
    url = f"{context.server_url}/{context.repository}"
    env = auth_environment(context.server_url, settings.token)
    done = _git(["fetch", "--no-tags", "--depth=1", url, sha], repo, env)
    if done.returncode != 0:
        raise _failed(
            f"the base commit {sha} is not in the checkout and fetching it from {url} failed",
            done,
            settings.token,
        )


def as_built(runset: RunSet, base: BaseCheckout) -> RunSet:
    """The RunSet records the base commit it was made from (not this job's GITHUB_SHA)."""
    return dataclasses.replace(runset, commit=base.sha)
