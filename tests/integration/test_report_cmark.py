"""Render reports through GitHub's own Markdown renderer (cmark-gfm) and read the HTML."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from seedgate.records import (
    Comparison,
    EnvironmentDifference,
    MinEffectSetting,
    NotInBaseline,
    Verdict,
)
from seedgate.report import comment_marker, render_markdown
from seedgate.report.filters import single_spaced
from tests.testing import report_fixtures
from tests.testing.report_fixtures import (
    HOSTILE_LOG,
    HOSTILE_NAME,
    HOSTILE_REASON,
    comparison,
    metric,
)

CMARK = shutil.which("cmark-gfm")  # a missing renderer fails these tests; it never skips them

# What our templates produce; anything else in the HTML was injected.
OUR_ELEMENTS = {
    "h2",
    "h3",
    "p",
    "strong",
    "sub",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "li",
    "details",
    "summary",
    "pre",
    "code",
}
GITHUB_EXTENSIONS = ("table", "autolink", "strikethrough", "tagfilter", "tasklist")


class ReportHtml(HTMLParser):
    """Collects elements, comments, tables, code blocks and details nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.code_blocks: list[tuple[str | None, str]] = []
        self.details_depth = 0
        self.details_underflow = False
        self._cell: list[str] | None = None
        self._code: list[str] | None = None
        self._code_class: str | None = None
        self._in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "details":
            self.details_depth += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "pre":
            self._in_pre = True
        elif tag == "code" and self._in_pre:
            self._code = []
            self._code_class = dict(attrs).get("class")

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.details_depth -= 1
            self.details_underflow |= self.details_depth < 0
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "code" and self._code is not None:
            self.code_blocks.append((self._code_class, "".join(self._code)))
            self._code = None
        elif tag == "pre":
            self._in_pre = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._code is not None:
            self._code.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.elements}


def to_html(markdown: str, extensions: tuple[str, ...] = ("table",)) -> ReportHtml:
    assert CMARK is not None, "cmark-gfm is needed: apt-get install cmark-gfm (./dev setup does)"
    args = [CMARK, *(a for e in extensions for a in ("-e", e)), "--unsafe"]
    done = subprocess.run(
        args, input=markdown, capture_output=True, text=True, check=True, timeout=30
    )
    parser = ReportHtml()
    parser.feed(done.stdout)
    parser.close()
    return parser


def plain(text: str) -> str:
    """Cell text as a reader sees it (the zero-width space that stops mentions removed)."""
    return single_spaced(text.replace("\u200b", ""))


def hostile_comparison() -> Comparison:
    """report_fixtures' hostile comparison, with links and an image in its note, an
    environment difference and a script in a metric's min_effect as well."""
    base = report_fixtures.hostile_comparison()
    assert base.settings is not None
    return dataclasses.replace(
        base,
        notes=(NotInBaseline("note <iframe src=x> | [x](javascript:y) ![i](http://x/i.png)", ()),),
        environment_differences=(
            EnvironmentDifference("<img src=x onerror=alert(1)>", "a|b", None),
        ),
        settings=dataclasses.replace(
            base.settings, min_effects=(MinEffectSetting("k|<script>", "v\nw"),)
        ),
    )


HOSTILE_ID = "x --> <script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile_html() -> ReportHtml:
    markdown = render_markdown(hostile_comparison(), comment_id=HOSTILE_ID)
    return to_html(markdown)


def test_first_table_has_a_row_per_gating_metric_and_five_columns(
    hostile_html: ReportHtml,
) -> None:
    table = hostile_html.tables[0]
    assert table[0] == ["Metric", "Baseline", "Candidate", "Difference (interval)", "Verdict"]
    assert len(table) == 1 + 1  # val_loss does not gate: it is in its own folded table
    assert all(len(row) == 5 for row in table)
    others = hostile_html.tables[1]
    assert others[0][-1] == "Result"
    assert plain(others[1][0]) == "val_loss \u2193"


def test_hostile_name_appears_as_text(hostile_html: ReportHtml) -> None:
    first_cell = hostile_html.tables[0][1][0]
    assert plain(first_cell) == f"\u2605 {single_spaced(HOSTILE_NAME)} \u2191"


