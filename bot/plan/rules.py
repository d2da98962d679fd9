"""Dependency rules R2-R4: the Dependencies line, a dependency table, the phase before."""

from __future__ import annotations

import copy
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from bot.plan.dependencies import (
    LABEL,
    OUTSIDE,
    SOFT,
    DependencySpec,
    SpecKind,
    label_key,
    parse_dependencies,
    range_keys,
)
from bot.plan.markdown import Document, Table, strip_emphasis, tables
from bot.plan.model import DependencySource, Diagnostic

_DEPENDENCIES_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?:dependencies|depends on)(?:\*\*|__)?\s*:(?:\*\*|__)?\s*(.*)$",
    re.IGNORECASE,
)
_CONTINUATION_STOP = re.compile(r"^\s*(?:\*\*|__|#|[-*+]\s|\||>|\d+[.)]\s|`{3}|~{3})")
# Real plans declare tens of dependencies; ranges and "All previous phases" in a generated
# plan of tens of thousands of phases would declare billions, and exhaust memory.
MAX_DEPENDENCIES = 100_000
_DEPENDENCY_COLUMN = re.compile(r"depend|prereq|requires|blocked by|\bafter\b|needs", re.I)
_TABLE_PHASE = re.compile(rf"^(?:[Pp]hase\s+)?({LABEL})")


@dataclass(frozen=True)
class Declared:
    """Dependencies one rule declared for a phase."""

    ids: tuple[str, ...]
    source: DependencySource
    line: int


@dataclass(frozen=True)
class PhaseRef:
    """What the rules need to know about a phase: its id, label and where its section is."""

    id: str
    label: str
    ranges: tuple[tuple[int, int], ...]
    aliases: tuple[str, ...] = ()  # other labels the plan uses for it ("1a" in a JSON title)

    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


def _continuation(doc: Document, index: int, end: int) -> int:
    """One past the last line that continues the Dependencies line at `index`."""
    follow = index + 1
    while follow < end:
        line = doc.lines[follow]
        if not line.strip() or doc.in_fence[follow] or _CONTINUATION_STOP.match(line):
            break
        follow += 1
    return follow


def dependencies_line(doc: Document, start: int, end: int) -> tuple[str, int] | None:
    """The first Dependencies line in a section, continuation lines joined, and its line."""
    for index in range(start, end):
        match = None if doc.in_fence[index] else _DEPENDENCIES_LINE.match(doc.lines[index])
        if not match:
            continue
        stop = _continuation(doc, index, end)
        parts = [match.group(1), *(line.strip() for line in doc.lines[index + 1 : stop])]
        return " ".join(parts), index + 1
    return None


def declaration_lines(doc: Document) -> set[int]:
    """Indexes of every Dependencies line and its continuation lines, anywhere outside code:
    what they say is declared (and checked) there, not prose about the phases they list."""
    found: set[int] = set()
    index = 0
    while index < len(doc.lines):
        if doc.in_fence[index] or not _DEPENDENCIES_LINE.match(doc.lines[index]):
            index += 1
            continue
        stop = _continuation(doc, index, len(doc.lines))
        found.update(range(index, stop))
        index = stop
    return found


def dependency_table_rows(found: Sequence[Table]) -> dict[str, tuple[str, int]]:
    """Label -> (dependency cell, line) from tables that have a dependency column."""
    rows: dict[str, tuple[str, int]] = {}
    for table in found:
        columns = [i for i, name in enumerate(table.header) if _DEPENDENCY_COLUMN.search(name)]
        if not columns:
            continue
        phase_column = next(
            (i for i, name in enumerate(table.header) if re.search(r"phase", name, re.I)), 0
        )
        for index, cells in table.rows:
            if max(columns[0], phase_column) >= len(cells):
                continue
            match = _TABLE_PHASE.match(strip_emphasis(cells[phase_column]).strip())
            if match:
                rows.setdefault(match.group(1).lower(), (cells[columns[0]], index + 1))
    return rows


def label_index(phases: Sequence[PhaseRef]) -> dict[str, str]:
    """Every name a phase answers to (lower case) -> its id; the first phase wins a clash."""
    index: dict[str, str] = {}
    for phase in phases:
        for label in phase.labels():
            index.setdefault(label.lower(), phase.id)
    return index


