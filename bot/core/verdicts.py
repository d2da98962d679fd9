"""An automated consultant's output read as codev's `consult` output. Pure: no I/O.

The verdict is the last line (scanning from the end) reading `VERDICT: APPROVE`,
`VERDICT: REQUEST_CHANGES` or `VERDICT: COMMENT` once markdown emphasis, headings, quotes and
list marks are stripped. Output under 50 characters means the consultant did not really
review: REQUEST_CHANGES. Output without a verdict line counts as COMMENT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.state import Verdict

MIN_OUTPUT_CHARS = 50
_VERDICT_LINE = re.compile(r"^VERDICT\s*:\s*(APPROVE|REQUEST_CHANGES|COMMENT)\b", re.IGNORECASE)
# Markdown a model wraps its verdict in: **bold**, _em_, `code`, "# heading", "> quote", "- item".
# Underscores only at a line's ends: REQUEST_CHANGES holds one.
_MARKDOWN = re.compile(r"[*`~]")
_LEADING = re.compile(r"^\s*(?:[#>]+|[-+]\s)\s*")


@dataclass(frozen=True)
class Reading:
    verdict: Verdict
    note: str = ""  # why it is not the consultant's own word: "short output", "no verdict"


def read_verdict(output: str) -> Reading:
    """The verdict of a consultant's whole output."""
    if len(output.strip()) < MIN_OUTPUT_CHARS:
        return Reading(Verdict.REQUEST_CHANGES, "output under 50 characters")
    for line in reversed(output.splitlines()):
        plain = _LEADING.sub("", _MARKDOWN.sub("", line)).strip().strip("_").strip()
        match = _VERDICT_LINE.match(plain)
        if match:
            return Reading(Verdict(match.group(1).upper()))
    return Reading(Verdict.COMMENT, "no VERDICT line")
