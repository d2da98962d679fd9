"""What each builder of a task list gets: a phase, or, with `split_parallel_tasks`, one `[P]`
task on its own and the rest of its phase."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.plan.markdown import Document
from bot.plan.model import DependencySource, Phase
from bot.plan.tasklist import Task, TaskList, TaskPhase
from bot.plan.tasksections import phase_section, task_section


@dataclass(frozen=True)
class Unit:
    """What one builder gets: a phase (less its split-off tasks), or one `[P]` task."""

    id: str
    phase: int  # position of its phase in the task list
    task: Task | None  # the `[P]` task it runs alone; None for the phase itself
    tasks: tuple[Task, ...]


def task_unit_id(phase: TaskPhase, task: Task) -> str:
    """`phase_3_t014`: the id of a `[P]` task run as a phase of its own."""
    return f"{phase.id}_{re.sub(r'[^a-z0-9]+', '_', task.id.lower()).strip('_')}"


def _split_off(phase: TaskPhase, split: bool) -> list[Task]:
    """The `[P]` tasks that run alone: only with the option, and only when a phase has two
    or more (one has nothing to run beside). A repeated task id stays with its phase."""
    if not split:
        return []
    seen: set[str] = set()
    parallel = []
    for task in phase.tasks:
        if task.parallel and task.id not in seen:
            parallel.append(task)
        seen.add(task.id)
    return parallel if len(parallel) >= 2 else []


def phase_units(task_list: TaskList, split: bool) -> list[list[Unit]]:
    """The units of each phase, in order: its split-off tasks, then what is left of it. An
    empty phase (no task, no checklist item) has none."""
    units: list[list[Unit]] = []
    for position, phase in enumerate(task_list.phases):
        alone = _split_off(phase, split)
        ids = {task.index for task in alone}
        mine = [Unit(task_unit_id(phase, t), position, t, (t,)) for t in alone]
        rest = tuple(task for task in phase.tasks if task.index not in ids)
        # What is left of the phase: its other tasks and checklist items, if any.
        if rest or phase.other_items or (phase.has_items and not alone):
            mine.append(Unit(phase.id, position, None, rest))
        units.append(mine)
    return units


def unit_phase(
    doc: Document, phase: TaskPhase, unit: Unit, depends: tuple[str, ...], line: int
) -> Phase:
    source = DependencySource.TASK_LIST_STATED if line else DependencySource.TASK_LIST_TEMPLATE
    if unit.task is None:
        split = {task.index for task in phase.tasks} - {task.index for task in unit.tasks}
        title, start, section = phase.title, phase.index + 1, phase_section(doc, phase, split)
    else:
        task = unit.task
        title, start, section = (
            f"{task.id} {task.text}",
            task.index + 1,
            task_section(doc, phase, task),
        )
    touches = tuple(dict.fromkeys(path for task in unit.tasks for path in task.paths))
    return Phase(
        id=unit.id,
        label=phase.label,
        title=title,
        line=start,
        depends_on=depends,
        touches=touches,
        section=section,
        depends_line=line,
        depends_source=source,
    )


def task_list_sections(
    doc: Document, task_list: TaskList, ids: set[str]
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Section and touched paths for the ids a JSON block gives a task list's phases: a
    phase's id is the phase less those of its tasks the block lists as phases of their own
    (`phase_3_t014`)."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for phase in task_list.phases:
        alone = [task for task in phase.tasks if task_unit_id(phase, task) in ids]
        for task in alone:
            found.setdefault(
                task_unit_id(phase, task), (task_section(doc, phase, task), task.paths)
            )
        if phase.id in ids:
            split = {task.index for task in alone}
            rest = [task for task in phase.tasks if task.index not in split]
            paths = tuple(dict.fromkeys(path for task in rest for path in task.paths))
            found.setdefault(phase.id, (phase_section(doc, phase, split), paths))
    return found
