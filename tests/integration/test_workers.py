"""Warm workers end to end: real worker processes running fixtures/warm_entry.py."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest

from seedgate.config.settings import Config
from seedgate.errors import ConfigError, RunnerError
from seedgate.records import RunResult, RunStatus
from seedgate.run.runner import Runner
from seedgate.run.seeds import run_spec, run_specs
from seedgate.run.workers import parse_entry

FIXTURES = Path(__file__).parent / "fixtures"
ENTRY = "warm_entry:entry"


def score(seed: int) -> float:
    return 0.7 + (seed * 37 % 11) / 100


def warm_run(
    count: int,
    *,
    environ: dict[str, str] | None = None,
    out: io.StringIO | None = None,
    **changes: object,
) -> tuple[RunResult, ...]:
    config = Config(entry=ENTRY, working_directory=FIXTURES, **changes)  # type: ignore[arg-type]
    with Runner(config, environ={**os.environ, **(environ or {})}, out=out) as runner:
        return runner.run(run_specs(range(count)))


def test_entry_runs_with_seeds_in_one_warm_process() -> None:
    out = io.StringIO()
    results = warm_run(4, out=out, timeout=30)
    assert all(r.ok for r in results), [r.reason for r in results]
    assert [r.metrics["score"] for r in results] == [score(s) for s in range(4)]
    assert len({r.metrics["pid"] for r in results}) == 1
    assert [r.metrics["calls"] for r in results] == [1, 2, 3, 4]
    assert [r.metrics["resets"] for r in results] == [1, 2, 3, 4]  # reset() before each run
    for result in results:
        spec = run_spec(result.index)
        assert result.metrics["env_seed"] == spec.seed
        expected = spec.data_seed % 1000 + spec.init_seed % 1000 + spec.index
        assert result.metrics["seed_sum"] == expected
    assert len(out.getvalue().splitlines()) == 4


def test_worker_environment_is_cleaned() -> None:
    secrets = {"INPUT_GITHUB-TOKEN": "ghs_input", "GITHUB_TOKEN": "ghs", "HF_TOKEN": "hf"}
    (result,) = warm_run(1, environ=secrets, timeout=30)
    assert result.ok, result.reason
    assert result.metrics["has_github_token"] == 0
    assert result.metrics["has_hf_token"] == 1


def test_crashing_worker_fails_that_run_and_is_replaced() -> None:
    results = warm_run(5, environ={"WARM_CRASH_SEEDS": "1"}, timeout=30)
    assert [r.status for r in results] == [RunStatus.OK, RunStatus.FAILED] + [RunStatus.OK] * 3
    crashed = results[1]
    assert crashed.reason == "the warm worker exited with code 7 during the run"
    assert crashed.log_tail is not None
    assert "crashing hard on seed 1" in crashed.log_tail
    assert results[0].metrics["pid"] != results[2].metrics["pid"]
    assert [r.metrics["calls"] for r in results if r.ok] == [1, 1, 2, 3]


def test_exception_in_entry_fails_the_run_and_keeps_the_worker() -> None:
    results = warm_run(3, environ={"WARM_RAISE_SEEDS": "1"}, timeout=30)
    failed = results[1]
    assert failed.status is RunStatus.FAILED
    assert failed.reason == "the entry raised ValueError: bad batch on seed 1"
    assert failed.log_tail is not None
    assert "Traceback" in failed.log_tail
    assert "ValueError: bad batch on seed 1" in failed.log_tail
    assert results[0].metrics["pid"] == results[2].metrics["pid"]
    assert results[2].metrics["resets"] == 3


def test_invalid_returned_metrics_fail_the_run() -> None:
    results = warm_run(2, environ={"WARM_BAD_SEEDS": "0"}, timeout=30)
    assert results[0].status is RunStatus.FAILED
    assert results[0].reason == "metric 'score' in the entry's return value is NaN"
    assert results[1].ok


def test_workers_are_recycled_after_max_runs() -> None:
    results = warm_run(5, timeout=30, worker_max_runs=2)
    pids = [r.metrics["pid"] for r in results]
    assert pids[0] == pids[1]
    assert pids[2] == pids[3]
    assert len({pids[0], pids[2], pids[4]}) == 3
    assert [r.metrics["calls"] for r in results] == [1, 2, 1, 2, 1]


def test_hanging_entry_times_out_and_the_worker_is_replaced() -> None:
    started = time.monotonic()
    results = warm_run(3, environ={"WARM_HANG_SEED": "1"}, timeout=2.0)
    hung = results[1]
    assert hung.status is RunStatus.TIMED_OUT
    assert hung.reason == "timed out after 2s; the warm worker was killed"
    assert 2.0 <= hung.duration_s < 3.5
    assert results[0].ok
    assert results[2].ok
    assert results[0].metrics["pid"] != results[2].metrics["pid"]
    assert time.monotonic() - started < 12


def test_parallel_workers_give_the_same_results_as_one() -> None:
    env = {"WARM_RAISE_SEEDS": "2"}
    serial = warm_run(6, environ=env, timeout=30, jobs=1)
    parallel = warm_run(6, environ=env, timeout=30, jobs=2)

    def key(results: tuple[RunResult, ...]) -> list[tuple[object, ...]]:
        return [(r.index, r.seed, r.status, r.metrics.get("score"), r.reason) for r in results]

    assert key(serial) == key(parallel)
    assert len({r.metrics["pid"] for r in parallel if r.ok}) == 2


def test_entry_by_file_path() -> None:
    config = Config(entry="warm_entry.py:score_entry", working_directory=FIXTURES, timeout=30)
    with (
        pytest.raises(RunnerError, match="has no function 'score_entry'"),
        Runner(config) as runner,
    ):
        runner.run(run_specs(range(1)))
    config = Config(entry="warm_entry.py:entry", working_directory=FIXTURES, timeout=30)
    with Runner(config) as runner:
        (result,) = runner.run(run_specs(range(1)))
    assert result.ok, result.reason
    assert result.metrics["score"] == score(0)


def test_unloadable_entry_is_a_runner_error_with_the_log() -> None:
    config = Config(entry="no_such_module_xyz:entry", working_directory=FIXTURES, timeout=30)
    with Runner(config) as runner, pytest.raises(RunnerError) as caught:
        runner.run(run_specs(range(2)))
    message = str(caught.value)
    assert "entry 'no_such_module_xyz:entry' could not be loaded" in message
    assert "ModuleNotFoundError" in message
    assert caught.value.partial == ()


@pytest.mark.parametrize("entry", ["warm_entry", "warm_entry:", ":entry", "a b:entry", "m:1x"])
def test_malformed_entry_is_a_config_error(entry: str) -> None:
    with pytest.raises(ConfigError, match="expected 'module:function'"):
        parse_entry(entry)
    with pytest.raises(ConfigError, match=repr(entry).replace("(", r"\(")):
        Runner(Config(entry=entry))


def test_close_stops_a_busy_warm_worker() -> None:
    config = Config(entry=ENTRY, working_directory=FIXTURES, timeout=60)
    progress = io.StringIO()
    runner = Runner(config, environ={**os.environ, "WARM_HANG_SEED": "1"}, out=progress)
    outcome: list[BaseException | tuple[RunResult, ...]] = []

    def work() -> None:
        try:
            outcome.append(runner.run(run_specs(range(3))))
        except RunnerError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work)
    started = time.monotonic()
    thread.start()
    while "seed=0" not in progress.getvalue():
        assert time.monotonic() - started < 10
        time.sleep(0.05)
    time.sleep(0.3)  # seed 1 hangs
    runner.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    (error,) = outcome
    assert isinstance(error, RunnerError)
    assert "stopped" in str(error)
    assert isinstance(error.partial, tuple)
    assert [r.seed for r in error.partial] == [0]
