"""Secrets never leave in text we log, post or store."""

from __future__ import annotations

import pytest

from bot.core.redact import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token ghs_" + "A1" * 18 + " end", "token *** end"),
        ("pat github_pat_" + "x" * 30, "pat ***"),
        ("https://x-access-token:abc123@github.com/o/r", "https://***@github.com/o/r"),
        ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: ***"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_known_token_shapes_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_given_secrets_are_masked_wherever_they_appear() -> None:
    assert redact("a-plain-secret and a-plain-secret", ["a-plain-secret"]) == "*** and ***"
