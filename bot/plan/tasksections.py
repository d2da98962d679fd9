"""The section a builder gets for a task-list phase, or for one `[P]` task run on its own."""

from __future__ import annotations

import re
from collections.abc import Sequence, Set

from bot.plan.markdown import Document
from bot.plan.tasklist import Task, TaskPhase

_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")


def _trimmed(lines: Sequence[str]) -> list[str]:
    """Without the blank lines and `---` rules that end a phase in spec-kit's layout."""
    end = len(lines)
    while end > 1 and (not lines[end - 1].strip() or _RULE.match(lines[end - 1])):
        end -= 1
    return list(lines[:end])


def phase_section(doc: Document, phase: TaskPhase, without: Set[int] = frozenset()) -> str:
    """The phase's section as written (its sub-phases after it), less the tasks whose line
    indexes are in `without`: those run as phases of their own."""
    skipped: set[int] = set()
    for task in phase.tasks:
        if task.index in without:
            skipped.update(range(task.index, task.end))
    parts = []
    for start, end in phase.ranges:
        lines = [doc.lines[i] for i in range(start, end) if i not in skipped]
        parts.append("\n".join(_trimmed(lines)))
    return "\n".join(parts)


def _preamble(doc: Document, phase: TaskPhase, start: int, end: int) -> list[str]:
    """What the phase says before its first task or subsection: its Goal, Purpose, test."""
    first_task = min((t.index for t in phase.tasks if start <= t.index < end), default=end)
    headers = doc.headers_between(start + 1, end)
    stop = min(first_task, headers[0].index if headers else end)
    return _trimmed(doc.lines[start + 1 : stop])


def task_section(doc: Document, phase: TaskPhase, task: Task) -> str:
    """The phase header and what it says before its tasks, the subsection the task sits in
    ("### Tests for User Story 1"), and the task with its indented lines."""
    start = next(s for s, e in phase.ranges if s <= task.index < e)
    lines = [doc.lines[phase.index]]
    preamble = _preamble(doc, phase, phase.ranges[0][0], phase.ranges[0][1])
    if any(line.strip() for line in preamble):
        lines += preamble
    if start != phase.index:  # a sub-phase (`Phase 5.5`) of the phase
        lines += ["", doc.lines[start]]
    inner = doc.headers_between(start + 1, task.index)
    if inner:
        lines += ["", doc.lines[inner[-1].index]]
    lines += ["", *doc.lines[task.index : task.end]]
    return "\n".join(lines)
