"""Property tests: random task lists in spec-kit's layout read back as the template and their
stated dependencies say, with and without their `[P]` tasks split off."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.graph import analyse
from bot.plan.markdown import scan
from bot.plan.model import Plan, PlanSource
from bot.plan.parse import parse_plan
from bot.plan.render import to_json_block
from bot.plan.tasklist import read_task_list
from tests.plan.plan_writers import WRITERS
from tests.plan.test_plan_properties import dags

_WORDINGS = [
    "**User Story {k} (P{k})**: Can start after Foundational (Phase 2) - Depends on {deps}",
    "**User Story {k}**: Requires {deps} complete",
    "User Story {k} depends on {deps}",
    "**US{k}**: Builds on {deps}",
]


@dataclass(frozen=True)
class _List:
    """A task list: tasks per phase ([P] or not), and what each story says it needs."""

    setup: tuple[bool, ...]
    foundation: tuple[bool, ...]  # may be empty: the phase is then left out
    stories: tuple[tuple[bool, ...], ...]
    needs: tuple[tuple[int, ...], ...]  # per story, the earlier stories (1-based) it names
    polish: tuple[bool, ...]
    wording: int

    def phases(self) -> list[tuple[str, str, tuple[bool, ...]]]:
        """(label, title, tasks) in document order."""
        found = [("1", "Setup (Shared Infrastructure)", self.setup)]
        found.append(("2", "Foundational (Blocking Prerequisites)", self.foundation))
        for number, tasks in enumerate(self.stories, start=1):
            found.append((str(number + 2), f"User Story {number} - Step (Priority: P1)", tasks))
        found.append((str(len(self.stories) + 3), "Polish & Cross-Cutting Concerns", self.polish))
        return found

    def markdown(self) -> str:
        lines = ["# Tasks: Random", ""]
        count = 0
        for label, title, tasks in self.phases():
            lines += [f"## Phase {label}: {title}", ""]
            for parallel in tasks:
                count += 1
                marker = "[P] " if parallel else ""
                lines.append(f"- [ ] T{count:03d} {marker}Write src/p{label}/t{count}.py")
            lines += ["", "---", ""]
        lines += ["## Dependencies & Execution Order", ""]
        for number, needs in enumerate(self.needs, start=1):
            if needs:
                deps = " and ".join(f"US{n}" for n in needs)
                lines.append("- " + _WORDINGS[self.wording].format(k=number, deps=deps))
        return "\n".join(lines) + "\n"

    def expected(self) -> nx.DiGraph:
        """The graph the template and the stated needs give, before any reduction."""
        graph: nx.DiGraph = nx.DiGraph()
        ids = {label: f"phase_{label}" for label, _, _ in self.phases()}
        gate = "phase_2" if self.foundation else "phase_1"
        graph.add_node("phase_1")
        if self.foundation:
            graph.add_edge("phase_1", "phase_2")
        stories = [ids[str(n + 2)] for n in range(1, len(self.stories) + 1)]
        for story, needs in zip(stories, self.needs, strict=True):
            graph.add_edge(gate, story)
            for need in needs:
                graph.add_edge(stories[need - 1], story)
        polish = ids[str(len(self.stories) + 3)]
        for story in stories:
            graph.add_edge(story, polish)
        return graph


@st.composite
def task_lists(draw: st.DrawFn) -> _List:
    tasks = st.lists(st.booleans(), min_size=1, max_size=4).map(tuple)
    count = draw(st.integers(min_value=1, max_value=5))
    needs = tuple(
        tuple(sorted(draw(st.sets(st.integers(1, number - 1), max_size=2)))) if number > 1 else ()
        for number in range(1, count + 1)
    )
    return _List(
        setup=draw(tasks),
        foundation=draw(st.one_of(st.just(()), tasks)),
        stories=tuple(draw(tasks) for _ in range(count)),
        needs=needs,
        polish=draw(tasks),
        wording=draw(st.integers(0, len(_WORDINGS) - 1)),
    )


def _closure(graph: nx.DiGraph) -> set[tuple[str, str]]:
    return set(nx.transitive_closure_dag(graph).edges)


def _plan_graph(plan: Plan) -> nx.DiGraph:
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(phase.id for phase in plan.phases)
    graph.add_edges_from((dep, phase.id) for phase in plan.phases for dep in phase.depends_on)
    return graph


@settings(max_examples=60, deadline=None)
@given(listed=task_lists())
def test_a_random_task_list_reads_as_the_template_and_its_statements_say(listed: _List) -> None:
    plan = parse_plan(listed.markdown())
    assert plan.source is PlanSource.TASK_LIST
    assert analyse(plan).valid
    graph = _plan_graph(plan)
    assert _closure(graph) == _closure(listed.expected())
    # No edge is implied by the others.
    assert set(graph.edges) == set(nx.transitive_reduction(graph).edges)


@settings(max_examples=60, deadline=None)
@given(listed=task_lists())
def test_splitting_parallel_tasks_keeps_every_task_once_and_every_ordering(
    listed: _List,
) -> None:
    whole = parse_plan(listed.markdown())
    split = parse_plan(listed.markdown(), split_parallel_tasks=True)
    assert analyse(split).valid
    # Each task names one file of its own: the files show where each task went.
    assert sorted(p for phase in split.phases for p in phase.touches) == sorted(
        p for phase in whole.phases for p in phase.touches
    )
    phase_of = {unit.id: f"phase_{unit.label}" for unit in split.phases}
    closure = _closure(_plan_graph(split))
    whole_closure = _closure(_plan_graph(whole))
    for a, b in closure:
        if phase_of[a] != phase_of[b]:
            assert (phase_of[a], phase_of[b]) in whole_closure
    for a, b in whole_closure:
        for unit_a in (u for u in phase_of if phase_of[u] == a):
            for unit_b in (u for u in phase_of if phase_of[u] == b):
                assert (unit_a, unit_b) in closure
    for unit in split.phases:
        if unit.id != phase_of[unit.id]:  # a [P] task on its own
            assert unit.title.startswith("T") and len(unit.touches) == 1


@settings(max_examples=40, deadline=None)
@given(listed=task_lists(), split=st.booleans())
def test_the_json_block_of_a_task_list_reads_back_the_same(listed: _List, split: bool) -> None:
    plan = parse_plan(listed.markdown(), split_parallel_tasks=split)
    for text in (to_json_block(plan), to_json_block(plan) + "\n" + listed.markdown()):
        again = parse_plan(text)
        assert again.source is PlanSource.JSON_BLOCK
        assert [(p.id, p.title, p.depends_on, p.touches) for p in again.phases] == [
            (p.id, p.title, p.depends_on, p.touches) for p in plan.phases
        ]


@settings(max_examples=40, deadline=None)
@given(graph=dags(), writer=st.sampled_from(sorted(WRITERS)))
def test_no_codev_plan_is_read_as_a_task_list(graph: dict[str, list[str]], writer: str) -> None:
    assert read_task_list(scan(WRITERS[writer](graph))) is None


TASK_FRAGMENTS = [
    "## Phase 1: Setup\n",
    "## Phase 2: Foundational (Blocking Prerequisites)\n",
    "## Phase 3: User Story 1 - A (Priority: P1)\n",
    "### Phase 4: User Story 2 - B\n",
    "## Phase 4.5: More\n",
    "## Phase N: Polish & Cross-Cutting Concerns\n",
    "- [ ] T001 Create src/a.py\n",
    "- [ ] T002 [P] [US1] Add src/b/\n",
    "- [x] T003 [P] Edit `README.md` (depends on T002, T009)\n",
    "- [ ] T-S1-P01-001 [US2] after T001\n",
    "  - also docs/c.md\n",
    "- [ ] unnumbered item\n",
    "## Dependencies & Execution Order\n",
    "- **User Story 2 (P2)**: Can start after Foundational (Phase 2) - Depends on US1\n",
    "- **US1**: Requires User Story 2 complete\n",
    "- **Polish (Final Phase)**: Depends on all desired user stories\n",
    "**Dependencies**: US2, Phase 9\n",
    '```json\n{"phases": [{"id": "phase_1"}]}\n```\n',
    "```\n",
    "---\n",
    "\n",
]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.one_of(st.sampled_from(TASK_FRAGMENTS), st.text(max_size=20)), max_size=40),
    split=st.booleans(),
)
def test_parsing_a_task_list_never_raises(pieces: list[str], split: bool) -> None:
    text = "".join(pieces)
    plan = parse_plan(text, split_parallel_tasks=split)
    analysis = analyse(plan)
    if plan.source is PlanSource.TASK_LIST and not plan.errors:
        # Stated dependencies never close a cycle: they are dropped instead.
        assert not any("cycle" in error.message for error in analysis.errors)
    for item in (*plan.errors, *plan.warnings, *analysis.errors):
        assert 0 <= item.line <= text.count("\n") + text.count("\r") + 1
    if analysis.valid:
        again = parse_plan(to_json_block(plan))
        assert [(p.id, p.title, p.depends_on, p.touches) for p in again.phases] == [
            (p.id, p.title, p.depends_on, p.touches) for p in plan.phases
        ]
