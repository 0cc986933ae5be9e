"""The gate's check run and accepting a regression on purpose, through entrypoint.py against
the fake GitHub: the check's conclusion and summary, its annotations on seedgate.toml, the
note without `checks: write`, and label and `/seedgate accept` events by people who may
and may not write, bound to the head commit."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.testing.github_runner import (
    MAIN_SHA,
    PR_NUMBER,
    Result,
    Workflow,
    pr_event,
    publish_baseline,
    run_pr,
)

CHECK = "seedgate: verdict"
LABEL = "seedgate: accept regression"
MARKER = "<!-- seedgate:comment-id=default -->"
MAINTAINER, VISITOR = "maintainer-1", "visitor-2"


def head_sha(event: dict[str, Any]) -> str:
    sha: str = event["pull_request"]["head"]["sha"]
    return sha


def pr_with_head(sha: str) -> dict[str, Any]:
    event = pr_event()
    event["pull_request"]["head"]["sha"] = sha
    return event


def gate(workflow: Workflow, event: dict[str, Any], *, level: float) -> Result:
    return workflow.run(
        "pull_request", event, ref=f"refs/pull/{PR_NUMBER}/merge", sha="9" * 40, level=level
    )


def label_event(login: str, *, label: str = LABEL, head: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(pr_event())
    event.update(action="labeled", label={"name": label, "color": "ededed"})
    event["sender"] = {**event["sender"], "login": login}
    if head is not None:
        event["pull_request"]["head"]["sha"] = head
    return event


def comment_event(login: str, body: str, *, written: datetime | None = None) -> dict[str, Any]:
    pull = pr_event()
    when = (written or datetime.now(tz=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "action": "created",
        "issue": {
            "number": PR_NUMBER,
            "pull_request": {"url": pull["pull_request"]["url"]},
        },
        "comment": {"id": 77, "body": body, "user": {"login": login}, "created_at": when},
        "repository": pull["repository"],
        "sender": {"login": login},
    }


def accept_by_label(workflow: Workflow, login: str, **kwargs: Any) -> Result:
    return workflow.run(
        "pull_request_target",
        label_event(login, **kwargs),
        ref="refs/heads/master",
        sha=MAIN_SHA,
    )


def accept_by_comment(workflow: Workflow, login: str, body: str, **kwargs: Any) -> Result:
    return workflow.run(
        "issue_comment", comment_event(login, body, **kwargs), ref="refs/heads/master", sha=MAIN_SHA
    )


def regression(workflow: Workflow, baseline_zip: bytes) -> str:
    """A pull request whose gate found a regression; its head commit."""
    publish_baseline(workflow.fake, baseline_zip)
    workflow.fake.state.permissions[MAINTAINER] = "write"
    result = run_pr(workflow, level=0.85)
    assert result.returncode == 1, result.stdout + result.stderr
    return head_sha(pr_event())


def test_a_regression_gives_a_failing_check_with_the_first_screen_and_config_annotations(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    sha = regression(workflow, baseline_zip)

    (check,) = workflow.fake.check_runs(CHECK)
    assert check.fields["head_sha"] == sha  # the pull request's head, not the merge commit
    assert (check.fields["status"], check.conclusion) == ("completed", "failure")
    assert check.fields["external_id"] == "seedgate-verdict:regression"
    summary = check.output["summary"]
    comment = workflow.fake.comments(PR_NUMBER)[0].body
    first_screen = comment.split("<details>")[0]
    headline = next(line for line in first_screen.splitlines() if line.startswith("**"))
    table_row = next(line for line in first_screen.splitlines() if line.startswith("| accuracy"))
    assert headline in summary
    assert table_row in summary
    assert "<details>" not in summary
    assert check.output["title"] == headline.strip("*")
    (note,) = check.annotations
    assert note["path"] == "seedgate.toml"
    assert note["start_line"] == note["end_line"] == 4  # [metric.accuracy]
    assert note["annotation_level"] == "failure"
    assert "accuracy regressed" in note["message"]


def test_without_checks_write_the_job_still_fails_and_a_warning_says_so(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    publish_baseline(workflow.fake, baseline_zip)
    workflow.fake.state.checks_forbidden = True

    result = run_pr(workflow, level=0.85)

    assert result.returncode == 1, result.stdout + result.stderr
    assert workflow.fake.check_runs() == []
    (warning,) = [w for w in result.annotations("warning") if "no check run" in w]
    assert "checks: write" in warning
    assert "job's own status still gates" in warning


def test_no_baseline_is_a_neutral_check_and_a_pass_a_success(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    first = run_pr(workflow, level=0.9, inputs={"missing-baseline": "pass"})  # chosen
    assert first.returncode == 0, first.stdout + first.stderr
    publish_baseline(workflow.fake, baseline_zip)
    second = gate(workflow, pr_with_head("b" * 40), level=0.9)
    assert second.returncode == 0, second.stdout + second.stderr

    neutral, success = workflow.fake.check_runs(CHECK)
    assert neutral.conclusion == "neutral"
    assert neutral.fields["external_id"] == "seedgate-verdict:no-baseline"
    assert success.conclusion == "success"
    assert success.fields["head_sha"] == "b" * 40


def test_the_label_by_a_writer_accepts_the_head_commit_and_records_it(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    sha = regression(workflow, baseline_zip)

    result = accept_by_label(workflow, MAINTAINER)

    assert result.returncode == 0, result.stdout + result.stderr
    (check,) = workflow.fake.check_runs(CHECK)
    assert check.conclusion == "success"
    assert check.fields["external_id"] == "seedgate-accepted"
    record = f"for commit `{sha[:12]}` (verdict regression, by label '{LABEL}')"
    assert record in check.output["summary"]
    assert f"by @&#8203;{MAINTAINER} on " in check.output["summary"]  # named, not pinged
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert comment.body.startswith(
        f"{MARKER}\n\u2705 **Regression accepted** by @&#8203;{MAINTAINER} on "
    )
    assert "## seedgate" in comment.body  # the report stays below the record
    assert record in comment.body
    assert datetime.now(tz=UTC).strftime("%Y-%m-%d") in comment.body
    assert not (result.workspace / "env-dumps").exists()  # nothing ran, nothing installed


def test_the_comment_command_by_a_writer_accepts_with_its_reason(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    regression(workflow, baseline_zip)
    workflow.fake.state.pull_heads[PR_NUMBER] = head_sha(pr_event())

    result = accept_by_comment(
        workflow, MAINTAINER, "/seedgate accept the smaller model is worth it\nthanks"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    (check,) = workflow.fake.check_runs(CHECK)
    assert check.conclusion == "success"
    assert "the smaller model is worth it" in check.output["summary"]
    assert "comment /seedgate accept" in check.output["summary"]
    (comment,) = workflow.fake.comments(PR_NUMBER)
    assert "the smaller model is worth it" in comment.body
    assert MARKER in comment.body


def test_a_person_without_write_permission_changes_nothing_and_is_told_why(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    regression(workflow, baseline_zip)
    workflow.fake.state.pull_heads[PR_NUMBER] = head_sha(pr_event())
    before = workflow.fake.comments(PR_NUMBER)[0].body

    by_label = accept_by_label(workflow, VISITOR)
    by_comment = accept_by_comment(workflow, VISITOR, "/seedgate accept looks fine to me")

    assert (by_label.returncode, by_comment.returncode) == (0, 0)
    (check,) = workflow.fake.check_runs(CHECK)
    assert check.conclusion == "failure"
    assert check.patches == 0
    sticky, *replies = workflow.fake.comments(PR_NUMBER)
    assert sticky.body == before
    assert len(replies) == 2
    for reply in replies:
        assert "cannot accept this regression" in reply.body
        assert "write permission" in reply.body
        assert "theirs is read" in reply.body
    asked = [r.path for r in workflow.fake.requests if "/collaborators/" in r.path]
    assert asked == [f"/repos/Codertocat/Hello-World/collaborators/{VISITOR}/permission"] * 2


def test_a_new_push_fails_again_and_the_old_acceptance_does_not_carry_over(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    old = regression(workflow, baseline_zip)
    accept_by_label(workflow, MAINTAINER)
    new = "c" * 40

    pushed = gate(workflow, pr_with_head(new), level=0.85)

    assert pushed.returncode == 1, pushed.stdout + pushed.stderr
    accepted, fresh = workflow.fake.check_runs(CHECK)
    assert (accepted.fields["head_sha"], accepted.conclusion) == (old, "success")
    assert (fresh.fields["head_sha"], fresh.conclusion) == (new, "failure")
    workflow.fake.state.pull_heads[PR_NUMBER] = new
    again = accept_by_comment(workflow, MAINTAINER, "/seedgate accept still wanted")
    assert again.returncode == 0, again.stdout + again.stderr
    assert workflow.fake.check_runs(CHECK)[1].conclusion == "success"


def test_a_comment_written_before_the_head_commit_was_judged_is_refused(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    regression(workflow, baseline_zip)
    workflow.fake.state.pull_heads[PR_NUMBER] = head_sha(pr_event())
    long_ago = datetime.now(tz=UTC) - timedelta(hours=1)

    result = accept_by_comment(workflow, MAINTAINER, "/seedgate accept ok", written=long_ago)

    assert result.returncode == 0, result.stdout + result.stderr
    assert workflow.fake.check_runs(CHECK)[0].conclusion == "failure"
    assert "finished after this comment" in workflow.fake.comments(PR_NUMBER)[-1].body


def test_other_labels_comments_and_a_missing_reason(
    workflow: Workflow, baseline_zip: bytes
) -> None:
    regression(workflow, baseline_zip)
    comments_before = len(workflow.fake.comments(PR_NUMBER))

    other_label = accept_by_label(workflow, MAINTAINER, label="bug")
    chatter = accept_by_comment(workflow, MAINTAINER, "great work, /seedgate accept later?")
    no_reason = accept_by_comment(workflow, MAINTAINER, "/seedgate accept")

    assert [r.returncode for r in (other_label, chatter, no_reason)] == [0, 0, 0]
    assert workflow.fake.check_runs(CHECK)[0].conclusion == "failure"
    replies = workflow.fake.comments(PR_NUMBER)[comments_before:]
    assert len(replies) == 1
    assert "needs a reason" in replies[0].body
