from __future__ import annotations

from pathlib import Path

import pytest

from seedgate.errors import RunSetError
from seedgate.planning.noise import read_noise, write_noise
from tests.testing.report_fixtures import regression_comparison


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "noise.json"
    noise = regression_comparison().noise
    assert noise
    write_noise(noise, path)
    assert read_noise(path) == noise


def test_missing_file_means_no_noise_section(tmp_path: Path) -> None:
    assert read_noise(tmp_path / "absent.json") == ()


@pytest.mark.parametrize(
    "text",
    [
        '{"schema": "other"}',
        "not json",
        '{"schema": "seedgate.noise/2"}',
        '{"schema": "seedgate.noise/1", "metrics": []}',
    ],
)
def test_foreign_or_broken_files_are_clear_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "noise.json"
    path.write_text(text)
    with pytest.raises(RunSetError, match="not a seedgate explain result"):
        read_noise(path)
