"""Regenerate the report's golden Markdown and screenshots of every shape.

    python tests/make_report_shapes.py

Writes tests/golden/SHAPE.md (what the action posts), tests/screenshots/SHAPE.png (the
first screen in a 1280x800 window) and, for shapes with charts, SHAPE-charts.png (the
charts section opened). Needs cmark-gfm and Chromium (./dev setup installs both).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the root: `tests.testing`

from tests.testing.browser import launched, page
from tests.testing.report_shapes import GOLDEN, SCREENSHOTS, SHAPES, render_shape


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    SCREENSHOTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, launched() as browser:
        for name in SHAPES:
            markdown = render_shape(name)
            (GOLDEN / f"{name}.md").write_text(markdown, encoding="utf-8")
            html = Path(tmp) / f"{name}.html"
            html.write_text(page(markdown, name), encoding="utf-8")
            found = browser.open(html)
            (SCREENSHOTS / f"{name}.png").write_bytes(browser.screenshot())
            if found["charts"]:
                shot = browser.screenshot(open_selector="article details")
                (SCREENSHOTS / f"{name}-charts.png").write_bytes(shot)
            lines = len(markdown.split("<details>", 1)[0].rstrip("\n").splitlines())
            print(f"{name:<13} first screen {lines:>2} lines, {found['firstScreen']:.0f} px")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
