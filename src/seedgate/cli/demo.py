"""``seedgate demo``: the embedded default, end to end, on the bundled Keras example.

1. a local baseline of the example (its default learning rate),
2. a changed variant (a lower learning rate) gated against it look by look,
3. the report in the terminal and in files.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
from pathlib import Path
from typing import TextIO

from seedgate.cli.common import load_settings, stdout_format
from seedgate.config.settings import Config
from seedgate.errors import ConfigError
from seedgate.files import make_directories

_EXAMPLE = Path("examples") / "mnist"


def find_example() -> Path:
    """The bundled example: $SEEDGATE_EXAMPLE_DIR, the source checkout, or ./examples/mnist."""
    candidates = [
        Path(os.environ["SEEDGATE_EXAMPLE_DIR"])
        if os.environ.get("SEEDGATE_EXAMPLE_DIR")
        else None,
        Path(__file__).resolve().parents[2] / _EXAMPLE,
        Path.cwd() / _EXAMPLE,
        Path("/app") / _EXAMPLE,
    ]
    for candidate in candidates:
        if candidate is not None and (candidate / "train.py").is_file():
            return candidate
    raise ConfigError(
        "demo: the bundled example (examples/mnist/train.py) was not found; run the demo "
        "from a seedgate checkout or set SEEDGATE_EXAMPLE_DIR"
    )


def example_command(example: Path, *extra: str) -> str:
    train = example / "train.py"
    return shlex.join([sys.executable, str(train), "--seed", "SEED", *extra]).replace(
        "SEED", "{seed}"
    )


def run_demo(
    config: Config,
    *,
    workdir: Path,
    baseline_runs: int,
    changed_lr: float,
    out: TextIO,
    text: bool = False,
) -> int:
    from seedgate.pipeline import run_fixed, run_gate
    from seedgate.report import render_json, render_markdown, render_text
    from seedgate.runset.codec import write_runset

    example = find_example()
    make_directories(workdir)
    base_config = dataclasses.replace(config, command=example_command(example))
    print(
        f"== seedgate demo: baseline, {baseline_runs} runs of {example / 'train.py'}",
        file=sys.stderr,
    )
    baseline = run_fixed(base_config, runs=baseline_runs, out=sys.stderr, label="baseline")
    write_runset(baseline, workdir / "baseline.json")

    changed = dataclasses.replace(
        config, command=example_command(example, "--lr", f"{changed_lr:g}")
    )
    print(
        f"== seedgate demo: candidate with --lr {changed_lr:g}, runs added look by look",
        file=sys.stderr,
    )
    outcome = run_gate(changed, baseline, out=sys.stderr)
    write_runset(outcome.candidate, workdir / "candidate.json")

    report = render_markdown(outcome.comparison, title="seedgate demo")
    (workdir / "report.md").write_text(report, encoding="utf-8")
    (workdir / "results.json").write_text(render_json(outcome.comparison), encoding="utf-8")
    if text:  # a person at a terminal: colour and a compact table, not raw Markdown
        out.write(render_text(outcome.comparison, title="seedgate demo", color=out.isatty()))
    else:
        out.write(report if report.endswith("\n") else report + "\n")
    print(
        f"\nseedgate demo: verdict {outcome.comparison.verdict.value} after "
        f"{outcome.comparison.candidate_runs} candidate runs; report in {workdir / 'report.md'}, "
        f"comparison JSON in {workdir / 'results.json'}, RunSets in {workdir}",
        file=out,
    )
    return 0


def command(args: argparse.Namespace) -> int:
    if args.config is None:
        args.config = find_example() / "seedgate.toml"
    # the demo runs as many seeds at once as there are cores unless --jobs says otherwise
    config = load_settings(args, jobs="auto" if args.jobs is None else args.jobs)
    return run_demo(
        config,
        workdir=args.workdir,
        baseline_runs=args.baseline_runs,
        changed_lr=args.lr,
        out=sys.stdout,
        text=stdout_format(None, sys.stdout) == "text",
    )
