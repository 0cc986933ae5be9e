from __future__ import annotations

import math

import pytest

from seedgate.records import Interval
from seedgate.report.filters import (
    Markdown,
    clip,
    code_fence,
    decimals_for_spread,
    fmt_interval,
    fmt_number,
    fmt_p,
    fmt_pct,
    fmt_probability,
    fmt_signed,
    fmt_z,
    longest_backtick_run,
    md_escape,
    mermaid_label,
    single_spaced,
    tail_lines,
)

# --- md_escape ---------------------------------------------------------------------------


def test_md_escape_returns_markdown_and_keeps_plain_text() -> None:
    escaped = md_escape("accuracy 0.05 (top-1), val/loss; 95% ok")
    assert isinstance(escaped, Markdown)
    assert escaped == "accuracy 0.05 (top-1), val/loss; 95% ok"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a|b", r"a\|b"),
        ("*bold* _em_", r"\*bold\* \_em\_"),
        ("`code`", r"\`code\`"),
        ("<script>", r"\<script\>"),
        ("<!-- x", r"\<\!-- x"),
        ("[link](javascript:alert(1))", r"\[link\](javascript:alert(1))"),
        ("![img](x)", r"\!\[img\](x)"),
        ("~~gone~~", r"\~\~gone\~\~"),
        ("$x^2$", r"\$x^2\$"),
        ("&lt;", r"\&lt;"),
        ("# heading", r"\# heading"),
        ("back\\slash", r"back\\slash"),
    ],
)
def test_md_escape_escapes_inline_syntax(raw: str, expected: str) -> None:
    assert md_escape(raw) == expected


def test_md_escape_folds_newlines_and_control_characters() -> None:
    assert md_escape("a\nb\r\nc\td\x00e") == "a b c d e"
    assert md_escape("  padded  \n") == "padded"


def test_md_escape_drops_bidirectional_overrides() -> None:
    assert md_escape("safe\u202eevil\u2066x") == "safe evil x"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("- item", r"\- item"),
        ("+ item", r"\+ item"),
        ("-", r"\-"),
        ("---", r"\---"),
        ("- - -", r"\- - -"),
        ("===", r"\==="),
        ("1. first", r"1\. first"),
        ("12) twelfth", r"12\) twelfth"),
        ("-0.5", "-0.5"),
        ("0.05", "0.05"),
        ("2.15.0", "2.15.0"),
        ("+3%", "+3%"),
    ],
)
def test_md_escape_escapes_a_leading_block_marker_only(raw: str, expected: str) -> None:
    assert md_escape(raw) == expected


def test_md_escape_breaks_mentions_with_a_zero_width_space() -> None:
    assert md_escape("@octocat") == "@&#8203;octocat"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("see https://evil.example/x", r"see https\://evil.example/x"),
        ("ftp://host", r"ftp\://host"),
        ("visit www.evil.example", r"visit www\.evil.example"),
        ("WWW.X.COM", r"WWW\.X.COM"),
        ("awww.x", "awww.x"),
        ("ratio: 3", "ratio: 3"),
    ],
)
def test_md_escape_stops_github_autolinks(raw: str, expected: str) -> None:
    assert md_escape(raw) == expected


def test_md_escape_clips_before_escaping() -> None:
    assert md_escape("abcdef|gh", max_len=5) == "abcd\u2026"
    assert md_escape("a|b", max_len=5) == r"a\|b"


def test_clip_and_one_line() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "ab\u2026"
    assert single_spaced("a \n\n b") == "a b"
    with pytest.raises(ValueError, match="max_len"):
        clip("abc", 0)


# --- code_fence ----------------------------------------------------------------------------


def test_code_fence_is_longer_than_any_backtick_run() -> None:
    text = "a ``` b\n`````\nc"
    fenced = code_fence(text, "text")
    assert longest_backtick_run(text) == 5
    assert fenced.startswith("``````text\n")
    assert fenced.endswith("\n``````")
    assert text in fenced


def test_code_fence_minimum_three_and_normalised_lines() -> None:
    assert code_fence("x\r\ny\r\n\n") == "```text\nx\ny\n```"
    assert code_fence("") == "```text\n```"


