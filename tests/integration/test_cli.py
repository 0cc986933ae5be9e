"""The CLI as a user runs it: real subprocesses, real files, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.testing.cli_runner import EXPERIMENT, experiment, seedgate

CONFIG = """
max_runs = 10
looks = [3, 5, 10]
timeout = 20
[metric.accuracy]
goal = "maximize"
min_effect = 0.02
primary = true
[metric.loss]
goal = "minimize"
min_effect = 0.02
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "seedgate.toml").write_text(CONFIG)
    done = seedgate(tmp_path, "baseline", "--runs", "10", *experiment())
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".seedgate" / "baseline.json").is_file()
    return tmp_path


def three_run_candidate(project: Path) -> Path:
    """cand.json in ``project``: three runs of the unchanged experiment."""
    candidate = project / "cand.json"
    done = seedgate(project, "run", "--runs", "3", "--out", str(candidate), *experiment())
    assert done.returncode == 0
    return candidate


def assert_no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr + done.stdout


def test_unchanged_code_is_no_change_and_passes(project: Path) -> None:
    done = seedgate(project, "gate", "--format", "json", *experiment())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "no-change"
    assert "verdict no-change" in done.stderr


def test_known_drop_is_a_regression_and_exits_1(project: Path) -> None:
    out = project / "report.md"
    done = seedgate(project, "gate", "--out", str(out), *experiment("--shift", "-0.03"))
    assert done.returncode == 1, done.stderr
    assert "regression" in out.read_text().lower()
    assert "[gate] look 1/3: " in done.stderr  # the sequential design shows each look
    candidate = json.loads((project / ".seedgate" / "candidate.json").read_text())
    assert len(candidate["runs"]) <= 10


