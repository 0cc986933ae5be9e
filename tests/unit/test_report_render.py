from __future__ import annotations

import dataclasses
import re

import pytest

from seedgate.errors import ReportError
from seedgate.records import (
    Goal,
    Verdict,
)
from seedgate.report import (
    headline,
    render_markdown,
    verdict_emoji,
)
from seedgate.report.charts import MERMAID_MAX_TEXT, mermaid_chart
from seedgate.report.wording import failed_count
from tests.testing.report_fixtures import (
    comparison,
    hostile_comparison,
    metric,
    regression_comparison,
    values,
)
from tests.testing.report_markdown import (
    cells,
    details,
    first_screen,
    mermaid_blocks,
    metric_table,
    section_table,
)

# --- headline and verdicts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        (Verdict.REGRESSION, "\u274c Regression in accuracy"),
        (Verdict.IMPROVEMENT, "\U0001f7e2 Improvement in accuracy"),
        (Verdict.NO_CHANGE, "\u2705 No change"),
        (Verdict.INCONCLUSIVE, "\u26a0\ufe0f Inconclusive for accuracy"),
        (Verdict.NO_BASELINE, "\u2139\ufe0f No baseline: nothing was compared"),
        (Verdict.METRIC_ABSENT, "\u26d4 Not compared: accuracy not in the baseline"),
        (Verdict.BASELINE, "\U0001f4e6 Baseline made"),
    ],
)
def test_every_verdict_has_a_headline(verdict: Verdict, expected: str) -> None:
    if verdict in (Verdict.NO_BASELINE, Verdict.METRIC_ABSENT, Verdict.BASELINE):
        result = comparison(verdict, (metric(verdict=verdict),))
    else:
        result = comparison(verdict)
    assert headline(result) == expected
    markdown = render_markdown(result)
    assert f"**{expected}**" in markdown
    assert markdown.startswith("## seedgate\n")
    assert verdict_emoji(verdict) in expected


def test_headline_names_gating_metrics_first() -> None:
    result = regression_comparison()
    loss_regressed = dataclasses.replace(result.metrics[1], verdict=Verdict.REGRESSION)
    both = dataclasses.replace(result, metrics=(result.metrics[0], loss_regressed))
    assert headline(both) == "\u274c Regression in accuracy"


def test_stop_reason_and_run_counts_are_stated() -> None:
    markdown = render_markdown(regression_comparison())
    assert (
        "bound crossed for accuracy at look 2 (5 candidate runs). "
        "Baseline: 20 runs at aaaaaaaaaaaa; candidate: 5 runs at bbbbbbbbbbbb; "
        "1 failed run left out (listed below).</sub>" in first_screen(markdown)
    )


def test_no_baseline_explains_how_to_make_one_and_shows_candidate_only() -> None:
    result = comparison(Verdict.NO_BASELINE, (metric(verdict=Verdict.NO_BASELINE),))
    markdown = render_markdown(result)
    assert "run seedgate baseline on the main branch" in first_screen(markdown)
    assert "Baseline:" not in markdown
    row = cells(metric_table(markdown)[2])
    assert row[1] == "\u2014"
    assert re.fullmatch(r"0\.\d{4}\u00a0\u00b1\u00a00\.\d{4}", row[2])
    assert row[3] == "\u2014"
    assert row[4] == "\u2139\ufe0f\u00a0no baseline"
    assert "accuracy candidate" in markdown
    assert "accuracy baseline" not in markdown
    chart = mermaid_blocks(markdown)[0]
    assert len(re.findall(r"^    bar \[", chart, re.MULTILINE)) == 1  # the candidate's runs
    assert "line [" not in chart  # no baseline mean to mark min_effect around
    assert '"plotColorPalette": "#0969da, #bf8700, #bf8700"' in chart  # its bars are blue
    assert "Evidence at each look" not in markdown


# --- the metric table ------------------------------------------------------------------------


def test_first_screen_table_has_the_gating_metrics_with_five_cells() -> None:
    markdown = render_markdown(regression_comparison())
    table = metric_table(first_screen(markdown))
    assert len(table) == 2 + 1  # val_loss does not gate
    assert all(len(cells(line)) == 5 for line in table)
    accuracy = cells(table[2])
    assert accuracy[0] == "\u2605 accuracy\u00a0\u2191"
    assert accuracy[4] == "\u274c\u00a0regression"
    assert "P(better)" not in first_screen(markdown)