def test_code_fence_sanitises_info_and_control_characters() -> None:
    fenced = code_fence("a\x00b\x1b[31m", "py`thon <x>")
    assert fenced.splitlines()[0] == "```pythonx"
    assert "\x00" not in fenced
    assert "\x1b" not in fenced
    assert "a\ufffdb\ufffd[31m" in fenced


def test_tail_lines_keeps_the_end_and_says_what_was_cut() -> None:
    log = "\n".join(f"line {i}" for i in range(100))
    tail = tail_lines(log, max_lines=5)
    lines = tail.splitlines()
    assert lines[1:] == [f"line {i}" for i in range(95, 100)]
    assert "95 earlier lines left out" in lines[0]
    assert tail_lines("short\nlog\n") == "short\nlog"


def test_tail_lines_bounds_characters() -> None:
    tail = tail_lines("x" * 10_000, max_chars=100)
    assert len(tail) < 200
    assert tail.endswith("x" * 100)


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spread", "decimals"),
    [(0.0123, 3), (0.004, 4), (0.5, 2), (1.0, 1), (56.0, 0), (1234.0, 0), (0.0, None)],
)
def test_decimals_for_spread_shows_two_significant_digits(
    spread: float, decimals: int | None
) -> None:
    assert decimals_for_spread(spread) == decimals


def test_decimals_for_spread_rejects_unknown_spreads() -> None:
    assert decimals_for_spread(None) is None
    assert decimals_for_spread(math.nan) is None
    assert decimals_for_spread(-1.0) is None
    assert decimals_for_spread(1e-30) == 12


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.85123, 3, "0.851"),
        (0.85, None, "0.85"),
        (1234.5678, None, "1235"),
        (0.00001234, None, "1.234e-5"),
        (123456789.0, None, "1.235e8"),
        (-0.0001, 2, "0.00"),
        (0.0, None, "0"),
        (math.nan, 3, "n/a"),
        (None, 3, "n/a"),
        (math.inf, 3, "\u221e"),
        (-math.inf, None, "-\u221e"),
        (3, 1, "3.0"),
    ],
)
def test_fmt_number(value: float | None, decimals: int | None, expected: str) -> None:
    assert fmt_number(value, decimals) == expected


def test_fmt_signed_marks_positive_differences() -> None:
    assert fmt_signed(0.0123, 3) == "+0.012"
    assert fmt_signed(-0.0123, 3) == "-0.012"
    assert fmt_signed(0.0, 3) == "0.000"
    assert fmt_signed(0.0001, 2) == "+0.00"
    assert fmt_signed(None, 2) == "n/a"


def test_fmt_interval() -> None:
    assert fmt_interval(Interval(-0.0132, 0.0049), 3) == "[-0.013, 0.005]"
    assert fmt_interval(Interval(math.nan, math.nan), 3) == "n/a"
    assert fmt_interval(None) == "n/a"


def test_fmt_pct() -> None:
    assert fmt_pct(0.0123) == "1.2%"
    assert fmt_pct(0.0123, signed=True) == "+1.2%"
    assert fmt_pct(-0.0123, 2, signed=True) == "-1.23%"
    assert fmt_pct(-0.00001, signed=True) == "0.0%"
    assert fmt_pct(math.inf) == "n/a"


def test_fmt_p_probability_and_z() -> None:
    assert fmt_p(0.0004) == "<0.001"
    assert fmt_p(0.04567) == "0.046"
    assert fmt_p(math.nan) == "n/a"
    assert fmt_probability(0.825) == "0.82"
    assert fmt_probability(None) == "n/a"
    assert fmt_z(1.955) == "1.96"
    assert fmt_z(-0.001) == "0.00"
    assert fmt_z(-math.inf) == "-\u221e"


# --- mermaid -------------------------------------------------------------------------------


def test_mermaid_label_keeps_words_and_drops_syntax() -> None:
    assert mermaid_label("val_loss (top-1) 95%") == "val_loss (top-1) 95%"
    label = mermaid_label('acc"]\n%%{init: {"theme":"dark"}}%%<b>x</b>;`y`')
    for bad in ('"', "[", "]", "\n", "{", "}", "<", ">", ";", "`", "%%"):
        assert bad not in label
    assert label.startswith("acc")


def test_mermaid_label_is_never_empty_and_is_clipped() -> None:
    assert mermaid_label('"[]"') == "value"
    assert len(mermaid_label("m" * 200)) == 60