def test_fail_on_never_keeps_the_verdict_but_passes(project: Path) -> None:
    done = seedgate(
        project, "gate", "--fail-on", "never", "--format", "json", *experiment("--shift", "-0.03")
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["verdict"] == "regression"


def test_runs_that_break_in_each_way_are_recorded_and_the_rest_go_on(project: Path) -> None:
    flags = ("--crash-seeds", "1", "--garbage-seeds", "2", "--nan-seeds", "4", "--hang-seed", "0")
    done = seedgate(
        project,
        "gate",
        "--timeout",
        "2",
        "--max-failed-runs",
        "5",
        "--format",
        "json",
        *experiment(*flags),
    )
    assert done.returncode in (0, 1), done.stderr
    assert_no_traceback(done)
    candidate = json.loads((project / ".seedgate" / "candidate.json").read_text())
    by_seed = {r["seed"]: r for r in candidate["runs"]}
    assert by_seed[0]["status"] == "timed-out"
    assert by_seed[1]["status"] == "failed"
    assert "out of memory" in (by_seed[1]["log_tail"] or "")
    assert by_seed[2]["status"] == "failed"
    assert by_seed[4]["status"] == "failed"
    ok = [r for r in candidate["runs"] if r["status"] == "ok"]
    assert len(ok) >= 3
    result = json.loads(done.stdout)
    assert {r["seed"] for r in result["failed_runs"]} >= {0, 1, 2, 4}


def test_too_many_failures_is_exit_3_and_keeps_the_finished_runs(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text(CONFIG)
    out = tmp_path / "runs.json"
    done = seedgate(
        tmp_path, "run", "--runs", "6", "--out", str(out), *experiment("--crash-seeds", "0,1,2")
    )
    assert done.returncode == 3
    assert "max_failed_runs" in done.stderr
    assert_no_traceback(done)
    kept = json.loads(out.read_text())
    assert sum(r["status"] == "ok" for r in kept["runs"]) == 3


def test_corrupt_and_foreign_baselines_are_clear_errors(project: Path) -> None:
    candidate = three_run_candidate(project)
    truncated = project / "truncated.json"
    truncated.write_text((project / ".seedgate" / "baseline.json").read_text()[:200])
    foreign = project / "foreign.json"
    foreign.write_text('{"name": "not a runset"}')
    for bad, fragment in ((truncated, "truncated"), (foreign, "not a seedgate RunSet")):
        done = seedgate(project, "compare", str(bad), str(candidate))
        assert done.returncode == 2
        assert fragment in done.stderr
        assert_no_traceback(done)


def test_compare_json_and_markdown(project: Path) -> None:
    candidate = project / "cand.json"
    seedgate(project, "run", "--runs", "8", "--out", str(candidate), *experiment("--to-file"))
    baseline = project / ".seedgate" / "baseline.json"
    done = seedgate(project, "compare", str(baseline), str(candidate), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] in ("no-change", "inconclusive")
    markdown = seedgate(project, "compare", str(baseline), str(candidate)).stdout
    assert "accuracy" in markdown
    assert "|" in markdown


def test_no_baseline_fails_before_any_run_by_default(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text(CONFIG)
    done = seedgate(tmp_path, "gate", "--format", "json", *experiment())
    assert done.returncode == 2, done.stderr
    assert "no baseline at .seedgate/baseline.json" in done.stderr
    assert "seedgate baseline" in done.stderr
    assert "--missing-baseline pass" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / ".seedgate" / "candidate.json").exists()  # not one run was made


def test_no_baseline_passes_only_when_chosen_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text(CONFIG)
    args = ("gate", "--missing-baseline", "pass", "--format", "json", *experiment())
    done = seedgate(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "no-baseline"
    assert "warning: no baseline at .seedgate/baseline.json" in done.stderr
    assert "nothing was compared" in done.stderr


def test_lockstep_baseline_command(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text(CONFIG)
    base = f"{sys.executable} {EXPERIMENT}"
    done = seedgate(
        tmp_path,
        "gate",
        "--baseline-command",
        base,
        "--format",
        "json",
        *experiment("--shift", "-0.05"),
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["verdict"] == "regression"


def test_shards_merge_to_the_single_job_runs(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text(CONFIG)
    shards = []
    for i in (1, 2, 3):
        path = tmp_path / f"shard{i}.json"
        done = seedgate(
            tmp_path, "run", "--runs", "7", "--shard", f"{i}/3", "--out", str(path), *experiment()
        )
        assert done.returncode == 0, done.stderr
        shards.append(str(path))
    merged = tmp_path / "merged.json"
    assert seedgate(tmp_path, "merge", *shards, "--out", str(merged)).returncode == 0
    single = tmp_path / "single.json"
    assert (
        seedgate(tmp_path, "run", "--runs", "7", "--out", str(single), *experiment()).returncode
        == 0
    )

    def runs(path: Path) -> list[tuple[int, dict[str, float]]]:
        return [(r["seed"], r["metrics"]) for r in json.loads(path.read_text())["runs"]]

    assert runs(merged) == runs(single)
    dup = seedgate(tmp_path, "merge", shards[0], shards[0], "--out", str(tmp_path / "x.json"))
    assert dup.returncode == 2
    assert_no_traceback(dup)


def test_usage_and_config_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text("alpha = 2\n")
    done = seedgate(tmp_path, "run", *experiment())
    assert done.returncode == 2
    assert "alpha = 2" in done.stderr
    (tmp_path / "seedgate.toml").write_text("")
    assert seedgate(tmp_path, "run").returncode == 2  # no command
    assert seedgate(tmp_path, "frobnicate").returncode == 2


def test_help_does_not_import_scipy_or_tensorflow() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from seedgate.cli import main as cli\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['--help'])\n"
        "heavy = [m for m in ('scipy', 'tensorflow', 'numpy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_plan_reads_the_baseline(project: Path) -> None:
    done = seedgate(project, "plan")
    assert done.returncode == 0, done.stderr
    assert "accuracy" in done.stdout
    assert "a change of min_effect for the worse is called a regression" in done.stdout


def test_warm_worker_entry_runs_without_a_command(tmp_path: Path) -> None:
    entry = Path(__file__).parent / "fixtures" / "warm_entry.py"
    out = tmp_path / "runs.json"
    done = seedgate(
        tmp_path,
        "run",
        "--runs",
        "4",
        "--jobs",
        "2",
        "--entry",
        f"{entry}:entry",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    runset = json.loads(out.read_text())
    assert runset["command"] == f"entry:{entry}:entry"
    assert [r["status"] for r in runset["runs"]] == ["ok"] * 4


def test_explain_result_and_environment_drift_reach_the_report(project: Path) -> None:
    noisy = Path(__file__).parent / "fixtures_noise" / "known_noise.py"
    elsewhere = project / "noise"  # no seedgate.toml here: the fixture reports `score`
    elsewhere.mkdir()
    done = seedgate(
        elsewhere,
        "explain",
        "--store",
        str(project / ".seedgate"),
        "--runs-per-factor",
        "4",
        "--repeats",
        "2",
        "--",
        sys.executable,
        str(noisy),
        "--mean",
        "0.8",
        "--data-scale",
        "0.01",
        "--init-scale",
        "0.02",
    )
    assert done.returncode == 0, done.stderr
    assert "score" in done.stdout
    assert (project / ".seedgate" / "noise.json").is_file()

    baseline_path = project / ".seedgate" / "baseline.json"
    drifted = json.loads(baseline_path.read_text())
    drifted["environment"]["tensorflow"] = "tensorflow 2.15.0"
    drifted["environment"]["gpu"] = "NVIDIA A100-SXM4-40GB"
    drifted_path = project / "drifted.json"
    drifted_path.write_text(json.dumps(drifted))
    candidate = project / "cand.json"
    seedgate(project, "run", "--runs", "5", "--out", str(candidate), *experiment())
    report = seedgate(project, "compare", str(drifted_path), str(candidate)).stdout
    assert "<summary>Noise: where the run-to-run spread comes from</summary>" in report
    assert "different environment" in report
    assert "NVIDIA A100-SXM4-40GB" in report


def test_cancelled_job_keeps_the_finished_runs(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text(CONFIG)
    out = tmp_path / "runs.json"
    slow = f"sleep 0.3 && {sys.executable} {EXPERIMENT}"
    with subprocess.Popen(
        [sys.executable, "-m", "seedgate", "run", "--runs", "20", "--out", str(out), "--", slow],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:  # progress lines: cancel once two runs have finished
            if "run 2/20" in line:
                proc.send_signal(signal.SIGTERM)  # what a cancelled CI job gets
                break
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 3, rest
    assert "interrupted after" in rest
    kept = json.loads(out.read_text())
    assert 2 <= len(kept["runs"]) < 20
    assert all(r["status"] == "ok" for r in kept["runs"])


def test_flag_values_are_parsed_by_the_config_and_named(tmp_path: Path) -> None:
    (tmp_path / "seedgate.toml").write_text(CONFIG)
    for flags, message in (
        (["--runs", "x"], "runs = 'x': expected a whole number >= 2"),
        (["--jobs", "many"], "jobs = 'many': expected a whole number >= 1 or 'auto'"),
        (["--alpha", "0.7"], "alpha = '0.7': expected a number in (0, 0.5)"),
        (["--shard", "5/4"], "shard = '5/4'"),
    ):
        done = seedgate(tmp_path, "run", *flags, *experiment())
        assert done.returncode == 2, flags
        assert message in done.stderr
        assert_no_traceback(done)


def test_an_internal_error_exits_2_not_1(project: Path) -> None:
    candidate = three_run_candidate(project)
    directory = project / "a-directory"
    directory.mkdir()
    baseline = project / ".seedgate" / "baseline.json"
    done = seedgate(project, "compare", str(baseline), str(candidate), "--out", str(directory))
    assert done.returncode == 2
    assert "internal error: IsADirectoryError" in done.stderr
    assert_no_traceback(done)


def test_cancelled_after_the_runs_exits_3_keeping_them(project: Path) -> None:
    fifo = project / "report-reader"
    os.mkfifo(fifo)  # opening it blocks until a reader comes: the gate waits after its runs
    candidate = project / "candidate.json"
    gate = [sys.executable, "-m", "seedgate", "gate", "--candidate-out", str(candidate)]
    with subprocess.Popen(
        [*gate, "--out", str(fifo), *experiment()],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        deadline = time.monotonic() + 60
        while not candidate.exists():
            assert proc.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 3, stderr
    assert "seedgate: interrupted" in stderr
    assert "Traceback" not in stderr
    assert len(json.loads(candidate.read_text())["runs"]) >= 3
