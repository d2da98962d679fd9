"""What prose and ASCII maps say about the phases; checked later, never turned into edges."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import islice

from bot.plan.dependencies import LABEL, REFERENCE_LIST, parse_references
from bot.plan.markdown import Document, strip_emphasis
from bot.plan.model import Claim, ClaimKind
from bot.plan.rules import PhaseRef, Resolver, declaration_lines, dependencies_line

_PARALLEL = re.compile(
    r"in parallel|parallel(?:ized|izable|isable|-safe)|\bindependent\b|concurrently", re.I
)
_DEPENDS = re.compile(
    r"\b(?:depends?|relies|builds?)\s+(?:only\s+)?on\b|\bneeds\b|\brequires\b", re.IGNORECASE
)
_NEGATION = re.compile(r"\bnot\b|\bcannot\b|n't\b|\bno\b|\bzero\b|\bnever\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"\b(?:since|because|but|although|while|so|as)\b|[;:]", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(*])")
_LIST_START = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MAP_REF = re.compile(rf"\b[Pp]hase\s+({LABEL})|\bP(\d+[a-z]?)\b")
_ARROW = re.compile(r"-+>|─+>|─*→|=>|─+▶|▶|─*►")
_JSON_INFO = {"json", "jsonc", "json5"}
_WINDOW = 300  # characters around "depends on" read for its subject and what it needs
_MAX_PER_SENTENCE = 20
_MAX_CLAIM_PHASES = 50


class _Labels:
    def __init__(self, phases: Sequence[PhaseRef]) -> None:
        self.phases = phases
        self.resolver = Resolver(phases)
        self.by_label = self.resolver.by_label

    def ids(self, text: str) -> list[str]:
        references, _ = parse_references(text)
        found: list[str] = []
        for ref in references:
            if ref.high is None:
                found += (
                    [self.by_label[ref.low.lower()]] if ref.low.lower() in self.by_label else []
                )
            else:
                found += [p.id for p in self.resolver.phases_in_range(ref.low, ref.high)]
        # A claim about more phases than a plan has at once is not worth checking pair by pair.
        return list(dict.fromkeys(found))[:_MAX_CLAIM_PHASES]


def _units(doc: Document) -> Iterator[tuple[int, str]]:
    """Paragraphs and list items outside code, tables and headers, as (1-based line, text);
    a claim found in one points at the unit's first line."""
    start, parts = 0, list[str]()
    # Headers and table rows are not prose; a Dependencies line is a declaration whose
    # annotation speaks for its own phase (see _note_claims), not for the phases it lists.
    declarations = declaration_lines(doc)
    for index, line in enumerate([*doc.lines, ""]):
        stripped = line.strip()
        outside = index < len(doc.lines) and not doc.in_fence[index] and bool(stripped)
        skipped = outside and (stripped[0] in "#|" or index in declarations)
        if parts and (not outside or skipped or _LIST_START.match(line)):
            yield start + 1, strip_emphasis(" ".join(parts))
            parts = []
        if outside and not skipped:
            if not parts:
                start = index
            parts.append(stripped)


def _parallel_claims(sentence: str, line: int, labels: _Labels) -> list[Claim]:
    """ "Phases 2 and 3 are independent", "Phase 4 can run in parallel with Phase 2",
    "… in parallel after Phase 1" (which also says what they wait for)."""
    parallel = _PARALLEL.search(sentence)
    if not parallel or _NEGATION.search(sentence[: parallel.start()]):
        return []
    claims: list[Claim] = []
    subject = labels.ids(sentence[: parallel.start()])
    after = sentence[parallel.end() :]
    with_part = re.match(r"\s*(?:of|with|from)\s+(?!each other|one another)(.*)", after)
    if with_part:
        others = labels.ids(_CLAUSE_END.split(with_part.group(1), maxsplit=1)[0])
        for one in subject:
            rest = [other for other in others if other != one]
            if rest:
                claims.append(Claim(ClaimKind.PARALLEL_WITH, (one, *rest), line, sentence))
    elif len(subject) >= 2:
        claims.append(Claim(ClaimKind.PARALLEL, tuple(subject), line, sentence))
    after_match = re.search(r"\bafter\s+(.*)", after)
    if subject and after_match:
        needed = labels.ids(_CLAUSE_END.split(after_match.group(1), maxsplit=1)[0])
        claims += [Claim(ClaimKind.DEPENDS, (one, *needed), line, sentence) for one in subject]
    return claims


