"""A spec-kit task list as a phase graph: the template's order, what the list states on top
of it, and, as an option, each `[P]` task as a phase of its own.

The rules, in docs/plan-format.md: phases before the first user story run one after the
other (Setup, then Foundational); every story waits for them and for no other story; any
other phase (Polish, an integration phase) waits for every phase before it. Stated
dependencies ("User Story 3 depends on US1", "(depends on T012)") add edges; one that would
close a cycle is dropped with a warning. Edges implied by others are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import networkx as nx

from bot.plan.markdown import Document
from bot.plan.model import Diagnostic, Phase
from bot.plan.taskdeps import Statement, statements
from bot.plan.tasklist import PhaseKind, Task, TaskList
from bot.plan.taskunits import Unit, phase_units, unit_phase

# Each reference to a later phase or task is checked for a cycle by a search of the graph;
# real task lists hold a handful, and thousands in a generated list would take minutes.
MAX_LATER_REFERENCES = 200


@dataclass
class _Graph:
    """Phase-level dependencies as the template and the backward statements give them."""

    defaults: list[list[int]] = field(default_factory=list)
    stated: list[list[tuple[int, int]]] = field(default_factory=list)  # (target, line)
    forward: list[tuple[int, int, int]] = field(default_factory=list)  # (subject, target, line)


def _phase_graph(task_list: TaskList, stated: Sequence[Statement]) -> _Graph:
    """What each phase waits for by the template (stories: the phases before the first
    story; any other phase: every phase before it), and the statements, split into those
    naming earlier phases and those naming later ones."""
    phases = task_list.phases
    graph = _Graph([[] for _ in phases], [[] for _ in phases])
    for statement in stated:
        for subject in statement.subjects:
            for target in statement.targets:
                if target < subject:
                    graph.stated[subject].append((target, statement.line))
                elif target > subject:
                    graph.forward.append((subject, target, statement.line))
    backward_tasks = _backward_task_phases(task_list)
    first_story = next((p for p, ph in enumerate(phases) if ph.kind is PhaseKind.STORY), None)
    reach = [0] * len(phases)  # ancestors of each phase, as bits
    latest: list[int] = []  # earlier phases no later one has waited for yet
    gates: list[int] = []
    for position, phase in enumerate(phases):
        if position == first_story:
            gates = list(latest)
        if phase.kind is PhaseKind.STORY:
            graph.defaults[position] = list(gates)
        else:
            graph.defaults[position] = list(latest)
        targets = graph.defaults[position] + [t for t, _ in graph.stated[position]]
        for target in targets + backward_tasks[position]:
            reach[position] |= reach[target] | 1 << target
        latest = [p for p in latest if not reach[position] >> p & 1] + [position]
    return graph


def _backward_task_phases(task_list: TaskList) -> list[list[int]]:
    """Per phase, the earlier phases its tasks name: for which phases are the latest."""
    known = task_list.tasks_by_id()
    found: list[list[int]] = []
    for position, phase in enumerate(task_list.phases):
        named = {known[r][0] for t in phase.tasks for r in t.references if r in known}
        found.append(sorted(p for p in named if p < position))
    return found


def _polish_warnings(task_list: TaskList) -> list[Diagnostic]:
    """spec-kit says Polish follows "all desired user stories"; waiting for the other phases
    after the first story too is the safe reading, and worth saying."""
    phases = task_list.phases
    first_story = next((p for p, ph in enumerate(phases) if ph.kind is PhaseKind.STORY), None)
    if first_story is None:
        return []
    warnings = []
    for position in range(first_story + 1, len(phases)):
        phase = phases[position]
        if phase.kind is not PhaseKind.POLISH:
            continue
        others = [
            phases[p].id
            for p in range(first_story + 1, position)
            if phases[p].kind is not PhaseKind.STORY and phases[p].has_items
        ]
        if not others:
            continue
        what = "is not a user story" if len(others) == 1 else "are not user stories"
        message = (
            f"{phase.id} ({phase.title}) also waits for {', '.join(others)}, which {what}: "
            "the template only says Polish follows the stories; read as every earlier phase"
        )
        warnings.append(Diagnostic(message, phase.index + 1))
    return warnings


class UnitGraph:
    """The edges between units: the template's first (they cannot form a cycle), then what
    the list states, each forward one checked for a cycle."""

    def __init__(self, task_list: TaskList, units: list[list[Unit]], graph: _Graph) -> None:
        self.task_list = task_list
        self.units = units
        self.phase_graph = graph
        self.graph: nx.DiGraph = nx.DiGraph()
        self.order = [unit.id for mine in units for unit in mine]
        self.graph.add_nodes_from(self.order)
        self.defaults: set[tuple[str, str]] = set()
        self.stated: dict[tuple[str, str], int] = {}  # edges beyond the template -> line
        self.warnings: list[Diagnostic] = []
        self.errors: list[Diagnostic] = []
        self._exits: dict[int, list[str]] = {}
        self.unit_of_task = {
            task.index: unit.id for mine in units for unit in mine for task in unit.tasks
        }

    def exits(self, position: int) -> list[str]:
        """What waiting for a phase means: its remaining unit, else all its `[P]` units; for
        an empty phase, what it waited for."""
        if position not in self._exits:
            mine = self.units[position]
            rest = [unit.id for unit in mine if unit.task is None]
            if mine:
                self._exits[position] = rest or [unit.id for unit in mine]
            else:
                targets = self.phase_graph.defaults[position] + [
                    t for t, _ in self.phase_graph.stated[position]
                ]
                found = [e for target in targets for e in self.exits(target)]
                self._exits[position] = list(dict.fromkeys(found))
        return self._exits[position]

    def add_defaults(self) -> None:
        for position, mine in enumerate(self.units):
            exits = [e for t in self.phase_graph.defaults[position] for e in self.exits(t)]
            singles = [unit.id for unit in mine if unit.task is not None]
            for unit in mine:
                needs = exits + (singles if unit.task is None else [])
                for dep in needs:
                    self.graph.add_edge(dep, unit.id)
                    self.defaults.add((dep, unit.id))

    def add_stated(self, dep: str, unit: str, line: int, check: bool) -> bool:
        """Add an edge the list states; with `check`, refuse one that would close a cycle."""
        if dep == unit:
            return True
        if check and nx.has_path(self.graph, unit, dep):
            return False
        self.graph.add_edge(dep, unit)
        if (dep, unit) not in self.defaults:
            self.stated.setdefault((dep, unit), line)
        return True

    def add_stated_edges(self) -> None:
        """Backward edges first (they point at earlier phases, as the defaults do, so they
        cannot close a cycle), then forward ones in document order, each checked."""
        for position, mine in enumerate(self.units):
            for target, line in self.phase_graph.stated[position]:
                for unit in mine:
                    for dep in self.exits(target):
                        self.add_stated(dep, unit.id, line, check=False)
        later: list[tuple[int, Callable[[], None]]] = [
            (line, partial(self._later_phase_edge, subject, target, line))
            for subject, target, line in self.phase_graph.forward
        ]
        later += self._task_references()
        later.sort(key=lambda item: item[0])
        if len(later) > MAX_LATER_REFERENCES:
            message = (
                f"the task list names later phases or tasks as prerequisites {len(later):,} "
                f"times, more than the {MAX_LATER_REFERENCES} that are checked for cycles; refused"
            )
            self.errors.append(Diagnostic(message, later[MAX_LATER_REFERENCES][0]))
            return
        for _, add in later:
            add()

    def _task_references(self) -> list[tuple[int, Callable[[], None]]]:
        """Add the edges of task references to earlier phases; return the others."""
        known = self.task_list.tasks_by_id()
        later: list[tuple[int, Callable[[], None]]] = []
        for position, phase in enumerate(self.task_list.phases):
            for task in phase.tasks:
                for name in task.references:
                    if name not in known:
                        message = (
                            f"{task.id} names {name}, which is not a task of this list; ignored"
                        )
                        self.warnings.append(Diagnostic(message, task.index + 1))
                        continue
                    held_by, needed = known[name]
                    if held_by < position:
                        self._task_edge(task, needed, check=False)
                    else:
                        later.append((task.index + 1, partial(self._later_task_edge, task, needed)))
        return later

    def _later_phase_edge(self, subject: int, target: int, line: int) -> None:
        refused = [
            dep
            for unit in self.units[subject]
            for dep in self.exits(target)
            if not self.add_stated(dep, unit.id, line, check=True)
        ]
        if refused:
            phases = self.task_list.phases
            message = (
                f"the task list says {phases[subject].id} waits for {phases[target].id}, "
                "which already waits for it: that would make a cycle; ignored"
            )
            self.warnings.append(Diagnostic(message, line))

    def _later_task_edge(self, task: Task, needed: Task) -> None:
        if self._task_edge(task, needed, check=True):
            return
        dep, unit = self.unit_of_task[needed.index], self.unit_of_task[task.index]
        message = (
            f"{task.id} depends on {needed.id}, but {dep} already waits for {unit}: "
            "that would make a cycle; ignored"
        )
        self.warnings.append(Diagnostic(message, task.index + 1))

    def _task_edge(self, task: Task, needed: Task, check: bool) -> bool:
        unit, dep = self.unit_of_task.get(task.index), self.unit_of_task.get(needed.index)
        if unit is None or dep is None:
            return True
        return self.add_stated(dep, unit, task.index + 1, check)

    def depends_on(self) -> dict[str, tuple[tuple[str, ...], int]]:
        """Each unit's direct dependencies, leaving out any that others already imply, and
        the first line that stated one of them beyond the template (0: none did)."""
        position = {unit: n for n, unit in enumerate(self.order)}
        found = {}
        for unit, deps in _reduced(self.graph).items():
            deps = sorted(deps, key=position.__getitem__)
            lines = [self.stated[(dep, unit)] for dep in deps if (dep, unit) in self.stated]
            found[unit] = (tuple(deps), min(lines, default=0))
        return found


def _reduced(graph: nx.DiGraph) -> dict[str, list[str]]:
    """Each node's predecessors less those another predecessor already waits for: a
    transitive reduction by ancestor bitsets, which stays fast for thousands of units where
    networkx's search from every node does not."""
    order = list(nx.topological_sort(graph))
    bit = {node: 1 << n for n, node in enumerate(order)}
    ancestors: dict[str, int] = {}
    reduced: dict[str, list[str]] = {}
    for node in order:
        parents = list(graph.predecessors(node))
        implied = 0
        for parent in parents:
            implied |= ancestors[parent]
        ancestors[node] = implied | sum(bit[parent] for parent in parents)
        reduced[node] = [parent for parent in parents if not implied & bit[parent]]
    return reduced


