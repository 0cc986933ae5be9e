"""The subprocess contract end to end: real shells, real children, no mocks."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import sys
import threading
import time
from pathlib import Path

import pytest

from seedgate.config.settings import Config
from seedgate.errors import ConfigError, RunnerError
from seedgate.records import RunResult, RunStatus
from seedgate.run.runner import Runner, fill_placeholders
from seedgate.run.seeds import run_spec, run_specs
from seedgate.runset.shards import merge_runsets, parse_shard, shard_indices
from tests.testing.runsets import runset

FIXTURES = Path(__file__).parent / "fixtures"
PY = shlex.quote(sys.executable)
SEEDED = f"{PY} {shlex.quote(str(FIXTURES / 'seeded_metrics.py'))}"
LINE = re.compile(
    r"^\[(?P<label>[\w-]+)\] run (?P<i>\d+)/(?P<n>\d+) seed=(?P<seed>\d+)  "
    r"(?P<body>.+)  (?P<secs>\d+\.\d)s  \| (?P<summary>.+)$"
)


def expected_metrics(seed: int) -> dict[str, float]:
    return {"accuracy": 0.8 + (seed % 7) / 100, "loss": 0.5 - (seed % 5) / 50}


def run(config: Config, count: int, **kwargs: object) -> tuple[RunResult, ...]:
    with Runner(config, **kwargs) as runner:  # type: ignore[arg-type]
        return runner.run(run_specs(range(count), config.seed_base))


def comparable(results: tuple[RunResult, ...]) -> list[tuple[object, ...]]:
    return [
        (r.index, r.seed, r.data_seed, r.init_seed, r.status, dict(r.metrics), r.reason)
        for r in results
    ]


def test_seeds_reach_the_run_through_placeholders_and_variables(tmp_path: Path) -> None:
    script = (
        "import json, os, sys; "
        "print(json.dumps({'arg_' + k: float(v) for k, v in zip("
        "['seed', 'data', 'init', 'index'], sys.argv[1:])} | "
        "{'env_' + k.lower(): float(os.environ['SEEDGATE_' + k]) "
        "for k in ['SEED', 'DATA_SEED', 'INIT_SEED', 'RUN_INDEX']}))"
    )
    command = f"{PY} -c {shlex.quote(script)} {{seed}} {{data_seed}} {{init_seed}} {{index}}"
    config = Config(command=command, working_directory=tmp_path, seed_base=100)
    results = run(config, 2)
    for result in results:
        spec = run_spec(result.index, 100)
        assert result.ok, result.reason
        assert result.seed == spec.seed == 100 + result.index
        assert (result.data_seed, result.init_seed) == (spec.data_seed, spec.init_seed)
        assert result.metrics["arg_seed"] == result.metrics["env_seed"] == spec.seed
        assert result.metrics["arg_data"] == result.metrics["env_data_seed"] == spec.data_seed
        assert result.metrics["arg_init"] == result.metrics["env_init_seed"] == spec.init_seed
        assert result.metrics["arg_index"] == result.metrics["env_run_index"] == spec.index


def test_other_braces_in_the_command_are_left_alone() -> None:
    spec = run_spec(3)
    command = fill_placeholders("awk '{print $1}' {seed} {seeds} {index}", spec)
    assert command == "awk '{print $1}' 3 {seeds} 3"


def test_command_runs_in_a_shell_from_the_working_directory(tmp_path: Path) -> None:
    sub = tmp_path / "project"
    sub.mkdir()
    (sub / "train.py").write_text(
        "import json, os\nprint(json.dumps({'here': float(os.getcwd().endswith('project'))}))\n",
        encoding="utf-8",
    )
    config = Config(command=f"cd project && {PY} train.py", working_directory=tmp_path)
    (result,) = run(config, 1)
    assert result.ok, result.reason
    assert result.metrics == {"here": 1.0}


def test_stdout_metrics_and_metrics_file(tmp_path: Path) -> None:
    stdout_results = run(Config(command=SEEDED, working_directory=tmp_path), 3)
    assert [dict(r.metrics) for r in stdout_results] == [expected_metrics(s) for s in range(3)]
    assert all(r.log_tail is None for r in stdout_results)
    file_command = f"{PY} {shlex.quote(str(FIXTURES / 'metrics_file.py'))}"
    file_results = run(Config(command=file_command, working_directory=tmp_path), 3)
    assert [dict(r.metrics) for r in file_results] == [
        {"accuracy": seed / 10, "f1": 0.5} for seed in range(3)
    ]


def test_each_run_gets_a_fresh_metrics_file(tmp_path: Path) -> None:
    command = (
        f"{PY} -c \"import os; print(os.environ['SEEDGATE_METRICS_FILE'])\"; echo '{{\"x\": 1}}'"
    )
    with Runner(Config(command=command, working_directory=tmp_path)) as runner:
        runner.run(run_specs(range(2)))
    config = Config(
        command=(
            f'test ! -e "$SEEDGATE_METRICS_FILE" && {PY} '
            f"{shlex.quote(str(FIXTURES / 'metrics_file.py'))}"
        ),
        working_directory=tmp_path,
    )
    results = run(config, 3)
    assert all(r.ok for r in results), [r.reason for r in results]


def test_crashing_seeds_fail_with_reason_and_log_tail_others_go_on(tmp_path: Path) -> None:
    config = Config(
        command=f"{SEEDED} --seed {{seed}} --crash-seeds 1,3", working_directory=tmp_path
    )
    out = io.StringIO()
    results = run(config, 5, out=out)
    assert [r.status for r in results] == [
        RunStatus.OK,
        RunStatus.FAILED,
        RunStatus.OK,
        RunStatus.FAILED,
        RunStatus.OK,
    ]
    failed = results[1]
    assert failed.reason == "exited with code 1"
    assert failed.metrics == {}
    assert failed.log_tail is not None
    assert "RuntimeError: diverged on seed 1" in failed.log_tail
    assert "about to fail on seed 1" in failed.log_tail  # stdout and stderr together
    assert "epoch 1/1" in failed.log_tail
    assert [dict(results[i].metrics) for i in (0, 2, 4)] == [expected_metrics(s) for s in (0, 2, 4)]
    lines = [line for line in out.getvalue().splitlines() if not line.startswith("    | ")]
    assert len(lines) == 5  # one line per run, a failed run's last lines of output under it
    assert "FAILED: exited with code 1" in lines[1]
    assert lines[4].endswith("(n=3)")
    tail = out.getvalue().split(lines[1] + "\n", 1)[1].split(lines[2], 1)[0].splitlines()
    assert "    | RuntimeError: diverged on seed 1" in tail  # stdout and stderr interleave


def test_signals_and_missing_commands_have_readable_reasons(tmp_path: Path) -> None:
    segv = f"{PY} -c 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'"
    (result,) = run(Config(command=segv, working_directory=tmp_path), 1)
    assert result.status is RunStatus.FAILED
    assert result.reason == "exited with code 139 (killed by signal SIGSEGV)"
    (missing,) = run(Config(command="no-such-program-xyz", working_directory=tmp_path), 1)
    assert missing.reason == "exited with code 127 (command not found)"
    assert missing.log_tail is not None
    assert "no-such-program-xyz" in missing.log_tail


def _process_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # a zombie waiting for its reaper


def test_hanging_run_times_out_and_its_whole_process_group_dies(tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    config = Config(
        command=f"{SEEDED} --seed {{seed}} --hang-seed 1 --pid-file {shlex.quote(str(pid_file))}",
        working_directory=tmp_path,
        timeout=1.5,
    )
    started = time.monotonic()
    results = run(config, 3)
    elapsed = time.monotonic() - started
    hung = results[1]
    assert hung.status is RunStatus.TIMED_OUT
    assert hung.reason == "timed out after 1.5s; it and every process it started were killed"
    assert 1.5 <= hung.duration_s < 3.0
    assert hung.log_tail is not None
    assert "training with seed 1" in hung.log_tail
    assert results[0].ok
    assert results[2].ok
    assert elapsed < 8
    sleeper = int(pid_file.read_text(encoding="utf-8"))
    deadline = time.monotonic() + 2
    while not _process_gone(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _process_gone(sleeper)


def test_background_children_do_not_hold_a_finished_run(tmp_path: Path) -> None:
    command = "sleep 30 & echo $! > bg.pid; echo '{\"accuracy\": 0.5}'"
    config = Config(command=command, working_directory=tmp_path, timeout=20)
    started = time.monotonic()
    (result,) = run(config, 1)
    assert result.ok, result.reason
    assert time.monotonic() - started < 5
    background = int((tmp_path / "bg.pid").read_text(encoding="utf-8"))
    deadline = time.monotonic() + 2
    while not _process_gone(background) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _process_gone(background)


@pytest.mark.parametrize(
    ("script", "fragment"),
    [
        ("garbage.py", "reported no metrics"),
        ("nan_metrics.py", "metric 'loss' in $SEEDGATE_METRICS_FILE is NaN"),
    ],
)
def test_bad_output_fails_the_run(tmp_path: Path, script: str, fragment: str) -> None:
    command = f"{PY} {shlex.quote(str(FIXTURES / script))}"
    (result,) = run(Config(command=command, working_directory=tmp_path), 1)
    assert result.status is RunStatus.FAILED
    assert result.reason is not None
    assert fragment in result.reason


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ('{"accuracy": true}', "'accuracy' in $SEEDGATE_METRICS_FILE is not a number: True"),
        ('{"accuracy": Infinity}', "is infinite"),
        ('{"accuracy": {"top1": 0.9}}', "is not a number: {'top1': 0.9}"),
        ('{"accuracy": "0.9"}', "is not a number: '0.9'"),
        ("[0.9]", "are list, expected a JSON object"),
        ("not json", "is not valid JSON"),
    ],
)
def test_invalid_metric_values_fail_the_run(tmp_path: Path, payload: str, fragment: str) -> None:
    command = f"{PY} {shlex.quote(str(FIXTURES / 'metrics_file.py'))} {shlex.quote(payload)}"
    (result,) = run(Config(command=command, working_directory=tmp_path), 1)
    assert result.status is RunStatus.FAILED
    assert result.reason is not None
    assert fragment in result.reason


def test_missing_required_metric_fails_the_run(tmp_path: Path) -> None:
    config = Config(command=SEEDED, working_directory=tmp_path)
    (result,) = run(config, 1, required_metrics=("accuracy", "f1"))
    assert result.status is RunStatus.FAILED
    assert result.reason is not None
    assert "'f1' missing" in result.reason


def _child_env(
    tmp_path: Path, config_changes: dict[str, object], environ: dict[str, str]
) -> dict[str, str]:
    target = tmp_path / "env.json"
    command = f"{PY} {shlex.quote(str(FIXTURES / 'dump_env.py'))} {shlex.quote(str(target))}"
    config = Config(command=command, working_directory=tmp_path, **config_changes)  # type: ignore[arg-type]
    (result,) = run(config, 1, environ=environ)
    assert result.ok, result.reason
    loaded: dict[str, str] = json.loads(target.read_text(encoding="utf-8"))
    return loaded


SECRETS = {
    "INPUT_GITHUB-TOKEN": "ghs_input",
    "GITHUB_TOKEN": "ghs_env",
    "GH_TOKEN": "ghs_gh",
    "ACTIONS_RUNTIME_TOKEN": "runtime",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc",
    "HF_TOKEN": "hf_user",
    "WANDB_API_KEY": "wandb_user",
}


def test_a_real_child_sees_no_gate_credentials(tmp_path: Path) -> None:
    env = _child_env(tmp_path, {}, {**os.environ, **SECRETS})
    for name in ("INPUT_GITHUB-TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN"):
        assert name not in env
    assert "ACTIONS_ID_TOKEN_REQUEST_URL" not in env
    assert env["HF_TOKEN"] == "hf_user"
    assert env["WANDB_API_KEY"] == "wandb_user"
    assert env["PATH"] == os.environ["PATH"]
    assert env["SEEDGATE_SEED"] == "0"
    assert "OMP_NUM_THREADS" not in env or env["OMP_NUM_THREADS"] == os.environ.get(
        "OMP_NUM_THREADS"
    )


def test_pass_env_and_drop_env_reach_the_child(tmp_path: Path) -> None:
    changes: dict[str, object] = {"pass_env": ("GITHUB_TOKEN",), "drop_env": ("WANDB_*",)}
    env = _child_env(tmp_path, changes, {**os.environ, **SECRETS})
    assert env["GITHUB_TOKEN"] == "ghs_env"
    assert "WANDB_API_KEY" not in env
    assert "INPUT_GITHUB-TOKEN" not in env
    assert env["HF_TOKEN"] == "hf_user"


def test_parallel_children_get_thread_limits_unless_set(tmp_path: Path) -> None:
    parent = {k: v for k, v in os.environ.items() if not k.endswith("_THREADS")}
    env = _child_env(tmp_path, {"jobs": 2}, {**parent, "MKL_NUM_THREADS": "3"})
    cores = len(os.sched_getaffinity(0))
    assert env["OMP_NUM_THREADS"] == str(max(1, cores // 2))
    assert env["TF_NUM_INTRAOP_THREADS"] == str(max(1, cores // 2))
    assert env["MKL_NUM_THREADS"] == "3"
    single = _child_env(tmp_path, {"jobs": 1}, parent)
    assert "OMP_NUM_THREADS" not in single


def test_parallel_runs_match_serial_runs_and_print_whole_lines(tmp_path: Path) -> None:
    # Chatty runs of uneven length finish out of order; results must not care.
    command = (
        f'{PY} -c \'import time, sys; [print("x" * 200) for _ in range(2000)]; '
        "time.sleep(((7 * {seed}) % 5) / 20)' && "
        f"{SEEDED} --seed {{seed}} --crash-seeds 4"
    )
    serial_out, parallel_out = io.StringIO(), io.StringIO()
    serial = run(Config(command=command, working_directory=tmp_path, jobs=1), 8, out=serial_out)
    parallel = run(Config(command=command, working_directory=tmp_path, jobs=2), 8, out=parallel_out)
    assert comparable(serial) == comparable(parallel)
    assert [r.index for r in parallel] == list(range(8))
    assert parallel[4].status is RunStatus.FAILED
    every_line = parallel_out.getvalue().splitlines()
    failed_at = next(i for i, line in enumerate(every_line) if "FAILED" in line)
    tail_at = [i for i, line in enumerate(every_line) if line.startswith("    | ")]
    assert tail_at == list(range(failed_at + 1, failed_at + 1 + len(tail_at)))  # kept together
    lines = [line for line in every_line if not line.startswith("    | ")]
    assert len(lines) == 8
    matches = [LINE.match(line) for line in lines]
    assert all(m is not None for m in matches), lines
    assert sorted(int(m.group("seed")) for m in matches if m) == list(range(8))
    assert [m.group("i") for m in matches if m] == [str(k) for k in range(1, 9)]
    assert {m.group("n") for m in matches if m} == {"8"}
    assert lines[-1].endswith("(n=7)")


def test_progress_line_format(tmp_path: Path) -> None:
    out = io.StringIO()
    config = Config(command=f"{SEEDED} --seed {{seed}}", working_directory=tmp_path)
    with Runner(config, out=out, label="baseline", planned=5) as runner:
        runner.run(run_specs(range(3)))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[baseline] run 1/5 seed=0  accuracy=0.8000 loss=0.5000  ")
    assert lines[0].endswith("| accuracy 0.8000 (n=1), loss 0.5000 (n=1)")
    assert lines[2].startswith("[baseline] run 3/5 seed=2  accuracy=0.8200 loss=0.4600  ")
    assert lines[2].endswith("| accuracy 0.8100 ± 0.0100 (n=3), loss 0.4800 ± 0.0200 (n=3)")


def test_results_accumulate_across_batches(tmp_path: Path) -> None:
    config = Config(command=SEEDED, working_directory=tmp_path)
    out = io.StringIO()
    with Runner(config, out=out) as runner:
        first = runner.run(run_specs(range(3)))
        second = runner.run(run_specs(range(3, 5)))
        assert runner.results == first + second
        assert runner.run([]) == ()
    assert "run 5/5 seed=4" in out.getvalue().splitlines()[-1]


def test_no_command_is_a_config_error_and_bad_directory_a_runner_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no command to run"):
        Runner(Config())
    with pytest.raises(ConfigError, match="no command to run"):
        Runner(Config(command="python x.py"), command="   ")
    missing = tmp_path / "nowhere"
    with (
        Runner(Config(command="true", working_directory=missing)) as runner,
        pytest.raises(RunnerError, match="nowhere"),
    ):
        runner.run(run_specs(range(1)))


def test_closed_runner_refuses_to_run(tmp_path: Path) -> None:
    runner = Runner(Config(command=SEEDED, working_directory=tmp_path))
    runner.close()
    with pytest.raises(RunnerError, match="closed"):
        runner.run(run_specs(range(1)))


def test_merged_shards_equal_one_job(tmp_path: Path) -> None:
    config = Config(command=f"{SEEDED} --seed {{seed}} --crash-seeds 5", working_directory=tmp_path)
    whole = run(config, 9)
    shard_sets = []
    for text in ("1/3", "2/3", "3/3"):
        with Runner(config, label=f"shard {text}") as runner:
            results = runner.run(run_specs(shard_indices(9, parse_shard(text))))
        shard_sets.append(
            runset(
                runs=results,
                command=config.command or "",
                config_digest=config.digest(),
                commit="c0ffee",
                environment={"python": sys.version.split()[0]},
                created_at="2024-09-01T10:00:00+00:00",
                shard=text,
            )
        )
    merged = merge_runsets(shard_sets[::-1])
    assert comparable(merged.runs) == comparable(whole)


def test_close_from_another_thread_stops_runs_in_flight(tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    config = Config(
        command=f"{SEEDED} --seed {{seed}} --hang-seed 1 --pid-file {shlex.quote(str(pid_file))}",
        working_directory=tmp_path,
        timeout=60,
        jobs=2,
    )
    progress = io.StringIO()
    runner = Runner(config, out=progress)
    outcome: list[BaseException | tuple[RunResult, ...]] = []

    def work() -> None:
        try:
            outcome.append(runner.run(run_specs(range(2))))
        except RunnerError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work)
    started = time.monotonic()
    thread.start()
    while not (pid_file.exists() and "seed=0" in progress.getvalue()):
        assert time.monotonic() - started < 10
        time.sleep(0.05)
    runner.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 15
    (error,) = outcome
    assert isinstance(error, RunnerError)
    assert "stopped" in str(error)
    assert isinstance(error.partial, tuple)
    assert [r.seed for r in error.partial] == [0]  # the finished run is kept, not the killed one
    sleeper = int(pid_file.read_text(encoding="utf-8"))
    deadline = time.monotonic() + 2
    while not _process_gone(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _process_gone(sleeper)


def test_parallel_jobs_overlap_runs(tmp_path: Path) -> None:
    # Sleeping needs no CPU, so this holds on a loaded machine too.
    config = Config(
        command="sleep 0.5; echo '{\"x\": {index}}'", working_directory=tmp_path, jobs=4
    )
    started = time.monotonic()
    results = run(config, 8)
    elapsed = time.monotonic() - started
    assert [r.metrics["x"] for r in results] == list(range(8))
    assert elapsed < 2.0  # 8 x 0.5 s one at a time would take 4 s
