"""Conflict markers: finding them in a file's text and cutting out the conflicting hunks."""

from __future__ import annotations

import re

# `=======` alone is a Markdown heading underline too; a conflict always opens and closes.
_OPEN = re.compile(r"^<<<<<<< ", re.MULTILINE)
_CLOSE = re.compile(r"^>>>>>>> ", re.MULTILINE)
_BASE = re.compile(r"^\|\|\|\|\|\|\| ", re.MULTILINE)

HUNKS_LIMIT = 4000


def has_markers(text: str) -> bool:
    """Whether a file still holds conflict markers."""
    return bool(_OPEN.search(text) or _CLOSE.search(text) or _BASE.search(text))


def hunks(path: str, text: str, context: int = 2) -> str:
    """The file's conflicting regions, markers in place, with a little context around each."""
    lines = text.splitlines()
    regions: list[tuple[int, int]] = []
    start: int | None = None
    for n, line in enumerate(lines):
        if line.startswith("<<<<<<< ") and start is None:
            start = n
        elif line.startswith(">>>>>>> ") and start is not None:
            regions.append((max(0, start - context), min(len(lines), n + 1 + context)))
            start = None
    parts = [f"--- {path}"]
    for first, last in regions:
        parts.append(f"@@ line {first + 1} @@")
        parts.extend(lines[first:last])
    return "\n".join(parts)


def cut(text: str, limit: int = HUNKS_LIMIT) -> str:
    """At most `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"
