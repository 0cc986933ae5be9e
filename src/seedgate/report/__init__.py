"""The report layer: a Comparison as Markdown (PR comment, job summary), text or JSON.

No I/O besides reading the package's own templates; never imports the GitHub layer.
"""

from __future__ import annotations

from seedgate.report.cells import comment_marker
from seedgate.report.render import (
    SCHEMA,
    comparison_to_dict,
    render_json,
    render_markdown,
    text_length,
)
from seedgate.report.terminal import render_text
from seedgate.report.wording import goal_arrow, headline, verdict_emoji, verdict_text

__all__ = [
    "SCHEMA",
    "comment_marker",
    "comparison_to_dict",
    "goal_arrow",
    "headline",
    "render_json",
    "render_markdown",
    "render_text",
    "text_length",
    "verdict_emoji",
    "verdict_text",
]
