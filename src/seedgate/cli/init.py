"""``seedgate init -- CMD``: a seedgate.toml made for the command's own seed noise.

Runs the command a few times (or reads a baseline RunSet), shows each metric's mean and seed
SD, and writes a commented seedgate.toml: the command, every metric with its goal and a
min_effect the default runs resolve, the metric that gates
(the rule of ``seedgate.config.defaults``)
marked primary, and the workflow step to paste. A seed SD from a few runs is often far too
low (3 runs of the bundled example gave 0.0014 where 20 give 0.0049), so min_effect is
sized from the SD's one-sided 80% upper confidence bound (normal noise), not the estimate.
``run_init`` is the command's sequence; the functions before it are pure.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from seedgate.cli.common import command_text
from seedgate.config.defaults import default_gating_metric
from seedgate.config.settings import RESERVED_METRICS, Config, MetricSpec, build_config
from seedgate.errors import ConfigError, ExitCode
from seedgate.planning.design import design_for
from seedgate.planning.resolution import smallest_resolvable_sd
from seedgate.records import Design, Goal, RunSet
from seedgate.report.plans import why_chosen

_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)  # at most 25% up
SD_CONFIDENCE = 0.8  # min_effect is resolvable with this confidence in the seed SD
_ENTRY_PREFIX = "entry:"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = """\
# Measured from {runs} runs of {source}. Each min_effect is the smallest change the
# default design resolves (a baseline of {baseline} runs, at most {cap} candidate runs,
# alpha {alpha:g}, power {power:g}) at the upper {confidence:.0%} confidence bound of the seed SD,
# rounded up. Once the baseline exists, `seedgate plan` shows what its runs resolve:
# lower min_effect only that far (or raise baseline_runs and max_runs first).
# `seedgate gate` warns before running when a min_effect cannot be resolved.
"""
WORKFLOW_STEP = (
    "- uses: seedgate/seedgate-action@v1",
    "  with:",
    "    config: seedgate.toml",
)


@dataclass(frozen=True, slots=True)
class MetricNoise:
    """One metric as the init runs saw it, and the settings suggested for it."""

    name: str
    mean: float
    seed_std: float
    sd_bound: float  # the SD's upper confidence bound, at SD_CONFIDENCE
    runs: int
    goal: Goal
    min_effect: float | None  # absolute; None: the runs were identical (keep the 1% default)
    primary: bool


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k that is >= value (> 0)."""
    scale = 10.0 ** math.floor(math.log10(value))
    step = next(s for s in _NICE_STEPS if s * scale >= value * (1 - 1e-9))
    return float(f"{step * scale:.3g}")


def sd_upper_bound(seed_std: float, runs: int) -> float:
    """The one-sided SD_CONFIDENCE upper confidence bound of a normal SD from ``runs`` runs."""
    from scipy.stats import chi2

    return seed_std * math.sqrt((runs - 1) / float(chi2.ppf(1 - SD_CONFIDENCE, runs - 1)))


def suggest_min_effect(seed_std: float, design: Design) -> float | None:
    """The smallest effect the design resolves by its cap for this seed SD, rounded up."""
    if seed_std == 0:
        return None
    edge = smallest_resolvable_sd(design, design.looks[-1])
    if edge is None:
        raise ConfigError(
            f"init: a cap of {design.looks[-1]} runs resolves no effect at these settings"
        )
    return nice_ceiling(edge * seed_std)


def measure(runset: RunSet, design: Design) -> tuple[MetricNoise, ...]:
    """Each metric's mean and seed SD over the successful runs, with its suggested settings."""
    names = [n for n in runset.metric_names() if n not in RESERVED_METRICS]
    usable = [n for n in names if all(math.isfinite(v) for v in runset.values(n))]
    runs = len(runset.ok_runs)
    if runs < 2 or not usable:  # a seed SD needs two runs
        raise ConfigError(
            f"init: {runs} successful runs reporting {', '.join(names) or 'no metrics'}; "
            "need at least 2 runs with a finite metric to measure the seed noise"
        )
    chosen = default_gating_metric(usable)
    noise = []
    for name in usable:
        values = np.asarray(runset.values(name), dtype=float)
        seed_std = float(values.std(ddof=1))
        bound = sd_upper_bound(seed_std, runs)
        goal = MetricSpec.default_for(name).goal
        effect = suggest_min_effect(bound, design)
        mean = float(values.mean())
        noise.append(MetricNoise(name, mean, seed_std, bound, runs, goal, effect, name == chosen))
    return tuple(noise)


