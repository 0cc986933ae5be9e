"""Main's history on a real git data branch: a bare repository in a temporary directory
stands in for GitHub, clones of it for the push jobs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seedgate.errors import HistoryError
from seedgate.history.codec import MAX_RECORD_BYTES, record_from_bytes, record_to_json
from seedgate.history.record import HistoryRecord, record_from_runset
from seedgate.store.history_git import GitHistory
from tests.testing.runsets import runset

SRC = Path(__file__).resolve().parents[2] / "src"


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def record(commit_digit: str, created_at: str = "2026-12-03T13:00:00+00:00") -> HistoryRecord:
    made = runset(
        values=[0.8 + i / 100 for i in range(5)],
        commit=commit_digit * 40,
        environment={"tensorflow": "tensorflow 2.20.0"},
        created_at=created_at,
    )
    return record_from_runset(made)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository with a main branch of code, as GitHub's copy of the project."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    work = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    (work / "train.py").write_text("print('hello')\n", encoding="utf-8")
    git(work, "add", "train.py")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "code")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    return bare


def checkout(remote: Path, name: str) -> Path:
    """A push job's checkout of main."""
    work = remote.parent / name
    git(remote.parent, "clone", "--quiet", str(remote), str(work))
    return work


def test_the_first_record_creates_the_branch_without_touching_main_or_the_work_tree(
    remote: Path,
) -> None:
    work = checkout(remote, "job")
    (work / "train.py").write_text("edited, not staged\n", encoding="utf-8")
    status_before = git(work, "status", "--porcelain")
    store = GitHistory(work, "origin")
    assert store.load() == ()
    path = store.append(record("a"))
    assert path.startswith("records/20261203T130000Z-aaaaaaaaaaaa-")
    assert git(work, "status", "--porcelain") == status_before  # index and files as they were
    assert git(work, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    # the branch has only the record, and no history in common with main
    files = git(remote, "ls-tree", "-r", "--name-only", "seedgate-history").split()
    assert files == [path]
    assert git(remote, "log", "--format=%s", "seedgate-history").startswith(
        "seedgate: baseline of aaaaaaa"
    )
    assert GitHistory(checkout(remote, "reader"), "origin").load() == (record("a"),)


def test_records_read_back_in_date_order_and_a_record_is_written_once(remote: Path) -> None:
    store = GitHistory(checkout(remote, "job"), "origin")
    late, early = record("b", "2026-12-05T00:00:00+00:00"), record("c")
    store.append(late)
    store.append(early)
    store.append(early)  # the job re-run: the same record is already there
    assert store.load() == (early, late)
    assert len(git(remote, "log", "--format=%H", "seedgate-history").split()) == 2


def test_a_push_that_lost_the_race_is_rebuilt_on_the_new_tip(remote: Path) -> None:
    first = GitHistory(checkout(remote, "job-1"), "origin")
    second = GitHistory(checkout(remote, "job-2"), "origin")
    first.append(record("a"))
    pending = first.stage(record("d"))  # built on the tip with one record
    assert pending is not None
    second.append(record("e"))  # lands first
    assert first.publish(pending) is False  # not a fast-forward: nothing overwritten
    first.append(record("d"))  # fetches again and builds on the new tip
    commits = {r.commit for r in first.load()}
    assert commits == {"a" * 40, "d" * 40, "e" * 40}


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from seedgate.history.codec import record_from_bytes
    from seedgate.store.history_git import GitHistory
    work, go = Path(sys.argv[2]), Path(sys.argv[3])
    lines = Path(sys.argv[4]).read_text(encoding="utf-8").splitlines()
    records = [record_from_bytes(line.encode(), "records") for line in lines]
    while not go.exists():
        time.sleep(0.001)
    store = GitHistory(work, "origin")
    for rec in records:
        store.append(rec, pause_s=0.05)
    """
)


def test_two_push_jobs_writing_at_once_keep_every_record(remote: Path) -> None:
    go = remote.parent / "go"
    jobs = []
    expected: list[HistoryRecord] = []
    for job, digits in enumerate(("0123", "4567")):
        ours = [record(d, f"2026-12-0{job + 1}T1{n}:00:00+00:00") for n, d in enumerate(digits)]
        expected += ours
        work = checkout(remote, f"job-{job}")
        todo = remote.parent / f"records-{job}.jsonl"
        todo.write_text("".join(record_to_json(r) for r in ours), encoding="utf-8")
        command = [sys.executable, "-c", WRITER, str(SRC), str(work), str(go), str(todo)]
        jobs.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    go.touch()  # both start writing at the same moment
    for proc in jobs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    stored = GitHistory(checkout(remote, "reader"), "origin").load()
    assert sorted(stored, key=lambda r: r.created_at) == sorted(
        expected, key=lambda r: r.created_at
    )
    # every push was a fast-forward: one commit per record, in one line
    log = git(remote, "log", "--format=%P", "seedgate-history").split("\n")
    assert len([line for line in log if line]) == len(expected) - 1  # the first has no parent


def _push_file(remote: Path, name: str, content: bytes) -> None:
    """Someone with push access adds a file to the history branch by hand."""
    work = checkout(remote, f"vandal-{abs(hash(name))}")
    git(work, "fetch", "--quiet", "origin", "seedgate-history")
    git(work, "checkout", "--quiet", "FETCH_HEAD")
    target = work / "records" / name
    target.write_bytes(content)
    git(work, "add", "records")
    git(work, "-c", "user.name=v", "-c", "user.email=v@v", "commit", "--quiet", "-m", "x")
    git(work, "push", "--quiet", "origin", "HEAD:seedgate-history")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("evil.sh", b"#!/bin/sh\n", "not a history record's name"),
        ("20261203T130000Z-nocommit-0123456789.json", b" " * (MAX_RECORD_BYTES + 1), "more than"),
        ("20261203T130000Z-nocommit-0123456789.json", b'{"schema": "x"}', "schema"),
    ],
)
def test_hostile_files_on_the_branch_are_refused(
    remote: Path, name: str, content: bytes, expected: str
) -> None:
    store = GitHistory(checkout(remote, "job"), "origin")
    store.append(record("a"))
    _push_file(remote, name, content)
    with pytest.raises(HistoryError, match=expected) as caught:
        store.load()
    assert "seedgate-history" in str(caught.value)


def test_a_push_refused_for_another_reason_is_an_error_not_a_retry(remote: Path) -> None:
    work = checkout(remote, "job")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'denied: read-only token' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    with pytest.raises(HistoryError, match="git push failed"):
        GitHistory(work, "origin").append(record("a"))


def test_a_missing_remote_is_an_error_naming_the_branch(tmp_path: Path) -> None:
    work = tmp_path / "w"
    git(tmp_path, "init", "--quiet", str(work))
    with pytest.raises(HistoryError, match="branch 'seedgate-history' of nowhere"):
        GitHistory(work, "nowhere").load()


def test_record_round_trip_through_the_branch_is_byte_exact(remote: Path) -> None:
    store = GitHistory(checkout(remote, "job"), "origin")
    rec = dataclasses.replace(record("f"), config_digest="sha256:" + "9" * 64)
    path = store.append(rec)
    stored = git(remote, "show", f"seedgate-history:{path}")
    assert stored == record_to_json(rec)
    assert record_from_bytes(stored.encode(), "x") == rec


def test_the_repository_hooks_do_not_run(remote: Path) -> None:
    work = checkout(remote, "job")
    ran = remote.parent / "hook-ran"
    for name in ("pre-push", "reference-transaction"):
        hook = work / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch {ran}\n", encoding="utf-8")
        hook.chmod(0o755)
    store = GitHistory(work, "origin")
    store.append(record("a"))
    assert store.load() == (record("a"),)
    assert not ran.exists()
