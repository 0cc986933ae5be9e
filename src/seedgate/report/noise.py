"""Explain's noise breakdown in words: the advice sentences and ``seedgate explain``'s Markdown.

``planning.explain`` returns the numbers (a NoiseBreakdown and its NoiseAdvice); the PR
report's noise section and ``seedgate explain`` both say them with these sentences.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

from seedgate.config.settings import Config
from seedgate.planning.explain import advise
from seedgate.records import NoiseAdvice, NoiseBreakdown

# below this share of the variance, non-determinism is small next to the seeds' own effect
_SMALL_NON_DETERMINISM = 0.05


def _in_units(value: float, proportion: bool) -> str:
    """Percentage points for proportions, else the metric's own units."""
    if proportion:
        points = f"{value * 100:.3g}"
        return f"{points} percentage point{'' if points == '1' else 's'}"
    return f"{value:.3g}"


def _share(share: float) -> str:
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _points(value: float) -> str:
    return f"{value * 100:.2g}-point"


def _non_determinism(breakdown: NoiseBreakdown) -> float:
    return next((c.share for c in breakdown.components if c.source == "non-determinism"), 0.0)


def _determinism_line(breakdown: NoiseBreakdown, proportion: bool) -> str:
    if breakdown.deterministic is None:
        return "Determinism was not checked (fewer than 2 identical-seed runs)."
    if breakdown.deterministic:
        return (
            "Identical seeds reproduce exactly on this machine: all the noise comes from the seeds."
        )
    share = _non_determinism(breakdown)
    diff = breakdown.identical_seed_max_diff or 0.0
    head = (
        f"Identical seeds do NOT reproduce on this machine: the repeats differ by up to "
        f"{_in_units(diff, proportion)} (non-determinism is {_share(share)} of the variance)"
    )
    if share < _SMALL_NON_DETERMINISM:
        return f"{head}; that is small next to the seeds' own effect."
    return (
        f"{head}. Fixing seeds cannot make single runs comparable; compare many runs, or make "
        "the training deterministic (e.g. tf.config.experimental.enable_op_determinism())."
    )


def _runs_text(n: int | None, cap: int) -> str:
    if n is None:
        return "more candidate runs than any cap allows"
    return f"{n} candidate runs" + (f" (more than max_runs = {cap})" if n > cap else "")


def _runs_line(breakdown: NoiseBreakdown, advice: NoiseAdvice, proportion: bool) -> str:
    if advice.min_effect <= 0:
        return (
            "min_effect is 0: no number of runs resolves it; set the smallest change that matters."
        )
    sd = math.sqrt(breakdown.total_variance)
    cap, unpaired = advice.cap, advice.runs_unpaired
    text = (
        f"Resolving min_effect {_in_units(advice.min_effect, proportion)} with seed SD "
        f"{_in_units(sd, proportion)} at alpha {advice.alpha:g} and power {advice.power:g} takes "
        f"about {_runs_text(unpaired, cap)} against a {cap}-run baseline with unrelated seeds, and "
        f"{_runs_text(advice.runs_paired, cap)} with paired seeds (seedgate gives run i the same "
        f"seed on both sides) for a change whose same-seed correlation is "
        f"{advice.paired_correlation:.2f}."
    )
    if unpaired is not None and unpaired <= cap:
        return text
    return (
        f"{text} Beyond max_runs = {cap} the gate would mostly end inconclusive without "
        "pairing; raise max_runs, or reduce the noise (or choose a larger min_effect)."
    )


def _test_set_line(advice: NoiseAdvice) -> str | None:
    half_width = advice.test_set_half_width
    if half_width is None:
        return None
    examples = f"{advice.n_test} test examples give" if advice.n_test else "The test set gives"
    head = f"{examples} about ±{half_width * 100:.2g} percentage points of sampling error (95%)"
    effect = _points(advice.min_effect)
    if advice.test_set_limits:
        needed = advice.test_examples_needed
        resolve = f"; about {needed} test examples would resolve it" if needed else ""
        return (
            f"{head}, so a {effect} min_effect cannot be judged on that test "
            f"set: the test set, not the seeds, limits the resolution{resolve}. (Both "
            "sides are scored on the same examples, so part of this error is shared by "
            "baseline and candidate; it bounds what a difference says about new data.)"
        )
    return f"{head}, within the {effect} min_effect: the test set does not limit the resolution."


def advice_sentences(breakdown: NoiseBreakdown) -> tuple[str, ...]:
    """Plain sentences: spread, dominant source, determinism, runs needed, test-set limit;
    none when no advice was planned."""
    advice = breakdown.advice
    if advice is None:
        return ()
    proportion = breakdown.test_set_error is not None
    sd = math.sqrt(breakdown.total_variance)
    lines = [f"Seed-to-seed SD: {_in_units(sd, proportion)}."]
    if breakdown.components and breakdown.total_variance > 0:
        top = max(breakdown.components, key=lambda c: c.share)
        lines.append(f"The largest source is {top.source} ({_share(top.share)} of the variance).")
    lines.append(_determinism_line(breakdown, proportion))
    lines.append(_runs_line(breakdown, advice, proportion))
    test_line = _test_set_line(advice)
    if test_line:
        lines.append(test_line)
    return tuple(lines)


def _sources_table(breakdown: NoiseBreakdown) -> list[str]:
    rows = [
        "| source | variance | 95% interval | share |",
        "|---|---:|---:|---:|",
    ]
    for c in breakdown.components:
        interval = f"[{c.interval.low:.3g}, {c.interval.high:.3g}]"
        rows.append(f"| {c.source} | {c.variance:.3g} | {interval} | {_share(c.share)} |")
    rows.append(f"| **total (all seeds varied)** | {breakdown.total_variance:.3g} | | 100% |")
    return rows


def render_explain(
    breakdowns: Sequence[NoiseBreakdown],
    *,
    config: Config | None = None,
    min_effect: Mapping[str, float] | None = None,
    n_test: int | None = None,
) -> str:
    """Markdown: per metric a table of sources with intervals, then the advice.

    The advice stored by ``run_explain`` is used unless ``min_effect`` (absolute, per
    metric) is given, in which case it is recomputed with the config's alpha and power.
    """
    config = config or Config()
    lines = ["# Where the noise comes from", ""]
    if not breakdowns:
        lines.append("No metric was reported by the runs.")
    for breakdown in breakdowns:
        shown = breakdown
        if min_effect is not None and breakdown.metric in min_effect:
            advice = advise(
                breakdown, min_effect=min_effect[breakdown.metric], config=config, n_test=n_test
            )
            shown = dataclasses.replace(breakdown, advice=advice)
        lines += [f"## {breakdown.metric}", "", *_sources_table(breakdown), ""]
        lines += [f"- {sentence}" for sentence in advice_sentences(shown)]
        lines.append("")
    lines.append(
        "Shares assume additive seed effects; intervals are 95% (chi-square for one mean "
        "square, modified large-sample for differences)."
    )
    return "\n".join(lines) + "\n"
