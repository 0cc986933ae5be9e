"""The comment's history section through GitHub's Markdown renderer (cmark-gfm)."""

from __future__ import annotations

import re

from tests.testing.browser import markdown_to_html
from tests.testing.history_shapes import comment_markdown, comment_view


def test_the_history_is_one_folded_section_after_the_report() -> None:
    html = markdown_to_html(comment_markdown())
    sections = re.findall(r"<summary>(.*?)</summary>", html)
    assert sections[-1] == "<b>History of main: 8 baselines, drift in accuracy, loss</b>"
    history = html[html.rindex("<details>") :]
    charts = re.findall(
        r'<pre><code class="language-mermaid">(.*?)</code></pre>', history, re.DOTALL
    )
    assert len(charts) == 2  # accuracy and loss; n_test is the same in every run
    assert all("xychart-beta" in chart for chart in charts)
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>", history)
    assert rows == [str(i) for i in range(1, 9)] + ["PR"]
    assert "tensorflow-cpu 2.20.0 → tensorflow-cpu 2.21.0" in history
    assert history.count("<li><strong>Drift</strong>: ") == len(comment_view().slides)


def test_the_report_comes_first_when_both_do_not_fit() -> None:
    whole = comment_markdown()
    assert "History of main" in whole
    cut = comment_markdown(max_chars=len(whole) - 100)
    assert "History of main" not in cut
    assert cut.startswith(whole[:200])  # the report itself, as it would be alone
