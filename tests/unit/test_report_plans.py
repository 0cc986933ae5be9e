"""The plans' sentences in the report: only for metrics that were compared."""

from __future__ import annotations

import dataclasses

from seedgate.report import render_markdown
from seedgate.report.plans import plan_sentences
from tests.testing.report_fixtures import regression_comparison


def test_a_plan_for_a_metric_that_was_not_compared_is_left_out_not_a_crash() -> None:
    result = regression_comparison()
    orphan = dataclasses.replace(result.plans[0], metric="renamed_metric")
    both = dataclasses.replace(result, plans=(*result.plans, orphan))
    sentences = plan_sentences(both)
    assert sentences == plan_sentences(result)
    assert sentences  # the compared metric's plan is still there
    assert "renamed_metric" not in render_markdown(both)
