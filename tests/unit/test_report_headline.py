"""The headline stays one short line whatever the number of metrics that moved."""

from __future__ import annotations

import dataclasses

from seedgate.records import Stop, StopKind
from seedgate.report import render_markdown
from seedgate.report.wording import STOP_REASON_CHARS, headline, stop_text
from tests.testing.report_fixtures import regression_comparison


def test_the_headline_names_three_metrics_then_counts_the_rest() -> None:
    result = regression_comparison()
    lead = result.metrics[0]
    many = tuple(dataclasses.replace(lead, name=f"m{i:04d}") for i in range(1500))
    crowd = dataclasses.replace(result, metrics=(*many, *result.metrics[1:]))

    line = headline(crowd)

    assert line == "\u274c Regression in m0000, m0001, m0002 and 1497 more"
    markdown = render_markdown(crowd, max_chars=65_000)
    assert f"**{line}**" in markdown
    assert len(markdown) <= 65_000


def test_three_metrics_are_named_without_a_count() -> None:
    result = regression_comparison()
    lead = result.metrics[0]
    three = tuple(dataclasses.replace(lead, name=name) for name in ("a", "b", "c"))
    assert headline(dataclasses.replace(result, metrics=three)) == "\u274c Regression in a, b, c"


def test_the_stop_line_stays_short_when_the_reason_lists_every_metric() -> None:
    names = tuple(f"m{i:04d}" for i in range(1500))
    result = dataclasses.replace(
        regression_comparison(), stop=Stop(StopKind.REGRESSION, names, runs=5, look=2, cap=20)
    )
    line = stop_text(result)
    assert line.startswith("Regression bound crossed for m0000, m0001")
    assert len(line) < STOP_REASON_CHARS + 200
