"""Sentences from data: the words for what compare and stats.planning return as values.

Plain text (the templates escape it for Markdown); one small function per kind of fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from seedgate.records import (
    Analysis,
    Comparison,
    GateSettings,
    MetricComparison,
    Multiplicity,
    Note,
    NoteKind,
    PairingStatus,
    PlanStatus,
    PowerPlan,
    Stop,
    StopKind,
)


def seed_list(seeds: Sequence[int]) -> str:
    """'0-4' for a run of consecutive seeds, else '0, 1, 3'."""
    if not seeds:
        return "none"
    ordered = list(seeds)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[0] + len(ordered))):
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(str(s) for s in ordered)


def _look_label(stop: Stop) -> str:
    if stop.look is None:
        return f"the single look ({stop.runs} candidate runs)"
    return f"look {stop.look} ({stop.runs} candidate runs)"


def stop_reason(comparison: Comparison) -> str:
    """Which bound was crossed at which look, or why none was (one line)."""
    stop = comparison.stop
    names = ", ".join(stop.metrics)
    match stop.kind:
        case StopKind.NO_BASELINE:
            return "no baseline to compare against: the candidate's runs are summarised only"
        case StopKind.REGRESSION:
            return f"regression bound crossed for {names} at {_look_label(stop)}"
        case StopKind.SETTLED:
            parts = ", ".join(
                f"{m} {v.value}" for m, v in zip(stop.metrics, stop.verdicts, strict=True)
            )
            return f"every gating metric decided by {_look_label(stop)}: {parts}"
        case StopKind.CAP:
            if stop.look is None:
                return (
                    f"no bound crossed for {names} at the single look ({stop.cap} candidate runs)"
                )
            return f"cap of {stop.cap} runs reached with no bound crossed for {names}"
        case StopKind.BEFORE_FIRST_LOOK:
            return (
                f"{stop.runs} candidate runs so far, fewer than the first look at {stop.next_look}"
            )
        case StopKind.OPEN:
            after = f"still open after {stop.runs} candidate runs: {names}"
            return f"{after}; next look at {stop.next_look} runs" if stop.next_look else after
        case _:
            assert_never(stop.kind)


_UNPAIRED_WHY = {
    PairingStatus.SEEDS_DIFFER: (
        "its seeds are not the baseline's (a different seed_base or seed list)"
    ),
    PairingStatus.BASELINE_TOO_SHORT: "the baseline has fewer runs than the cap",
    PairingStatus.DUPLICATE_SEEDS: "a seed repeats on one side",
    PairingStatus.LOCKSTEP: "the baseline grows with the candidate (lockstep)",
    PairingStatus.SINGLE_LOOK: "a single-look comparison uses the unpaired exact test",
    PairingStatus.PAIRED: "",
}


def note(item: Note) -> str:
    """One note of a comparison as a sentence."""
    metrics = ", ".join(item.metrics)
    match item.kind:
        case NoteKind.NO_BASELINE_YET:
            return "no baseline yet: a baseline run on the main branch creates one"
        case NoteKind.NOT_IN_BASELINE:
            present = ", ".join(item.names) or "none"
            return (
                f"metric {metrics!r} is not in the baseline (it reports: {present}); "
                "it is shown but not compared"
            )
        case NoteKind.FAILED_RUNS:
            return (
                f"{len(item.seeds)} candidate run(s) failed and are left out of the test "
                f"(seeds {', '.join(str(s) for s in item.seeds)})"
            )
        case NoteKind.EXTRA_RUNS:
            return f"{item.count} successful candidate runs; the test uses the first {item.cap}"
        case NoteKind.LOCKSTEP_SHORT:
            return f"lockstep: the baseline has fewer runs than the candidate for {metrics}"
        case NoteKind.PRIMARY_ALONE:
            return f"primary metric {metrics} gates alone; other metrics are reported only"
        case NoteKind.UNPAIRED:
            why = _UNPAIRED_WHY[item.status] if item.status else "the seeds do not match"
            return (
                f"{metrics}: compared unpaired, not seed by seed, because {why} "
                f"(candidate seeds {seed_list(item.seeds)}, baseline seeds "
                f"{seed_list(item.baseline_seeds)})"
            )
        case _:
            assert_never(item.kind)


def pairing_line(metric: MetricComparison) -> str | None:
    """How a paired metric was compared: seeds, same-seed correlation, what decided."""
    pairing = metric.pairing
    if pairing is None or pairing.status is not PairingStatus.PAIRED:
        return None
    if pairing.identical_seeds:
        seeds = seed_list(pairing.identical_seeds)
        head = f"{metric.name}: identical to the baseline on seeds {seeds} (an exact replay)"
        if metric.decided_by is Analysis.REPLAY:
            return f"{head}: no-change at the first look"
        return f"{head}; with min_effect 0 that cannot conclude no-change"
    rho = "n/a" if pairing.correlation is None else f"{pairing.correlation:.2f}"
    decided = {
        Analysis.PAIRED: "decided by the paired analysis (same-seed differences)",
        Analysis.UNPAIRED: "decided by the unpaired analysis",
        Analysis.REPLAY: "decided by the exact replay",
        None: "not decided yet",
    }[metric.decided_by]
    return (
        f"{metric.name}: paired seed by seed on seeds {seed_list(pairing.seeds)}, "
        f"same-seed correlation {rho}; {decided}"
    )


def settings_rows(settings: GateSettings) -> list[tuple[str, str]]:
    """(setting, value) pairs for the settings the Design does not show."""
    rows = [
        (
            "baseline",
            "lockstep: the baseline grows with the candidate"
            if settings.lockstep
            else "stored: the same baseline runs at every look",
        ),
        (
            "bad seeds",
            (
                f"robust z (median/MAD) of the pooled runs beyond "
                f"{settings.bad_seed_threshold:g}; shown, not removed"
            ),
        ),
        ("multiplicity", _multiplicity(settings)),
    ]
    rows += [
        (f"min_effect.{m.metric}", f"{m.absolute:.4g} ({m.configured})")
        for m in settings.min_effects
    ]
    if settings.single_look:
        test = (
            f"single look: exact Mann-Whitney U p-value <= {settings.alpha:g} "
            f"(no-change: <= {1 - settings.power:g})"
        )
    else:
        test = (
            "group-sequential Mann-Whitney U against a drop (or gain) of a quarter of "
            "min_effect, ties counted for the null, bounds calibrated by simulation; paired "
            "seed by seed (signed rank) when the seeds match"
        )
    rows.append(("test", test))
    return rows


def _multiplicity(settings: GateSettings) -> str:
    match settings.multiplicity:
        case Multiplicity.PRIMARY:
            return f"primary metric {settings.primary} gates alone; others are reported"
        case Multiplicity.HOLM:
            return f"Holm across {settings.gating} gating metrics at each look"
        case Multiplicity.ONE:
            return "one gating metric"
        case _:
            assert_never(settings.multiplicity)


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


def plan_sentence(plan: PowerPlan) -> str:
    """The plan for one metric in words."""
    name = plan.metric
    power_text = f"{plan.power:.0%} power at alpha {plan.alpha:g}"
    head = (
        f"{name}: min_effect {plan.min_effect:.4g} is {plan.effect_in_sd:.2f} seed-SDs "
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
