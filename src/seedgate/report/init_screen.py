"""What ``seedgate init`` shows: each metric's noise, what its min_effect catches, and the
workflow that fits the project, with why. Lines fit ``width`` columns (wrapped, never cut)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from seedgate.planning.sizing import InitDesign, MetricNoise
from seedgate.planning.workflow import ProjectNeeds
from seedgate.records import Goal

CONTAINER_STEP = (
    "- uses: seedgate/seedgate-action@v1",
    "  with:",
    "    config: seedgate.toml",
)


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


def caught_sentence(m: MetricNoise, sizing: InitDesign) -> str | None:
    """ "a drop of 0.01 in accuracy is caught 90% of the time ..."; None for identical runs."""
    if m.min_effect is None:
        return None
    design = sizing.design
    change = "drop" if m.goal is Goal.MAXIMIZE else "rise"
    text = (
        f"a {change} of {m.min_effect:g} in {m.name} is caught {design.power:.0%} of the time "
        f"(at most {design.looks[-1]} runs, a baseline of {design.baseline_n})"
    )
    if sizing.correlation is not None and m.unrelated_effect is not None:
        text += (
            f" when runs of the same seed stay alike; {m.unrelated_effect:g} when the change "
            "decorrelates them (a new architecture, a new data order)"
        )
    return text + "."


def noise_screen(metrics: Sequence[MetricNoise], sizing: InitDesign, *, width: int) -> str:
    """The table, what each suggested min_effect catches, and the question it leaves."""
    lines = [render_table(metrics), ""]
    for m in sorted(metrics, key=lambda m: not m.primary):
        sentence = caught_sentence(m, sizing)
        if sentence is not None:
            lines += textwrap.wrap(sentence, width, subsequent_indent="  ", break_on_hyphens=False)
    lines += [
        "",
        *textwrap.wrap(
            f"These are the smallest changes {metrics[0].runs} runs of noise say the gate can "
            "resolve, not the ones that matter: set each min_effect in seedgate.toml to the "
            "smallest change you care about (not below these).",
            width,
        ),
    ]
    return "\n".join(lines)


def install_command(needs: ProjectNeeds) -> str:
    if needs.requirements:
        return f"pip install -r {needs.requirements}"
    return "pip install " + " ".join(needs.missing)


def host_steps(needs: ProjectNeeds) -> tuple[str, ...]:
    """setup-python, the install, and the host action (the job's own Python)."""
    install = install_command(needs)
    return (
        "- uses: actions/setup-python@v6",
        "  with:",
        '    python-version: "3.12"',
        f"- run: {install}",
        "- uses: seedgate/seedgate-action/host@v1",
        "  with:",
        "    config: seedgate.toml",
    )


def workflow_steps(needs: ProjectNeeds) -> tuple[str, ...]:
    return host_steps(needs) if needs.host else CONTAINER_STEP


def workflow_why(needs: ProjectNeeds) -> str:
    """Why these steps: what the command needs that the container action's image lacks."""
    if not needs.host:
        return (
            "The container action fits: its image (Python, TensorFlow, NumPy, SciPy) has "
            "everything the command imports."
        )
    read = ", ".join(needs.scripts + ((needs.requirements,) if needs.requirements else ()))
    return (
        f"The host action fits: {read or 'the command'} needs {', '.join(needs.missing)}, "
        "which the container action's image lacks; the host action runs the gate in the "
        "job's own Python, after setup-python and your install. (Or keep the container "
        f"action and give it `install: {install_command(needs)}`.)"
    )


def workflow_screen(needs: ProjectNeeds, *, width: int) -> str:
    """The steps to add to a workflow (after actions/checkout), and why they fit."""
    return "\n".join(
        [
            *textwrap.wrap(workflow_why(needs), width, break_on_hyphens=False),
            "Add to the workflow, after actions/checkout (also written in seedgate.toml):",
            *(f"  {line}" for line in workflow_steps(needs)),
        ]
    )
