from __future__ import annotations

import pytest

from seedgate.log_text import has_surrogates, name_problem, one_line, safe_lines
from seedgate.run.metrics import InvalidMetricsError, validate_metrics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acc\n::error title=FORGED::x", "acc ::error title=FORGED::x"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\rb\tc\x00d\x7fe\x85f\u2028g", "a b c d e f g"),
        ("\x1b]0;title\x07bell", "bell"),
        ("  ::add-mask::secret", "> ::add-mask::secret"),
        ("\n::warning::x", "> ::warning::x"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("right\u202eto-left", "right to-left"),
        ("plain ± text", "plain ± text"),
    ],
)
def test_one_line_neutralises_what_the_runner_or_a_terminal_would_obey(
    text: str, expected: str
) -> None:
    line = one_line(text)
    assert line == expected
    assert "\n" not in line
    assert not line.lstrip().startswith("::")
    line.encode("utf-8")  # never raises


def test_one_line_caps_the_length() -> None:
    line = one_line("x" * 10_000, limit=100)
    assert len(line) == 100
    assert line.endswith("\u2026")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("acc\n::error::x", "U+000A"),
        ("\x1b[31macc", "U+001B"),
        ("acc\ud800", "U+D800"),
        ("a" * 201, "201 characters"),
        (3, "not text"),
    ],
)
def test_names_that_cannot_be_one_line_are_refused(name: object, reason: str) -> None:
    problem = name_problem(name)
    assert problem is not None
    assert reason in problem


def test_ordinary_names_pass() -> None:
    for name in ("accuracy", "val/top-5 acc", "损失", "f1 (macro)"):
        assert name_problem(name) is None
    assert has_surrogates("a\udc80") is True
    assert has_surrogates("a😀") is False


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"acc\n::error title=FORGED::x": 0.5}, r"metric name 'acc\\n::error"),
        ({"acc\ud800": 0.5}, r"'acc\\ud800' in stdout holds"),
        ({"acc": 1.5e308}, r"metric 'acc' in stdout = 1.5e\+308 is too large"),
        ({"acc": -1e101}, "is too large"),
        ({"acc": 10**400}, "is too large"),
    ],
)
def test_metrics_refuse_unprintable_names_and_huge_values(
    raw: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidMetricsError, match=message) as caught:
        validate_metrics(raw, source="stdout")
    assert "\n" not in str(caught.value)


def test_large_but_sane_values_pass() -> None:
    assert validate_metrics({"acc": 1e100, "loss": -1e100}, source="stdout") == {
        "acc": 1e100,
        "loss": -1e100,
    }


def test_safe_lines_keeps_lines_and_makes_each_safe() -> None:
    text = "first\n::error title=FORGED::x\r\n\x1b[31mred\x1b[0m\n\n  \n\ud800 last"
    assert safe_lines(text) == "first\n> ::error title=FORGED::x\nred\n\ufffd last"
