"""The check run's words and annotations, the acceptance record, the runtime token's
scope, and the settings that choose an acceptance."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedgate.action.settings import Mode, read_settings
from seedgate.errors import ConfigError, GitHubError
from seedgate.github.artifact_service import backend_ids, unavailable_reason
from seedgate.report import render_markdown
from seedgate.report.checks import (
    CHECK_SUMMARY_CHARS,
    Acceptance,
    acceptance_record,
    accepted_summary,
    check_summary,
    check_title,
    config_annotations,
)
from tests.testing.report_fixtures import regression_comparison
from tests.unit.test_action_settings import runner_environ

CONFIG = """\
command = "python train.py"

[metric.val_loss]
goal = "minimize"

[metric.accuracy]
min_effect = 0.01
"""


def test_the_summary_is_the_comments_first_screen_and_nothing_below() -> None:
    comparison = regression_comparison()
    comment = render_markdown(comparison, comment_id="default")
    first_screen = comment.split("<details>")[0].split("\n", 1)[1]  # below the marker
    summary = check_summary(comparison, title="seedgate", run_url=None)
    table = [line for line in first_screen.splitlines() if line.startswith("| ")]
    assert table
    assert all(line in summary for line in table)
    assert "<details>" not in summary
    assert check_title(comparison) in summary
    assert len(summary) <= CHECK_SUMMARY_CHARS


def test_annotations_point_at_the_metric_table_and_the_command() -> None:
    notes = config_annotations(regression_comparison(), CONFIG)
    regression, failed = notes
    assert (regression.line, regression.level) == (6, "failure")  # [metric.accuracy]
    assert "accuracy regressed" in regression.message
    assert (failed.line, failed.level) == (1, "warning")  # command =
    assert "seed 105" in failed.message


def test_a_metric_without_its_own_table_is_annotated_at_the_command() -> None:
    (regression, _) = config_annotations(regression_comparison(), "\n\ncommand = 'x'\n")
    assert regression.line == 3


def test_the_record_names_who_when_why_which_commit_and_cannot_ping_or_inject() -> None:
    acceptance = Acceptance(
        login="octo-cat",
        when=datetime(2026, 12, 3, 14, 5, tzinfo=UTC),
        reason="smaller model <img src=x> @everyone\n# heading",
        commit="c" * 40,
        how="label 'seedgate: accept regression'",
        verdict="regression",
    )
    record = acceptance_record(acceptance)
    assert "\n" not in record
    assert "@&#8203;octo-cat" in record
    assert "2026-12-03 14:05 UTC" in record
    assert "`cccccccccccc`" in record
    assert "smaller model \\<img src=x\\>" in record  # shown, never rendered as HTML
    assert "@everyone" not in record
    assert accepted_summary(acceptance, "old summary").endswith("old summary")


def jwt(claims: dict[str, object]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJSUzI1NiJ9.{body}.sig"


def test_backend_ids_come_from_the_actions_results_scope() -> None:
    token = jwt({"scp": "Actions.GenericRead:1 Actions.Results:run-1:job-2"})
    assert backend_ids(token) == ("run-1", "job-2")


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", jwt({"scp": "Actions.GenericRead:1"}), jwt({"scp": "Actions.Results:1"})],
)
def test_a_token_without_the_scope_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(GitHubError, match=r"Actions\.Results scope") as raised:
        backend_ids(token)
    assert not token or token not in str(raised.value)


def test_ghes_and_missing_variables_have_no_artifact_service() -> None:
    env = {"ACTIONS_RESULTS_URL": "https://results/", "ACTIONS_RUNTIME_TOKEN": "t"}
    assert unavailable_reason(env) is None
    assert unavailable_reason({**env, "GITHUB_SERVER_URL": "https://github.com"}) is None
    assert unavailable_reason({**env, "GITHUB_SERVER_URL": "https://x.ghe.com"}) is None
    ghes = unavailable_reason({**env, "GITHUB_SERVER_URL": "https://git.corp.example"})
    assert ghes is not None
    assert "Enterprise Server" in ghes
    missing = unavailable_reason({"ACTIONS_RUNTIME_TOKEN": "t"})
    assert missing is not None
    assert "ACTIONS_RESULTS_URL" in missing


def test_a_comment_event_is_an_acceptance_that_needs_no_command(tmp_path: Path) -> None:
    environ = runner_environ(tmp_path, "issue_comment", command="")
    environ.pop("INPUT_COMMAND")
    settings = read_settings(environ)
    assert settings.mode is Mode.ACCEPT
    assert settings.check_name == "seedgate: verdict"
    assert settings.accept_label == "seedgate: accept regression"


def test_check_name_follows_comment_id_and_the_runtime_token_stays_out_of_repr(
    tmp_path: Path,
) -> None:
    environ = runner_environ(tmp_path, comment_id="small-model")
    environ["ACTIONS_RUNTIME_TOKEN"] = "runtime-secret"
    settings = read_settings(environ)
    assert settings.check_name == "seedgate: verdict (small-model)"
    assert "runtime-secret" not in repr(settings)
    assert settings.upload_artifacts is True


def test_upload_artifacts_takes_true_or_false(tmp_path: Path) -> None:
    assert (
        read_settings(runner_environ(tmp_path, upload_artifacts="FALSE")).upload_artifacts is False
    )
    with pytest.raises(ConfigError, match="upload-artifacts = 'yes': expected true or false"):
        read_settings(runner_environ(tmp_path, upload_artifacts="yes"))
