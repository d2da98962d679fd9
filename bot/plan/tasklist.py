"""spec-kit task lists (`tasks.md`): whether a document is one, its phases and their tasks."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from bot.plan.markdown import Document, strip_emphasis
from bot.plan.model import Diagnostic
from bot.plan.taskpaths import task_paths

# `T012`, and the custom ids some lists use (`T-S018-P01-001`).
TASK_ID = r"T\d{3,}|T-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
_TASK_LINE = re.compile(
    rf"^(?P<indent>[ \t]*)[-*+][ \t]+\[[ xX]\][ \t]+(?P<id>{TASK_ID})(?![\w-])(?P<rest>.*)$"
)
_CHECKBOX = re.compile(r"^[ \t]*[-*+][ \t]+\[[ xX]\][ \t]")
_MARKERS = re.compile(r"^\s*\[([^\]\s]{1,12})\]")
# `Phase 1: Setup`, `Phase 3 - User Story 1`, `Phase N: Polish`, and decimal sub-phases
# (`Phase 5.5`), which belong to their parent phase.
_PHASE = re.compile(
    r"^[Pp]hase\s+(?P<label>\d+(?:\.\d+)*|[A-Z])"
    r"(?:\s*[:—–-]\s*(?P<title>.*)|\s*\((?P<name>[^)]*)\)(?P<rest>.*)|)$"
)
_STORY_TITLE = re.compile(r"\b(?:user\s+)?story\s*#?(\d+)\b|\bUS-?(\d+)\b", re.IGNORECASE)
_STORY_MARKER = re.compile(r"US-?(\d+)", re.IGNORECASE)
_PRIORITY = re.compile(r"\bpriority\s*:?\s*P(\d+)\b", re.IGNORECASE)
# A task's prerequisites: "(depends on T012, T013)", "after T004", "blocked by T020".
_TASK_REFERENCE = re.compile(
    r"\b(?:depends?\s+on|depends?:|after|requires?|needs|blocked\s+by|waits?\s+for|builds?\s+on)",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:not|no|never|without)\s*$|n't\s*$", re.IGNORECASE)
_REFERENCE_END = re.compile(r"[);]|\.(?:\s|$)")


class PhaseKind(StrEnum):
    """What a phase is in spec-kit's template; decides its dependencies by default."""

    SETUP = "setup"
    FOUNDATION = "foundational"
    STORY = "story"
    POLISH = "polish"
    OTHER = "other"


@dataclass(frozen=True)
class Task:
    """One task line (`- [ ] T012 [P] [US1] Create User model in src/models/user.py`) and the
    more-indented lines under it."""

    id: str
    index: int  # 0-based line of the task
    end: int  # one past its last continuation line
    parallel: bool
    story: int | None
    text: str  # the description, markers taken out
    paths: tuple[str, ...]
    references: tuple[str, ...]  # task ids it names as prerequisites


@dataclass(frozen=True)
class TaskPhase:
    label: str
    title: str
    index: int  # 0-based line of the header
    ranges: tuple[tuple[int, int], ...]  # its section, then the sections of its sub-phases
    kind: PhaseKind
    story: int | None
    priority: int | None
    tasks: tuple[Task, ...]
    other_items: int  # checklist items without a task id: work too, but not a task

    @property
    def has_items(self) -> bool:
        """Whether the phase holds any work: a task, or another checklist item."""
        return bool(self.tasks) or self.other_items > 0

    @property
    def id(self) -> str:
        return "phase_" + re.sub(r"\W", "_", self.label.lower())


@dataclass(frozen=True)
class TaskList:
    phases: tuple[TaskPhase, ...]
    warnings: tuple[Diagnostic, ...] = ()

    def tasks_by_id(self) -> dict[str, tuple[int, Task]]:
        """Task id -> (position of its phase, the task); the first, for a repeated id."""
        found: dict[str, tuple[int, Task]] = {}
        for position, phase in enumerate(self.phases):
            for task in phase.tasks:
                found.setdefault(task.id, (position, task))
        return found


@dataclass(frozen=True)
class _Header:
    position: int  # in doc.headers
    label: str
    title: str


def _phase_headers(doc: Document) -> list[_Header]:
    """`## Phase 3: Title` and `### Phase 6: Title` (the wrong level occurs), in order."""
    found = []
    for position, header in enumerate(doc.headers):
        match = (
            _PHASE.match(strip_emphasis(header.text).strip()) if header.level in (2, 3) else None
        )
        if not match:
            continue
        if match.group("name") is not None:
            title = f"{match.group('name')}{match.group('rest')}"
        else:
            title = match.group("title") or ""
        found.append(_Header(position, match.group("label"), title.strip()))
    return found


def _section_end(doc: Document, position: int, phase_positions: set[int]) -> int:
    """A phase runs to the next phase header, or to the next `#`/`##` header that is not one
    ("## Dependencies & Execution Order"); its `###` subsections are part of it."""
    for following in range(position + 1, len(doc.headers)):
        if following in phase_positions or doc.headers[following].level <= 2:
            return doc.headers[following].index
    return len(doc.lines)


def _continuation_end(doc: Document, index: int, indent: int, end: int) -> int:
    follow = index + 1
    while follow < end and not doc.in_fence[follow]:
        line = doc.lines[follow]
        if not line.strip() or len(line) - len(line.lstrip()) <= indent:
            break
        if _TASK_LINE.match(line):
            break
        follow += 1
    return follow


def is_task_line(line: str) -> bool:
    """`- [ ] T012 ...`: a task line, whatever its markers."""
    return bool(_TASK_LINE.match(line))


