"""The main shapes of the report, as Comparisons: the golden files and screenshots of each.

`tests/make_report_shapes.py` regenerates the golden Markdown (tests/golden/) and the
screenshots (tests/screenshots/).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from seedgate.records import (
    Comparison,
    FailedRuns,
    Goal,
    Stop,
    StopKind,
    Verdict,
)
from tests.testing.report_fixtures import (
    DESIGN,
    comparison,
    look,
    metric,
    regression_comparison,
    unresolvable_plan,
    values,
)
from tests.testing.runsets import failed_run

TESTS = Path(__file__).resolve().parents[1]
GOLDEN = TESTS / "golden"
SCREENSHOTS = TESTS / "screenshots"
VENDOR = TESTS / "vendor"
COMMENT_ID = "train-cpu"
GATING = ("accuracy", "loss")  # the gating metrics of the many-metrics shape
RUN_URL = "https://github.com/octo/model/actions/runs/42"


def improvement() -> Comparison:
    accuracy = metric(
        "accuracy",
        baseline=values(0.85, 0.004, 20, 1),
        candidate=values(0.87, 0.004, 5, 6),
        verdict=Verdict.IMPROVEMENT,
        primary=True,
        looks=(look(20, 3, -1.9), look(20, 5, -3.0)),
    )
    return comparison(
        Verdict.IMPROVEMENT,
        (accuracy,),
        stop=Stop(StopKind.SETTLED, ("accuracy",), (Verdict.IMPROVEMENT,), runs=5, look=2, cap=20),
    )


def no_change() -> Comparison:
    return comparison(Verdict.NO_CHANGE)


def inconclusive() -> Comparison:
    loss = metric(
        "loss",
        baseline=values(0.41, 0.02, 20, 4),
        candidate=values(0.415, 0.02, 20, 7),
        verdict=Verdict.INCONCLUSIVE,
        goal=Goal.MINIMIZE,
        min_effect=0.004,
        looks=tuple(look(20, n, 0.6) for n in DESIGN.looks),
    )
    plan = unresolvable_plan("loss", seed_std=0.02, effect_in_sd=0.2, power_at_cap=0.12)
    return comparison(
        Verdict.INCONCLUSIVE,
        (loss,),
        stop=Stop(StopKind.CAP, ("loss",), runs=20, look=5, cap=20),
        plans=(plan,),
    )


def no_baseline() -> Comparison:
    only = metric(verdict=Verdict.NO_BASELINE, primary=True)
    return comparison(Verdict.NO_BASELINE, (only,), stop=Stop(StopKind.NO_BASELINE, cap=20))


def failed_runs() -> Comparison:
    base = no_change()
    logs = "epoch 1/3\nepoch 2/3\nTraceback (most recent call last):\nMemoryError"
    return dataclasses.replace(
        base,
        failed_runs=(
            failed_run(3, 103, "exit code 1", logs),
            failed_run(6, 106, "timed out after 600 s"),
        ),
        notes=(FailedRuns((103, 106)),),
    )


def many_metrics() -> Comparison:
    names = ("precision", "recall", "f1", "auc", "val_loss", "train_time_s")
    gating = (
        metric(
            "accuracy",
            baseline=values(0.85, 0.004, 20, 1),
            candidate=values(0.849, 0.004, 10, 2),
            primary=True,
            looks=(look(20, 3, 0.2), look(20, 5, 0.1), look(20, 10, 0.3)),
        ),
        metric(
            "loss",
            baseline=values(0.41, 0.01, 20, 3),
            candidate=values(0.411, 0.01, 10, 4),
            goal=Goal.MINIMIZE,
            primary=True,
            min_effect=0.01,
            looks=(look(20, 3, 0.1), look(20, 5, 0.2), look(20, 10, 0.1)),
        ),
    )
    others = tuple(
        metric(
            name,
            baseline=values(0.5 + i / 10, 0.01, 20, 10 + i),
            candidate=values(0.5 + i / 10 + (0.03 if i == 1 else 0), 0.01, 10, 20 + i),
            verdict=Verdict.REGRESSION if i == 1 else Verdict.NO_CHANGE,
            gating=False,
            goal=Goal.MINIMIZE if name in ("val_loss", "train_time_s") else Goal.MAXIMIZE,
        )
        for i, name in enumerate(names)
    )
    return comparison(
        Verdict.NO_CHANGE,
        gating + others,
        stop=Stop(
            StopKind.SETTLED,
            ("accuracy", "loss"),
            (Verdict.NO_CHANGE,) * 2,
            runs=10,
            look=3,
            cap=20,
        ),
    )


SHAPES: dict[str, Callable[[], Comparison]] = {
    "regression": regression_comparison,
    "improvement": improvement,
    "no-change": no_change,
    "inconclusive": inconclusive,
    "no-baseline": no_baseline,
    "failed-runs": failed_runs,
    "many-metrics": many_metrics,
}


def render_shape(name: str) -> str:
    """The shape's report exactly as the action posts it (marker and run link included)."""
    from seedgate.report import render_markdown

    return render_markdown(SHAPES[name](), comment_id=COMMENT_ID, run_url=RUN_URL)
