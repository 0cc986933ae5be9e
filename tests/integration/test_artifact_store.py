"""Finding, trusting and reading the baseline artifact, against the validated local API."""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterator

import pytest
import requests

from seedgate.errors import GitHubError, RunSetError, StoreError
from seedgate.github.client import GitHubClient, RetryPolicy
from seedgate.runset.codec import runset_to_json
from seedgate.store.github_artifact import GitHubArtifactStore, extract_runset
from tests.testing.github_fake import FORK_REPO_ID, OWNER, REPO_ID, FakeGitHub
from tests.testing.runsets import runset

BASE_SHA = "b" * 40


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def baseline_zip(commit: str, value: float = 0.9) -> bytes:
    """A baseline artifact of ``commit``: three runs of accuracy near ``value``."""
    baseline = runset({"accuracy": [value, value + 0.001, value + 0.002]}, commit=commit)
    return zipped({"baseline.json": runset_to_json(baseline).encode()})


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server
    assert server.errors == [], server.errors


class Logs:
    def __init__(self) -> None:
        self.info: list[str] = []
        self.warnings: list[str] = []


def make_store(fake: FakeGitHub, logs: Logs, prefer_sha: str | None = None) -> GitHubArtifactStore:
    client = GitHubClient(
        token="t0ken",
        repository=f"{OWNER}/Hello-World",
        api_url=fake.url,
        session=requests.Session(),
        retry=RetryPolicy(sleep=lambda _: None),
    )
    return GitHubArtifactStore(
        client,
        artifact_name="seedgate-baseline",
        file_name="baseline.json",
        repository_id=REPO_ID,
        default_branch="master",
        prefer_sha=prefer_sha,
        log=logs.info.append,
        warn=logs.warnings.append,
    )


def test_newest_trusted_artifact_wins(fake: FakeGitHub) -> None:
    fake.add_run(1, head_sha="1" * 40)
    fake.add_artifact(11, run_id=1, data=baseline_zip("1" * 40))
    fake.add_run(2, head_sha="2" * 40)
    fake.add_artifact(12, run_id=2, data=baseline_zip("2" * 40))

    found = make_store(fake, Logs()).find()

    assert found is not None
    assert found.artifact_id == 12
    assert found.runset.commit == "2" * 40
    assert not found.on_base_commit
    assert "Authorization" not in fake.blob_requests[0].headers


def test_the_base_commits_artifact_is_preferred(fake: FakeGitHub) -> None:
    fake.add_run(1, head_sha=BASE_SHA)
    fake.add_artifact(11, run_id=1, data=baseline_zip(BASE_SHA))
    fake.add_run(2, head_sha="2" * 40)
    fake.add_artifact(12, run_id=2, data=baseline_zip("2" * 40))

    found = make_store(fake, Logs(), prefer_sha=BASE_SHA).find()

    assert found is not None
    assert (found.artifact_id, found.on_base_commit) == (11, True)
    assert found.runset.commit == BASE_SHA


def test_a_forks_run_on_a_branch_called_master_is_ignored(fake: FakeGitHub) -> None:
    fake.add_run(1, head_sha="1" * 40)
    fake.add_artifact(11, run_id=1, data=baseline_zip("1" * 40))
    fake.add_run(2, head_sha="f" * 40, head_repository_id=FORK_REPO_ID)
    fake.add_artifact(12, run_id=2, data=baseline_zip("f" * 40, value=0.1))
    logs = Logs()

    found = make_store(fake, logs).find()

    assert found is not None
    assert found.artifact_id == 11
    assert any("fork" in line and "12" in line for line in logs.info)
    assert not any("/blob/12" in r.path for r in fake.blob_requests)