def test_metrics_that_do_not_gate_are_folded_and_neutral() -> None:
    markdown = render_markdown(regression_comparison())
    section = details(markdown, "Metrics that do not gate (1)")
    row = cells(metric_table(section)[2])
    assert row[0] == "val\\_loss\u00a0\u2193"
    assert row[4] == "undecided"
    regressed = dataclasses.replace(regression_comparison().metrics[1], verdict=Verdict.REGRESSION)
    result = dataclasses.replace(
        regression_comparison(), metrics=(regression_comparison().metrics[0], regressed)
    )
    section = details(render_markdown(result), "Metrics that do not gate (1)")
    assert cells(metric_table(section)[2])[4] == "worse"
    for alarm in ("\u274c", "regression", "\U0001f7e2", "\u26a0"):
        assert alarm not in cells(metric_table(section)[2])[4]


def test_numbers_follow_the_spread_of_the_metric() -> None:
    base = (0.851, 0.862, 0.843, 0.870, 0.855)
    cand = (0.801, 0.822, 0.813, 0.790, 0.805)
    result = comparison(
        Verdict.REGRESSION,
        (metric(baseline=base, candidate=cand, verdict=Verdict.REGRESSION),),
    )
    row = cells(metric_table(render_markdown(result))[2])
    # std ~0.01 -> three decimals: two significant digits of the spread
    assert row[1] == "0.856\u00a0\u00b1\u00a00.010"
    assert row[2] == "0.806\u00a0\u00b1\u00a00.012"
    assert re.fullmatch(r"-0\.050 \[-0\.\d{3}, -0\.\d{3}\] \(-5\.8%\)", row[3])


def test_large_values_drop_needless_decimals() -> None:
    base = (1203.0, 1250.0, 1190.0, 1233.0)
    cand = (1180.0, 1175.0, 1230.0, 1201.0)
    result = comparison(
        Verdict.NO_CHANGE,
        (metric("perplexity", baseline=base, candidate=cand, goal=Goal.MINIMIZE),),
    )
    row = cells(metric_table(render_markdown(result))[2])
    assert row[1] == "1219\u00a0\u00b1\u00a027"


def test_single_run_has_no_spread() -> None:
    result = comparison(
        Verdict.NO_BASELINE, (metric(candidate=(0.8,), verdict=Verdict.NO_BASELINE),)
    )
    row = cells(metric_table(render_markdown(result))[2])
    assert row[2] == "0.8000 (1 run)"


# --- sections --------------------------------------------------------------------------------


def test_environment_difference_is_said_next_to_the_verdict() -> None:
    markdown = render_markdown(regression_comparison())
    env_at = markdown.index("The baseline was made on a different environment")
    assert markdown.index("**\u274c Regression") < env_at < markdown.index("| Metric |")
    assert "tensorflow 2.15.0 \u2192 2.16.1." in first_screen(markdown)
    assert "may come from the environment" in first_screen(markdown)


def test_notes_plans_and_bad_seeds() -> None:
    section = details(render_markdown(regression_comparison()), "Notes (3)")
    assert "- val\\_loss: min\\_effect 0.004 is 0.40 seed-SDs (seed SD 0.01)" in section
    assert "- 1 candidate run(s) failed and are left out of the test (seeds 105)" in section
    assert "- Possible bad seed in accuracy (far in the tail" in section
    assert "shown, not removed, still tested): seed 4 (baseline 0.8536, candidate" in section
    markdown = render_markdown(regression_comparison())
    assert "- val\\_loss: min\\_effect 0.004 is 0.40 seed-SDs (seed SD 0.01)" in markdown
    assert "the cap of 20 gives 35%." in markdown
    assert "- 1 candidate run(s) failed and are left out of the test (seeds 105)" in markdown
    assert "- Possible bad seed in accuracy (far in the tail" in markdown
    assert "shown, not removed" in markdown
    assert re.search(r"^\| 4 \u26a0 \|", markdown, re.MULTILINE)


def test_noise_section() -> None:
    markdown = render_markdown(regression_comparison())
    section = details(markdown, "Noise: where the run-to-run spread comes from")
    assert "| data order | 56.2% | 9e-6 | [4e-6, 2e-5] |" in section
    assert "identical seeds gave identical values" in section
    assert "Test-set sampling error (standard error from the test-set size): 0.0036." in section
    assert "- The largest source is data order (56% of the variance)." in section
    assert "about 10 candidate runs against a 20-run baseline" in section  # the stored advice
    assert "Noise:" not in render_markdown(comparison())


