"""The command line's words: every subcommand, its flags and their help (``seedgate.cli.main``
runs them). Setting flags keep their text; ``seedgate.config`` parses it, so an error names
the setting."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from seedgate import __version__
from seedgate.errors import ExitCode


class Parser(argparse.ArgumentParser):
    """Exit 2 with this (sub)command's usage; flags are never guessed from a prefix."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)
        self.commands: Mapping[str, argparse.ArgumentParser] = {}

    def parse_args(  # type: ignore[override] # one signature is enough here
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """As argparse's, but an unknown flag is reported with its subcommand's usage."""
        known, extras = self.parse_known_args(args, namespace)
        if extras:
            owner = self.commands.get(getattr(known, "subcommand", None) or "", self)
            owner.error(f"unrecognized arguments: {' '.join(extras)}")
        return known

    def error(self, message: str) -> Any:  # argparse's exit code is already 2
        self.print_usage(sys.stderr)
        from seedgate.log_text import one_line

        self.exit(ExitCode.ERROR, f"seedgate: error: {one_line(message)}\n")


# --- arguments ------------------------------------------------------------------------


def _add_settings(parser: argparse.ArgumentParser) -> None:
    # values stay text here: seedgate.config.settings parses every setting, from any source
    group = parser.add_argument_group("settings (override seedgate.toml / [tool.seedgate])")
    group.add_argument(
        "--config",
        type=Path,
        help="config file (default: ./seedgate.toml); working_directory and the store "
        "are relative to its folder",
    )
    group.add_argument(
        "-C",
        dest="chdir",
        metavar="DIR",
        type=Path,
        help="run as if started in DIR, like git -C (config, working directory, store)",
    )
    group.add_argument(
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
    group.add_argument("--alpha", help="false-alarm rate (default 0.05)")
    group.add_argument(
        "--power",
        help="no-change guard: a drop of min-effect is called no-change at most 1 - power "
        "of the time (default 0.9); `seedgate plan` shows the power delivered",
    )
    group.add_argument("--max-runs", dest="max_runs", help="cap on candidate runs (default 20)")
    group.add_argument("--looks", help="run counts at which the test looks, e.g. 3,5,10,15,20")
    group.add_argument("--timeout", help="seconds per run (default 3600)")
    group.add_argument("--jobs", help="runs at once; 'auto' = usable cores")
    group.add_argument(
        "--seed-base", dest="seed_base", help="run i gets seed SEED_BASE + i (default 0)"
    )
    group.add_argument(
        "--max-failed-runs",
        dest="max_failed_runs",
        help="failed runs tolerated (default: a quarter of the runs)",
    )
    group.add_argument("--entry", help="module:function run in warm worker processes")
    group.add_argument(
        "--executor",
        choices=("local", "ray"),
        help="where the runs run: local processes (default) or tasks on a Ray cluster",
    )
    group.add_argument(
        "--ray-address",
        dest="ray_address",
        help="the Ray cluster with --executor ray: ray://HOST:10001 or HOST:6379 "
        "(default: $RAY_ADDRESS)",
    )


def _add_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        help="report format on stdout (default: text on a terminal, else markdown)",
    )
    parser.add_argument(
        "--out", type=Path, help="also write the report to this file (markdown, or json)"
    )
    parser.add_argument(
        "--fail-on",
        dest="fail_on",
        choices=("regression", "inconclusive", "never"),
        help="which verdicts exit 1 (default regression)",
    )
    parser.add_argument(
        "--missing-baseline",
        dest="missing_baseline",
        choices=("fail", "pass", "build"),
        help="nothing to compare with (no baseline, or a gating metric absent from it): "
        "fail (exit 2, the default), pass with a warning, or build (the action makes it from "
        "the pull request's base commit; the CLI fails as with fail)",
    )


def _add_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cmd", nargs=argparse.REMAINDER, help="the training+evaluation command, after `--`"
    )


def build_parser() -> Parser:
    parser = Parser(
        prog="seedgate",
        description="Run an ML experiment with several seeds and gate on real regressions.",
    )
    parser.add_argument("--version", action="version", version=f"seedgate {__version__}")
    parser.add_argument(
        "-C",
        dest="chdir_first",
        metavar="DIR",
        type=Path,
        help="run as if seedgate was started in DIR, like git -C",
    )
    sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=Parser)
    parser.commands = sub.choices

    run = sub.add_parser("run", help="run the command N times and write a RunSet")
    run.add_argument("--runs", help="number of runs (default 5)")
    run.add_argument("--out", type=Path, default=Path("runs.json"), help="RunSet file")
    run.add_argument("--shard", help="run only shard I of K of the seeds, e.g. 2/4")
    _add_settings(run)
    _add_command(run)

    baseline = sub.add_parser("baseline", help="run and save the baseline in a local store")
    baseline.add_argument("--runs", dest="baseline_runs", help="baseline runs (default 20)")
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

    _add_init(sub)
    _add_github(sub)
    _add_history(sub)

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


def _add_init(sub: Any) -> None:
    init = sub.add_parser("init", help="write a seedgate.toml made for the command's seed noise")
    source = init.add_mutually_exclusive_group()
    source.add_argument("--runs", type=int, help="runs to measure the noise (default 5)")
    source.add_argument("--baseline", type=Path, help="read these runs (a RunSet) instead")
    init.add_argument("--out", type=Path, default=Path("seedgate.toml"), help="config to write")
    init.add_argument("--force", action="store_true", help="overwrite an existing config")
    init.add_argument("--jobs", help="runs at once; 'auto' = usable cores")
    init.add_argument("--timeout", type=float, help="seconds per run (default 3600)")
    _add_command(init)


def _add_history(sub: Any) -> None:
    history = sub.add_parser(
        "history", help="main's baselines as tables and charts, with slow drift found"
    )
    source = history.add_mutually_exclusive_group()
    source.add_argument(
        "--store", type=Path, help="store directory; the history is its history/ (.seedgate/)"
    )
    source.add_argument("--branch", help="read the history from this git data branch instead")
    history.add_argument(
        "--remote", default="origin", help="the remote of --branch (default origin)"
    )
    history.add_argument(
        "--last", type=int, default=20, help="baselines shown (default 20; drift uses all)"
    )
    history.add_argument(
        "--add",
        type=Path,
        nargs="+",
        metavar="RUNSET",
        help="record these baseline RunSets in the local history first",
    )
    history.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        help="on stdout (default: text on a terminal, else markdown)",
    )
    history.add_argument("--out", type=Path, help="also write it to this file (markdown, or json)")
    history.add_argument("--config", type=Path, help="config file (default: ./seedgate.toml)")


def _add_github(sub: Any) -> None:
    sub.add_parser(
        "github",
        help="the GitHub Action's job from a workflow step (reads INPUT_* and GITHUB_*)",
        description=(
            "Do what the seedgate action does, in the job's own environment: read the "
            "inputs from INPUT_<NAME> variables (INPUT_COMMAND, INPUT_MIN-EFFECT, "
            "INPUT_GITHUB-TOKEN, ...) and the run from GITHUB_* as a Docker action gets "
            "them, find the baseline artifact, run the baseline or the gate, comment, write "
            "the summary and outputs, and exit as the action does (0 pass, 1 failing "
            "verdict, 2 error, 3 failed or cancelled runs). Paths come from GITHUB_WORKSPACE; "
            "host/action.yml runs it."
        ),
    )
