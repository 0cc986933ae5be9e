"""`seedgate plan`: from a baseline, the runs each metric needs and the smallest effect resolved."""

from __future__ import annotations

import argparse

from seedgate.cli.common import MAKE_BASELINE, load_baseline, load_settings, warn_resolution
from seedgate.errors import ConfigError, ExitCode


def command(args: argparse.Namespace) -> int:
    from seedgate.planning.resolution import plan_runs_needed, resolutions
    from seedgate.report.plans import plan_sentence, smallest_effect_text

    config = load_settings(args)
    baseline = load_baseline(args, config)
    if baseline is None:
        raise ConfigError(f"plan: no baseline; pass --baseline FILE or {MAKE_BASELINE}")
    warn_resolution(config, baseline)
    for plan, min_effect in plan_runs_needed(config, baseline):
        print(plan_sentence(plan, min_effect))
    for resolution in resolutions(config, baseline):
        print(smallest_effect_text(resolution))
    return ExitCode.OK
