"""Phase headers (`## Phase 1: Title`, `### Phase 2a — Title`) and the sections under them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.plan.markdown import Document, Header, strip_emphasis

_PHASE_HEADER = re.compile(
    r"^[Pp]hase\s+(\d+[a-z]?|[A-Z])(?:\s*[:—–-]\s*(?P<title>.*)|\s*\((?P<name>[^)]*)\)(?P<rest>.*)|)$"
)


@dataclass
class HeaderPhase:
    label: str
    title: str
    index: int  # 0-based line of the header
    level: int
    end: int  # one past the last line of its section
    # Later, deeper headers for the same phase (a "File Summary" that repeats it).
    extra: list[tuple[int, int]] = field(default_factory=list)

    def ranges(self) -> list[tuple[int, int]]:
        return [(self.index, self.end), *self.extra]


def _phase_header(header: Header) -> tuple[str, str] | None:
    if header.level not in (2, 3):
        return None
    match = _PHASE_HEADER.match(strip_emphasis(header.text).strip())
    if not match:
        return None
    if match.group("name") is not None:
        title = f"{match.group('name')}{match.group('rest')}"
    else:
        title = match.group("title") or ""
    return match.group(1), title.strip()


def _section_end(doc: Document, position: int, phase_indexes: set[int]) -> int:
    """A phase's section stops at the next header of its level or higher, or at the next
    phase header of any level (so `### Phase 2a` under `## Phase 2` is not read as 2's)."""
    header = doc.headers[position]
    for following in range(position + 1, len(doc.headers)):  # usually stops at the next one
        other = doc.headers[following]
        if other.level <= header.level or other.index in phase_indexes:
            return other.index
    return len(doc.lines)


def header_phases(doc: Document, merge_same_level: bool = False) -> list[HeaderPhase]:
    """Phase headers in document order. A repeated label at a deeper level adds its section
    to the first; at the same level it is kept (a duplicate) unless `merge_same_level`."""
    found = [(pos, parsed) for pos, h in enumerate(doc.headers) if (parsed := _phase_header(h))]
    phase_indexes = {doc.headers[pos].index for pos, _ in found}
    phases: list[HeaderPhase] = []
    first_by_label: dict[str, HeaderPhase] = {}
    for position, (label, title) in found:
        header = doc.headers[position]
        end = _section_end(doc, position, phase_indexes)
        first = first_by_label.get(label.lower())
        if first and (header.level > first.level or merge_same_level):
            first.extra.append((header.index, end))
            continue
        phase = HeaderPhase(label, title, header.index, header.level, end)
        first_by_label.setdefault(label.lower(), phase)
        phases.append(phase)
    return phases
