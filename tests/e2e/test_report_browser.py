"""Every report shape as GitHub shows it, in headless Chromium: charts draw, first screen fits.

cmark-gfm turns the Markdown into HTML, GitHub's Markdown CSS styles it at the width of a
pull-request comment, and Mermaid (vendored in tests/vendor) draws each chart the way
GitHub's viewer does. A missing Chromium or cmark-gfm fails these tests; it never skips.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.testing.browser import HEIGHT, WIDTH, Browser, launched, page
from tests.testing.report_shapes import SCREENSHOTS, SHAPES, render_shape

Results = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched() as opened:
        yield opened


@pytest.fixture(scope="module")
def results(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Results:
    folder = tmp_path_factory.mktemp("pages")
    found = {}
    for name in SHAPES:
        path = folder / f"{name}.html"
        path.write_text(page(render_shape(name), name), encoding="utf-8")
        found[name] = browser.open(path)
    return found


def runs_per_side(name: str) -> list[list[int]]:
    """For each gating metric with runs: the number of runs on each side that has some."""
    result = SHAPES[name]()
    return [
        [len(v) for v in (m.baseline_values, m.candidate_values) if v]
        for m in result.metrics
        if m.gating and (m.baseline_values or m.candidate_values)
    ]


@pytest.mark.parametrize("name", list(SHAPES))
def test_every_chart_parses_and_draws_one_bar_per_run(results: Results, name: str) -> None:
    charts = results[name]["charts"]
    assert charts, f"{name}: no chart was drawn"
    for chart in charts:
        assert chart["error"] is None, f"{name}: Mermaid could not draw a chart: {chart['error']}"
        assert not chart["errorSvg"], f"{name}: Mermaid drew its error diagram"
    assert results[name]["stray"] == 0
    assert [c["bars"] for c in charts] == runs_per_side(name)
    with_baseline = [len(sides) == 2 for sides in runs_per_side(name)]
    assert [c["lines"] for c in charts] == [2 if b else 0 for b in with_baseline]


@pytest.mark.parametrize("name", list(SHAPES))
def test_first_screen_fits_a_1280_by_800_window(results: Results, name: str) -> None:
    height = results[name]["firstScreen"]
    assert 0 < height <= HEIGHT, f"{name}: the first screen is {height:.0f} px high"
    assert results[name]["total"] > height  # folded sections follow it


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.parametrize("name", list(SHAPES))
def test_screenshots_of_the_shapes_are_kept(name: str) -> None:
    assert png_size(SCREENSHOTS / f"{name}.png") == (WIDTH, HEIGHT)
    charts = SCREENSHOTS / f"{name}-charts.png"
    width, height = png_size(charts)
    assert 600 < width < WIDTH
    assert height > 400  # the opened charts section, at least one chart high


def test_a_broken_chart_is_caught(browser: Browser, tmp_path: Path) -> None:
    markdown = "## x\n\n```mermaid\nxychart-beta\n    bar [1, oops]\n```\n\n<details>\n</details>\n"
    path = tmp_path / "broken.html"
    path.write_text(page(markdown, "broken"), encoding="utf-8")
    charts = browser.open(path)["charts"]
    assert len(charts) == 1
    assert charts[0]["error"]