class Resolver:
    """Turns a parsed Dependencies text into phase ids, collecting diagnostics on the way."""

    def __init__(self, phases: Sequence[PhaseRef]) -> None:
        self.phases = phases
        self.by_label = label_index(phases)
        # (label key, position) for every label, sorted: a range is found by bisection.
        self._sorted_keys = sorted(
            (label_key(label), position)
            for position, phase in enumerate(phases)
            for label in phase.labels()
        )
        self.warnings: list[Diagnostic] = []
        self.errors: list[Diagnostic] = []
        self.declared = 0  # dependencies resolved so far, against MAX_DEPENDENCIES

    def quiet(self) -> Resolver:
        """A resolver over the same phases whose diagnostics and count are its own."""
        other = copy.copy(self)
        other.warnings, other.errors, other.declared = [], [], 0
        return other

    def resolve(self, spec: DependencySpec, position: int, line: int) -> tuple[str, ...]:
        phase = self.phases[position]
        self._annotations(spec, phase, line)
        if self.declared > MAX_DEPENDENCIES:
            return ()  # the plan is already refused
        if spec.kind is SpecKind.ALL_PREVIOUS:
            resolved = tuple(p.id for p in self.phases[: min(position, MAX_DEPENDENCIES + 1)])
        else:
            ids: list[str] = []
            for ref in spec.references:
                if ref.high is None:
                    ids += self._single(ref.low, phase, line)
                else:
                    ids += self._range(ref.low, ref.high, phase, line)
            resolved = tuple(dict.fromkeys(ids))
        self.declared += len(resolved)
        if self.declared > MAX_DEPENDENCIES:
            message = (
                f"the plan declares more than {MAX_DEPENDENCIES:,} dependencies between its "
                f"{len(self.phases):,} phases (ranges and 'All previous phases' add up); refused"
            )
            self.errors.append(Diagnostic(message, line))
            return ()
        return resolved

    def phases_in_range(self, low: str, high: str) -> list[PhaseRef]:
        """The phases `Phases low–high` covers (any of their labels), in plan order."""
        start, end = range_keys(low, high)
        first = bisect_left(self._sorted_keys, (start, -1))
        last = bisect_right(self._sorted_keys, (end, len(self.phases)))
        positions = sorted({position for _, position in self._sorted_keys[first:last]})
        return [self.phases[position] for position in positions]

    def _single(self, label: str, phase: PhaseRef, line: int) -> list[str]:
        found = self.by_label.get(label.lower())
        if found is None:
            message = f"{phase.id} depends on Phase {label}, which is not a phase of this plan"
            self.errors.append(Diagnostic(message, line))
            return []
        return [found]

    def _range(self, low: str, high: str, phase: PhaseRef, line: int) -> list[str]:
        labels = [p.label for p in self.phases_in_range(low, high)]
        if not labels:
            message = f"{phase.id} depends on Phases {low}–{high}, which name no phase of this plan"
            self.errors.append(Diagnostic(message, line))
            return []
        missing = [end for end in (low, high) if end.lower() not in self.by_label]
        if missing:
            names = ", ".join(f"Phase {end}" for end in missing)
            message = f"{phase.id}: Phases {low}–{high} reach past the plan ({names} missing)"
            self.warnings.append(
                Diagnostic(f"{message}; expanded over the phases that exist", line)
            )
        ids = [self.by_label[label.lower()] for label in labels]
        if phase.id in ids:
            # "Phases 1-5" written under Phase 5 means the ones before it.
            self.warnings.append(
                Diagnostic(
                    f"{phase.id}: Phases {low}–{high} include the phase itself; skipped", line
                )
            )
            ids.remove(phase.id)
        return ids

    def _annotations(self, spec: DependencySpec, phase: PhaseRef, line: int) -> None:
        for note in spec.notes:
            if SOFT.search(note):
                edge = "declares no dependency" if spec.kind is SpecKind.NONE else "keeps the edge"
                message = f"{phase.id}: '{note}' reads as a soft ordering; the plan {edge}"
                self.warnings.append(Diagnostic(message, line))
            elif OUTSIDE.search(note) and spec.kind is not SpecKind.NONE:
                message = f"{phase.id}: '{note}' names something outside the plan; it adds no edge"
                self.warnings.append(Diagnostic(message, line))


def declare(
    doc: Document,
    phases: Sequence[PhaseRef],
    resolver: Resolver,
    explicit: Sequence[Declared | None],
) -> list[Declared]:
    """Each phase's dependencies: `explicit` (R1, from the JSON block) where given, else R2,
    R3 or R4. A phase with R1 gets no errors from its Dependencies line, only a warning when
    the two disagree."""
    table_rows = dependency_table_rows(tables(doc))
    declared = []
    for position, given in enumerate(explicit):
        if given is None:
            declared.append(_declare_one(doc, phases, position, table_rows, resolver))
        else:
            declared.append(given)
            _compare_with_line(doc, phases, position, given, resolver)
    return declared


def _compare_with_line(
    doc: Document, phases: Sequence[PhaseRef], position: int, given: Declared, resolver: Resolver
) -> None:
    """Warn when a phase's JSON depends_on and its Dependencies line say different things."""
    phase = phases[position]
    found = dependencies_line(doc, *phase.ranges[0]) if phase.ranges else None
    spec = parse_dependencies(found[0]) if found else None
    if not found or not spec or spec.kind is SpecKind.UNRECOGNISED:
        return
    scratch = resolver.quiet()  # its errors and warnings belong to a line that is not used
    written = scratch.resolve(spec, position, found[1])
    if set(written) != set(given.ids):
        json_side = ", ".join(given.ids) or "nothing"
        line_side = ", ".join(written) or "nothing"
        message = (
            f"{phase.id}: depends_on in the JSON block ({json_side}) and the Dependencies line "
            f"({line_side}) disagree; the JSON block wins"
        )
        resolver.warnings.append(Diagnostic(message, found[1]))


def _declare_one(
    doc: Document,
    phases: Sequence[PhaseRef],
    position: int,
    table_rows: dict[str, tuple[str, int]],
    resolver: Resolver,
) -> Declared:
    phase = phases[position]
    if phase.ranges:
        start, end = phase.ranges[0]
        found = dependencies_line(doc, start, end)
        if found:
            spec = parse_dependencies(found[0])
            if spec.kind is not SpecKind.UNRECOGNISED:
                ids = resolver.resolve(spec, position, found[1])
                return Declared(ids, DependencySource.DEPENDENCIES_LINE, found[1])
            message = (
                f"{phase.id}: the Dependencies line names no phase ('{spec.notes[0]}'); "
                "read as not declared"
            )
            resolver.warnings.append(Diagnostic(message, found[1]))
    row = next((table_rows[a.lower()] for a in phase.labels() if a.lower() in table_rows), None)
    if row:
        spec = parse_dependencies(row[0])
        if spec.kind is not SpecKind.UNRECOGNISED:
            ids = resolver.resolve(spec, position, row[1])
            return Declared(ids, DependencySource.TABLE, row[1])
    if position == 0:
        return Declared((), DependencySource.FIRST_PHASE, 0)
    return Declared((phases[position - 1].id,), DependencySource.PREVIOUS_PHASE, 0)
