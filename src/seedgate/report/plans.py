"""Plans in words: the runs each metric needs, and what the configured runs resolve.

``stats.planning`` and ``planning.resolution`` return the numbers; these are their sentences,
for ``seedgate plan``, the gate's warnings before it runs, and the report's notes.
"""

from __future__ import annotations

from typing import assert_never

from seedgate.config.defaults import name_group
from seedgate.config.settings import Config
from seedgate.planning.resolution import Resolution, resolutions
from seedgate.records import Comparison, PlanStatus, PowerPlan, RunSet


def _delivered(plan: PowerPlan) -> str:
    if plan.delivered_power is None:
        return ""
    baseline = plan.baseline_n if plan.baseline_n is not None else plan.cap
    text = (
        f" With {baseline} baseline runs and a cap of {plan.cap}, a change of min_effect for the "
        f"worse is called a regression {plan.delivered_power:.0%} of the time with unrelated seeds"
    )
    if plan.delivered_power_paired is not None:
        text += (
            f", {plan.delivered_power_paired:.0%} with paired seeds at a same-seed correlation "
            f"of {plan.paired_correlation:.2f}"
        )
    return text + " (simulated, normal noise)."


def plan_sentences(comparison: Comparison) -> list[str]:
    """The plans of a comparison in words, each with its metric's min_effect.

    A plan whose metric was not compared (absent on one side) has no min_effect to speak of:
    the report names that metric elsewhere, so its plan is left out rather than guessed."""
    min_effects = {m.name: m.min_effect for m in comparison.metrics}
    return [
        plan_sentence(p, min_effects[p.metric]) for p in comparison.plans if p.metric in min_effects
    ]


def plan_sentence(plan: PowerPlan, min_effect: float) -> str:
    """The plan for one metric, made for ``min_effect`` (absolute), in words."""
    name = plan.metric
    power_text = f"{plan.power:.0%} power at alpha {plan.alpha:g}"
    head = (
        f"{name}: min_effect {min_effect:.4g} is {plan.effect_in_sd:.2f} seed-SDs "
        f"(seed SD {plan.seed_std:.4g})"
    )
    match plan.status:
        case PlanStatus.NO_SPREAD:
            return f"{name}: cannot plan, the baseline has fewer than 2 runs."
        case PlanStatus.ZERO_MIN_EFFECT:
            return (
                f"{name}: min_effect is 0, so no-change can never be concluded; "
                "set the smallest change that matters."
            )
        case PlanStatus.DETERMINISTIC:
            return (
                f"{name}: the baseline runs are identical (deterministic training); "
                "a change of min_effect shows at the first look."
            )
        case PlanStatus.RESOLVABLE:
            return (
                f"{head}; about {plan.runs_needed} candidate runs{_paired_at(plan)} detect it "
                f"with {power_text}.{_delivered(plan)}"
            )
        case PlanStatus.SHORT:
            return head + _short(plan, power_text) + _delivered(plan)
        case _:
            assert_never(plan.status)


def _paired_at(plan: PowerPlan) -> str:
    if plan.paired_correlation is None:
        return ""
    return f" (paired seeds, same-seed correlation {plan.paired_correlation:.2f})"


def _short(plan: PowerPlan, power_text: str) -> str:
    reach = (
        f"needs about {plan.runs_needed} candidate runs{_paired_at(plan)}"
        if plan.runs_needed is not None
        else f"cannot be reached against a baseline of {plan.baseline_n} runs"
    )
    at_cap = f"{plan.power_at_cap:.0%}" if plan.power_at_cap is not None else "less"
    text = f"; detecting it with {power_text} {reach}; the cap of {plan.cap} gives {at_cap}."
    if plan.inconclusive_below_sd is not None:
        text += (
            f" Below about {plan.inconclusive_below_sd:.2f} seed-SDs most outcomes at the cap "
            "are inconclusive: raise min_effect, reduce seed noise, or raise max_runs"
            + (" and the baseline runs." if plan.baseline_n is not None else ".")
        )
    return text


def gate_warnings(config: Config, baseline: RunSet) -> tuple[str, ...]:
    """What to tell the user before gating against ``baseline``: the default metric choice,
    and each gating metric whose min_effect the configured runs cannot resolve."""
    note = default_metric_note(config, baseline.metric_names())
    warnings = (warning_text(r) for r in resolutions(config, baseline))
    return tuple(line for line in (note, *warnings) if line is not None)


