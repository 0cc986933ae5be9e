"""The data that flows through the gate: frozen dataclasses and closed enums.

RunResult* -> RunSet -> (with a baseline RunSet) Comparison -> report.
Nothing here does I/O; (de)serialisation of RunSets lives in ``seedgate.runset.codec``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field


class Goal(str, enum.Enum):
    """Which direction of a metric is better."""

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"

    @property
    def sign(self) -> int:
        """+1 when larger is better, -1 when smaller is better."""
        return 1 if self is Goal.MAXIMIZE else -1


class Verdict(str, enum.Enum):
    """The closed set of answers the gate gives, per metric and overall."""

    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    NO_CHANGE = "no-change"
    INCONCLUSIVE = "inconclusive"
    NO_BASELINE = "no-baseline"
    # a baseline was found, but a gating metric is on one side only (renamed, new, dropped,
    # or a baseline without successful runs): nothing to compare it with
    METRIC_ABSENT = "metric-absent"
    BASELINE = "baseline"  # the run made the baseline; nothing was gated


NOT_COMPARED = (Verdict.NO_BASELINE, Verdict.METRIC_ABSENT)


class MissingBaseline(str, enum.Enum):
    """What the gate does when it has nothing to compare with: no usable baseline, or a
    gating metric on one side only (verdicts no-baseline and metric-absent)."""

    FAIL = "fail"  # the check fails (exit 2) saying what is missing and how to make it
    PASS = "pass"  # noqa: S105 - the check passes with a warning that nothing was compared
    BUILD = "build"  # the action makes it from the pull request's base commit, then gates

    def fails(self, verdict: Verdict) -> bool:
        """Whether nothing compared fails the check (with build: only what building could
        not fix, a gating metric the base commit's runs do not report either)."""
        return self is not MissingBaseline.PASS and verdict in NOT_COMPARED


class RunStatus(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"
    TIMED_OUT = "timed-out"


class Executor(str, enum.Enum):
    """Where the runs run: processes on the gate's machine, or tasks on a Ray cluster."""

    LOCAL = "local"
    RAY = "ray"


class FailOn(str, enum.Enum):
    """Which verdicts make the check fail (exit code 1)."""

    REGRESSION = "regression"
    INCONCLUSIVE = "inconclusive"
    NEVER = "never"

    def fails(self, verdict: Verdict) -> bool:
        if self is FailOn.NEVER:
            return False
        if self is FailOn.REGRESSION:
            return verdict is Verdict.REGRESSION
        return verdict in (Verdict.REGRESSION, Verdict.INCONCLUSIVE)


class Bound(str, enum.Enum):
    """Which boundary of the sequential design decided a metric."""

    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    NO_CHANGE = "no-change"
    CAP = "cap"  # the run cap was reached with no bound crossed


@dataclass(frozen=True, slots=True)
class RunResult:
    """One training+evaluation run."""

    index: int
    seed: int
    status: RunStatus
    metrics: Mapping[str, float]
    duration_s: float
    reason: str | None = None
    log_tail: str | None = None
    data_seed: int | None = None
    init_seed: int | None = None
    node: str | None = None  # the cluster node it ran on (Ray executor); None: the gate's machine

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.OK


@dataclass(frozen=True, slots=True)
class RunSet:
    """The runs of one commit plus what makes them comparable."""

    runs: tuple[RunResult, ...]
    command: str
    config_digest: str
    commit: str | None
    environment: Mapping[str, str]
    created_at: str
    shard: str | None = None

    @property
    def ok_runs(self) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if r.ok)

    @property
    def failed_runs(self) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if not r.ok)

    def metric_names(self) -> tuple[str, ...]:
        """Metric names reported by every successful run, in first-seen order."""
        ok = self.ok_runs
        if not ok:
            return ()
        names = [n for n in ok[0].metrics if all(n in r.metrics for r in ok[1:])]
        return tuple(names)

    def values(self, metric: str) -> tuple[float, ...]:
        """The metric's value in each successful run, in run order."""
        return tuple(r.metrics[metric] for r in self.ok_runs if metric in r.metrics)


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float

    def __post_init__(self) -> None:
        if not (math.isnan(self.low) or math.isnan(self.high)) and self.low > self.high:
            msg = f"Interval low {self.low} exceeds high {self.high}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Summary:
    """Descriptive statistics of one metric over the successful runs of one side."""

    n: int
    mean: float
    std: float
    median: float
    min: float
    max: float
    mean_interval: Interval  # 95% t-interval of the mean (NaN bounds when n < 2)