def test_evidence_has_a_row_per_look() -> None:
    markdown = render_markdown(regression_comparison())
    section = details(markdown, "Evidence at each look (z and p)")
    rows = section_table(markdown, "Evidence at each look (z and p)")
    assert cells(rows[0]) == [
        "Metric",
        "Look",
        "Runs (baseline / candidate)",
        "z",
        "p (regression)",
        "p (improvement)",
        "z (no change)",
        "p (no change)",
    ]
    assert rows[2:4] == [
        "| accuracy | 1 | 20 / 3 | 1.90 | 0.300 | 0.900 | 0.50 | 0.200 |",
        "| accuracy | 2 | 20 / 5 | 3.10 | <0.001 | 0.900 | 0.50 | 0.200 |",
    ]
    assert "P(better): accuracy 0.00, val\\_loss 0.02." in section
    assert "z \u2265 2.6, 2.34, 2.06, 1.93, 1.86 at looks 3, 5, 10, 15, 20" in section


def test_evidence_keeps_both_z_when_they_are_not_mirrored() -> None:
    base = regression_comparison()
    skewed = dataclasses.replace(base.metrics[0].looks[0], z_improvement=0.7)
    accuracy = dataclasses.replace(base.metrics[0], looks=(skewed,))
    section = details(
        render_markdown(dataclasses.replace(base, metrics=(accuracy, *base.metrics[1:]))),
        "Evidence at each look (z and p)",
    )
    header = cells(next(line for line in section.splitlines() if line.startswith("| Metric")))
    assert header[3:5] == ["z (regression)", "z (improvement)"]
    assert "| accuracy | 1 | 20 / 3 | 1.90 | 0.70 | 0.300 |" in section


def test_z_and_p_appear_only_in_the_evidence_section() -> None:
    markdown = render_markdown(regression_comparison())
    evidence = details(markdown, "Evidence at each look (z and p)")
    guide = details(markdown, "How to read this")
    rest = markdown.replace(evidence, "").replace(guide, "")
    assert not re.search(r"\bz ?=|\bp ?[=<]|\| z \||p \(regression\)", rest)
    assert "P(better)" not in rest


def test_settings_list_the_design_and_commits() -> None:
    markdown = render_markdown(regression_comparison())
    section = details(markdown, "Settings")
    for row in (
        "| alpha | 0.05 |",
        "| power (no-change guard) | 0.9 |",
        "| looks (candidate runs) | 3, 5, 10, 15, 20 |",
        "| indifference zone | 0.25 x min\\_effect |",
        f"| baseline commit | {'a' * 40} |",
        "| multiplicity | primary metric accuracy gates alone; others are reported |",
    ):
        assert row in section


def test_per_run_table_pairs_seeds_across_sides() -> None:
    result = regression_comparison()
    markdown = render_markdown(result)
    rows = section_table(markdown, "Per-run values")
    assert cells(rows[0]) == [
        "Seed",
        "accuracy baseline",
        "accuracy candidate",
        "val\\_loss baseline",
        "val\\_loss candidate",
    ]
    assert len(rows) == 2 + 20
    accuracy = result.metrics[0]
    first = cells(rows[2])
    assert first[0] == "0"
    assert first[1] == f"{accuracy.baseline_values[0]:.4f}"
    assert first[2] == f"{accuracy.candidate_values[0]:.4f}"
    assert cells(rows[-1])[2] == ""  # no candidate run with seed 19