def render_table(metrics: Sequence[MetricNoise]) -> str:
    """The metrics as the terminal shows them: mean, seed SD, the suggested min_effect."""
    rows = [("metric", "mean", "seed SD", "goal", "min_effect", "")]
    for m in metrics:
        effect = f"{m.min_effect:g}" if m.min_effect is not None else "1%"
        rows.append(
            (
                m.name,
                f"{m.mean:.4g}",
                f"{m.seed_std:.3g}",
                m.goal.value,
                effect,
                "gates" if m.primary else "reported",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _metric_table(m: MetricNoise, design: Design) -> list[str]:
    key = m.name if _BARE_KEY.fullmatch(m.name) else _toml_string(m.name)
    lines = [f"[metric.{key}]"]
    why = why_chosen(m.name)
    if m.primary:
        lines[0] += f"  # the metric that gates: {why}"
    lines.append(f'goal = "{m.goal.value}"')
    if m.min_effect is None:
        lines.append('min_effect = "1%"  # the runs were identical: any change shows at once')
    else:
        share = f"{m.min_effect / abs(m.mean):.2%} of the mean, " if m.mean else ""
        bound = f"{m.sd_bound:.3g} ({SD_CONFIDENCE:.0%} confidence)"
        cap = design.looks[-1]
        lines.append(f"# mean {m.mean:.4g}, seed SD {m.seed_std:.3g} ({m.runs} runs), <= {bound}")
        lines.append(f"min_effect = {m.min_effect:g}  # {share}resolved by {cap} runs at that SD")
    if m.primary:
        lines.append("primary = true  # only this metric fails the check; the others are reported")
    return lines


def render_config(
    metrics: Sequence[MetricNoise], design: Design, *, command: str, source: str
) -> str:
    """The commented seedgate.toml (loads with ``config.load_config``)."""
    runs = metrics[0].runs
    head = [
        "# seedgate settings, written by `seedgate init`.",
        *_HEADER.format(
            runs=runs,
            source=source,
            baseline=design.baseline_n,
            cap=design.looks[-1],
            alpha=design.alpha,
            power=design.power,
            confidence=SD_CONFIDENCE,
        ).splitlines(),
        "#",
        "# The workflow step that gates pull requests (after actions/checkout):",
        *(f"#   {line}" for line in WORKFLOW_STEP),
        "",
    ]
    if command.startswith(_ENTRY_PREFIX):
        head.append(f"entry = {_toml_string(command.removeprefix(_ENTRY_PREFIX))}")
    else:
        head.append(f"command = {_toml_string(command)}")
    body: list[str] = []
    for m in sorted(metrics, key=lambda m: not m.primary):
        body += ["", *_metric_table(m, design)]
    return "\n".join(head + body) + "\n"


def init_design(config: Config) -> Design:
    """The design the suggested min_effects are resolved under: a ``baseline_runs`` baseline,
    unpaired (a change may decorrelate the seeds)."""
    return design_for(config, None).design


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


def _runs(request: InitRequest, log: TextIO) -> tuple[RunSet, str]:
    from seedgate.pipeline import run_fixed
    from seedgate.runset.codec import read_runset

    if request.baseline is not None:
        runset = read_runset(request.baseline)
        return runset, request.command or runset.command
    if not request.command:
        raise ConfigError("init: give the command after `--` (or --baseline FILE)")
    config = build_config({"command": request.command, "runs": 5, **request.settings})
    print(f"seedgate init: {config.runs} runs of {request.command}", file=log)
    return run_fixed(config, runs=config.runs, out=log, label="init"), request.command


def run_init(request: InitRequest, *, out: TextIO, log: TextIO = sys.stderr) -> None:
    """Measure the seed noise, show it, and write the config (refused before any run when
    the file exists and ``force`` is not set)."""
    if request.out.exists() and not request.force:
        raise ConfigError(f"init: {request.out} already exists; pass --force to overwrite it")
    runset, command = _runs(request, log)
    design = init_design(Config())
    metrics = measure(runset, design)
    source = str(request.baseline) if request.baseline is not None else "the command"
    out.write(render_table(metrics) + "\n")
    write_config(
        request.out,
        render_config(metrics, design, command=command, source=source),
        force=request.force,
    )
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
