"""Graph errors, waves, critical path, makespan, predicted conflicts and prose checks."""

from __future__ import annotations

import pytest

from benchmarks.pathological_plans import PATHOLOGICAL
from bot.plan.conflicts import overlaps
from bot.plan.graph import analyse
from bot.plan.model import Claim, ClaimKind, Diagnostic, Phase, Plan
from bot.plan.parse import parse_plan
from tests.plan.plan_writers import json_plan


def _phase(pid: str, *deps: str, line: int = 1, touches: tuple[str, ...] = (), minutes=None):
    return Phase(
        id=pid,
        label=pid[-1],
        title=pid,
        line=line,
        depends_on=deps,
        touches=touches,
        estimate_minutes=minutes,
    )


def test_the_diamond() -> None:
    analysis = analyse(parse_plan(json_plan({"1": [], "2": ["1"], "3": ["1"], "4": ["2", "3"]})))
    assert analysis.valid
    assert analysis.waves == (("phase_1",), ("phase_2", "phase_3"), ("phase_4",))
    assert analysis.critical_path == ("phase_1", "phase_2", "phase_4")
    assert (analysis.serial_minutes, analysis.parallel_minutes) == (4, 3)
    assert analysis.widest_wave == 2
    assert not analysis.estimated


def test_estimates_weigh_the_critical_path() -> None:
    graph = {"1": [], "2": ["1"], "3": ["1"], "4": ["2", "3"]}
    plan = parse_plan(json_plan(graph, estimates={"1": 10, "2": 5, "3": 30, "4": 10}))
    analysis = analyse(plan)
    assert analysis.critical_path == ("phase_1", "phase_3", "phase_4")
    assert (analysis.serial_minutes, analysis.parallel_minutes) == (55, 50)
    assert analysis.estimated


def test_missing_estimates_count_as_the_mean_of_the_given_ones() -> None:
    plan = parse_plan(json_plan({"1": [], "2": []}, estimates={"1": 20}))
    assert analyse(plan).serial_minutes == 40


def test_a_cycle_names_its_path_and_lines() -> None:
    plan = Plan(
        phases=(
            _phase("phase_1", "phase_3", line=10),
            _phase("phase_2", "phase_1", line=20),
            _phase("phase_3", "phase_2", line=30),
            _phase("phase_4", line=40),
        )
    )
    analysis = analyse(plan)
    assert not analysis.valid
    [error] = analysis.errors
    assert "cycle" in error.message
    assert "phase_1 → phase_2 → phase_3 → phase_1" in error.message
    assert "lines 10, 20, 30" in error.message
    assert analysis.waves == ()


def test_a_cycle_written_in_a_plan_points_at_the_dependencies_lines() -> None:
    text = "### Phase 1: A\n**Dependencies**: Phase 2\n### Phase 2: B\n**Dependencies**: Phase 1\n"
    [error] = analyse(parse_plan(text)).errors
    assert "lines 2, 4" in error.message


@pytest.mark.parametrize(
    ("phases", "fragment", "line"),
    [
        ((_phase("phase_1", "phase_1", line=7),), "depends on itself", 7),
        ((_phase("phase_1", "phase_9", line=3),), "unknown phase 'phase_9'", 3),
        ((_phase("phase_1", line=2), _phase("phase_1", line=5)), "duplicate phase id", 5),
        ((), "no phases found", 0),
    ],
)
def test_structural_errors(phases: tuple[Phase, ...], fragment: str, line: int) -> None:
    analysis = analyse(Plan(phases=phases))
    assert [(fragment in e.message, e.line) for e in analysis.errors] == [(True, line)]
    assert not analysis.valid


def test_duplicate_ids_name_every_line() -> None:
    analysis = analyse(Plan(phases=(_phase("phase_1", line=2), _phase("phase_1", line=5))))
    assert "lines 2, 5" in analysis.errors[0].message


def test_the_plans_own_errors_come_first_and_make_it_invalid() -> None:
    plan = Plan(phases=(_phase("phase_1"),), errors=(Diagnostic("bad JSON", 4),))
    analysis = analyse(plan)
    assert analysis.errors == (Diagnostic("bad JSON", 4),)
    assert not analysis.valid


def test_conflicts_only_between_phases_that_can_run_together() -> None:
    plan = Plan(
        phases=(
            _phase("phase_1", touches=("app/db.py",)),
            _phase("phase_2", "phase_1", touches=("app/db.py", "app/api.py")),
            _phase("phase_3", "phase_1", touches=("app/**",)),
            _phase("phase_4", "phase_2", "phase_3", touches=("app/api.py",)),
        )
    )
    conflicts = analyse(plan).predicted_conflicts
    assert [(c.phases, c.paths) for c in conflicts] == [
        (("phase_2", "phase_3"), ("app/db.py ~ app/**", "app/api.py ~ app/**"))
    ]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("src/a.py", "src/a.py", True),
        ("src/a.py", "src/b.py", False),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("src/**", "src/sub/a.py", True),
        ("src/**/*.ts", "src/x/y.ts", True),
        ("src/", "src/x.py", True),
        ("docs/*.md", "src/*.py", False),
        ("src/*.py", "src/a*", True),
        ("src/?.py", "src/ab.py", False),
        ("src", "src/a.py", True),
    ],
)
def test_path_overlap(a: str, b: str, expected: bool) -> None:
    assert overlaps(a, b) is expected
    assert overlaps(b, a) is expected


