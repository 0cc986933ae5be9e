"""The local edge: ``seedgate run | baseline | gate | compare | merge | plan | explain | demo``.

Only this module (and the Action's entrypoint) turns errors into exit codes:
0 settled and passing, 1 failing verdict (per --fail-on), 2 usage or configuration error,
3 the experiment itself failed (too many failed runs; what finished is still written).
Heavy modules (numpy, scipy, the pipeline) are imported inside the commands so that
``seedgate --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from seedgate import __version__
from seedgate.errors import ConfigError, RunnerError, SeedgateError

if TYPE_CHECKING:
    from seedgate.config import Config
    from seedgate.models import Comparison, RunSet

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_RUNS_FAILED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's exit code is already 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"seedgate: error: {message}\n")


# --- arguments ------------------------------------------------------------------------


def _add_settings(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (override seedgate.toml / [tool.seedgate])")
    group.add_argument("--config", type=Path, help="config file (default: ./seedgate.toml)")
    group.add_argument(
        "-C",
        "--working-directory",
        dest="working_directory",
        type=Path,
        help="directory the command runs in (default: .)",
    )
    group.add_argument(
        "--min-effect",
        dest="min_effect",
        help="smallest change that matters: absolute (0.005) or relative (0.5%%)",
    )
    group.add_argument("--alpha", type=float, help="false-alarm rate (default 0.05)")
    group.add_argument(
        "--power",
        type=float,
        help="no-change guard: a drop of min-effect is called no-change at most 1 - power "
        "of the time (default 0.9); `seedgate plan` shows the power delivered",
    )
    group.add_argument(
        "--max-runs", dest="max_runs", type=int, help="cap on candidate runs (default 20)"
    )
    group.add_argument("--looks", help="run counts at which the test looks, e.g. 3,5,10,15,20")
    group.add_argument("--timeout", type=float, help="seconds per run (default 3600)")
    group.add_argument("--jobs", type=_jobs, help="runs at once; 'auto' = usable cores")
    group.add_argument(
        "--seed-base", dest="seed_base", type=int, help="run i gets seed SEED_BASE + i (default 0)"
    )
    group.add_argument(
        "--max-failed-runs",
        dest="max_failed_runs",
        type=int,
        help="failed runs tolerated (default: a quarter of the runs)",
    )
    group.add_argument("--entry", help="module:function run in warm worker processes")


def _jobs(text: str) -> int:
    if text == "auto":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number >= 1 or 'auto'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number >= 1 or 'auto'")
    return value


def _add_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("markdown", "json"),
        default="markdown",
        help="report format on stdout (default markdown)",
    )
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--fail-on",
        dest="fail_on",
        choices=("regression", "inconclusive", "never"),
        help="which verdicts exit 1 (default regression)",
    )


def _add_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cmd", nargs=argparse.REMAINDER, help="the training+evaluation command, after `--`"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="seedgate",
        description="Run an ML experiment with several seeds and gate on real regressions.",
    )
    parser.add_argument("--version", action="version", version=f"seedgate {__version__}")
    sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run the command N times and write a RunSet")
    run.add_argument("--runs", type=int, help="number of runs (default 5)")
    run.add_argument("--out", type=Path, default=Path("runs.json"), help="RunSet file")
    run.add_argument("--shard", help="run only shard I of K of the seeds, e.g. 2/4")
    _add_settings(run)
    _add_command(run)

    baseline = sub.add_parser("baseline", help="run and save the baseline in a local store")
    baseline.add_argument("--runs", type=int, help="baseline runs (default 20)")
    baseline.add_argument("--store", type=Path, help="store directory (default .seedgate/)")
    _add_settings(baseline)
    _add_command(baseline)

    gate = sub.add_parser("gate", help="run the candidate look by look and compare")
    source = gate.add_mutually_exclusive_group()
    source.add_argument("--baseline", type=Path, help="baseline RunSet file")
    source.add_argument("--store", type=Path, help="store directory (default .seedgate/)")
    source.add_argument(
        "--baseline-command",
        dest="baseline_command",
        help="run this as the baseline in lockstep (no stored baseline)",
    )
    gate.add_argument(
        "--candidate-out",
        dest="candidate_out",
        type=Path,
        help="write the candidate RunSet here (default STORE/candidate.json)",
    )
    _add_report(gate)
    _add_settings(gate)
    _add_command(gate)

    comp = sub.add_parser("compare", help="compare two RunSet files")
    comp.add_argument("baseline", type=Path)
    comp.add_argument("candidate", type=Path)
    comp.add_argument(
        "--sequential",
        action="store_true",
        help="replay the look schedule (for candidates made by `gate`)",
    )
    _add_report(comp)
    _add_settings(comp)

    merge = sub.add_parser("merge", help="join shard RunSets into one")
    merge.add_argument("files", nargs="+", type=Path)
    merge.add_argument("--out", type=Path, required=True)

    plan = sub.add_parser("plan", help="runs needed to resolve min-effect, from a baseline")
    src = plan.add_mutually_exclusive_group()
    src.add_argument("--baseline", type=Path, help="baseline RunSet file")
    src.add_argument("--store", type=Path, help="store directory (default .seedgate/)")
    _add_settings(plan)

    explain = sub.add_parser("explain", help="where the noise comes from (seeds, data, hardware)")
    explain.add_argument("--runs-per-factor", dest="runs_per_factor", type=int, default=6)
    explain.add_argument(
        "--repeats", type=int, default=3, help="identical-seed repeats for the determinism check"
    )
    explain.add_argument(
        "--n-test", dest="n_test", type=int, help="test-set size (else the runs' `n_test` metric)"
    )
    explain.add_argument(
        "--store", type=Path, help="where the result is kept for the gate's report (.seedgate/)"
    )
    _add_settings(explain)
    _add_command(explain)

    demo = sub.add_parser("demo", help="the bundled example: baseline, changed variant, report")
    demo.add_argument("--workdir", type=Path, default=Path(".seedgate/demo"))
    demo.add_argument("--baseline-runs", dest="baseline_runs", type=int, default=10)
    demo.add_argument(
        "--lr",
        type=float,
        default=2e-4,
        help="learning rate of the changed variant (the example uses 1e-3)",
    )
    _add_settings(demo)
    return parser


# --- shared steps ---------------------------------------------------------------------

_SETTING_KEYS = (
    "working_directory",
    "min_effect",
    "alpha",
    "power",
    "max_runs",
    "looks",
    "timeout",
    "jobs",
    "seed_base",
    "max_failed_runs",
    "entry",
    "fail_on",
    "store",
)


def _command_text(cmd: Sequence[str]) -> str | None:
    import shlex

    parts = list(cmd[1:] if cmd and cmd[0] == "--" else cmd)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shlex.join(parts)


def load_settings(args: argparse.Namespace, **extra: object) -> Config:
    from seedgate.config import load_config

    overrides: dict[str, object] = {k: getattr(args, k, None) for k in _SETTING_KEYS}
    for key in ("working_directory", "store"):
        if overrides.get(key) is not None:
            overrides[key] = str(overrides[key])
    if command := _command_text(getattr(args, "cmd", None) or []):
        overrides["command"] = command
    overrides.update(extra)
    return load_config(overrides, config_path=args.config, search_dir=Path.cwd())


def _emit(comparison: Comparison, args: argparse.Namespace, out: TextIO) -> None:
    from seedgate.report import render_json, render_markdown

    text = render_json(comparison) if args.format == "json" else render_markdown(comparison)
    out.write(text if text.endswith("\n") else text + "\n")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"seedgate: report written to {args.out}", file=sys.stderr)


def _verdict_exit(comparison: Comparison, config: Config) -> int:
    print(f"seedgate: verdict {comparison.verdict.value}", file=sys.stderr)
    return EXIT_FAIL if config.fail_on.fails(comparison.verdict) else EXIT_OK


def _save_partial(exc: RunnerError, path: Path) -> None:
    from seedgate.models import RunSet
    from seedgate.runset_io import write_runset

    if isinstance(exc.partial, RunSet):
        write_runset(exc.partial, path)
        print(f"seedgate: the runs that finished are kept in {path}", file=sys.stderr)


# --- commands -------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_fixed
    from seedgate.runset_io import write_runset

    config = load_settings(args)
    runs = args.runs or config.runs
    try:
        runset = run_fixed(config, runs=runs, out=sys.stderr, label="run", shard=args.shard)
    except RunnerError as exc:
        _save_partial(exc, args.out)
        raise
    write_runset(runset, args.out)
    print(f"seedgate: {len(runset.ok_runs)} runs written to {args.out}", file=sys.stderr)
    return EXIT_OK


def cmd_baseline(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_fixed
    from seedgate.store.local import LocalStore

    config = load_settings(args)
    store = LocalStore(config.store)
    try:
        runset = run_fixed(config, runs=args.runs or config.baseline_runs, out=sys.stderr)
    except RunnerError as exc:
        _save_partial(exc, store.directory / "baseline.partial.json")
        raise
    path = store.save(runset)
    print(f"seedgate: baseline of {len(runset.ok_runs)} runs saved to {path}", file=sys.stderr)
    return EXIT_OK


def _load_baseline(args: argparse.Namespace, config: Config) -> RunSet | None:
    from seedgate.runset_io import read_runset
    from seedgate.store.local import LocalStore

    if getattr(args, "baseline", None):
        return read_runset(args.baseline)
    return LocalStore(config.store).load()


def cmd_gate(args: argparse.Namespace) -> int:
    from seedgate.pipeline import run_gate
    from seedgate.runset_io import write_runset

    config = load_settings(args)
    baseline = None if args.baseline_command else _load_baseline(args, config)
    candidate_path = args.candidate_out or config.store / "candidate.json"
    try:
        outcome = run_gate(config, baseline, out=sys.stderr, baseline_command=args.baseline_command)
    except RunnerError as exc:
        _save_partial(exc, candidate_path)
        raise
    write_runset(outcome.candidate, candidate_path)
    if outcome.baseline is None:
        print(
            "seedgate: no baseline found; make one with `seedgate baseline -- CMD` "
            "on the main branch",
            file=sys.stderr,
        )
    _emit(outcome.comparison, args, sys.stdout)
    return _verdict_exit(outcome.comparison, config)


def cmd_compare(args: argparse.Namespace) -> int:
    from seedgate.pipeline import compare_runsets
    from seedgate.runset_io import read_runset

    config = load_settings(args)
    baseline, candidate = read_runset(args.baseline), read_runset(args.candidate)
    looks = config.effective_looks() if args.sequential else None
    comparison = compare_runsets(baseline, candidate, config, looks=looks)
    _emit(comparison, args, sys.stdout)
    return _verdict_exit(comparison, config)


def cmd_merge(args: argparse.Namespace) -> int:
    from seedgate.runset_io import read_runset, write_runset
    from seedgate.shards import merge_runsets

    merged = merge_runsets([read_runset(p) for p in args.files], names=[str(p) for p in args.files])
    write_runset(merged, args.out)
    print(
        f"seedgate: {len(merged.runs)} runs from {len(args.files)} shards written to {args.out}",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from seedgate.explain import TYPICAL_CORRELATION
    from seedgate.report.text import plan_sentence
    from seedgate.stats.design import calibrate
    from seedgate.stats.paired import calibrate as paired_calibrate
    from seedgate.stats.planning import plan_runs

    config = load_settings(args)
    baseline = _load_baseline(args, config)
    if baseline is None:
        raise ConfigError(
            "plan: no baseline; pass --baseline FILE or make one with `seedgate baseline -- CMD`"
        )
    looks = config.effective_looks()
    levels = (config.alpha, config.power, config.simulations, config.stats_seed)
    n_baseline = len(baseline.ok_runs)
    # the gate pairs run i with the baseline's run i when there is a twin for every run
    pairs = n_baseline >= looks[-1] and len(looks) > 1
    design = (paired_calibrate if pairs else calibrate)(looks, n_baseline, *levels)
    correlation = TYPICAL_CORRELATION if pairs else None
    for name in config.gated_metric_names(baseline.metric_names()):
        values = baseline.values(name)
        spec = config.spec_for(name)
        effect = spec.min_effect.absolute(sum(values) / len(values)) if values else 0.0
        plan = plan_runs(values, effect, design, looks[-1], metric=name, correlation=correlation)
        print(plan_sentence(plan))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from seedgate.explain import render_explain, run_explain
    from seedgate.noise_io import NOISE_FILE, write_noise

    config = load_settings(args)
    breakdowns = run_explain(
        config,
        out=sys.stderr,
        runs_per_factor=args.runs_per_factor,
        repeats=args.repeats,
        n_test=args.n_test,
    )
    print(render_explain(breakdowns, config=config))
    path = config.store / NOISE_FILE
    write_noise(breakdowns, path)
    print(f"seedgate: kept in {path}; `seedgate gate` adds it to the report", file=sys.stderr)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from seedgate.demo import find_example, run_demo

    if args.config is None:
        args.config = find_example() / "seedgate.toml"
    # the demo runs as many seeds at once as there are cores unless --jobs says otherwise
    config = load_settings(args, jobs=0 if args.jobs is None else args.jobs)
    return run_demo(
        config,
        workdir=args.workdir,
        baseline_runs=args.baseline_runs,
        changed_lr=args.lr,
        out=sys.stdout,
    )


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "baseline": cmd_baseline,
    "gate": cmd_gate,
    "compare": cmd_compare,
    "merge": cmd_merge,
    "plan": cmd_plan,
    "explain": cmd_explain,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    from seedgate.interrupts import interrupt_on_sigterm

    args = build_parser().parse_args(argv)
    interrupt_on_sigterm()
    try:
        return COMMANDS[args.subcommand](args)
    except ConfigError as exc:
        print(f"seedgate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunnerError as exc:
        print(f"seedgate: error: {exc}", file=sys.stderr)
        return EXIT_RUNS_FAILED
    except SeedgateError as exc:
        print(f"seedgate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("seedgate: interrupted", file=sys.stderr)
        return 130
