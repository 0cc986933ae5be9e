"""The main shapes of the report against their golden files, and the first-screen budget.

Regenerate the golden files and screenshots with `python tests/make_report_shapes.py`
after a deliberate change, and look at the screenshots before committing them.
"""

from __future__ import annotations

import dataclasses

import pytest

from seedgate.records import EnvironmentDifference, Verdict
from seedgate.report import render_markdown
from seedgate.report.render import FIRST_SCREEN_LINES
from tests.testing.report_fixtures import comparison, metric, values
from tests.testing.report_shapes import GOLDEN, SCREENSHOTS, SHAPES, render_shape


def first_screen_lines(markdown: str) -> int:
    return len(markdown.split("<details>", 1)[0].rstrip("\n").splitlines())


@pytest.mark.parametrize("name", list(SHAPES))
def test_shape_matches_its_golden_file(name: str) -> None:
    golden = GOLDEN / f"{name}.md"
    assert golden.is_file(), f"{golden} is missing; run python tests/make_report_shapes.py"
    assert render_shape(name) == golden.read_text(encoding="utf-8")
    assert (SCREENSHOTS / f"{name}.png").is_file()


@pytest.mark.parametrize("name", list(SHAPES))
def test_first_screen_fits_the_line_budget(name: str) -> None:
    markdown = render_shape(name)
    assert first_screen_lines(markdown) <= FIRST_SCREEN_LINES
    assert markdown.split("<details>", 1)[0].count("```") == 0  # no code on the first screen


@pytest.mark.parametrize("with_environment", [False, True])
def test_many_gating_metrics_fold_so_the_first_screen_still_fits(with_environment: bool) -> None:
    metrics = tuple(
        metric(
            f"m{i}",
            baseline=values(0.5, 0.01, 20, i),
            candidate=values(0.5, 0.01, 5, 50 + i),
            verdict=Verdict.NO_CHANGE,
        )
        for i in range(8)
    )
    result = comparison(Verdict.NO_CHANGE, metrics)
    if with_environment:
        result = dataclasses.replace(
            result, environment_differences=(EnvironmentDifference("python", "3.11", "3.12"),)
        )
    markdown = render_markdown(result, comment_id="c")
    first = markdown.split("<details>", 1)[0]
    assert first_screen_lines(markdown) == FIRST_SCREEN_LINES
    shown = [line for line in first.splitlines() if line.startswith("| m")]
    assert f"{8 - len(shown)} more gating metrics are folded below." in first
    assert f"<summary>More gating metrics ({8 - len(shown)})</summary>" in markdown
    for i in range(8):
        assert f"| m{i}\u00a0\u2191 |" in markdown  # every metric is somewhere