@dataclass(frozen=True, slots=True)
class Look:
    """The evidence of one metric at one look of the sequential design.

    z values are oriented so that larger means more evidence for that bound; p values
    are the design's (sequential, multiplicity-adjusted where stated) p-values.
    """

    n_baseline: int
    n_candidate: int
    z_regression: float
    z_improvement: float
    z_no_change: float
    p_regression: float
    p_improvement: float
    p_no_change: float
    # paired designs: the paired statistics (T for regression/improvement, S for no-change)
    t_regression: float | None = None
    t_improvement: float | None = None
    s_no_change: float | None = None
    # the candidate diverged more often than the baseline (stats.stability): no no-change here
    stability_blocks: bool = False


class PairingStatus(str, enum.Enum):
    """Whether the candidate's runs were compared with their same-seed twins, or why not."""

    PAIRED = "paired"
    SEEDS_DIFFER = "seeds-differ"  # a candidate seed is not among the baseline's seeds
    BASELINE_TOO_SHORT = "baseline-too-short"  # fewer baseline runs than the cap
    DUPLICATE_SEEDS = "duplicate-seeds"  # a seed repeats on one side
    LOCKSTEP = "lockstep"  # the baseline grows with the candidate
    SINGLE_LOOK = "single-look"  # fixed-size compare: the unpaired exact test


class Analysis(str, enum.Enum):
    """Which evidence crossed the deciding bound."""

    UNPAIRED = "unpaired"
    PAIRED = "paired"
    REPLAY = "identical replay"


@dataclass(frozen=True, slots=True)
class Pairing:
    """Same-seed pairing of one metric's runs (stats.paired)."""

    status: PairingStatus
    seeds: tuple[int, ...]  # candidate seeds compared with their twins (empty: unpaired)
    correlation: float | None  # same-seed Pearson correlation over those seeds
    identical_seeds: tuple[int, ...] = ()  # first-look seeds replayed bit for bit


@dataclass(frozen=True, slots=True)
class Stability:
    """Diverged runs on each side at the deciding look (``stats.stability``)."""

    candidate_diverged: int
    candidate_runs: int
    baseline_diverged: int
    baseline_runs: int

    @property
    def worse(self) -> bool:
        """The candidate's share of diverged runs is above the baseline's."""
        return self.candidate_diverged * self.baseline_runs > (
            self.baseline_diverged * self.candidate_runs
        )


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """Per metric: both summaries, the shift, the evidence at each look, the verdict."""

    name: str
    goal: Goal
    min_effect: float  # absolute, in the metric's units
    primary: bool
    baseline: Summary | None
    candidate: Summary
    shift: float | None  # Hodges-Lehmann estimate of candidate - baseline
    shift_interval: Interval | None
    p_better: float | None  # P(candidate run better than baseline run), ties count 1/2
    looks: tuple[Look, ...]
    verdict: Verdict
    bound: Bound | None  # which bound decided it (None: no baseline)
    gating: bool  # False for non-primary metrics when a primary metric is set
    bad_seeds: tuple[int, ...] = ()  # seeds whose value sits far in the pooled tail
    baseline_values: tuple[float, ...] = ()
    candidate_values: tuple[float, ...] = ()
    baseline_seeds: tuple[int, ...] = ()
    candidate_seeds: tuple[int, ...] = ()
    pairing: Pairing | None = None  # None: no baseline
    decided_by: Analysis | None = None  # None: no bound crossed
    stability: Stability | None = None  # None: no baseline


@dataclass(frozen=True, slots=True)
class Design:
    """The sequential design that produced a Comparison (for the report's settings)."""

    looks: tuple[int, ...]  # candidate run counts at which the test looks
    baseline_n: int | None  # None: lockstep (both sides grow together)
    alpha: float
    power: float  # 1 - P(no-change | a drop of exactly min_effect), at most
    bounds_alpha: tuple[float, ...]  # z bound for regression/improvement, one per look
    bound_beta: float  # z bound for no-change (non-inferiority) at every look
    # z of a 95% repeated confidence interval per look: kept for benchmarks/interval_coverage.py;
    # the report shows the interval of the deciding tests (stats.inversion)
    bounds_interval: tuple[float, ...]
    indifference: float  # regression/improvement are tested against this x min_effect
    simulations: int
    seed: int
    # paired designs (stats.paired): the paired statistic's bound at each look; () unpaired
    paired_bounds: tuple[float, ...] = ()


