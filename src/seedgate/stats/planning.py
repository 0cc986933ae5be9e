"""How many candidate runs resolve min_effect, from the baseline's seed-to-seed spread.

Normal approximation of the rank test: with seed SD sigma, a shift delta = effect / sigma
moves the Mann-Whitney z by about

    delta / sqrt(pi / 3 * (1 / n_c + 1 / n_b))

(3/pi is the test's efficiency relative to the t-test under normal noise; the 1/n_b term is
the finite baseline, which no number of candidate runs removes). The regression test is
against a drop of ``indifference x min_effect``, so a drop of min_effect moves z by the
remaining (1 - indifference) part; it is detected with the requested power when that drift
reaches the last look's regression bound plus the power's normal quantile.

That formula sizes a plan; the power a design actually delivers for the configured baseline
and cap is simulated with the gate's own rule (``delivered_power``, normal noise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from seedgate.models import Design, PowerPlan
from seedgate.stats.operating import Outcome, simulate

_STANDARD_NORMAL = NormalDist()
_EFFICIENCY = 3 / math.pi


def _variance_factor(n_candidate: int, n_baseline: int | None) -> float:
    """pi/3 * (1/n_c + 1/n_b); lockstep (n_b None) means n_b = n_c."""
    other = n_candidate if n_baseline is None else n_baseline
    return (1 / n_candidate + 1 / other) / _EFFICIENCY


def approximate_power(
    effect_sd: float, n_candidate: int, n_baseline: int | None, bound: float
) -> float:
    """P(the regression z reaches ``bound``) at one look, for a drop of effect_sd seed-SDs."""
    drift = effect_sd / math.sqrt(_variance_factor(n_candidate, n_baseline))
    return _STANDARD_NORMAL.cdf(drift - bound)


def _max_rank_z(n_candidate: int, n_baseline: int | None) -> float:
    """The largest z the U statistic can reach at these sizes (all candidate runs worse)."""
    n_b = n_candidate if n_baseline is None else n_baseline
    return (n_candidate * n_b / 2) / math.sqrt(n_candidate * n_b * (n_candidate + n_b + 1) / 12)


def runs_needed(effect_sd: float, design: Design, limit: int = 10_000) -> int | None:
    """Smallest candidate n with approximate power >= design.power (None: never reached)."""
    bound = design.bounds_alpha[-1]
    target = bound + _STANDARD_NORMAL.inv_cdf(design.power)
    detectable = effect_sd * (1 - design.indifference)
    allowed = (detectable / target) ** 2  # the largest variance factor that still works
    if design.baseline_n is None:
        n = math.ceil(2 / (allowed * _EFFICIENCY))
    else:
        room = allowed * _EFFICIENCY - 1 / design.baseline_n
        if room <= 0:
            return None
        n = math.ceil(1 / room - 1e-12)
    n = max(n, 1)
    # Ranks saturate: with few runs even a huge shift cannot push z past the bound.
    while _max_rank_z(n, design.baseline_n) < bound:
        n += 1
        if n > limit:
            return None
    return n if n <= limit else None


def delivered_power(effect_sd: float, design: Design, reps: int = 4_000) -> float:
    """P(regression) for a drop of ``effect_sd`` seed-SDs under normal noise, simulated with
    the gate's rule for this design's baseline size and cap (seeded by the design)."""
    rng = np.random.default_rng([design.seed, 1])
    cap = design.looks[-1]
    n_baseline = cap if design.baseline_n is None else design.baseline_n
    baseline = rng.normal(size=(reps, n_baseline))
    candidate = rng.normal(size=(reps, cap)) - effect_sd
    outcome = simulate(candidate, baseline, design, min_effect=effect_sd).outcome
    return float(np.mean(outcome == Outcome.REGRESSION))


def _inconclusive_threshold_sd(design: Design, cap: int) -> float:
    """Effect (in seed-SDs) below which, with nothing changed, most outcomes at the cap are
    inconclusive: the no-change z's drift at the cap only reaches its bound."""
    return design.bound_beta * math.sqrt(_variance_factor(cap, design.baseline_n))


def plan_runs(
    baseline_values: Sequence[float] | NDArray[np.float64],
    min_effect: float,
    design: Design,
    cap: int | None = None,
    *,
    metric: str,
) -> PowerPlan:
    """The plan for one metric: candidate runs needed for min_effect (absolute, metric units)
    at the design's alpha/power, with a warning when the cap (default: the last look) falls
    short. ``baseline_values``: shape (n_b,)."""
    cap = design.looks[-1] if cap is None else cap
    values = np.asarray(baseline_values, dtype=float)
    seed_std = float(values.std(ddof=1)) if values.size >= 2 else math.nan
    power_text = f"{design.power:.0%} power at alpha {design.alpha:g}"

    def plan(effect_sd: float, needed: int | None, message: str) -> PowerPlan:
        resolvable = needed is not None and needed <= cap
        delivered = (
            delivered_power(effect_sd, design)
            if math.isfinite(effect_sd) and effect_sd > 0
            else None
        )
        if delivered is not None:
            message += (
                f" With {design.baseline_n or cap} baseline runs and a cap of {cap}, a drop of "
                f"min_effect is called a regression {delivered:.0%} of the time "
                "(simulated, normal noise)."
            )
        return PowerPlan(
            metric, seed_std, min_effect, effect_sd, needed, cap, resolvable, message, delivered
        )

    if math.isnan(seed_std):
        return plan(math.nan, None, f"{metric}: cannot plan, the baseline has fewer than 2 runs.")
    if min_effect <= 0:
        return plan(
            0.0,
            None,
            f"{metric}: min_effect is 0, so no-change can never be concluded; "
            "set the smallest change that matters.",
        )
    if seed_std == 0:
        return plan(
            math.inf,
            design.looks[0],
            f"{metric}: the baseline runs are identical (deterministic training); "
            "a change of min_effect shows at the first look.",
        )
    effect_sd = min_effect / seed_std
    needed = runs_needed(effect_sd, design)
    if needed is not None:
        needed = max(needed, design.looks[0])  # the design never decides before its first look
    head = (
        f"{metric}: min_effect {min_effect:.4g} is {effect_sd:.2f} seed-SDs "
        f"(seed SD {seed_std:.4g})"
    )
    if needed is not None and needed <= cap:
        return plan(
            effect_sd, needed, f"{head}; about {needed} candidate runs detect it with {power_text}."
        )
    at_cap = approximate_power(
        effect_sd * (1 - design.indifference), cap, design.baseline_n, design.bounds_alpha[-1]
    )
    reach = (
        f"needs about {needed} candidate runs"
        if needed is not None
        else f"cannot be reached against a baseline of {design.baseline_n} runs"
    )
    message = (
        f"{head}; detecting it with {power_text} {reach}; the cap of {cap} gives {at_cap:.0%}."
    )
    threshold = _inconclusive_threshold_sd(design, cap)
    if effect_sd < threshold:
        message += (
            f" Below about {threshold:.2f} seed-SDs most outcomes at the cap are inconclusive: "
            "raise min_effect, reduce seed noise, or raise max_runs"
            + (" and the baseline runs." if design.baseline_n is not None else ".")
        )
    return plan(effect_sd, needed, message)
