"""The environment a training run gets: the parent's, minus the gate's own credentials.

The gate runs with a GitHub token (to read baselines and post the comment) and, inside
GitHub Actions, with the runner's service tokens. None of them belong to the user's
experiment, so they are removed before the command starts. Everything else passes
through unchanged, including the user's own secrets (``HF_TOKEN``, ``WANDB_API_KEY``...)
that the workflow chose to expose to the step.

Dropped by default (glob patterns, matched case-sensitively against the variable name):

``INPUT_*``
    every action input, which includes ``INPUT_GITHUB-TOKEN`` / ``INPUT_GITHUB_TOKEN``.
``GITHUB_TOKEN``, ``GH_TOKEN``, ``GITHUB_ENTERPRISE_TOKEN``, ``GH_ENTERPRISE_TOKEN``
    the GitHub API tokens the gate (or the gh CLI) uses.
``ACTIONS_RUNTIME_TOKEN``, ``ACTIONS_RUNTIME_URL``
    the runner's service token and endpoint (artifacts, caches).
``ACTIONS_ID_TOKEN_REQUEST_TOKEN``, ``ACTIONS_ID_TOKEN_REQUEST_URL``
    what mints OIDC tokens for cloud logins (``id-token: write``).
``ACTIONS_RESULTS_URL``, ``ACTIONS_CACHE_URL``, ``ACTIONS_CACHE_SERVICE_V2``
    service endpoints that only make sense together with the runtime token.
``ACTIONS_*_TOKEN``, ``ACTIONS_*_URL``
    any later token or endpoint the runner adds under the same naming scheme.

``GITHUB_OUTPUT``, ``GITHUB_ENV``, ``GITHUB_PATH``, ``GITHUB_STATE``, ``GITHUB_STEP_SUMMARY``
    the runner's file commands: the step's outputs and summary are the gate's to write
    (a run that appended ``verdict=no-change`` would contradict the exit code). These are
    always dropped, whatever ``pass_env`` says; the gate also rewrites the files at the
    end, so a run that guesses their path changes nothing (``seedgate.github.commands``).

``pass_env`` patterns keep a variable even if a default or a ``drop_env`` pattern would
remove it (``pass_env`` wins, except over the file commands); ``drop_env`` patterns
remove more variables.

Thread limits: with ``jobs > 1`` several runs share the machine, so each child gets
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` set to ``max(1, cores // jobs)``
unless the user already set that variable, to avoid oversubscription. With ``jobs == 1``
nothing is set: the run sees exactly the environment it would see when run by hand.
Seeds never depend on ``jobs``; only the thread count of numerical libraries may, and a
user who needs bit-identical floating point across ``jobs`` pins these variables
themselves (they are then left alone).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping

GATE_CREDENTIALS: tuple[str, ...] = (
    "INPUT_*",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_RUNTIME_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_RESULTS_URL",
    "ACTIONS_CACHE_URL",
    "ACTIONS_CACHE_SERVICE_V2",
    "ACTIONS_*_TOKEN",
    "ACTIONS_*_URL",
)

GATE_FILE_COMMANDS: tuple[str, ...] = (
    "GITHUB_OUTPUT",
    "GITHUB_ENV",
    "GITHUB_PATH",
    "GITHUB_STATE",
    "GITHUB_STEP_SUMMARY",
)

THREAD_VARIABLES: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def is_dropped(name: str, *, pass_env: Iterable[str] = (), drop_env: Iterable[str] = ()) -> bool:
    """Whether the variable ``name`` is removed from a child's environment."""
    if name in GATE_FILE_COMMANDS:
        return True
    if _matches(name, pass_env):
        return False
    return _matches(name, GATE_CREDENTIALS) or _matches(name, drop_env)


def child_environment(
    parent: Mapping[str, str], *, pass_env: Iterable[str] = (), drop_env: Iterable[str] = ()
) -> dict[str, str]:
    """The parent's variables minus the gate's credentials, adjusted by pass/drop patterns."""
    keep = tuple(pass_env)
    drop = tuple(drop_env)
    return {
        name: value
        for name, value in parent.items()
        if not is_dropped(name, pass_env=keep, drop_env=drop)
    }


def thread_limits(environment: Mapping[str, str], *, cores: int, jobs: int) -> dict[str, str]:
    """Thread-count variables to add so ``jobs`` parallel runs share ``cores`` cores.

    Empty when ``jobs <= 1``; variables the environment already sets are never overridden.
    """
    if jobs <= 1:
        return {}
    threads = str(max(1, cores // jobs))
    return {name: threads for name in THREAD_VARIABLES if name not in environment}
