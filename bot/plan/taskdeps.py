"""What a task list says about which phases wait for which ("User Story 3 depends on US1").

Read from two places: the "Dependencies & Execution Order" section (and any other section
whose header speaks of dependencies or execution order), and `**Dependencies**:` lines or
a Dependencies subsection inside a phase. General sentences of spec-kit's template ("User
stories can then proceed in parallel") say nothing about one story and are not read; a
story's own line ("Depends on US1") is. Statements only ever add edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.plan.markdown import Document, strip_emphasis
from bot.plan.model import Diagnostic
from bot.plan.tasklist import PhaseKind, TaskList, is_task_line

_STORIES = re.compile(
    r"\b(?:user\s+)?stor(?:y|ies)\s*#?(\d+(?:\s*(?:,\s*(?:and\s+|or\s+)?|and|or|&|/)\s*(?:US-?)?\d+)*)",
    re.IGNORECASE,
)
_US = re.compile(r"\bUS-?(\d+)\b")
_PRIORITY_STORIES = re.compile(r"\bP(\d+)\s+(?:user\s+)?stor(?:y|ies)\b", re.IGNORECASE)
_ALL_STORIES = re.compile(
    r"\ball\s+(?:(?:the|other|desired|previous|earlier|prior|required)\s+)*(?:user\s+)?stories\b",
    re.IGNORECASE,
)
_PHASE_LABEL = r"(?:\d+(?:\.\d+)?|[A-Z])(?![\w+]|\.\d)"
_PHASES = re.compile(
    rf"\b[Pp]hases?\s+({_PHASE_LABEL}(?:\s*(?:,\s*(?:and\s+)?|and|&|-|–|to)\s*{_PHASE_LABEL})*)"
)
_KINDS = (
    (PhaseKind.SETUP, re.compile(r"\bsetup\b", re.IGNORECASE)),
    (PhaseKind.FOUNDATION, re.compile(r"\bfoundation(?:al)?\b", re.IGNORECASE)),
    (PhaseKind.POLISH, re.compile(r"\bpolish\b", re.IGNORECASE)),
)
_VERB = re.compile(
    r"\b(?:depends?\s+on|(?:can\s+)?(?:start|begin|proceed)s?\s+(?:only\s+)?after|after|"
    r"requires?|builds?\s+on|needs|blocked\s+by|waits?\s+for)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:no|not|never|without|independent(?:ly)?)\b|n't\b", re.IGNORECASE)
_CLAUSE = re.compile(r"\s+[-—–]\s+|;|(?<=\.)\s+|\bbut\b", re.IGNORECASE)
_LEAD = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?P<lead>[^:]{1,80}?)\s*:\s+(?P<body>.*)$")
_LABEL_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:dependencies|depends on|prerequisites?|requires|blocked by)\s*:\s*(.*)$",
    re.IGNORECASE,
)
_DEPENDENCY_HEADER = re.compile(r"dependenc|execution order|prerequisite", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    """Phases (positions in the task list) that wait, and the phases they wait for."""

    subjects: tuple[int, ...]
    targets: tuple[int, ...]
    line: int  # 1-based


class _Names:
    """How a task list names its phases: stories, priorities, phase labels, kinds."""

    def __init__(self, task_list: TaskList) -> None:
        self.stories: dict[int, list[int]] = {}
        self.priorities: dict[int, list[int]] = {}
        self.labels: dict[str, int] = {}
        self.kinds: dict[PhaseKind, list[int]] = {}
        for position, phase in enumerate(task_list.phases):
            self.labels.setdefault(phase.label, position)
            self.kinds.setdefault(phase.kind, []).append(position)
            if phase.story is not None:
                self.stories.setdefault(phase.story, []).append(position)
                if phase.priority is not None:
                    self.priorities.setdefault(phase.priority, []).append(position)

    def _story(self, number: int, line: int, warnings: list[Diagnostic]) -> list[int]:
        if number in self.stories:
            return self.stories[number][:1]
        message = f"the task list names User Story {number}, which no phase holds; ignored"
        warnings.append(Diagnostic(message, line))
        return []

    def _phase_items(self, listed: str, line: int, warnings: list[Diagnostic]) -> list[int]:
        found: list[int] = []
        for item in re.finditer(rf"({_PHASE_LABEL})(?:\s*(?:-|–|to)\s*({_PHASE_LABEL}))?", listed):
            low, high = item.group(1), item.group(2)
            if high and low.isdigit() and high.isdigit():
                wanted = [str(n) for n in range(int(low), int(high) + 1)]
                found += [self.labels[label] for label in wanted if label in self.labels]
            elif low in self.labels:
                found.append(self.labels[low])
            else:
                message = f"the task list names Phase {low}, which it does not have; ignored"
                warnings.append(Diagnostic(message, line))
        return found

    def positions(self, text: str, line: int, warnings: list[Diagnostic]) -> tuple[int, ...]:
        """The phases (positions) that `text` names, each once."""
        found: list[int] = []
        for match in _STORIES.finditer(text):
            for number in re.findall(r"\d+", match.group(1)):
                found += self._story(int(number), line, warnings)
        for match in _US.finditer(text):
            found += self._story(int(match.group(1)), line, warnings)
        for match in _PRIORITY_STORIES.finditer(text):
            found += self.priorities.get(int(match.group(1)), [])
        if _ALL_STORIES.search(text):
            found += [positions[0] for positions in self.stories.values()]
        for match in _PHASES.finditer(text):
            found += self._phase_items(match.group(1), line, warnings)
        for kind, pattern in _KINDS:
            # A generic word ("setup", "polish") names a phase only when one is of that kind.
            if pattern.search(text):
                found += self.kinds.get(kind, [])
        return tuple(dict.fromkeys(found))


def _clause_statements(
    body: str, default: tuple[int, ...], line: int, names: _Names, warnings: list[Diagnostic]
) -> list[Statement]:
    """ "Can start after Foundational (Phase 2) - Depends on US1 models": each clause with a
    dependency verb, not negated, says its subject (named before the verb, else `default`)
    waits for the phases named after it."""
    statements = []
    for clause in _CLAUSE.split(body):
        verb = _VERB.search(clause)
        if not verb or _NEGATION.search(clause[: verb.start()]):
            continue
        before = names.positions(clause[: verb.start()], line, warnings)
        targets = names.positions(clause[verb.end() :], line, warnings)
        subjects = before or default
        if subjects and targets:
            statements.append(Statement(subjects, targets, line))
    return statements


def _declared_targets(
    body: str, line: int, names: _Names, warnings: list[Diagnostic]
) -> tuple[int, ...]:
    """A `**Dependencies**:` line inside a phase: every phase named in a clause that is not
    negated ("None", "No dependency on US2")."""
    targets: list[int] = []
    for clause in _CLAUSE.split(body):
        if _NEGATION.search(clause) or re.match(r"\s*none\b", clause, re.IGNORECASE):
            continue
        targets += names.positions(clause, line, warnings)
    return tuple(dict.fromkeys(targets))


def _statement_lines(doc: Document, task_list: TaskList) -> dict[int, int | None]:
    """Line index -> the phase (position) it speaks for, or None, for every line that may
    state a dependency: those of a Dependencies section (inside a phase, for that phase) and
    a phase's `**Dependencies**:` lines."""
    owner: dict[int, int] = {}
    for position, task_phase in enumerate(task_list.phases):
        for start, end in task_phase.ranges:
            owner.update((index, position) for index in range(start, end))
    phase_headers = {start for p in task_list.phases for start, _ in p.ranges}
    lines: dict[int, int | None] = {}
    for header in doc.headers:
        # "Phase 2: Foundational (Blocking Prerequisites)" is a phase, not a section about one.
        if header.index in phase_headers or not _DEPENDENCY_HEADER.search(header.text):
            continue
        phase = owner.get(header.index)
        for index in range(header.index + 1, doc.section_end(header)):
            if owner.get(index) == phase:
                lines[index] = phase
    for index, position in owner.items():
        if index not in phase_headers and _LABEL_LINE.match(strip_emphasis(doc.lines[index])):
            lines[index] = position
    return lines


def _line_statements(
    plain: str, phase: int | None, line: int, names: _Names, warnings: list[Diagnostic]
) -> list[Statement]:
    label = _LABEL_LINE.match(plain)
    if label and phase is not None:
        targets = _declared_targets(label.group(1), line, names, warnings)
        targets = tuple(target for target in targets if target != phase)
        return [Statement((phase,), targets, line)] if targets else []
    default: tuple[int, ...] = (phase,) if phase is not None else ()
    lead = _LEAD.match(plain)
    body = plain
    if lead:
        named = names.positions(lead.group("lead"), line, warnings)
        default, body = named or default, lead.group("body")
    return _clause_statements(body, default, line, names, warnings)


def statements(doc: Document, task_list: TaskList) -> tuple[list[Statement], list[Diagnostic]]:
    """Every dependency the task list states between its phases, in document order."""
    names = _Names(task_list)
    warnings: list[Diagnostic] = []
    found: list[Statement] = []
    for index, phase in sorted(_statement_lines(doc, task_list).items()):
        text = doc.lines[index]
        if doc.in_fence[index] or not text.strip() or is_task_line(text):
            continue
        found += _line_statements(strip_emphasis(text), phase, index + 1, names, warnings)
    return found, warnings
