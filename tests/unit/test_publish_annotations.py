"""Annotations for a Comparison: one plain line each, numbers formatted as the report does."""

from __future__ import annotations

import dataclasses
import io

from seedgate.github.commands import Annotations
from seedgate.records import Comparison, Interval, Stop, StopKind, Verdict
from seedgate.report.annotations import annotations_for
from seedgate.report.filters import fmt_interval, fmt_number, fmt_signed
from tests.testing.report_fixtures import (
    comparison,
    regressed_accuracy,
    regression_comparison,
)
from tests.testing.runsets import failed_run


def annotations_of(result: Comparison) -> list[str]:
    out = io.StringIO()
    Annotations(out).emit_each(annotations_for(result))
    return out.getvalue().splitlines()


def test_a_gating_regression_is_an_error_with_the_reports_numbers() -> None:
    result = regression_comparison()
    lines = annotations_of(result)
    accuracy = result.metrics[0]
    assert accuracy.baseline is not None
    assert accuracy.shift is not None
    (error,) = [line for line in lines if line.startswith("::error title=seedgate%3A accuracy")]
    assert f"baseline {fmt_number(accuracy.baseline.mean)} ± " in error
    assert f"shift {fmt_signed(accuracy.shift)} {fmt_interval(accuracy.shift_interval)}" in error
    assert f"smallest change that matters {fmt_number(accuracy.min_effect)} (maximize)" in error


def test_a_name_with_a_newline_stays_on_one_annotation_line() -> None:
    forged = regressed_accuracy("acc\n::error title=FORGED::x")
    lines = annotations_of(comparison(Verdict.REGRESSION, metrics=[forged]))
    assert len(lines) == 1
    assert "acc ::error title=FORGED" in lines[0]


def test_infinite_values_are_written_not_crashed_on() -> None:
    wild = dataclasses.replace(
        regressed_accuracy(), shift=-float("inf"), shift_interval=Interval(-1e308, 1e308)
    )
    (line,) = annotations_of(comparison(Verdict.REGRESSION, metrics=[wild]))
    assert "shift -\u221e [-1e308, 1e308]" in line


def test_failed_runs_and_an_open_answer_are_warnings() -> None:
    result = comparison(
        Verdict.INCONCLUSIVE,
        failed_runs=(failed_run(1, 1, "exited with code 1"),),
        stop=Stop(StopKind.CAP, ("accuracy",), runs=20, look=5, cap=20),
    )
    lines = annotations_of(result)
    assert any("run with seed 1 failed: exited with code 1" in line for line in lines)
    assert any(line.startswith("::warning title=seedgate%3A inconclusive::") for line in lines)
    assert any("cap of 20 runs reached with no bound crossed" in line for line in lines)
