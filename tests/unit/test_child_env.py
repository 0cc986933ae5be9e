from __future__ import annotations

from seedgate.run.child_env import (
    GATE_CREDENTIALS,
    GATE_FILE_COMMANDS,
    child_environment,
    is_dropped,
    thread_limits,
)

PARENT = {
    "PATH": "/usr/bin",
    "HOME": "/home/runner",
    "HF_TOKEN": "hf_user_secret",
    "WANDB_API_KEY": "wandb",
    "GITHUB_SHA": "abc123",
    "GITHUB_REPOSITORY": "o/r",
    "ACTIONS_STEP_DEBUG": "true",
    "INPUT_GITHUB-TOKEN": "ghs_input",
    "INPUT_COMMAND": "python train.py",
    "GITHUB_TOKEN": "ghs_env",
    "GH_TOKEN": "ghs_cli",
    "ACTIONS_RUNTIME_TOKEN": "rt",
    "ACTIONS_RUNTIME_URL": "https://runtime",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc",
    "ACTIONS_RESULTS_URL": "https://results",
    "ACTIONS_CACHE_URL": "https://cache",
    "ACTIONS_FUTURE_SERVICE_TOKEN": "future",
}
GATE_NAMES = {
    "INPUT_GITHUB-TOKEN",
    "INPUT_COMMAND",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_RUNTIME_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_RESULTS_URL",
    "ACTIONS_CACHE_URL",
    "ACTIONS_FUTURE_SERVICE_TOKEN",
}


def test_gate_credentials_are_removed_and_user_variables_pass() -> None:
    env = child_environment(PARENT)
    assert set(env) == set(PARENT) - GATE_NAMES
    assert env["HF_TOKEN"] == "hf_user_secret"
    assert env["GITHUB_SHA"] == "abc123"
    assert env["ACTIONS_STEP_DEBUG"] == "true"


def test_parent_mapping_is_not_changed() -> None:
    parent = dict(PARENT)
    child_environment(parent, drop_env=("HF_*",))
    assert parent == PARENT


def test_pass_env_keeps_a_variable_that_would_be_dropped() -> None:
    env = child_environment(PARENT, pass_env=("GITHUB_TOKEN",))
    assert env["GITHUB_TOKEN"] == "ghs_env"
    assert "GH_TOKEN" not in env
    assert "INPUT_GITHUB-TOKEN" not in env


def test_drop_env_removes_more_and_pass_env_wins_over_it() -> None:
    env = child_environment(PARENT, drop_env=("HF_*", "WANDB_*"))
    assert "HF_TOKEN" not in env
    assert "WANDB_API_KEY" not in env
    assert env["PATH"] == "/usr/bin"
    both = child_environment(PARENT, pass_env=("HF_TOKEN",), drop_env=("HF_*",))
    assert both["HF_TOKEN"] == "hf_user_secret"


def test_patterns_are_case_sensitive_globs() -> None:
    assert is_dropped("INPUT_ANYTHING")
    assert not is_dropped("MY_INPUT_X")
    assert not is_dropped("hf_token", drop_env=("HF_*",))
    assert is_dropped("HF_HOME", drop_env=("HF_*",))
    assert "INPUT_*" in GATE_CREDENTIALS


def test_thread_limits_only_with_parallel_jobs() -> None:
    assert thread_limits({}, cores=8, jobs=1) == {}
    limits = thread_limits({}, cores=8, jobs=2)
    assert limits["OMP_NUM_THREADS"] == "4"
    assert limits["TF_NUM_INTRAOP_THREADS"] == "4"
    assert limits["TF_NUM_INTEROP_THREADS"] == "4"
    assert limits["MKL_NUM_THREADS"] == "4"
    assert limits["OPENBLAS_NUM_THREADS"] == "4"


def test_thread_limits_never_below_one_and_respect_user_values() -> None:
    assert set(thread_limits({}, cores=2, jobs=8).values()) == {"1"}
    limits = thread_limits({"OMP_NUM_THREADS": "3"}, cores=8, jobs=2)
    assert "OMP_NUM_THREADS" not in limits
    assert limits["MKL_NUM_THREADS"] == "4"


def test_the_runners_file_commands_never_reach_a_run() -> None:
    parent = {name: f"/github/file_commands/{name.lower()}" for name in GATE_FILE_COMMANDS}
    parent["GITHUB_WORKSPACE"] = "/github/workspace"
    child = child_environment(parent, pass_env=["*", "GITHUB_OUTPUT"])
    assert child == {"GITHUB_WORKSPACE": "/github/workspace"}
    assert set(GATE_FILE_COMMANDS) == {
        "GITHUB_OUTPUT",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_STATE",
        "GITHUB_STEP_SUMMARY",
    }
