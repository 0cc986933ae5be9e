"""The report as GitHub shows it: cmark-gfm's HTML, GitHub's CSS, Mermaid, headless Chromium.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages ending in NUL on file descriptors 3 and 4), so no extra Python package and no
network port are needed.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.testing.report_shapes import VENDOR

WIDTH, HEIGHT = 1280, 800  # the window the first screen must fit
COMMENT_WIDTH = 780  # about the width of a PR comment's body in such a window
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")

# Runs in the page: draws every Mermaid block as GitHub would and reports what happened.
_PAGE_SCRIPT = """
window.__seedgate = (async () => {
  mermaid.initialize({startOnLoad: false, securityLevel: "strict"});
  const charts = [];
  const blocks = [...document.querySelectorAll("pre > code.language-mermaid")];
  for (const [i, code] of blocks.entries()) {
    const source = code.textContent;
    const result = {error: null, bars: [], lines: 0, errorSvg: false};
    try {
      await mermaid.parse(source);
      const {svg} = await mermaid.render("chart" + i, source);
      const holder = document.createElement("div");
      holder.className = "chart";
      holder.innerHTML = svg;
      code.parentElement.replaceWith(holder);
      result.errorSvg = holder.querySelector(".error-icon, .error-text") !== null
        || holder.textContent.includes("Syntax error");
      for (const group of holder.querySelectorAll("g[class^='bar-plot-']")) {
        const drawn = [...group.querySelectorAll("rect")]
          .filter((r) => parseFloat(r.getAttribute("height")) > 0.01);
        result.bars.push(drawn.length);
      }
      result.lines = holder.querySelectorAll("g[class^='line-plot-'] path").length;
    } catch (e) {
      result.error = String((e && e.message) || e);
    }
    charts.push(result);
  }
  const stray = document.querySelectorAll(".error-icon, .error-text").length;
  const first = document.querySelector("article details");
  const article = document.querySelector("article").getBoundingClientRect();
  const top = first ? first.getBoundingClientRect().top : article.bottom;
  return {charts, stray, firstScreen: top - article.top, total: article.height};
})();
"""


def find_chromium() -> str:
    """The Chromium executable; an error (not a skip) when it is missing."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    msg = (
        "headless Chromium is needed for the report's browser tests and was not found "
        f"(looked for {', '.join(CHROMIUM_NAMES)}); on Debian: apt-get install chromium "
        "(./dev setup installs it)"
    )
    raise RuntimeError(msg)


def markdown_to_html(markdown: str) -> str:
    """GitHub's renderer as a program: cmark-gfm with tables and raw HTML kept."""
    cmark = shutil.which("cmark-gfm")
    if cmark is None:
        msg = "cmark-gfm is needed for the report tests; on Debian: apt-get install cmark-gfm"
        raise RuntimeError(msg)
    done = subprocess.run(
        [cmark, "-e", "table", "-e", "strikethrough", "-e", "autolink", "--unsafe"],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def page(markdown: str, title: str) -> str:
    """A standalone page: the report in a comment-wide GitHub Markdown body."""
    css = (VENDOR / "github-markdown-light.css").read_text(encoding="utf-8")
    script = (VENDOR / "mermaid.min.js").read_text(encoding="utf-8")
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{css}\n"
        "body{margin:0;background:#fff}"
        f".markdown-body{{box-sizing:border-box;width:{COMMENT_WIDTH}px;"
        "margin:16px;padding:16px;border:1px solid #d0d7de;border-radius:6px}"
        "</style></head><body>"
        f'<article class="markdown-body">{markdown_to_html(markdown)}</article>'
        f"<script>{script}</script><script>{_PAGE_SCRIPT}</script></body></html>"
    )


class Browser:
    """One headless Chromium, driven over the DevTools protocol on a pipe."""

    def __init__(self) -> None:
        self._profile = tempfile.TemporaryDirectory(
            prefix="seedgate-chromium-", ignore_cleanup_errors=True
        )
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def wire_pipes() -> None:  # in the child: fds 3 (commands) and 4 (replies)
            commands, replies = os.dup(to_child), os.dup(from_child)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self._process = subprocess.Popen(
            [
                find_chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--font-render-hinting=none",
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}",
                "about:blank",
            ],
            pass_fds=(3, 4),  # kept open after wire_pipes has placed the pipes there
            preexec_fn=wire_pipes,  # noqa: PLW1509 - the test process starts no threads first
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: close() ends all of it
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self._session = ""
        self._events: list[str] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
        self._session = attached["sessionId"]
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.enable")

    def close(self) -> None:
        os.close(self._write)
        os.close(self._read)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)
        self._profile.cleanup()

    def _message(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                msg = f"Chromium did not answer within {timeout} s"
                raise TimeoutError(msg)
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                msg = f"Chromium closed the DevTools pipe (exit {self._process.poll()})"
                raise RuntimeError(msg)
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self._session:
            request["sessionId"] = self._session
        os.write(self._write, json.dumps(request).encode() + b"\0")
        while True:
            message = self._message(timeout)
            if "method" in message:
                self._events.append(str(message["method"]))
            if message.get("id") != self._next_id:
                continue  # an event or another session's message
            if "error" in message:
                msg = f"{method}: {message['error']}"
                raise RuntimeError(msg)
            result: dict[str, Any] = message.get("result", {})
            return result

    def _wait_event(self, method: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while method not in self._events:
            message = self._message(max(0.1, deadline - time.monotonic()))
            if "method" in message:
                self._events.append(str(message["method"]))

    def open(self, path: Path) -> dict[str, Any]:
        """Load a page, wait for its charts, and return what the page script found."""
        self._events.clear()
        self.call("Page.navigate", url=path.resolve().as_uri())
        self._wait_event("Page.loadEventFired", timeout=60)
        evaluated = self.call(
            "Runtime.evaluate",
            expression="window.__seedgate",
            awaitPromise=True,
            returnByValue=True,
            timeout=120,
        )
        if "exceptionDetails" in evaluated:
            msg = f"the page script failed: {evaluated['exceptionDetails']}"
            raise RuntimeError(msg)
        value: dict[str, Any] = evaluated["result"]["value"]
        return value

    def screenshot(self, *, open_selector: str | None = None) -> bytes:
        """The window as PNG; with open_selector, that <details> opened and shot whole."""
        if open_selector is None:
            shot = self.call("Page.captureScreenshot", format="png")
            return base64.b64decode(shot["data"])
        box = self.call(
            "Runtime.evaluate",
            expression=(
                f"(() => {{const d = document.querySelector({json.dumps(open_selector)});"
                "d.open = true; const r = d.getBoundingClientRect();"
                "return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};})()"
            ),
            returnByValue=True,
        )["result"]["value"]
        clip = {"x": box["x"], "y": box["y"], "width": box["w"], "height": box["h"], "scale": 1}
        shot = self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        return base64.b64decode(shot["data"])


@contextlib.contextmanager
def launched() -> Iterator[Browser]:
    """A Browser for the duration of a with-block, closed (process group ended) after it."""
    browser = Browser()
    try:
        yield browser
    finally:
        browser.close()