def test_one_chart_per_gating_metric_with_every_real_run() -> None:
    result = hostile_comparison()
    markdown = render_markdown(result)
    section = details(markdown, "Charts: every run of the gating metrics")
    charts = mermaid_blocks(section)
    assert len(charts) == 1  # val_loss does not gate
    assert mermaid_blocks(markdown) == charts
    chart = charts[0]
    assert "\nxychart-beta\n" in chart
    title = next(line for line in chart.splitlines() if "title" in line)
    assert title.count('"') == 2
    for bad in ("<", ">", "[", "]", "`", "|"):
        assert bad not in title
    axis = re.search(r"y-axis .* (\S+) --> (\S+)$", chart, re.MULTILINE)
    assert axis is not None
    low, high = float(axis.group(1)), float(axis.group(2))
    baseline, candidate = (
        [float(v) for v in bars.split(", ")] for bars in re.findall(r"bar \[(.*)\]", chart)
    )
    metric = result.metrics[0]
    runs = len(metric.baseline_values) + len(metric.candidate_values)
    assert len(baseline) == len(candidate) == runs  # one category per real run
    shown_base = [v for v in baseline if v >= low]
    shown_cand = [v for v in candidate if v >= low]
    assert shown_base == sorted(round(v, 4) for v in metric.baseline_values)
    assert shown_cand == sorted(round(v, 4) for v in metric.candidate_values)
    assert all(v < low for v in baseline[len(shown_base) :])  # below the axis: not drawn
    assert all(v < low for v in candidate[: len(shown_base)])
    assert all(low <= v <= high for v in shown_base + shown_cand)
    mean = sum(metric.baseline_values) / len(metric.baseline_values)
    levels = [float(line.split(", ")[0]) for line in re.findall(r"line \[(.*)\]", chart)]
    assert levels == pytest.approx([mean - 0.005, mean + 0.005], abs=1e-4)
    assert "grey bars: 20 baseline runs; blue bars: 5 candidate runs" in section
    assert '"plotColorPalette": "#8c959f, #0969da, #bf8700, #bf8700"' in chart
    assert "```text" not in section  # GitHub draws Mermaid; no text fallback there


def test_a_chart_mermaid_would_refuse_is_left_out() -> None:
    many = dataclasses.replace(  # the values alone: the chart reads nothing else
        metric(baseline=values(0.85, 0.004, 20, 1)),
        baseline_values=values(0.85, 0.004, 2000, 1),
        candidate_values=values(0.85, 0.004, 2000, 2),
        baseline_seeds=tuple(range(2000)),
        candidate_seeds=tuple(range(2000)),
    )
    assert mermaid_chart(many) is None
    fits = dataclasses.replace(
        many,
        baseline_values=many.baseline_values[:400],
        candidate_values=many.candidate_values[:400],
        baseline_seeds=tuple(range(400)),
        candidate_seeds=tuple(range(400)),
    )
    chart = mermaid_chart(fits)
    assert chart is not None
    assert len(chart) <= MERMAID_MAX_TEXT
    markdown = render_markdown(comparison(Verdict.NO_CHANGE, (many,)))
    assert "```mermaid" not in markdown
    assert "Charts:" not in markdown


def test_run_url_is_linked_and_validated() -> None:
    url = "https://github.com/o/r/actions/runs/1?a=(1)&copy;x"
    markdown = render_markdown(comparison(), run_url=url)
    assert "[the workflow run](https://github.com/o/r/actions/runs/1?a=%281%29&amp;copy;x)" in (
        markdown
    )
    for bad in ("javascript:alert(1)", "https://x y", "ftp://host/x", "https://ok/\n[x](y)"):
        with pytest.raises(ReportError, match="run_url"):
            render_markdown(comparison(), run_url=bad)


def test_a_shift_without_an_interval_says_why_instead_of_n_a() -> None:
    accuracy = metric(
        "accuracy",
        baseline=values(0.85, 0.004, 10, 1),
        candidate=values(0.76, 0.004, 3, 2),
        verdict=Verdict.REGRESSION,
        primary=True,
    )
    short = dataclasses.replace(accuracy, shift_interval=None)
    markdown = render_markdown(comparison(Verdict.REGRESSION, (short,)))
    row = next(line for line in first_screen(markdown).splitlines() if "| ★ accuracy" in line)
    assert "[too few runs for an interval]" in row
    assert "n/a" not in row


def test_the_bad_seed_legend_shows_only_when_a_seed_is_flagged() -> None:
    legend = "\u26a0 marks a seed flagged as a possible bad seed."
    assert legend in render_markdown(regression_comparison())  # seed 4 is flagged there
    assert legend not in render_markdown(comparison())


@pytest.mark.parametrize(
    ("failed", "runs", "label", "expected"),
    [
        (3, 5, "run", "3 of 5 runs failed"),
        (3, 5, "baseline", "3 of 5 baseline runs failed"),
        (1, 1, "candidate", "1 of 1 candidate run failed"),
    ],
)
def test_the_failed_run_count_says_run_once(
    failed: int, runs: int, label: str, expected: str
) -> None:
    assert failed_count(failed, runs, label) == expected