def test_a_run_that_lies_in_the_listing_is_caught_by_the_run_check(fake: FakeGitHub) -> None:
    run = fake.add_run(2, head_sha="f" * 40)
    fake.add_artifact(12, run_id=2, data=baseline_zip("f" * 40))
    run["head_repository"]["id"] = FORK_REPO_ID  # the run itself says: a fork
    logs = Logs()

    assert make_store(fake, logs).find() is None
    assert any("not in this one" in line for line in logs.info)
    assert fake.blob_requests == []


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"event": "pull_request"}, "triggered by 'pull_request'"),
        ({"conclusion": "failure"}, "did not succeed"),
        ({"head_branch": "feature"}, "made on branch 'feature'"),
    ],
)
def test_untrusted_runs_are_skipped(fake: FakeGitHub, kwargs: dict[str, str], reason: str) -> None:
    fake.add_run(1, **kwargs)  # type: ignore[arg-type]
    fake.add_artifact(11, run_id=1, data=baseline_zip("1" * 40))
    logs = Logs()

    assert make_store(fake, logs).find() is None
    assert any(reason in line for line in logs.info), logs.info


def test_expired_artifacts_fall_through_to_the_next(fake: FakeGitHub) -> None:
    fake.add_run(1, head_sha="1" * 40)
    fake.add_artifact(11, run_id=1, data=baseline_zip("1" * 40))
    fake.add_run(2)
    fake.add_artifact(12, run_id=2, data=b"", expired=True)  # the listing says so
    fake.add_run(3)
    fake.add_artifact(13, run_id=3, data=b"", gone=True)  # only the download says so
    logs = Logs()

    found = make_store(fake, logs).find()

    assert found is not None
    assert found.artifact_id == 11
    assert any("13" in line and "410" in line for line in logs.info)
    assert any("12" in line and "expired" in line for line in logs.info)


def test_an_archive_with_a_path_escape_is_rejected(fake: FakeGitHub) -> None:
    fake.add_run(1)
    evil = zipped(
        {
            "baseline.json": runset_to_json(runset({"accuracy": [0.9]}, commit="1" * 40)).encode(),
            "../../etc/cron.d/x": b"boom",
        }
    )
    fake.add_artifact(11, run_id=1, data=evil)
    logs = Logs()

    assert make_store(fake, logs).find() is None
    assert any("escapes the archive" in w for w in logs.warnings)


def test_no_artifact_means_no_baseline(fake: FakeGitHub) -> None:
    store = make_store(fake, Logs())
    assert store.load() is None
    assert "seedgate-baseline" in store.describe()


def test_missing_permission_is_an_error_not_no_baseline(fake: FakeGitHub) -> None:
    fake.fail("GET", r"/actions/artifacts$", 403, message="Resource not accessible by integration")
    with pytest.raises(GitHubError, match="actions: read"):
        make_store(fake, Logs()).find()


def test_many_pages_are_searched_for_the_base_commit(fake: FakeGitHub) -> None:
    fake.add_run(1, head_sha=BASE_SHA)
    fake.add_artifact(11, run_id=1, data=baseline_zip(BASE_SHA))
    for run_id in range(2, 8):
        fake.add_run(run_id, head_sha=f"{run_id}" * 40)
        fake.add_artifact(10 + run_id, run_id=run_id, data=baseline_zip(f"{run_id}" * 40))
    fake.state.max_per_page = 2

    found = make_store(fake, Logs(), prefer_sha=BASE_SHA).find()

    assert found is not None
    assert found.artifact_id == 11


# --- the zip itself -----------------------------------------------------------------------------


def test_extract_reads_the_runset() -> None:
    result = extract_runset(baseline_zip("c" * 40), "baseline.json", "test")
    assert result.commit == "c" * 40
    assert len(result.runs) == 3


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("/etc/passwd", "absolute"),
        ("C:/x.json", "absolute"),
        ("a\\..\\b.json", "Windows"),
        ("sub/../../x.json", "escapes"),
    ],
)
def test_extract_refuses_unsafe_names(name: str, problem: str) -> None:
    data = zipped({"baseline.json": b"{}", name: b"x"})
    with pytest.raises(StoreError, match=problem):
        extract_runset(data, "baseline.json", "test")


