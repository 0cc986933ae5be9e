"""``seedgate init -- CMD``: a seedgate.toml made for the command's own seed noise.

Runs the command a few times (or reads a baseline RunSet), shows each metric's mean and seed
SD, and writes a commented seedgate.toml: the command, every metric with its goal and a
min_effect the default runs resolve, the metric that gates
(the rule of ``seedgate.config.defaults``)
marked primary, and the workflow step to paste. Each min_effect is the smallest effect the
default design resolves at the measured seed SD, rounded up to a readable value: the paired
design when the gate's seeds will pair with a baseline made by the same settings
(``planning.design.planned_baseline_pairs``), at ``TYPICAL_CORRELATION``. It is a floor, not a
choice: the screen says what it catches and asks for the change that matters.
``run_init`` is the command's sequence; the functions before it are pure.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from seedgate.cli.common import command_text
from seedgate.config.settings import Config, build_config
from seedgate.errors import ConfigError, ExitCode
from seedgate.planning.sizing import InitDesign, MetricNoise, init_design, measure
from seedgate.planning.workflow import project_needs
from seedgate.records import RunSet
from seedgate.report.init_screen import (
    CONTAINER_STEP,
    noise_screen,
    workflow_screen,
    workflow_steps,
)
from seedgate.report.plans import why_chosen

_ENTRY_PREFIX = "entry:"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = """\
# Measured from {runs} runs of {source}. Each min_effect is the smallest change the
# default design resolves at the measured seed SD ({pairing}, a baseline of {baseline} runs,
# at most {cap} candidate runs, alpha {alpha:g}, power {power:g}), rounded up. It is the floor,
# not your choice: set each min_effect to the smallest change that matters to you.
# Once the baseline exists, `seedgate plan` shows what its runs resolve.
# `seedgate gate` warns before running when a min_effect cannot be resolved.
"""


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _metric_table(m: MetricNoise) -> list[str]:
    key = m.name if _BARE_KEY.fullmatch(m.name) else _toml_string(m.name)
    lines = [f"[metric.{key}]"]
    why = why_chosen(m.name)
    if m.primary:
        lines[0] += f"  # the metric that gates: {why}"
    lines.append(f'goal = "{m.goal.value}"')
    if m.min_effect is None:
        lines.append('min_effect = "1%"  # the runs were identical: any change shows at once')
    else:
        share = f" ({m.min_effect / abs(m.mean):.2%} of the mean)" if m.mean else ""
        lines.append(f"# mean {m.mean:.4g}, seed SD {m.seed_std:.3g} ({m.runs} runs)")
        lines.append(f"# the smallest change resolved: {m.min_effect:g}{share}")
        lines.append(f"min_effect = {m.min_effect:g}  # raise it to the change that matters")
    if m.primary:
        lines.append("primary = true  # only this metric fails the check; the others are reported")
    return lines


def render_config(
    metrics: Sequence[MetricNoise],
    sizing: InitDesign,
    *,
    command: str,
    source: str,
    workflow: Sequence[str] = CONTAINER_STEP,
) -> str:
    """The commented seedgate.toml (loads with ``config.load_config``)."""
    design = sizing.design
    pairing = "paired seeds" if sizing.correlation is not None else "unpaired seeds"
    head = [
        "# seedgate settings, written by `seedgate init`.",
        *_HEADER.format(
            runs=metrics[0].runs,
            source=source,
            pairing=pairing,
            baseline=design.baseline_n,
            cap=design.looks[-1],
            alpha=design.alpha,
            power=design.power,
        ).splitlines(),
        "#",
        "# The workflow steps that gate pull requests (after actions/checkout):",
        *(f"#   {line}" for line in workflow),
        "",
    ]
    if command.startswith(_ENTRY_PREFIX):
        head.append(f"entry = {_toml_string(command.removeprefix(_ENTRY_PREFIX))}")
    else:
        head.append(f"command = {_toml_string(command)}")
    body: list[str] = []
    for m in sorted(metrics, key=lambda m: not m.primary):
        body += ["", *_metric_table(m)]
    return "\n".join(head + body) + "\n"


def write_config(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path``; an existing file only with ``force``."""
    try:
        with path.open("w" if force else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise ConfigError(f"init: {path} already exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise ConfigError(f"init: cannot write {path}: {exc.strerror}") from None


@dataclass(frozen=True, slots=True)
class InitRequest:
    """What ``seedgate init`` was asked: a command to run, or a baseline RunSet to read."""

    command: str | None
    baseline: Path | None
    out: Path
    force: bool
    settings: dict[str, Any]  # runs / jobs / timeout / working_directory as given


INIT_RUNS = "init.json"  # init's runs, kept in the store for `seedgate baseline` to reuse


def _runs(request: InitRequest, log: TextIO) -> tuple[RunSet, str]:
    from seedgate.cli.common import keeping_finished_runs
    from seedgate.pipeline import run_fixed
    from seedgate.runset.codec import read_runset, write_runset

    if request.baseline is not None:
        runset = read_runset(request.baseline)
        return runset, request.command or runset.command
    if not request.command:
        raise ConfigError("init: give the command after `--` (or --baseline FILE)")
    config = build_config({"command": request.command, "runs": 5, **request.settings})
    print(f"seedgate init: {config.runs} runs of {request.command}", file=log)
    kept = config.store / INIT_RUNS
    with keeping_finished_runs(kept):
        runset = run_fixed(config, runs=config.runs, out=log, label="init")
    write_runset(runset, kept)
    return runset, request.command


def run_init(request: InitRequest, *, out: TextIO, log: TextIO = sys.stderr) -> None:
    """Measure the seed noise, show it, and write the config (refused before any run when
    the file exists and ``force`` is not set)."""
    if request.out.exists() and not request.force:
        raise ConfigError(f"init: {request.out} already exists; pass --force to overwrite it")
    runset, command = _runs(request, log)
    sizing = init_design(Config())
    metrics = measure(runset, sizing)
    needs = project_needs(command, Path(request.settings.get("working_directory", ".")))
    source = str(request.baseline) if request.baseline is not None else "the command"
    width = min(shutil.get_terminal_size().columns, 100)
    out.write(noise_screen(metrics, sizing, width=width) + "\n\n")
    out.write(workflow_screen(needs, width=width) + "\n")
    text = render_config(
        metrics, sizing, command=command, source=source, workflow=workflow_steps(needs)
    )
    write_config(request.out, text, force=request.force)
    print(
        f"seedgate init: wrote {request.out}; next: `seedgate baseline` on the main branch, "
        "then `seedgate gate` on a change",
        file=log,
    )


def command(args: argparse.Namespace) -> int:
    settings = {k: getattr(args, k) for k in ("runs", "jobs", "timeout")}
    request = InitRequest(
        command=command_text(args.cmd or []),
        baseline=args.baseline,
        out=args.out,
        force=args.force,
        settings={k: v for k, v in settings.items() if v is not None},
    )
    run_init(request, out=sys.stdout)
    return ExitCode.OK
