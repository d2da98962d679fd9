"""Secrets never leave in text we log, post or store."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from bot.core.redact import leaks, redact


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


SECRET = "s3cr3t-w3bh00k-v4lue-0123456789abcdef"


def _encoded(secret: str) -> list[str]:
    raw = secret.encode()
    return [
        secret[::-1],
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(secret[::-1].encode()).decode(),
        raw.hex(),
        raw.hex().upper(),
        quote(secret, safe=""),
    ]


@pytest.mark.parametrize("index", range(7))
def test_known_secrets_are_masked_in_every_encoding(index: int) -> None:
    shown = _encoded(SECRET)[index]
    text = redact(f"before {shown} after", [SECRET])
    assert shown not in text and "before" in text and "after" in text
    assert not leaks(text, [SECRET])


@pytest.mark.parametrize("prefix", ["", "x", "xy"])
def test_base64_inside_a_longer_text_is_masked_at_any_alignment(prefix: str) -> None:
    encoded = base64.b64encode(f"{prefix}{SECRET} trailing".encode()).decode()
    assert not leaks(redact(encoded, [SECRET]), [SECRET])


def test_a_secret_cut_by_a_line_break_still_counts_as_shown() -> None:
    text = f"{SECRET[:10]}\n{SECRET[10:]}"
    assert redact(text, [SECRET]) == text
    assert leaks(text, [SECRET])


def test_each_line_of_a_key_is_a_secret_of_its_own() -> None:
    key = (
        "-----BEGIN KEY-----\n"
        + "\n".join(["A" * 20 + str(n) * 44 for n in range(3)])
        + "\n-----END KEY-----\n"
    )
    line = key.splitlines()[2]
    assert line not in redact(f"print {line[::-1]} and {line}", [key])


def test_short_values_are_not_treated_as_secrets() -> None:
    assert redact("a b c", ["a"]) == "a b c"