def test_extract_refuses_symbolic_links() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("baseline.json")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(StoreError, match="symbolic link"):
        extract_runset(buffer.getvalue(), "baseline.json", "test")


def test_extract_needs_the_expected_file_at_the_root() -> None:
    data = zipped({"other.json": b"{}", "nested/baseline.json": b"{}"})
    with pytest.raises(StoreError, match=r"holds no baseline\.json"):
        extract_runset(data, "baseline.json", "test")


def test_extract_caps_the_size() -> None:
    data = zipped({"baseline.json": b" " * 5000})
    with pytest.raises(StoreError, match="over 1000"):
        extract_runset(data, "baseline.json", "test", max_bytes=1000)


def test_extract_refuses_what_is_not_a_zip() -> None:
    with pytest.raises(StoreError, match="not a zip"):
        extract_runset(b"not a zip", "baseline.json", "test")


def test_extract_validates_the_runset() -> None:
    with pytest.raises(RunSetError, match="not a seedgate RunSet"):
        extract_runset(zipped({"baseline.json": b'{"schema": "x"}'}), "baseline.json", "test")


def _bad_base_candidate(fake: FakeGitHub, problem: str) -> None:
    """An older good baseline (run 1), then the base commit's artifact with ``problem``."""
    fake.add_run(1, head_sha="1" * 40)
    fake.add_artifact(11, run_id=1, data=baseline_zip("1" * 40))
    if problem == "run-failed":
        fake.add_run(2, head_sha=BASE_SHA, conclusion="failure")
        fake.add_artifact(12, run_id=2, data=baseline_zip(BASE_SHA))
    elif problem == "corrupt-zip":
        fake.add_run(2, head_sha=BASE_SHA)
        fake.add_artifact(12, run_id=2, data=b"PK\x03\x04 this is not a whole zip")
    else:
        fake.add_run(2, head_sha=BASE_SHA)
        fake.add_artifact(12, run_id=2, data=baseline_zip(BASE_SHA), gone=True)


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        ("run-failed", "did not succeed (failure)"),
        ("corrupt-zip", "not a readable zip"),
        ("gone", "expired (HTTP 410)"),
    ],
)
def test_a_bad_base_commit_artifact_falls_through_to_an_older_good_one(
    fake: FakeGitHub, problem: str, reason: str
) -> None:
    _bad_base_candidate(fake, problem)

    lookup = make_store(fake, logs := Logs(), prefer_sha=BASE_SHA).lookup()

    assert lookup.found is not None
    assert (lookup.found.artifact_id, lookup.found.on_base_commit) == (11, False)
    assert [s.artifact_id for s in lookup.skipped] == ["12"]
    assert reason in lookup.skipped[0].reason
    assert lookup.found.skipped == lookup.skipped
    assert any("12" in line and reason in line for line in logs.info)


def test_a_workflow_run_that_is_gone_is_skipped(fake: FakeGitHub) -> None:
    fake.add_run(1, head_sha="1" * 40)
    fake.add_artifact(11, run_id=1, data=baseline_zip("1" * 40))
    fake.add_run(2, head_sha="2" * 40)
    fake.add_artifact(12, run_id=2, data=baseline_zip("2" * 40))
    fake.fail("GET", r"/actions/runs/2$", 404, message="Not Found")

    lookup = make_store(fake, Logs()).lookup()

    assert lookup.found is not None
    assert lookup.found.artifact_id == 11
    assert "run 2 is gone (HTTP 404)" in lookup.skipped[0].reason


def test_every_candidate_unusable_is_no_baseline_with_every_reason(fake: FakeGitHub) -> None:
    fake.add_run(1, head_sha="1" * 40, conclusion="failure")
    fake.add_artifact(11, run_id=1, data=baseline_zip("1" * 40))
    fake.add_run(2, head_sha="2" * 40)
    fake.add_artifact(12, run_id=2, data=b"junk")

    lookup = make_store(fake, Logs()).lookup()

    assert lookup.found is None
    assert [s.artifact_id for s in lookup.skipped] == ["12", "11"]