def _depends_claims(sentence: str, line: int, labels: _Labels) -> list[Claim]:
    """ "Phase 5 depends on Phase 1 and Phase 4", "Phase 3 needs Phase 2"."""
    claims: list[Claim] = []
    # A real sentence says "depends on" once or twice; a run-on one is read for its first few.
    for match in islice(_DEPENDS.finditer(sentence), _MAX_PER_SENTENCE):
        if _NEGATION.search(sentence[max(0, match.start() - 12) : match.start()]):
            continue
        # Bounded windows: a run-on "Phase 2 depends on Phase 2 depends on …" stays linear.
        before = sentence[max(0, match.start() - _WINDOW) : match.start()]
        subject = labels.ids(before.rsplit(".", 1)[-1])[-1:]
        after = sentence[match.end() : match.end() + _WINDOW]
        clause = _CLAUSE_END.split(after, maxsplit=1)[0]
        needed = labels.ids(re.split(r"\.\s", clause, maxsplit=1)[0])
        if subject and needed:
            claims.append(Claim(ClaimKind.DEPENDS, (subject[0], *needed), line, sentence))
    return claims


def _prose_claims(doc: Document, labels: _Labels) -> list[Claim]:
    claims: list[Claim] = []
    for line, text in _units(doc):
        if not REFERENCE_LIST.search(text):
            continue
        for sentence in _SENTENCE.split(text):
            claims += _parallel_claims(sentence, line, labels)
            claims += _depends_claims(sentence, line, labels)
    return claims


def _note_claims(doc: Document, labels: _Labels) -> list[Claim]:
    """`**Dependencies**: None (can run in parallel with Phase 2)` speaks for its own phase."""
    claims: list[Claim] = []
    for phase in labels.phases:
        found = dependencies_line(doc, *phase.ranges[0]) if phase.ranges else None
        match = re.search(r"parallel\s+with\s+([^)]*)", found[0]) if found else None
        if found and match:
            others = [o for o in labels.ids(match.group(1)) if o != phase.id]
            if others:
                claim = Claim(ClaimKind.PARALLEL_WITH, (phase.id, *others), found[1], found[0])
                claims.append(claim)
    return claims


def _map_claims(doc: Document, labels: _Labels) -> list[Claim]:
    """`Phase 1 ──→ Phase 2` and `P0 → P1 → P2` in code blocks that are not JSON."""
    claims: list[Claim] = []
    for fence in doc.fences:
        if fence.info.split(" ")[0].lower() in _JSON_INFO:
            continue
        for offset, line in enumerate(fence.body.split("\n")):
            refs = [
                (m.start(), (m.group(1) or m.group(2)).lower()) for m in _MAP_REF.finditer(line)
            ]
            starts = [pos for pos, _ in refs]
            for arrow in _ARROW.finditer(line):
                before = bisect_left(starts, arrow.start())  # refs[before:] start after it
                after = bisect_left(starts, arrow.end())
                left = [refs[before - 1][1]] if before else []
                right = [refs[after][1]] if after < len(refs) else []
                ids = [labels.by_label.get(label) for label in left + right]
                if len(ids) == 2 and ids[0] and ids[1] and ids[0] != ids[1]:
                    text = line.strip()
                    claim = Claim(
                        ClaimKind.DEPENDS, (ids[1], ids[0]), fence.start + 2 + offset, text
                    )
                    claims.append(claim)
    return claims


def find_claims(doc: Document, phases: Sequence[PhaseRef]) -> tuple[Claim, ...]:
    if len(phases) < 2:
        return ()
    labels = _Labels(phases)
    claims = _prose_claims(doc, labels) + _note_claims(doc, labels) + _map_claims(doc, labels)
    return tuple(dict.fromkeys(claims))
