"""examples/workflows/seedgate-matrix.yml under nektos/act (``tests.testing.act_runner``):
every job is checkout + seedgate.

A push to main runs four shard jobs, each uploading its runs itself (seedgate-shard-I-of-4);
the compare job downloads them from act's artifact server itself, merges them and uploads
the merged baseline (seedgate-baseline). A pull request's shards regress; its compare job
merges them, finds that baseline and fails the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seedgate.store.github_artifact import extract_runset
from tests.testing.act_runner import MAIN_SHA, Repository, log, pr_payload, push_payload
from tests.testing.github_fake import FakeGitHub
from tests.testing.github_runner import PR_NUMBER, TOKEN, publish_baseline

pytestmark = pytest.mark.act

SHARDS = [f"seedgate-shard-{i}-of-4" for i in range(1, 5)]


@pytest.fixture
def repository(tmp_path: Path, images: str) -> Iterator[Repository]:
    with FakeGitHub() as fake:
        yield Repository(tmp_path, fake, images, "seedgate-matrix.yml")
    assert fake.errors == [], fake.errors


def test_shards_make_the_baseline_that_a_pull_request_then_finds(
    repository: Repository,
) -> None:
    fake = repository.fake

    pushed = repository.run("push", push_payload())
    assert pushed.returncode == 0, log(pushed)
    assert repository.artifact_names() == ["seedgate-baseline", *SHARDS]
    shard_seeds = []
    for index, name in enumerate(SHARDS, 1):
        shard = extract_runset(repository.artifact_zip(name), f"runset-{index}-of-4.json", name)
        shard_seeds += [run.seed for run in shard.ok_runs]
    data = repository.artifact_zip("seedgate-baseline")
    baseline = extract_runset(data, "baseline.json", "seedgate-baseline")
    assert sorted(run.seed for run in baseline.ok_runs) == sorted(shard_seeds)
    assert len(shard_seeds) == 20  # baseline-runs: 20 over 4 shards
    publish_baseline(fake, data, run_id=repository.run_id, sha=MAIN_SHA)

    repository.commit(level=0.85)
    gated = repository.run("pull_request", pr_payload("1" * 40))
    assert gated.returncode != 0, log(gated)  # the compare job fails on the regression
    assert "verdict regression (fails the check)" in gated.stdout, log(gated)
    assert "downloaded 4 shard artifact(s) of this workflow run" in gated.stdout, log(gated)
    (check,) = fake.check_runs("seedgate: verdict")
    assert check.conclusion == "failure"
    assert "Regression" in check.output["summary"]
    (sticky,) = fake.comments(PR_NUMBER)
    headline = next(line for line in check.output["summary"].splitlines() if line[:2] == "**")
    assert headline in sticky.body
    assert repository.artifact_names() == SHARDS  # a gate uploads no baseline
    runs = [
        extract_runset(repository.artifact_zip(name), f"runset-{i}-of-4.json", name).ok_runs
        for i, name in enumerate(SHARDS, 1)
    ]
    assert sum(map(len, runs)) == 12  # runs: 12 over 4 shards
    assert TOKEN not in fake.all_request_text()
