"""Slow drift of main: a self-starting one-sided CUSUM over the history of baseline means.

Each pull request is compared with one baseline, so a slide of a fraction of a seed SD per
merge passes every gate. This detector looks at main's baselines in order, one metric at a
time, and raises an alarm when their means have moved in the worse direction by more than
the baselines' own noise explains, however the slide was spread over the merges.

The statistic (Hawkins 1987, with known per-baseline variances). Baseline t of one
segment has mean m_t over n_t runs; the seed SD sigma is pooled over the segment's
baselines so far (each baseline's own SD, weighted by its degrees of freedom), so the mean
has variance v_t = sigma^2 / n_t. Standardise each mean against the precision-weighted mean
of the segment's earlier baselines:

    z_t = (m_t - mbar_{t-1}) / sqrt(v_t + 1 / sum_{j<t} 1 / v_j)

Without a change the z_t are independent N(0, 1) (recursive residuals), whatever the level
and the run counts, so no in-control level has to be known in advance. Page's one-sided
CUSUM in the worse direction, ``S_t = max(0, S_{t-1} + w_t - k)`` with ``w_t = -z_t`` for a
metric to maximise, alarms when ``S_t > h``. The slide is dated from the last time S was 0
(Page's change-point estimate) to the alarm.

Segments: an environment change (another TensorFlow, GPU, image, ...) starts a new segment,
because a step there is explained by the environment and is marked as such, not reported as
drift. After an alarm the detector restarts at the alarm's baseline, so one slide is
reported once and a slide that continues is reported again.

``ALLOWANCE`` k = 0.5 (tuned for a shift of one standard error) and ``THRESHOLD`` h = 5: by
simulation (benchmarks/drift.py) a false alarm in 20 baselines of an unchanged main is rare
(about 1.5% with 20 runs a baseline, 3% with 5), and a slide of 0.25 seed SD a merge is
caught by the tenth baseline. In-control alarms are rare but not impossible on a long
history, which is why drift is reported and never fails a check.

References
----------
Page, E. S. (1954). Continuous inspection schemes. Biometrika 41(1/2), 100-115.
Hawkins, D. M. (1987). Self-starting CUSUM charts for location and scale. Journal of the
Royal Statistical Society, Series D (The Statistician) 36(4), 299-316.
Hawkins, D. M. and Olwell, D. H. (1998). Cumulative Sum Charts and Charting for Quality
Improvement. Springer, ch. 7 (self-starting charts).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

ALLOWANCE = 0.5
THRESHOLD = 5.0


@dataclass(frozen=True, slots=True)
class BaselinePoint:
    """One metric in one baseline of main: mean, SD (ddof=1) and count of its runs.

    ``new_environment``: the environment fingerprint differs from the previous baseline's.
    """

    mean: float
    sd: float
    n: int
    new_environment: bool = False

    @property
    def usable(self) -> bool:
        return self.n >= 2 and math.isfinite(self.mean) and math.isfinite(self.sd)


@dataclass(frozen=True, slots=True)
class DriftAlarm:
    """A slide found in a history: indices into the points the detector was given.

    ``first``: the first baseline of the slide; ``alarm``: the baseline at which the
    CUSUM crossed its threshold (``first <= alarm``). ``level_before``: the weighted mean
    of the segment's baselines before ``first``; ``seed_sd``: the pooled seed SD at the
    alarm; ``largest_step``: the largest move in the worse direction between two
    consecutive baselines from ``first - 1`` to ``alarm`` (metric units, >= 0), which says
    whether one merge made the slide.
    """

    first: int
    alarm: int
    level_before: float
    level_at_alarm: float
    seed_sd: float
    largest_step: float

    @property
    def shift(self) -> float:
        """The move from the level before to the mean at the alarm (metric units, signed)."""
        return self.level_at_alarm - self.level_before

    @property
    def shift_in_sd(self) -> float:
        """``shift`` in pooled seed SDs (signed)."""
        return self.shift / self.seed_sd if self.seed_sd > 0 else math.nan

    @property
    def largest_step_in_sd(self) -> float:
        return self.largest_step / self.seed_sd if self.seed_sd > 0 else math.nan


@dataclass
class _Segment:
    """Running sums of one segment: the reference level and the pooled variance."""

    start: int
    weight: float = 0.0  # sum of 1 / v_j = n_j / sigma^2 without the sigma^2
    weighted_sum: float = 0.0  # sum of n_j * m_j
    squares: float = 0.0  # sum of (n_j - 1) * s_j^2
    df: int = 0
    cusum: float = 0.0
    excursion_start: int | None = None  # the first baseline since the CUSUM left 0
    level_before_excursion: float = math.nan

    def pooled_sd(self, point: BaselinePoint) -> float:
        df = self.df + point.n - 1
        return math.sqrt((self.squares + (point.n - 1) * point.sd**2) / df)

    def level(self) -> float:
        return self.weighted_sum / self.weight

    def add(self, point: BaselinePoint) -> None:
        self.weight += point.n
        self.weighted_sum += point.n * point.mean
        self.squares += (point.n - 1) * point.sd**2
        self.df += point.n - 1


def recursive_residual(segment: _Segment, point: BaselinePoint, sigma: float) -> float:
    """z of ``point``'s mean against the segment's earlier baselines (N(0, 1) in control)."""
    variance = sigma**2 / point.n + sigma**2 / segment.weight
    return (point.mean - segment.level()) / math.sqrt(variance)


def recursive_residuals(points: Sequence[BaselinePoint | None]) -> tuple[float | None, ...]:
    """z_t of every baseline against its segment's earlier ones (no restarts at alarms).

    ``points``: shape (T,) as for :func:`detect_drift`; the result has shape (T,), None
    for the first usable baseline of a segment, for unusable points and where the pooled
    SD is 0. In control the numbers are independent N(0, 1) (for Gaussian runs).
    """
    out: list[float | None] = []
    segment: _Segment | None = None
    for index, point in enumerate(points):
        if point is None or not point.usable:
            out.append(None)
            continue
        if segment is None or point.new_environment:
            segment = _Segment(start=index)
            out.append(None)
        else:
            sigma = segment.pooled_sd(point)
            out.append(recursive_residual(segment, point, sigma) if sigma > 0 else None)
        segment.add(point)
    return tuple(out)


def detect_drift(
    points: Sequence[BaselinePoint | None],
    goal_sign: int,
    *,
    allowance: float = ALLOWANCE,
    threshold: float = THRESHOLD,
) -> tuple[DriftAlarm, ...]:
    """Every slide in the worse direction, oldest first.

    ``points``: one metric of main's baselines in commit order, shape (T,); None (or a
    point with fewer than 2 runs or non-finite values) where a baseline lacks the metric,
    which the detector steps over. ``goal_sign``: +1 when larger is better, -1 when
    smaller is better. Deterministic: no random numbers.
    """
    if goal_sign not in {1, -1}:
        raise ValueError(f"goal_sign must be +1 or -1, got {goal_sign!r}")
    if allowance < 0 or threshold <= 0:
        raise ValueError(f"allowance >= 0 and threshold > 0 needed, got {allowance}, {threshold}")
    return _Cusum(tuple(points), goal_sign, allowance, threshold).alarms()


@dataclass(frozen=True, slots=True)
class _Cusum:
    points: tuple[BaselinePoint | None, ...]
    goal_sign: int
    allowance: float
    threshold: float

    def alarms(self) -> tuple[DriftAlarm, ...]:
        found: list[DriftAlarm] = []
        segment: _Segment | None = None
        for index, point in enumerate(self.points):
            if point is None or not point.usable:
                continue
            if segment is None or point.new_environment:
                segment = _Segment(start=index)
            else:
                alarm = self._step(segment, index, point)
                if alarm is not None:
                    found.append(alarm)
                    segment = _Segment(start=index)
            segment.add(point)
        return tuple(found)

    def _step(self, segment: _Segment, index: int, point: BaselinePoint) -> DriftAlarm | None:
        """Advance the CUSUM by one baseline; the alarm when it crosses the threshold."""
        sigma = segment.pooled_sd(point)
        if sigma <= 0:  # a deterministic metric: every run equal, no noise to measure against
            return None
        worse = -self.goal_sign * recursive_residual(segment, point, sigma)
        if segment.cusum == 0 and worse > self.allowance:
            segment.excursion_start = index
            segment.level_before_excursion = segment.level()
        segment.cusum = max(0.0, segment.cusum + worse - self.allowance)
        first = segment.excursion_start
        if segment.cusum == 0:
            segment.excursion_start = None
        if segment.cusum <= self.threshold or first is None:
            return None
        return DriftAlarm(
            first=first,
            alarm=index,
            level_before=segment.level_before_excursion,
            level_at_alarm=point.mean,
            seed_sd=sigma,
            largest_step=self._largest_step(max(segment.start, first - 1), index),
        )

    def _largest_step(self, since: int, until: int) -> float:
        """The largest worsening between consecutive usable baselines in [since, until]."""
        means = [p.mean for p in self.points[since : until + 1] if p is not None and p.usable]
        steps = [-self.goal_sign * (b - a) for a, b in itertools.pairwise(means)]
        return max([0.0, *steps])