def _markers(rest: str) -> tuple[list[str], str]:
    markers = []
    while match := _MARKERS.match(rest):
        markers.append(match.group(1))
        rest = rest[match.end() :]
    return markers, rest.strip()


def task_references(text: str) -> tuple[str, ...]:
    """Task ids that `text` names as prerequisites: those after "depends on", "after", ...
    up to the end of the parenthesis, clause or sentence."""
    found: list[str] = []
    for match in _TASK_REFERENCE.finditer(text):
        if _NEGATED.search(text[max(0, match.start() - 12) : match.start()]):
            continue
        rest = text[match.end() :]
        stop = _REFERENCE_END.search(rest)
        found += re.findall(
            rf"(?<![\w-])(?:{TASK_ID})(?![\w-])", rest[: stop.start() if stop else None]
        )
    return tuple(dict.fromkeys(found))


def _task(doc: Document, index: int, end: int) -> Task | None:
    match = _TASK_LINE.match(doc.lines[index])
    if not match:
        return None
    stop = _continuation_end(doc, index, len(match.group("indent").expandtabs()), end)
    markers, description = _markers(match.group("rest"))
    stories = [int(m.group(1)) for marker in markers if (m := _STORY_MARKER.fullmatch(marker))]
    text = " ".join([description, *(doc.lines[i].strip() for i in range(index + 1, stop))])
    return Task(
        id=match.group("id"),
        index=index,
        end=stop,
        parallel="P" in markers,
        story=stories[0] if stories else None,
        text=description,
        paths=task_paths(text),
        references=task_references(text),
    )


def _tasks(doc: Document, ranges: list[tuple[int, int]]) -> tuple[list[Task], int]:
    """The task lines of a phase, and how many checklist items without a task id it holds."""
    tasks: list[Task] = []
    other_items = 0
    for start, end in ranges:
        index = start + 1
        while index < end:
            task = None if doc.in_fence[index] else _task(doc, index, end)
            if task:
                tasks.append(task)
                index = task.end
                continue
            if not doc.in_fence[index] and _CHECKBOX.match(doc.lines[index]):
                other_items += 1
            index += 1
    return tasks, other_items


def _kind(title: str, tasks: list[Task]) -> tuple[PhaseKind, int | None]:
    story = _STORY_TITLE.search(title)
    if story:
        return PhaseKind.STORY, int(story.group(1) or story.group(2))
    # A story phase whose title does not say so: every task carries the same [USk] label.
    labels = {task.story for task in tasks}
    if tasks and len(labels) == 1 and None not in labels and not re.search(r"polish", title, re.I):
        return PhaseKind.STORY, labels.pop()
    lowered = title.lower()
    for kind, words in (
        (PhaseKind.SETUP, r"\bsetup\b|\bset up\b"),
        (PhaseKind.FOUNDATION, r"foundation|blocking prerequisite"),
        (PhaseKind.POLISH, r"polish|cross[- ]cutting"),
    ):
        if re.search(words, lowered):
            return kind, None
    return PhaseKind.OTHER, None


def _group(doc: Document, headers: list[_Header]) -> list[tuple[_Header, list[tuple[int, int]]]]:
    """Each phase header with its section; a decimal sub-phase (`Phase 5.5`) joins its parent."""
    positions = {header.position for header in headers}
    groups: list[tuple[_Header, list[tuple[int, int]]]] = []
    by_label: dict[str, list[tuple[int, int]]] = {}
    for header in headers:
        section = (
            doc.headers[header.position].index,
            _section_end(doc, header.position, positions),
        )
        parent = header.label.split(".")[0]
        if "." in header.label and parent in by_label:
            by_label[parent].append(section)
            continue
        ranges = [section]
        by_label.setdefault(header.label, ranges)
        groups.append((header, ranges))
    return groups


def _duplicate_warnings(phases: list[TaskPhase]) -> list[Diagnostic]:
    counts = Counter(task.id for phase in phases for task in phase.tasks)
    warnings = []
    for task_id in (tid for tid, count in counts.items() if count > 1):
        lines = [t.index + 1 for p in phases for t in p.tasks if t.id == task_id]
        where = ", ".join(map(str, lines))
        message = (
            f"task {task_id} appears {len(lines)} times (lines {where}); references go to the first"
        )
        warnings.append(Diagnostic(message, lines[1]))
    return warnings


def read_task_list(doc: Document) -> TaskList | None:
    """The document as a spec-kit task list, or None when it is not one: at least half of its
    `## Phase` sections (levels 2 and 3) must hold task lines (`- [ ] T001 ...`), so a codev
    plan with a stray checklist of test ids is never read as one."""
    # Most plans hold no task line at all: say so before reading any phase.
    if not any(_TASK_LINE.match(line) for line in doc.lines if "[" in line):
        return None
    headers = _phase_headers(doc)
    if not headers:
        return None
    phases: list[TaskPhase] = []
    for header, ranges in _group(doc, headers):
        tasks, other_items = _tasks(doc, ranges)
        kind, story = _kind(header.title, tasks)
        priority = _PRIORITY.search(header.title)
        phases.append(
            TaskPhase(
                label=header.label,
                title=header.title,
                index=ranges[0][0],
                ranges=tuple(ranges),
                kind=kind,
                story=story,
                priority=int(priority.group(1)) if priority else None,
                tasks=tuple(tasks),
                other_items=other_items,
            )
        )
    with_tasks = sum(1 for phase in phases if phase.tasks)
    if not with_tasks or with_tasks * 2 < len(phases):
        return None
    return TaskList(tuple(phases), tuple(_duplicate_warnings(phases)))
