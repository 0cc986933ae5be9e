"""examples/workflows/seedgate.yml under a real Actions runner implementation (nektos/act,
see ``tests.testing.act_runner``).

One repository's story: a push to main leaves a `seedgate-baseline` artifact that the
action uploaded itself, and a re-run of that push replaces it whole (act's server
truncates the stored zip on CreateArtifact, where GitHub answers 409); a pull request
that regresses finds it and gets a failing check run; a label by someone who may not
write changes nothing and says why; the label by a writer turns the check green with
the record in the comment; a new push fails again; the `/seedgate accept` comment of a
writer accepts that commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seedgate.store.github_artifact import extract_runset
from tests.testing.act_runner import (
    MAIN_SHA,
    Repository,
    comment_payload,
    label_payload,
    log,
    pr_payload,
    push_payload,
)
from tests.testing.github_fake import FakeGitHub
from tests.testing.github_runner import PR_NUMBER, TOKEN, publish_baseline

pytestmark = pytest.mark.act

CHECK = "seedgate: verdict"
LABEL = "seedgate: accept regression"
MAINTAINER, VISITOR = "maintainer-1", "visitor-2"


@pytest.fixture
def repository(tmp_path: Path, images: str) -> Iterator[Repository]:
    with FakeGitHub() as fake:
        yield Repository(tmp_path, fake, images, "seedgate.yml")
    assert fake.errors == [], fake.errors


def test_baseline_check_and_acceptance_under_act(repository: Repository) -> None:
    fake = repository.fake
    fake.state.permissions[MAINTAINER] = "write"

    pushed = repository.run("push", push_payload())
    assert pushed.returncode == 0, log(pushed)
    earlier = repository.artifact_zip("seedgate-baseline")  # uploaded by the action itself
    rerun = repository.run("push", push_payload(), rerun=True)  # same workflow run
    assert rerun.returncode == 0, log(rerun)
    baseline = repository.artifact_zip("seedgate-baseline")
    made_first = extract_runset(earlier, "baseline.json", "first attempt")
    made_again = extract_runset(baseline, "baseline.json", "re-run")  # one whole zip
    assert made_again.created_at > made_first.created_at
    publish_baseline(fake, baseline, run_id=repository.run_id, sha=MAIN_SHA)

    repository.commit(level=0.85)
    first, second = "1" * 40, "2" * 40
    gated = repository.run("pull_request", pr_payload(first))
    assert gated.returncode != 0, log(gated)  # the job fails on the regression
    assert "verdict regression (fails the check)" in gated.stdout, log(gated)
    (check,) = fake.check_runs(CHECK)
    assert (check.fields["head_sha"], check.conclusion) == (first, "failure")
    assert "Regression" in check.output["summary"]
    (sticky,) = fake.comments(PR_NUMBER)
    headline = next(line for line in check.output["summary"].splitlines() if line[:2] == "**")
    assert headline in sticky.body  # the summary is the comment's first screen

    refused = repository.run("pull_request_target", label_payload(VISITOR, first, LABEL))
    assert refused.returncode == 0, log(refused)
    assert fake.check_runs(CHECK)[0].conclusion == "failure"
    assert "cannot accept this regression" in fake.comments(PR_NUMBER)[-1].body

    accepted = repository.run("pull_request_target", label_payload(MAINTAINER, first, LABEL))
    assert accepted.returncode == 0, log(accepted)
    assert fake.check_runs(CHECK)[0].conclusion == "success"
    record = fake.comments(PR_NUMBER)[0].body
    assert f"Regression accepted** by @&#8203;{MAINTAINER}" in record
    assert f"for commit `{first[:12]}`" in record

    again = repository.run("pull_request", pr_payload(second))
    assert again.returncode != 0, log(again)
    assert [c.conclusion for c in fake.check_runs(CHECK)] == ["success", "failure"]
    assert "Regression accepted" not in fake.comments(PR_NUMBER)[0].body  # judged afresh

    fake.state.pull_heads[PR_NUMBER] = second
    by_comment = repository.run(
        "issue_comment", comment_payload(MAINTAINER, "/seedgate accept the smaller model")
    )
    assert by_comment.returncode == 0, log(by_comment)
    assert [c.conclusion for c in fake.check_runs(CHECK)] == ["success", "success"]
    assert "the smaller model" in fake.check_runs(CHECK)[1].output["summary"]
    record = fake.comments(PR_NUMBER)[0].body
    assert f"Regression accepted** by @&#8203;{MAINTAINER}" in record
    assert f"for commit `{second[:12]}`" in record
    assert "the smaller model" in record
    assert TOKEN not in fake.all_request_text()