class PlanStatus(str, enum.Enum):
    """What a power plan found (report.plans turns it into a sentence)."""

    NO_SPREAD = "no-spread"  # fewer than 2 baseline runs: no seed SD
    ZERO_MIN_EFFECT = "zero-min-effect"  # no-change can never be concluded
    DETERMINISTIC = "deterministic"  # identical baseline runs
    RESOLVABLE = "resolvable"  # runs_needed <= cap
    SHORT = "short"  # the cap (or the baseline) falls short


@dataclass(frozen=True, slots=True)
class PowerPlan:
    """How many candidate runs resolve min_effect, from the baseline's spread."""

    metric: str
    seed_std: float
    effect_in_sd: float  # min_effect (the MetricComparison's, or the plan's input) / seed_std
    runs_needed: int | None  # None: not reachable with this baseline size at any n
    cap: int
    resolvable: bool  # runs_needed is not None and <= cap
    status: PlanStatus = PlanStatus.RESOLVABLE
    alpha: float = 0.05
    power: float = 0.9  # the configured target (the no-change guard)
    baseline_n: int | None = None  # None: lockstep
    power_at_cap: float | None = None  # approximate power at the cap (SHORT plans)
    inconclusive_below_sd: float | None = None  # SHORT plans: mostly inconclusive below this
    # P(regression | a drop of min_effect) this design delivers with the configured baseline
    # and cap, simulated under normal noise with unrelated seeds (None: not computable)
    delivered_power: float | None = None
    # the same with paired seeds at the given same-seed correlation (None: not paired)
    paired_correlation: float | None = None
    delivered_power_paired: float | None = None


@dataclass(frozen=True, slots=True)
class EnvironmentDifference:
    key: str
    baseline: str | None
    candidate: str | None


class StopKind(str, enum.Enum):
    """Why the gate stopped, or why it is still running (report.wording says it in words)."""

    NO_BASELINE = "no-baseline"
    METRIC_ABSENT = "metric-absent"  # metrics: the gating metrics the baseline lacks
    BASELINE = "baseline"  # the runs made the baseline
    REGRESSION = "regression"  # metrics: the first to cross; runs/look: where
    SETTLED = "settled"  # every gating metric decided; metrics + verdicts; runs/look: last
    CAP = "cap"  # metrics: undecided at the cap (look None: the single look)
    BEFORE_FIRST_LOOK = "before-first-look"  # runs so far < the first look
    OPEN = "open"  # metrics still open after ``runs``; next_look


@dataclass(frozen=True, slots=True)
class Stop:
    kind: StopKind
    metrics: tuple[str, ...] = ()
    verdicts: tuple[Verdict, ...] = ()  # SETTLED: the verdict of each metric in ``metrics``
    runs: int = 0  # candidate runs at the deciding look, or so far (OPEN, BEFORE_FIRST_LOOK)
    look: int | None = None  # 1-based look number; None for a single-look comparison
    next_look: int | None = None  # OPEN: the run count of the next look
    cap: int = 0  # the last look


class NoteKind(str, enum.Enum):
    """Which note: each kind has its own record below, whose fields mean one thing."""

    NO_BASELINE_YET = "no-baseline-yet"
    NOT_IN_BASELINE = "not-in-baseline"
    FAILED_RUNS = "failed-runs"
    EXTRA_RUNS = "extra-runs"
    LOCKSTEP_SHORT = "lockstep-short"
    PRIMARY_ALONE = "primary-alone"
    UNPAIRED = "unpaired"


# Each note carries its kind as a field (not settable) so the JSON report names it.


@dataclass(frozen=True, slots=True)
class NoBaselineYet:
    kind: NoteKind = field(default=NoteKind.NO_BASELINE_YET, init=False)


@dataclass(frozen=True, slots=True)
class NotInBaseline:
    metric: str
    baseline_metrics: tuple[str, ...]  # what the baseline reports
    kind: NoteKind = field(default=NoteKind.NOT_IN_BASELINE, init=False)


@dataclass(frozen=True, slots=True)
class FailedRuns:
    seeds: tuple[int, ...]  # of the failed candidate runs
    kind: NoteKind = field(default=NoteKind.FAILED_RUNS, init=False)


@dataclass(frozen=True, slots=True)
class ExtraRuns:
    successful: int  # successful candidate runs
    used: int  # the runs the test used (the cap)
    kind: NoteKind = field(default=NoteKind.EXTRA_RUNS, init=False)