def _empty_warnings(task_list: TaskList) -> list[Diagnostic]:
    message = "holds no tasks: it is left out, and what waits for it waits for what it waited for"
    return [
        Diagnostic(f"{phase.id} {message}", phase.index + 1)
        for phase in task_list.phases
        if not phase.has_items
    ]


@dataclass(frozen=True)
class TaskListPhases:
    phases: tuple[Phase, ...]
    warnings: tuple[Diagnostic, ...]
    errors: tuple[Diagnostic, ...]


def task_list_phases(
    doc: Document, task_list: TaskList, split_parallel_tasks: bool = False
) -> TaskListPhases:
    """The phases a task list runs as, with what reading it found doubtful or wrong."""
    stated, warnings = statements(doc, task_list)
    warnings = list(task_list.warnings) + warnings + _empty_warnings(task_list)
    warnings += _polish_warnings(task_list)
    units = phase_units(task_list, split_parallel_tasks)
    ids = [unit.id for mine in units for unit in mine]
    depends: dict[str, tuple[tuple[str, ...], int]] = {}
    errors: list[Diagnostic] = []
    # Two phases with one label share an id, which the analysis refuses as it does in any
    # plan; one id for two units would also tie them into a cycle, so no graph is built.
    if len(set(ids)) == len(ids):
        units_graph = UnitGraph(task_list, units, _phase_graph(task_list, stated))
        units_graph.add_defaults()
        units_graph.add_stated_edges()
        depends = units_graph.depends_on()
        warnings += units_graph.warnings
        errors += units_graph.errors
    phases = tuple(
        unit_phase(doc, task_list.phases[unit.phase], unit, *depends.get(unit.id, ((), 0)))
        for mine in units
        for unit in mine
    )
    ordered = sorted(warnings, key=lambda w: w.line)
    return TaskListPhases(phases, tuple(ordered), tuple(errors))