def test_nothing_is_injected(hostile_html: ReportHtml) -> None:
    assert hostile_html.tags() <= OUR_ELEMENTS
    for _, attrs in hostile_html.elements:
        assert set(attrs) <= {"align", "class"}


def test_failed_run_reason_and_log_are_text(hostile_html: ReportHtml) -> None:
    failed = next(t for t in hostile_html.tables if t[0] == ["Run", "Seed", "Status", "Reason"])
    assert failed[1][:3] == ["5", "105", "failed"]
    assert plain(failed[1][3]) == single_spaced(HOSTILE_REASON)
    logs = [text for cls, text in hostile_html.code_blocks if cls == "language-text"]
    assert HOSTILE_LOG + "\n" in logs


def test_settings_keep_hostile_keys_and_values_in_their_cells(hostile_html: ReportHtml) -> None:
    settings = next(t for t in hostile_html.tables if t[0] == ["Setting", "Value"])
    assert all(len(row) == 2 for row in settings)
    rows = {plain(k): plain(v) for k, v in settings[1:]}
    primary = "primary metric python -c 'print(`x`)' | tee <out> gates alone; others are reported"
    assert rows["multiplicity"] == primary
    assert rows["min_effect.k|<script>"] == "v w"  # as written: no compared metric has that name


def test_details_blocks_are_balanced(hostile_html: ReportHtml) -> None:
    assert hostile_html.details_depth == 0
    assert not hostile_html.details_underflow
    opened = sum(tag == "details" for tag, _ in hostile_html.elements)
    summaries = sum(tag == "summary" for tag, _ in hostile_html.elements)
    # charts, metrics that do not gate, notes, failed runs (with one log inside), noise,
    # evidence, how to read this, settings, per-run values
    assert opened == summaries == 10


def test_mermaid_blocks_are_code_for_github_to_draw(hostile_html: ReportHtml) -> None:
    charts = [text for cls, text in hostile_html.code_blocks if cls == "language-mermaid"]
    assert len(charts) == 1  # one per gating metric
    assert all("\nxychart-beta\n" in chart for chart in charts)
    texts = [t for c, t in hostile_html.code_blocks if c == "language-text"]
    assert texts == [HOSTILE_LOG + "\n"]  # the failed run's log; no text chart beside Mermaid


def test_marker_is_one_html_comment(hostile_html: ReportHtml) -> None:
    assert len(hostile_html.comments) == 1
    assert f"<!--{hostile_html.comments[0]}-->" == comment_marker(HOSTILE_ID)
    assert "script" not in hostile_html.tags()


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_renders_clean_html(verdict: Verdict) -> None:
    result = (
        comparison(verdict, (metric(verdict=verdict),))
        if verdict in (Verdict.NO_BASELINE, Verdict.METRIC_ABSENT, Verdict.BASELINE)
        else comparison(verdict)
    )
    html = to_html(render_markdown(result, comment_id="c"))
    assert html.tags() <= OUR_ELEMENTS
    assert html.details_depth == 0
    assert not html.details_underflow
    assert len(html.tables[0]) == 2
    assert all(len(row) == 5 for row in html.tables[0])


def test_trimmed_report_is_still_well_formed() -> None:
    result = hostile_comparison()
    full = render_markdown(result)
    for limit in (len(full) - 1, len(full) // 2, 3000):
        html = to_html(render_markdown(result, max_chars=limit))
        assert html.tags() <= OUR_ELEMENTS
        assert html.details_depth == 0
        assert not html.details_underflow
        assert len(html.tables[0]) == 2


def test_with_githubs_extensions_no_links_or_strikethrough_appear() -> None:
    html = to_html(render_markdown(hostile_comparison()), GITHUB_EXTENSIONS)
    assert html.tags() <= OUR_ELEMENTS
    assert "a" not in html.tags()
    assert "del" not in html.tags()


def test_run_link_is_the_only_link() -> None:
    url = "https://github.com/o/r/actions/runs/7?x=(1)"
    html = to_html(render_markdown(hostile_comparison(), run_url=url), GITHUB_EXTENSIONS)
    links = [attrs for tag, attrs in html.elements if tag == "a"]
    assert links == [{"href": "https://github.com/o/r/actions/runs/7?x=%281%29"}]