@dataclass(frozen=True, slots=True)
class LockstepShort:
    metrics: tuple[str, ...]  # whose baseline is shorter than the candidate
    kind: NoteKind = field(default=NoteKind.LOCKSTEP_SHORT, init=False)


@dataclass(frozen=True, slots=True)
class PrimaryAlone:
    metric: str  # the primary metric
    kind: NoteKind = field(default=NoteKind.PRIMARY_ALONE, init=False)


@dataclass(frozen=True, slots=True)
class Unpaired:
    metric: str  # compared unpaired
    why: PairingStatus
    candidate_seeds: tuple[int, ...]
    baseline_seeds: tuple[int, ...]
    kind: NoteKind = field(default=NoteKind.UNPAIRED, init=False)


Note = (
    NoBaselineYet | NotInBaseline | FailedRuns | ExtraRuns | LockstepShort | PrimaryAlone | Unpaired
)


class Multiplicity(str, enum.Enum):
    ONE = "one"  # one gating metric
    HOLM = "holm"  # Holm across the gating metrics at each look
    PRIMARY = "primary"  # the primary metric gates alone


@dataclass(frozen=True, slots=True)
class MinEffectSetting:
    """A metric's min_effect as configured; the absolute value is its MetricComparison's."""

    metric: str
    configured: str  # as written in the config ("1%", "0.002")


@dataclass(frozen=True, slots=True)
class GateSettings:
    """The settings of a comparison that the Design does not hold."""

    lockstep: bool
    bad_seed_threshold: float
    multiplicity: Multiplicity
    gating: int  # gating metrics
    primary: str | None
    min_effects: tuple[MinEffectSetting, ...]
    single_look: bool
    alpha: float
    power: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """The whole answer: per-metric comparisons, the overall verdict, and context."""

    verdict: Verdict
    metrics: tuple[MetricComparison, ...]
    design: Design | None
    stop: Stop  # which bound at which look, or why none (report.wording.stop_reason)
    baseline_commit: str | None
    candidate_commit: str | None
    baseline_runs: int  # successful baseline runs used
    candidate_runs: int  # successful candidate runs used
    failed_runs: tuple[RunResult, ...] = ()  # candidate runs that failed (kept, reported)
    plans: tuple[PowerPlan, ...] = ()
    environment_differences: tuple[EnvironmentDifference, ...] = ()
    notes: tuple[Note, ...] = ()
    settings: GateSettings | None = None
    noise: tuple[NoiseBreakdown, ...] = ()
    baseline_origin: str | None = None  # where the baseline came from, in words
    baseline_skipped: tuple[str, ...] = ()  # candidates passed over, each with its reason


@dataclass(frozen=True, slots=True)
class VarianceComponent:
    """One source's part of a metric's run-to-run variance (``seedgate explain``)."""

    source: str  # "data order", "initialisation", "non-determinism", "test-set sampling"
    variance: float
    share: float  # of the total, 0..1
    interval: Interval  # 95% interval of the variance


@dataclass(frozen=True, slots=True)
class NoiseAdvice:
    """The numbers behind explain's advice on one metric (report.noise says them in words).

    ``min_effect`` is the one explain planned for: absolute, against explain's own runs (a
    Comparison's metrics carry the gate's).
    """

    min_effect: float
    alpha: float
    power: float
    cap: int  # max_runs
    runs_unpaired: int | None  # candidate runs needed with unrelated seeds (None: none do)
    runs_paired: int | None  # the same with paired seeds at ``paired_correlation``
    paired_correlation: float
    n_test: int | None  # test examples (None: not known)
    test_set_half_width: float | None  # 95% sampling error from the test set (None: unknown)
    test_examples_needed: int | None  # test examples that would resolve min_effect

    @property
    def test_set_limits(self) -> bool:
        """The test set's sampling error, not the seeds, limits what min_effect resolves."""
        width = self.test_set_half_width
        return width is not None and self.min_effect > 0 and width > self.min_effect


@dataclass(frozen=True, slots=True)
class NoiseBreakdown:
    """Where one metric's noise comes from, and the numbers for advice."""

    metric: str
    total_variance: float
    components: tuple[VarianceComponent, ...]
    deterministic: bool | None  # identical seeds gave identical values (None: not checked)
    identical_seed_max_diff: float | None
    test_set_error: float | None  # sampling standard error of the metric from the test size
    advice: NoiseAdvice | None = None  # None: not planned (decompose alone)
