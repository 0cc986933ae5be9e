"""The history section of a real comment as GitHub shows it, in headless Chromium: every chart
draws one bar per baseline of main and one for the pull request, and the screenshots
(`python tests/make_history_screenshots.py`) are kept."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.testing.browser import WIDTH, launched, page
from tests.testing.history_shapes import COMMENT_SHOT, TERMINAL_SHOT, comment_markdown


def test_every_history_chart_draws_one_bar_per_baseline_and_the_pull_request(
    tmp_path: Path,
) -> None:
    path = tmp_path / "comment.html"
    path.write_text(page(comment_markdown(), "history"), encoding="utf-8")
    with launched() as browser:
        found = browser.open(path)
    history = found["charts"][-2:]  # the report's own charts come first
    for chart in history:
        assert chart["error"] is None, chart["error"]
        assert not chart["errorSvg"]
        assert sum(chart["bars"]) == 9  # 8 baselines of main + the pull request
        assert len(chart["bars"]) == 4  # grey, amber (new TensorFlow), red (slide), blue (PR)
    assert found["stray"] == 0


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_the_history_screenshots_are_kept() -> None:
    assert png_size(TERMINAL_SHOT)[0] == WIDTH
    width, height = png_size(COMMENT_SHOT)
    assert 600 < width < WIDTH
    assert height > 1000  # the opened section: drift, two charts and the table