@pytest.mark.parametrize(
    ("claim", "warns"),
    [
        (Claim(ClaimKind.PARALLEL, ("phase_2", "phase_3"), 9, "2 and 3 in parallel"), False),
        (Claim(ClaimKind.PARALLEL, ("phase_1", "phase_2"), 9, "1 and 2 in parallel"), True),
        (Claim(ClaimKind.PARALLEL_WITH, ("phase_3", "phase_2"), 9, "3 with 2"), False),
        (Claim(ClaimKind.PARALLEL_WITH, ("phase_4", "phase_2"), 9, "4 with 2"), True),
        (Claim(ClaimKind.DEPENDS, ("phase_4", "phase_1"), 9, "4 needs 1"), False),
        (Claim(ClaimKind.DEPENDS, ("phase_3", "phase_2"), 9, "3 needs 2"), True),
    ],
)
def test_claims_warn_only_when_the_edges_disagree(claim: Claim, warns: bool) -> None:
    phases = (
        _phase("phase_1"),
        _phase("phase_2", "phase_1"),
        _phase("phase_3", "phase_1"),
        _phase("phase_4", "phase_2", "phase_3"),
    )
    analysis = analyse(Plan(phases=phases, claims=(claim,)))
    assert [w.line for w in analysis.warnings] == ([9] if warns else [])
    assert analysis.waves == (("phase_1",), ("phase_2", "phase_3"), ("phase_4",))


@pytest.mark.parametrize(
    ("prose", "fragment"),
    [
        ("Phases 1 and 2 can be done in parallel.", "phase_1 and phase_2 can run in parallel"),
        ("Phase 2 and Phase 3 are independent of each other.", "phase_2 and phase_3 can run"),
        ("Phase 3 can run in parallel with Phase 1 since it is small.", "phase_3 and phase_1"),
        ("Phase 1 depends on Phase 3.", "phase_1 depends on phase_3"),
        ("```\nPhase 3 ──→ Phase 1\n```", "phase_1 depends on phase_3"),
        ("```\nP3 → P2 → P1\n```", "phase_1 depends on phase_2"),
        ("```\nPhase 3 ─┬─► Phase 1\n```", "phase_1 depends on phase_3"),  # as in 0002
    ],
)
def test_prose_and_maps_that_contradict_the_serial_order_warn(prose: str, fragment: str) -> None:
    text = f"### Phase 1: A\n### Phase 2: B\n### Phase 3: C\n\n## Notes\n\n{prose}\n"
    analysis = analyse(parse_plan(text))
    assert analysis.waves == (("phase_1",), ("phase_2",), ("phase_3",))
    assert any(fragment in w.message for w in analysis.warnings), analysis.warnings


@pytest.mark.parametrize(
    "prose",
    [
        "Phase 3 depends on Phase 2.",
        "Phase 3 does not depend on Phase 1 directly.",
        "Phases 1 and 2 are not independent.",
        "Phase 3 cannot run in parallel with Phase 2.",
        "Phase 3 can't run in parallel with Phase 2.",
        "```\nPhase 1 → Phase 2 → Phase 3\n```",
        '```json\n{"note": "Phase 3 -> Phase 1"}\n```',
    ],
)
def test_prose_and_maps_that_agree_stay_quiet(prose: str) -> None:
    text = f"### Phase 1: A\n### Phase 2: B\n### Phase 3: C\n\n## Notes\n\n{prose}\n"
    assert analyse(parse_plan(text)).warnings == ()


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_input_is_read_without_a_crash(name: str) -> None:
    # How long each takes is measured by benchmarks/pathological_plans.py; the quadratic
    # versions of these took minutes.
    analysis = analyse(parse_plan(PATHOLOGICAL[name]))
    assert analysis.valid or analysis.errors


def test_a_dependencies_line_annotation_is_not_prose_about_the_phases_it_lists() -> None:
    # 0073 in the corpus: "(can be developed in parallel)" speaks for Phase 3 itself; it does
    # not say that Phases 1 and 2, which Phase 3 waits for, can run in parallel.
    text = (
        "### Phase 1: A\n**Dependencies**: None\n### Phase 2: B\n**Dependencies**: Phase 1\n"
        "### Phase 3: C\n\n**Dependencies**: Phase 1, Phase 2 (can be developed\n"
        "in parallel)\n\nPhases 1 and 2 are independent.\n"
    )
    warnings = analyse(parse_plan(text)).warnings
    assert [w.line for w in warnings] == [10], warnings


@pytest.mark.parametrize(
    "text",
    [
        "### Phase 1: A\n### Phase 1: B\n### Phase 2: C\n",
        "### Phase 1: A\n### Phase 2: B\n### Phase 1: C\n### Phase 3: D\n",
        "### Phase 1: A\n### Phase 1: B\n**Dependencies**: Phase 1\n",
    ],
)
def test_a_duplicate_id_is_one_error_not_a_cycle_or_a_self_dependency(text: str) -> None:
    # The serial order (or "Phase 1" under the second Phase 1) links the two phases that
    # share an id; with one graph node for both, that read as a cycle or a self-dependency.
    errors = analyse(parse_plan(text)).errors
    assert [e.message.split(" (")[0] for e in errors] == ["duplicate phase id phase_1"]


def test_a_plan_declaring_too_many_dependencies_is_refused_at_the_line() -> None:
    # Ranges and "All previous phases" grow with the square of the phase count; past the cap
    # the plan is refused rather than building a graph of billions of edges.
    text = "".join(
        f"### Phase {n}: A\n**Dependencies**: All previous phases\n" for n in range(1, 500)
    )
    errors = analyse(parse_plan(text)).errors
    assert [(e.line, e.message.split(" between")[0]) for e in errors] == [
        (2 * 448, "the plan declares more than 100,000 dependencies")
    ]
