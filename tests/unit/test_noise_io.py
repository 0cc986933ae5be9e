from __future__ import annotations

from pathlib import Path

import pytest

from seedgate.errors import RunSetError
from seedgate.models import Interval, NoiseBreakdown, VarianceComponent
from seedgate.noise_io import read_noise, write_noise


def _breakdown() -> NoiseBreakdown:
    return NoiseBreakdown(
        metric="accuracy",
        total_variance=4e-5,
        components=(
            VarianceComponent("data order", 1e-5, 0.25, Interval(2e-6, 6e-5)),
            VarianceComponent("initialisation", 3e-5, 0.75, Interval(1e-5, 2e-4)),
        ),
        deterministic=True,
        identical_seed_max_diff=0.0,
        test_set_error=0.0043,
        advice=("about 5 runs per side resolve min_effect 0.01",),
    )


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "noise.json"
    write_noise((_breakdown(),), path)
    assert read_noise(path) == (_breakdown(),)


def test_missing_file_means_no_noise_section(tmp_path: Path) -> None:
    assert read_noise(tmp_path / "absent.json") == ()


@pytest.mark.parametrize(
    "text", ['{"schema": "other"}', "not json", '{"schema": "seedgate.noise/1"}']
)
def test_foreign_or_broken_files_are_clear_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "noise.json"
    path.write_text(text)
    with pytest.raises(RunSetError, match="not a seedgate explain result"):
        read_noise(path)
