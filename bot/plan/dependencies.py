"""The `**Dependencies**:` grammar: which phases a line names, and what is only annotation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.plan.markdown import strip_emphasis

LABEL = r"(?:\d+[a-z]?|[A-Z])(?!\w)"
_RANGE_DASH = r"\s*(?:–|—|-|to|through)\s*"
_ITEM = rf"{LABEL}(?:{_RANGE_DASH}{LABEL})?"
_JOIN = r"(?:\s*,\s*(?:and\s+|&\s*)?|\s+and\s+|\s*&\s*|\s*\+\s*|\s*/\s*)"
# "Phase 1", "Phases 1, 2 and 3", "Phase 1, Phase 2", "Phases 1–5", "Phase 2a"
REFERENCE_LIST = re.compile(rf"\b[Pp]hases?\s+{_ITEM}(?:{_JOIN}(?:[Pp]hases?\s+)?{_ITEM})*")
_ITEM_RE = re.compile(rf"({LABEL})(?:{_RANGE_DASH}({LABEL}))?")
_NONE = re.compile(r"^\s*(?:none|n/?a|nothing|no dependencies|-|—)(?![\w/])", re.IGNORECASE)
_ALL_PREVIOUS = re.compile(
    r"\ball\s+(?:the\s+)?(?:previous|prior|earlier|preceding|above)\s+phases\b", re.IGNORECASE
)
_EM_DASH = re.compile(r"\s+(?:—|--|–)\s+")
_SENTENCE_END = re.compile(r"\.(?:\s|$)")
_FILLER = re.compile(r"\b(?:and|both|only|on|phases?|the)\b|[,&+/:.]", re.IGNORECASE)

SOFT = re.compile(
    r"sequenc|not technical|ordered for|for (?:commit )?clarity|for readability|"
    r"not a hard|soft dependency",
    re.IGNORECASE,
)
OUTSIDE = re.compile(
    r"#\d+|\bmerged\b|\bdecision\b|\bPR\b",
    re.IGNORECASE,
)


class SpecKind(StrEnum):
    NONE = "none"
    REFERENCES = "references"
    ALL_PREVIOUS = "all-previous"
    UNRECOGNISED = "unrecognised"  # names no phase: the rule does not apply


@dataclass(frozen=True)
class Reference:
    """One label (`high` is None) or an inclusive range of labels, as written."""

    low: str
    high: str | None = None


@dataclass(frozen=True)
class DependencySpec:
    kind: SpecKind
    references: tuple[Reference, ...] = ()
    notes: tuple[str, ...] = ()  # annotations and leftover words; never edges


def _take_parentheses(text: str) -> tuple[str, list[str]]:
    """Remove parenthesised text (nesting allowed); return what is left and what was removed."""
    kept: list[str] = []
    notes: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            if depth:
                current.append(char)
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth:
                current.append(char)
            else:
                notes.append("".join(current).strip())
                current = []
                kept.append(" ")
        elif depth:
            current.append(char)
        else:
            kept.append(char)
    if current:
        notes.append("".join(current).strip())
    return "".join(kept), notes


def _declaration_and_notes(text: str) -> tuple[str, list[str]]:
    """Split a Dependencies line into the declaring part and its annotations."""
    text, notes = _take_parentheses(strip_emphasis(text))
    parts = _EM_DASH.split(text, maxsplit=1)
    text = parts[0]
    notes.extend(parts[1:])
    sentence = _SENTENCE_END.split(text, maxsplit=1)
    text = sentence[0]
    notes.extend(part for part in sentence[1:] if part.strip())
    # "Phase 1; Phase 2 (...)" lists phases; "Phase 1; the rest is prose" annotates.
    segments = text.split(";")
    declared = [segments[0]]
    for segment in segments[1:]:
        starts_with_phase = re.match(r"\s*(?:[Pp]hases?\s|all\s)", segment, re.IGNORECASE)
        (declared if starts_with_phase else notes).append(segment)
    return ", ".join(declared), [_tidy(note) for note in notes if _tidy(note)]


def parse_references(text: str) -> tuple[list[Reference], str]:
    """Every phase reference in `text`, and the text left once they are taken out."""
    references: list[Reference] = []
    for match in REFERENCE_LIST.finditer(text):
        listed = re.sub(r"[Pp]hases?\s+", " ", match.group(0))
        for item in _ITEM_RE.finditer(listed):
            references.append(Reference(item.group(1), item.group(2)))
    return references, REFERENCE_LIST.sub(" ", text)


def parse_dependencies(text: str) -> DependencySpec:
    declaration, notes = _declaration_and_notes(text)
    if _NONE.match(declaration):
        rest = _NONE.sub("", declaration, count=1).strip(" ,.:")
        return DependencySpec(SpecKind.NONE, (), tuple(notes + ([rest] if rest else [])))
    if _ALL_PREVIOUS.search(declaration):
        return DependencySpec(SpecKind.ALL_PREVIOUS, (), tuple(notes))
    references, rest = parse_references(declaration)
    if not references:
        return DependencySpec(SpecKind.UNRECOGNISED, (), tuple([_tidy(declaration), *notes]))
    leftover = _tidy(_FILLER.sub(" ", rest))
    return DependencySpec(
        SpecKind.REFERENCES,
        tuple(dict.fromkeys(references)),  # "Phase 1, Phase 1" names it once
        tuple(notes + ([leftover] if leftover else [])),
    )


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,.;:")


def label_key(label: str) -> tuple[int, int, str]:
    """Order labels as authors do: 1 < 1b < 2 < 2a < 10, and letters after numbers."""
    match = re.fullmatch(r"(\d+)([a-z]?)", label.lower())
    if match:
        return (0, int(match.group(1)), match.group(2))
    return (1, ord(label.lower()[0]) if label else 0, "")


def range_keys(low: str, high: str) -> tuple[tuple[int, int, str], tuple[int, int, str]]:
    """The inclusive key bounds of `Phases low–high`, in either order."""
    start, end = sorted((label_key(low), label_key(high)))
    if not end[2]:
        # "Phases 1–5" includes 5a and 5b.
        end = (end[0], end[1], "\uffff")
    return start, end


def in_range(label: str, low: str, high: str) -> bool:
    start, end = range_keys(low, high)
    return start <= label_key(label) <= end
