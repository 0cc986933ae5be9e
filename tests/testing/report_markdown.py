"""Reading rendered report Markdown in tests: the first screen, sections, tables, cells."""

from __future__ import annotations

import re

FENCE = re.compile(r"^(`{3,})[^\n]*\n.*?^\1$", re.MULTILINE | re.DOTALL)
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def first_screen(markdown: str) -> str:
    """The Markdown before the first collapsed section."""
    return markdown.split("<details>", 1)[0]


def details(markdown: str, summary: str) -> str:
    """The body of the <details> section with this summary (up to its own </details>)."""
    start = markdown.index(f"<summary>{summary}</summary>")
    depth, position = 1, start
    while depth:
        opened = markdown.find("<details>", position)
        closed = markdown.find("</details>", position)
        if opened != -1 and opened < closed:
            depth, position = depth + 1, opened + 1
        else:
            depth, position = depth - 1, closed + 1
    return markdown[start : position - 1]


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, re.MULTILINE | re.DOTALL)


def outside_fences(markdown: str) -> str:
    return FENCE.sub("", markdown)


def metric_table(markdown: str) -> list[str]:
    """The lines of the per-metric table (header, delimiter, rows)."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Metric | Baseline"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def cells(row: str) -> list[str]:
    return [c.strip() for c in UNESCAPED_PIPE.split(row)[1:-1]]


def section_table(markdown: str, summary: str) -> list[str]:
    """The table lines (header, delimiter, rows) of the <details> section with this summary."""
    return [line for line in details(markdown, summary).splitlines() if line.startswith("|")]
