from __future__ import annotations

import pytest

from seedgate.github.publish import COMMENT_LIMIT_CHARS, fit_to_bytes, is_authored_by


def test_fit_shrinks_the_cap_until_the_text_fits() -> None:
    caps: list[int] = []

    def render(cap: int) -> str:
        caps.append(cap)
        return ("é" * 100_000)[:cap]

    text = fit_to_bytes(render, 10_000)
    assert len(text.encode("utf-8")) <= 10_000
    assert caps[0] == 10_000
    assert len(caps) > 1


def test_a_renderer_that_ignores_the_cap_is_cut_not_a_crash() -> None:
    headline = "**Regression**: " + ", ".join(  # 1,500 regressing metrics: ~170,000 chars
        f"`validation/metric_{i}` fell by 12.5% (0.9100 ± 0.0100 -> 0.8000 ± 0.0200, n=20)"
        for i in range(1500)
    )
    assert len(headline) > COMMENT_LIMIT_CHARS

    text = fit_to_bytes(lambda _cap: headline, COMMENT_LIMIT_CHARS)

    assert len(text.encode("utf-8")) <= COMMENT_LIMIT_CHARS
    assert text.startswith("**Regression**: `validation/metric_0`")
    assert text.endswith("_(cut to fit GitHub's size limit)_\n")


@pytest.mark.parametrize(
    ("user", "author", "ours"),
    [
        ({"login": "github-actions[bot]", "type": "Bot"}, "github-actions[bot]", True),
        ({"login": "github-actions[bot]", "type": "User"}, "github-actions[bot]", False),
        ({"login": "github-actions", "type": "User"}, "github-actions[bot]", False),
        ({"login": "mallory", "type": "User"}, "github-actions[bot]", False),
        ({"login": "Release-Bot", "type": "User"}, "release-bot", True),
        ({"login": "my-app[bot]", "type": "Bot"}, "my-app[bot]", True),
        (None, "github-actions[bot]", False),
        ({"type": "Bot"}, "github-actions[bot]", False),
    ],
)
def test_a_comment_is_ours_only_when_its_author_is_the_tokens_identity(
    user: object, author: str, ours: bool
) -> None:
    assert is_authored_by({"user": user, "body": "<!-- seedgate -->"}, author) is ours