def warning_text(resolution: Resolution) -> str | None:
    """A warning naming the runs needed, or None when the cap resolves min_effect."""
    if resolution.resolvable:
        return None
    r, design = resolution, resolution.design
    head = f"{r.metric}: min_effect {r.min_effect:.4g}"
    if r.min_effect <= 0:
        return (
            f"warning: {r.metric}: min_effect is 0, so the gate can never conclude no-change (an "
            "unchanged candidate ends inconclusive); set the smallest change that matters."
        )
    noise = f"{r.min_effect / r.seed_std:.2f} seed-SDs (seed SD {r.seed_std:.4g})"
    power = f"{design.power:.0%} power at alpha {design.alpha:g}"
    if r.runs_needed is None:
        need = f"cannot be resolved against a baseline of {design.baseline_n} runs"
    else:
        need = f"needs about {r.runs_needed} candidate runs"
    if r.paired_runs_needed is not None and r.paired_runs_needed <= r.cap:
        return f"note: {head} is {noise}; with {power}, unpaired, it {need}" + _paired_rescue(r)
    text = f"warning: {head} is {noise}; with {power} it {need}, and max_runs is {r.cap}: "
    text += f"expect 'inconclusive' after {r.cap} runs."
    if r.correlation is not None and r.paired_runs_needed is not None:
        text += (
            f" Paired with the baseline's seeds it still needs about {r.paired_runs_needed} "
            f"runs when the same-seed correlation is {r.correlation:.1f}."
        )
    if r.smallest_effect is not None:
        text += (
            f" The smallest effect these runs resolve is {r.smallest_effect:.4g} "
            f"({r.smallest_effect / r.seed_std:.2f} seed-SDs): raise min_effect to at least that"
        )
        text += "," if r.runs_each_side is not None else "."
    if r.runs_each_side is not None:
        text += (
            f" or make about {r.runs_each_side} runs on each side "
            f"(baseline_runs = max_runs = {r.runs_each_side})."
        )
    return text


def _paired_rescue(r: Resolution) -> str:
    """The rest of the note for a min_effect only paired seeds resolve within the cap."""
    beyond = f", more than max_runs {r.cap}" if r.runs_needed is not None else ""
    return (
        f"{beyond}. The candidate's seeds pair with the baseline's: a change "
        f"that keeps the same-seed correlation near {r.correlation:.1f} (a learning-rate or "
        f"epoch change) resolves it in about {r.paired_runs_needed} runs; one that decorrelates "
        f"the seeds (a new architecture, another data pipeline) may end 'inconclusive' after "
        f"{r.cap} runs."
    )


def default_metric_note(config: Config, reported: tuple[str, ...]) -> str | None:
    """Which metric gates when the config names none, and why (None: the config names them)."""
    if config.metrics:
        return None
    specs = config.metric_specs(reported)
    chosen = next((s.name for s in specs if s.primary), None)
    if chosen is None:
        return None
    others = [s.name for s in specs if not s.primary]
    text = f"note: no metrics configured: {chosen} gates ({why_chosen(chosen)})"
    if others:
        text += f"; {', '.join(others)} {'is' if len(others) == 1 else 'are'} reported only"
    return text + ". Name them with [metric.NAME] in seedgate.toml, or run `seedgate init`."


def why_chosen(name: str) -> str:
    """Why the default metric ``name`` gates: its name group, or its place in the output."""
    label = name_group(name)
    return "the first metric reported" if label is None else f"named like {label}"


def smallest_effect_text(resolution: Resolution) -> str:
    """One line for ``seedgate plan``: the smallest effect these runs resolve."""
    r = resolution
    if r.smallest_effect is None:
        return f"{r.metric}: a cap of {r.cap} runs resolves no effect against this baseline."
    text = (
        f"{r.metric}: the smallest effect a baseline of {r.design.baseline_n} runs and at most "
        f"{r.cap} candidate runs resolve is {_effect(r.smallest_effect, r.seed_std)}"
    )
    if r.paired_smallest_effect is not None:
        text += (
            f" when the change decorrelates the seeds, and "
            f"{_effect(r.paired_smallest_effect, r.seed_std)} with paired seeds at a same-seed "
            f"correlation of {r.correlation:.1f}"
        )
    return f"{text}; min_effect is {r.min_effect:.4g}."


def _effect(amount: float, seed_std: float) -> str:
    return f"{amount:.4g} ({amount / seed_std:.2f} seed-SDs)" if seed_std else f"{amount:.4g}"
