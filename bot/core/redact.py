"""Removing secrets from text before it is logged, posted or stored."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# Token shapes GitHub issues (ghs_ installation, ghp_ personal, gho_ OAuth, github_pat_ fine
# grained) and HTTP credentials in URLs: redacted even when we were not told the exact value.
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b"
    r"|(?<=://)[^/@\s:]+:[^/@\s]+(?=@)"
    r"|(?<=Authorization: )(?:Basic|Bearer|token) \S+",
    re.IGNORECASE,
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return _TOKEN_SHAPES.sub(MASK, text)
