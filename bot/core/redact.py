"""Removing secrets from text before it is logged, posted or stored.

Known secrets (the webhook secret, the tokens minted for a job, the App's key) are removed in
every encoding a log plausibly holds them in: as they are, reversed, base64 (at each of the
three alignments a secret can have inside a longer encoded text), hex and percent-encoded.
`leaks` then says whether any of them still shows, so that a caller can refuse to post text
that redaction did not clean, rather than trust it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
# Shorter secrets would mask ordinary words; none of ours is that short.
MIN_SECRET_LENGTH = 8
# A base64 fragment shorter than this could be anything: it is not evidence of the secret.
_MIN_FRAGMENT = 12

# Token shapes GitHub issues (ghs_ installation, ghp_ personal, gho_ OAuth, github_pat_ fine
# grained) and HTTP credentials in URLs: redacted even when we were not told the exact value.
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b"
    r"|(?<=://)[^/@\s:]+:[^/@\s]+(?=@)"
    r"|(?<=Authorization: )(?:Basic|Bearer|token) \S+",
    re.IGNORECASE,
)


def _base64_forms(raw: bytes) -> set[str]:
    """The part of base64 text that encodes `raw` alone, at each offset it may start at."""
    forms = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        # Drop the characters that mix the padding bytes in, and the last partial group.
        start = -(-offset * 4 // 3)
        end = (offset + len(raw)) * 4 // 3
        fragment = encoded[start:end]
        if len(fragment) >= _MIN_FRAGMENT:
            forms.add(fragment)
            forms.add(fragment.replace("+", "-").replace("/", "_"))  # the URL-safe alphabet
    return forms


def forms(secret: str) -> set[str]:
    """Every spelling of `secret` that redaction removes."""
    if len(secret) < MIN_SECRET_LENGTH:
        return set()
    found = {secret, secret[::-1], quote(secret, safe=""), quote(secret[::-1], safe="")}
    for text in (secret, secret[::-1]):
        raw = text.encode()
        found |= {raw.hex(), raw.hex().upper()}
        found |= _base64_forms(raw)
    # A PEM key is printed one line at a time: each long line of it is a secret of its own.
    if "\n" in secret:
        for line in secret.splitlines():
            if len(line) >= 16 and "-----" not in line:
                found |= forms(line)
    return found


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    # Longest first, so that a long form is not broken up by a shorter one it contains.
    for form in sorted({f for s in secrets if s for f in forms(s)}, key=len, reverse=True):
        text = text.replace(form, MASK)
    return _TOKEN_SHAPES.sub(MASK, text)


def leaks(text: str, secrets: Iterable[str] = ()) -> bool:
    """Whether `text` still shows a secret, even with line breaks or spaces cut through it."""
    squeezed = re.sub(r"\s+", "", text)
    flipped = squeezed.lower()
    for secret in secrets:
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        for form in forms(secret):
            if form in squeezed or (form.lower() == form and form in flipped):
                return True
    return False
