"""The report layer: a Comparison as Markdown (PR comment, job summary, terminal) or JSON.

No I/O besides reading the package's own templates; never imports the GitHub layer.
"""

from __future__ import annotations

from seedgate.report.render import (
    GITHUB_COMMENT_LIMIT,
    JOB_SUMMARY_LIMIT,
    SCHEMA,
    comment_marker,
    comparison_to_dict,
    goal_arrow,
    headline,
    render_json,
    render_markdown,
    text_length,
    verdict_emoji,
    verdict_text,
)

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "JOB_SUMMARY_LIMIT",
    "SCHEMA",
    "comment_marker",
    "comparison_to_dict",
    "goal_arrow",
    "headline",
    "render_json",
    "render_markdown",
    "text_length",
    "verdict_emoji",
    "verdict_text",
]
