"""Screenshots of main's history from the real history in tests/data/history.

    python tests/make_history_screenshots.py

- tests/screenshots/history-terminal.png: `seedgate history` as a terminal shows it. The
  real CLI records the eight baselines (`--add`) in a temporary store and prints the
  history into a pseudo-terminal (so with colour, 110 columns); rich turns that output
  into a terminal-like page.
- tests/screenshots/history-comment.png: the pull request comment's history section
  opened, as GitHub shows it (cmark-gfm, GitHub's CSS, Mermaid) in headless Chromium.

Needs cmark-gfm and Chromium (./dev setup installs both).
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the root: `tests.testing`

from rich.console import Console
from rich.terminal_theme import MONOKAI
from rich.text import Text

from tests.testing.browser import Browser, launched, page
from tests.testing.history_shapes import COMMENT_SHOT, MAIN_FILES, TERMINAL_SHOT, comment_markdown

COLUMNS = 110
_READY = "<script>window.__seedgate = Promise.resolve({charts: []});</script>"


def terminal_output(store: Path) -> str:
    """`seedgate history --store STORE --add MAIN...` in a pseudo-terminal: its ANSI text."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": str(COLUMNS), "TERM": "xterm-256color"}
    args = ["history", "--store", str(store), "--add", *map(str, MAIN_FILES)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "seedgate", *args],
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 1 << 16)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    if proc.wait(timeout=120) != 0:
        msg = f"seedgate history exited {proc.returncode}"
        raise RuntimeError(msg)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def terminal_page(ansi: str) -> str:
    console = Console(record=True, width=COLUMNS, file=open(os.devnull, "w"))  # noqa: SIM115, PTH123
    console.print(Text.from_ansi(ansi))
    html = console.export_html(theme=MONOKAI, inline_styles=True)
    return html.replace("</body>", f"{_READY}</body>")


def shoot_terminal(browser: Browser, folder: Path) -> None:
    path = folder / "terminal.html"
    path.write_text(terminal_page(terminal_output(folder / "store")), encoding="utf-8")
    browser.open(path)
    TERMINAL_SHOT.write_bytes(browser.screenshot())


def shoot_comment(browser: Browser, folder: Path) -> None:
    path = folder / "comment.html"
    path.write_text(page(comment_markdown(), "history"), encoding="utf-8")
    found = browser.open(path)
    errors = [c["error"] for c in found["charts"] if c["error"] or c["errorSvg"]]
    if errors:
        msg = f"Mermaid could not draw a chart: {errors}"
        raise RuntimeError(msg)
    shot = browser.screenshot(open_selector="article > details:last-of-type")
    COMMENT_SHOT.write_bytes(shot)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, launched() as browser:
        shoot_terminal(browser, Path(tmp))
        shoot_comment(browser, Path(tmp))
    print(f"wrote {TERMINAL_SHOT} and {COMMENT_SHOT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
