"""Property tests: random DAGs survive every plan format; schedules respect every edge."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.graph import analyse
from bot.plan.parse import parse_plan
from tests.plan.plan_writers import WRITERS, json_plan, phase_id

FRAGMENTS = [
    "### Phase 1: A\n",
    "## Phase 2a — B\n",
    "**Dependencies**: ",
    "Phases 1–3",
    "None (x)",
    "All previous phases",
    "```json\n",
    '{"phases": [{"id": "phase_1", "depends_on": ["phase_2"]}]}',
    "```\n",
    "| Phase | Depends on |\n|---|---|\n",
    "| Phase 1 | Phase 2 |\n",
    "- `src/a.py`\n",
    "**Files**: ",
    "Phase 1 → Phase 2\n",
    "Phases 1 and 2 can run in parallel. ",
    "(",
    ")",
    "\n",
]


@st.composite
def dags(draw: st.DrawFn) -> dict[str, list[str]]:
    """label -> labels it depends on, in document order; edges may point forwards."""
    size = draw(st.integers(min_value=1, max_value=12))
    suffixes = draw(st.lists(st.sampled_from(["", "", "a", "b"]), min_size=size, max_size=size))
    labels = list(dict.fromkeys(f"{n + 1}{suffix}" for n, suffix in enumerate(suffixes)))
    order = draw(st.permutations(labels))
    deps: dict[str, list[str]] = {}
    for position, label in enumerate(order):
        chosen = (
            draw(st.lists(st.sampled_from(order[:position]), unique=True, max_size=4))
            if position
            else []
        )
        deps[label] = sorted(chosen, key=labels.index)
    return {label: deps[label] for label in labels}


@settings(max_examples=60, deadline=None)
@given(graph=dags(), writer=st.sampled_from(sorted(WRITERS)))
def test_a_random_dag_reads_back_the_same_in_every_format(
    graph: dict[str, list[str]], writer: str
) -> None:
    plan = parse_plan(WRITERS[writer](graph))
    assert plan.errors == ()
    expected = {phase_id(label): [phase_id(d) for d in deps] for label, deps in graph.items()}
    assert {p.id: list(p.depends_on) for p in plan.phases} == expected
    assert [p.id for p in plan.phases] == list(expected)


@settings(max_examples=80, deadline=None)
@given(graph=dags(), data=st.data())
def test_the_schedule_respects_every_edge(graph: dict[str, list[str]], data: st.DataObject) -> None:
    minutes = {label: data.draw(st.integers(0, 120)) for label in graph}
    plan = parse_plan(json_plan(graph, estimates=minutes))
    analysis = analyse(plan)
    assert analysis.valid
    wave_of = {pid: n for n, wave in enumerate(analysis.waves) for pid in wave}
    assert sorted(wave_of) == sorted(p.id for p in plan.phases)
    assert sum(len(wave) for wave in analysis.waves) == len(plan.phases)
    for phase in plan.phases:
        for dep in phase.depends_on:
            assert wave_of[dep] < wave_of[phase.id]
    weight = {phase_id(label): value for label, value in minutes.items()}
    path = analysis.critical_path
    assert all(path[i] in plan.phase(path[i + 1]).depends_on for i in range(len(path) - 1))
    assert analysis.parallel_minutes == sum(weight[pid] for pid in path)
    assert analysis.parallel_minutes <= analysis.serial_minutes == sum(minutes.values())
    graph_nx = nx.DiGraph((d, p.id) for p in plan.phases for d in p.depends_on)
    graph_nx.add_nodes_from(weight)
    longest = (
        max(
            sum(weight[n] for n in chain)
            for source in graph_nx
            for target in graph_nx
            for chain in nx.all_simple_paths(graph_nx, source, target)
        )
        if graph_nx.number_of_edges()
        else max(weight.values())
    )
    assert analysis.parallel_minutes == max(longest, max(weight.values()))
    assert analysis.widest_wave == max(len(wave) for wave in analysis.waves)


@settings(max_examples=60, deadline=None)
@given(graph=dags(), data=st.data())
def test_conflicts_are_only_between_phases_that_can_run_together(
    graph: dict[str, list[str]], data: st.DataObject
) -> None:
    paths = st.sampled_from(["a.py", "b/c.py", "b/*.py", "b/", "d/**", "d/e/f.md"])
    touches = {label: data.draw(st.lists(paths, max_size=3, unique=True)) for label in graph}
    plan = parse_plan(json_plan(graph, touches=touches))
    analysis = analyse(plan)
    edges = nx.DiGraph((d, p.id) for p in plan.phases for d in p.depends_on)
    edges.add_nodes_from(p.id for p in plan.phases)
    found = {c.phases for c in analysis.predicted_conflicts}
    for a, b in found:
        assert not nx.has_path(edges, a, b) and not nx.has_path(edges, b, a)
    for first in plan.phases:
        for second in plan.phases:
            same = set(first.touches) & set(second.touches)
            concurrent = not nx.has_path(edges, first.id, second.id) and not nx.has_path(
                edges, second.id, first.id
            )
            if first.id < second.id and same and concurrent:
                assert (
                    tuple(sorted((first.id, second.id), key=[p.id for p in plan.phases].index))
                    in found
                )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40))
def test_parse_never_raises(pieces: list[str]) -> None:
    text = "".join(pieces)
    plan = parse_plan(text)
    analysis = analyse(plan)
    assert isinstance(analysis.valid, bool)
    for item in (*plan.errors, *plan.warnings, *analysis.errors):
        assert 0 <= item.line <= text.count("\n") + text.count("\r") + 1
