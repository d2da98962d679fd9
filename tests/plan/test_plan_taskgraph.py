"""spec-kit task lists as phase graphs: the fixtures' hand-checked graphs, with and without
`split_parallel_tasks`, and the rules one at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.plan.graph import analyse
from bot.plan.model import DependencySource, Plan, PlanSource
from bot.plan.parse import parse_plan

SPECKIT = Path(__file__).resolve().parent / "speckit"


def _plan(name: str, split: bool = False) -> Plan:
    return parse_plan((SPECKIT / name).read_text(), split_parallel_tasks=split)


def _graph(plan: Plan) -> dict[str, list[str]]:
    return {phase.id: list(phase.depends_on) for phase in plan.phases}


# Read by hand from each task list: its phases and what each waits for.
EXPECTED: dict[str, dict[str, list[str]]] = {
    # The template's layout. "(after T016)" makes Story 2 wait for Story 1; the Dependencies
    # section says Story 3 "Depends on US1"; Polish waits for the stories nothing else
    # waits for.
    "photo-albums.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_2"],
        "phase_4": ["phase_3"],
        "phase_5": ["phase_3"],
        "phase_6": ["phase_4", "phase_5"],
    },
    # An empty Foundational phase is left out; the stories are independent ("May integrate
    # with US1" is no dependency); `Phase N` is the Polish phase.
    "recipe-planner.md": {
        "phase_1": [],
        "phase_3": ["phase_1"],
        "phase_4": ["phase_1"],
        "phase_5": ["phase_1"],
        "phase_n": ["phase_3", "phase_4", "phase_5"],
    },
    # "Requires User Story 1 complete" in a phase, "Can start after US1 complete",
    # "Depends on US1 models", "Can proceed after P1 stories" (Stories 1 and 3); Phase 4.5
    # belongs to Phase 4; an Integration phase after the stories waits for all of them;
    # `### Phase 8` at the wrong level; T005's reference to Polish would close a cycle.
    "folder-sync.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_2"],
        "phase_4": ["phase_3"],
        "phase_5": ["phase_3"],
        "phase_6": ["phase_5"],
        "phase_7": ["phase_4", "phase_6"],
        "phase_8": ["phase_7"],
    },
    # `###` phase headers, custom task ids, a story known by its tasks' [US1] labels,
    # "Builds on US1", "Independent of US1 and US2", a phase after the Dependencies section.
    "team-inbox.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_2"],
        "phase_4": ["phase_3"],
        "phase_5": ["phase_2"],
        "phase_6": ["phase_4", "phase_5"],
        "phase_7": ["phase_6"],
    },
}

# The same with split_parallel_tasks: a phase with two or more [P] tasks runs each as a phase
# of its own, waiting for what the phase waited for; the rest of the phase waits for them.
EXPECTED_SPLIT: dict[str, dict[str, list[str]]] = {
    "photo-albums.md": {
        "phase_1_t003": [],
        "phase_1_t004": [],
        "phase_1": ["phase_1_t003", "phase_1_t004"],
        "phase_2_t006": ["phase_1"],
        "phase_2_t007": ["phase_1"],
        "phase_2": ["phase_2_t006", "phase_2_t007"],
        "phase_3_t010": ["phase_2"],
        "phase_3_t011": ["phase_2"],
        "phase_3_t012": ["phase_2"],
        "phase_3_t013": ["phase_2"],
        "phase_3": ["phase_3_t010", "phase_3_t011", "phase_3_t012", "phase_3_t013"],
        # T022's reference to T016 is the rest of Phase 4's, not its [P] tasks'.
        "phase_4_t018": ["phase_2"],
        "phase_4_t019": ["phase_2"],
        "phase_4": ["phase_3", "phase_4_t018", "phase_4_t019"],
        "phase_5": ["phase_3"],  # one [P] task: nothing to run beside it
        "phase_6_t027": ["phase_4", "phase_5"],
        "phase_6_t028": ["phase_4", "phase_5"],
        "phase_6": ["phase_6_t027", "phase_6_t028"],
    },
    "recipe-planner.md": {
        "phase_1_t002": [],
        "phase_1_t003": [],
        "phase_1": ["phase_1_t002", "phase_1_t003"],
        "phase_3_t004": ["phase_1"],
        "phase_3_t005": ["phase_1"],
        "phase_3": ["phase_3_t004", "phase_3_t005"],
        "phase_4_t008": ["phase_1"],
        "phase_4_t009": ["phase_1"],
        "phase_4": ["phase_4_t008", "phase_4_t009"],
        "phase_5": ["phase_1"],
        "phase_n_t013": ["phase_3", "phase_4", "phase_5"],
        "phase_n_t014": ["phase_3", "phase_4", "phase_5"],
        "phase_n": ["phase_n_t013", "phase_n_t014"],
    },
    "folder-sync.md": {
        "phase_1_t002": [],
        "phase_1_t003": [],
        "phase_1": ["phase_1_t002", "phase_1_t003"],
        "phase_2": ["phase_1"],
        "phase_3_t007": ["phase_2"],
        "phase_3_t008": ["phase_2"],
        "phase_3": ["phase_3_t007", "phase_3_t008"],
        "phase_4": ["phase_3"],
        "phase_5": ["phase_3"],
        "phase_6_t017": ["phase_5"],
        "phase_6_t018": ["phase_5"],
        "phase_6": ["phase_6_t017", "phase_6_t018"],
        "phase_7": ["phase_4", "phase_6"],
        "phase_8_t021": ["phase_7"],
        "phase_8_t022": ["phase_7"],
        "phase_8": ["phase_8_t021", "phase_8_t022"],
    },
    "team-inbox.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3_t_s018_p03_001": ["phase_2"],
        "phase_3_t_s018_p03_002": ["phase_2"],
        "phase_3": ["phase_3_t_s018_p03_001", "phase_3_t_s018_p03_002"],
        "phase_4": ["phase_3"],
        "phase_5": ["phase_2"],
        "phase_6": ["phase_4", "phase_5"],
        "phase_7": ["phase_6"],
    },
}


def test_every_fixture_is_checked() -> None:
    assert (
        sorted(p.name for p in SPECKIT.glob("*.md")) == sorted(EXPECTED) == sorted(EXPECTED_SPLIT)
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_checked_graph(name: str) -> None:
    plan = _plan(name)
    assert plan.source is PlanSource.TASK_LIST
    assert _graph(plan) == EXPECTED[name]
    assert [p.id for p in plan.phases] == list(EXPECTED[name])
    assert analyse(plan).valid


@pytest.mark.parametrize("name", sorted(EXPECTED_SPLIT))
def test_hand_checked_graph_with_parallel_tasks_split(name: str) -> None:
    plan = _plan(name, split=True)
    assert _graph(plan) == EXPECTED_SPLIT[name]
    assert [p.id for p in plan.phases] == list(EXPECTED_SPLIT[name])
    assert analyse(plan).valid


def test_waves_of_a_fixture() -> None:
    analysis = analyse(_plan("recipe-planner.md"))
    assert analysis.waves == (("phase_1",), ("phase_3", "phase_4", "phase_5"), ("phase_n",))
    # Stories 1 and 3 both say they change week_plan.py.
    assert [(c.phases, c.paths) for c in analysis.predicted_conflicts] == [
        (("phase_3", "phase_5"), ("src/planner/models/week_plan.py",))
    ]


def test_touches_come_from_the_task_lines() -> None:
    plan = _plan("photo-albums.md")
    assert plan.phase("phase_1").touches == (
        "backend/",
        "frontend/",
        "backend/pyproject.toml",
        "backend/ruff.toml",
        "frontend/.eslintrc.json",
    )
    # "POST /albums/{id}/share" is a route, not a file.
    assert plan.phase("phase_4").touches[:2] == (
        "backend/src/models/share_link.py",
        "backend/tests/contract/test_share.py",
    )
    split = _plan("photo-albums.md", split=True)
    assert split.phase("phase_3_t012").touches == ("backend/src/models/album.py",)
    assert "backend/src/models/album.py" not in split.phase("phase_3").touches


def test_sources_titles_labels_and_lines() -> None:
    plan = _plan("folder-sync.md")
    phase_4 = plan.phase("phase_4")
    assert (phase_4.label, phase_4.title, phase_4.line) == (
        "4",
        "User Story 2 - Watch mode (Priority: P2)",
        48,
    )
    assert phase_4.depends_source is DependencySource.TASK_LIST_STATED
    assert phase_4.depends_line == 52  # "**Dependencies**: Requires User Story 1 complete"
    assert plan.phase("phase_3").depends_source is DependencySource.TASK_LIST_TEMPLATE
    split = _plan("folder-sync.md", split=True)
    task = split.phase("phase_3_t007")
    assert (task.label, task.title, task.line) == (
        "3",
        "T007 Walk the source tree in internal/scan/walk.go",
        41,
    )


def test_warnings_of_a_fixture() -> None:
    warnings = [(w.line, w.message) for w in _plan("folder-sync.md").warnings]
    assert warnings == [
        (
            28,
            "T005 depends on T022, but phase_8 already waits for phase_2: that would make a "
            "cycle; ignored",
        ),
        (69, "T016 names T099, which is not a task of this list; ignored"),
        (
            91,
            "phase_8 (Polish & Cross-Cutting Concerns) also waits for phase_7, which is not a "
            "user story: the template only says Polish follows the stories; read as every "
            "earlier phase",
        ),
    ]
    empty = _plan("recipe-planner.md").warnings
    assert [(w.line, w.message) for w in empty] == [
        (
            29,
            "phase_2 holds no tasks: it is left out, and what waits for it waits for what it "
            "waited for",
        )
    ]


def test_sections_keep_the_tasks_as_written() -> None:
    plan = _plan("photo-albums.md")
    section = plan.phase("phase_3").section
    assert section.startswith("## Phase 3: User Story 1 - Create an album (Priority: P1) 🎯 MVP")
    assert "- [ ] T012 [P] [US1] Create the Album model in backend/src/models/album.py" in section
    assert section.endswith("testable independently")  # the closing `---` is left out
    sub = _plan("folder-sync.md").phase("phase_4").section
    assert "## Phase 4.5: Watch mode on macOS" in sub
    assert "T014 [US2] Use FSEvents" in sub


def test_a_split_task_gets_its_phase_goal_subsection_and_line() -> None:
    split = _plan("photo-albums.md", split=True)
    assert split.phase("phase_3_t010").section == "\n".join(
        [
            "## Phase 3: User Story 1 - Create an album (Priority: P1) 🎯 MVP",
            "",
            "**Goal**: A signed-in user creates an album and uploads photos to it",
            "",
            "**Independent Test**: Create an album, upload two photos, see both in the album view",
            "",
            "### Tests for User Story 1",
            "",
            "- [ ] T010 [P] [US1] Contract test for POST /albums in "
            "backend/tests/contract/test_albums_post.py",
        ]
    )
    rest = split.phase("phase_3").section
    assert "- [ ] T010" not in rest and "- [ ] T012" not in rest
    assert "- [ ] T014 [US1] Implement AlbumService" in rest


LIST = """# Tasks: Example

## Phase 1: Setup

- [ ] T001 Create the project in src/

## Phase 2: Foundational

- [ ] T002 Add the database layer in src/db.py

## Phase 3: User Story 1 - First (Priority: P1)

- [ ] T003 [P] [US1] Add module a in src/a.py
- [ ] T004 [P] [US1] Add module b in src/b.py
- [ ] T005 [US1] Wire them in src/app.py

## Phase 4: User Story 2 - Second (Priority: P2)

- [ ] T006 [US2] Add module c in src/c.py

## Phase 5: User Story 3 - Third (Priority: P3)

- [ ] T007 [US3] Add module d in src/d.py

## Phase 6: Polish & Cross-Cutting Concerns

- [ ] T008 Update docs/
"""

BASE = {
    "phase_1": [],
    "phase_2": ["phase_1"],
    "phase_3": ["phase_2"],
    "phase_4": ["phase_2"],
    "phase_5": ["phase_2"],
    "phase_6": ["phase_3", "phase_4", "phase_5"],
}


def _with(base: dict[str, list[str]], **changes: list[str]) -> dict[str, list[str]]:
    return {**base, **changes}


Edit = Callable[[str], str]


def _dependencies(*items: str, header: str = "## Dependencies") -> Edit:
    """Append a section of list items, by default the Dependencies section."""
    return lambda text: text + f"\n{header}\n\n" + "".join(f"- {item}\n" for item in items)


def _replace(old: str, new: str) -> Edit:
    return lambda text: text.replace(old, new)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # The template alone.
        (_dependencies(), BASE),
        # Stated dependencies, worded the ways task lists word them.
        (
            _dependencies("**User Story 3 (P3)**: Depends on US1"),
            _with(BASE, phase_5=["phase_3"], phase_6=["phase_4", "phase_5"]),
        ),
        (
            _dependencies("User Story 3 depends on US1 and US2"),
            _with(BASE, phase_5=["phase_3", "phase_4"], phase_6=["phase_5"]),
        ),
        (
            _dependencies("**US2**: Can start after US1 complete"),
            _with(BASE, phase_4=["phase_3"], phase_6=["phase_4", "phase_5"]),
        ),
        (
            _dependencies("**User Story 2**: Requires User Story 1 complete"),
            _with(BASE, phase_4=["phase_3"], phase_6=["phase_4", "phase_5"]),
        ),
        (
            _dependencies("**User Story 3 (P3)**: Builds on US2"),
            _with(BASE, phase_5=["phase_4"], phase_6=["phase_3", "phase_5"]),
        ),
        (
            _dependencies("**User Story 3 (P3)**: can proceed after P1 stories"),
            _with(BASE, phase_5=["phase_3"], phase_6=["phase_4", "phase_5"]),
        ),
        (
            _dependencies(
                "**User Story 3 (P3)**: Can start after Foundational (Phase 2) - Depends on US1 "
                "models"
            ),
            _with(BASE, phase_5=["phase_3"], phase_6=["phase_4", "phase_5"]),
        ),
        # A story's own line inside its phase.
        (
            _replace("- [ ] T006 [US2]", "**Dependencies**: US1 (uses a.py)\n\n- [ ] T006 [US2]"),
            _with(BASE, phase_4=["phase_3"], phase_6=["phase_4", "phase_5"]),
        ),
        # A task reference across phases, and one inside its own phase (no edge).
        (
            _replace("in src/d.py", "in src/d.py (depends on T006)"),
            _with(BASE, phase_5=["phase_4"], phase_6=["phase_3", "phase_5"]),
        ),
        (_replace("Wire them in src/app.py", "Wire them (depends on T003, T004)"), BASE),
        # What is not a dependency.
        (
            _dependencies(
                "**User Story 2 (P2)**: Can start after Foundational (Phase 2) - May integrate "
                "with US1 but should be independently testable",
                "**User Story 3**: No dependencies on other stories",
                "**User Story 1**: Does not depend on US2",
                "User stories can then proceed in parallel (if staffed)",
                "Or sequentially in priority order (P1 → P2 → P3)",
            ),
            BASE,
        ),
        # "Polish depends on all desired user stories" says what the template does already.
        (
            _dependencies("**Polish (Final Phase)**: Depends on all desired user stories"),
            BASE,
        ),
        # The template's general sentence does not outweigh a story's own line.
        (
            _dependencies(
                "Once Foundational phase completes, all user stories can start in parallel",
                "**User Story 2**: Depends on US1",
            ),
            _with(BASE, phase_4=["phase_3"], phase_6=["phase_4", "phase_5"]),
        ),
        # Lines outside a Dependencies section are not read.
        (_dependencies("User Story 3 depends on US1", header="## Implementation Strategy"), BASE),
        # A phase that is no story, after the stories, waits for every phase before it;
        # a later story does not wait for it.
        (
            _replace(
                "## Phase 5: User Story 3 - Third (Priority: P3)",
                "## Phase 7: Admin\n\n- [ ] T100 Add the admin page in src/admin.py\n\n"
                "## Phase 5: User Story 3 - Third (Priority: P3)",
            ),
            {
                "phase_1": [],
                "phase_2": ["phase_1"],
                "phase_3": ["phase_2"],
                "phase_4": ["phase_2"],
                "phase_7": ["phase_3", "phase_4"],
                "phase_5": ["phase_2"],
                "phase_6": ["phase_7", "phase_5"],  # in document order
            },
        ),
        # A phase that is no story, before the first story, is one more gate.
        (
            _replace(
                "## Phase 3: User Story 1",
                "## Phase 9: Data migration\n\n- [ ] T100 Migrate in src/migrate.py\n\n"
                "## Phase 3: User Story 1",
            ),
            {
                "phase_1": [],
                "phase_2": ["phase_1"],
                "phase_9": ["phase_2"],
                "phase_3": ["phase_9"],
                "phase_4": ["phase_9"],
                "phase_5": ["phase_9"],
                "phase_6": ["phase_3", "phase_4", "phase_5"],
            },
        ),
        # A list without stories runs its phases in order.
        (lambda text: text.split("## Phase 3")[0], {"phase_1": [], "phase_2": ["phase_1"]}),
    ],
)
def test_rules(edit: Edit, expected: dict[str, list[str]]) -> None:
    plan = parse_plan(edit(LIST))
    assert plan.source is PlanSource.TASK_LIST
    assert _graph(plan) == expected
    assert analyse(plan).valid


@pytest.mark.parametrize(
    ("edit", "fragment", "line"),
    [
        (
            _replace("Add the database layer in src/db.py", "Add it (after T007)"),
            "T002 depends on T007, but phase_5 already waits for phase_2: that would make a "
            "cycle; ignored",
            9,
        ),
        (
            _dependencies("**Foundational (Phase 2)**: Depends on US1"),
            "the task list says phase_2 waits for phase_3, which already waits for it",
            31,
        ),
        (
            _dependencies("**User Story 2**: Depends on US7"),
            "the task list names User Story 7, which no phase holds; ignored",
            31,
        ),
        (
            _dependencies("**User Story 2**: Can start after Phase 12"),
            "the task list names Phase 12, which it does not have; ignored",
            31,
        ),
        (
            _replace("T008 Update docs/", "T008 Update docs/ (after T404)"),
            "T008 names T404, which is not a task of this list; ignored",
            27,
        ),
        (
            _replace("T007 [US3]", "T006 [US3]"),
            "task T006 appears 2 times (lines 19, 23); references go to the first",
            23,
        ),
    ],
)
def test_warnings(edit: Edit, fragment: str, line: int) -> None:
    plan = parse_plan(edit(LIST))
    assert any(w.line == line and fragment in w.message for w in plan.warnings), plan.warnings
    assert analyse(plan).valid


def test_a_forward_reference_that_closes_no_cycle_is_kept() -> None:
    text = LIST.replace("in src/c.py", "in src/c.py (depends on T007)")
    plan = parse_plan(text)
    assert plan.phase("phase_4").depends_on == ("phase_5",)
    assert plan.warnings == ()


def test_a_split_task_naming_its_own_phase_would_close_a_cycle() -> None:
    text = LIST.replace("in src/b.py", "in src/b.py (after T005)")
    plan = parse_plan(text, split_parallel_tasks=True)
    assert plan.phase("phase_3_t004").depends_on == ("phase_2",)
    assert [w.message for w in plan.warnings] == [
        "T004 depends on T005, but phase_3 already waits for phase_3_t004: that would make a "
        "cycle; ignored"
    ]


def test_all_parallel_tasks_leave_no_rest_and_the_next_phase_waits_for_each() -> None:
    text = LIST.replace("- [ ] T005 [US1] Wire them in src/app.py\n", "")
    plan = parse_plan(text, split_parallel_tasks=True)
    assert "phase_3" not in {p.id for p in plan.phases}
    assert plan.phase("phase_6").depends_on == (
        "phase_3_t003",
        "phase_3_t004",
        "phase_4",
        "phase_5",
    )


def test_a_task_reference_to_a_split_task_waits_for_that_task_only() -> None:
    text = LIST.replace("in src/c.py", "in src/c.py (depends on T003)")
    plan = parse_plan(text, split_parallel_tasks=True)
    assert plan.phase("phase_4").depends_on == ("phase_3_t003",)


@pytest.mark.parametrize("split", [False, True])
def test_two_phases_with_one_label_are_an_error_as_in_markdown_plans(split: bool) -> None:
    text = LIST.replace("## Phase 4: User Story 2", "## Phase 3: User Story 2")
    analysis = analyse(parse_plan(text, split_parallel_tasks=split))
    assert [e.message for e in analysis.errors] == ["duplicate phase id phase_3 (lines 11, 17)"]


def test_a_pasted_json_block_wins_and_keeps_the_task_list_sections() -> None:
    block = (
        '```json\n{"phases": [\n'
        '  {"id": "phase_1", "title": "Setup", "depends_on": []},\n'
        '  {"id": "phase_3_t003", "title": "a", "depends_on": ["phase_1"]},\n'
        '  {"id": "phase_3", "title": "Story 1", "depends_on": ["phase_3_t003"]}\n'
        "]}\n```\n\n"
    )
    plan = parse_plan(block + LIST, split_parallel_tasks=False)
    assert plan.source is PlanSource.JSON_BLOCK
    assert _graph(plan) == {
        "phase_1": [],
        "phase_3_t003": ["phase_1"],
        "phase_3": ["phase_3_t003"],
    }
    assert plan.phase("phase_3_t003").section.endswith(
        "- [ ] T003 [P] [US1] Add module a in src/a.py"
    )
    assert plan.phase("phase_3_t003").touches == ("src/a.py",)
    # Phase 3 is what the block did not take out of it: T004 stays with it.
    assert "T003" not in plan.phase("phase_3").section
    assert plan.phase("phase_3").touches == ("src/b.py", "src/app.py")


def _long_list(stories: int, later_references: int = 0, chained: bool = True) -> str:
    """A task list of many stories, each stated to need the one before, two [P] tasks each;
    the first stories' tasks may name a task of the next story."""
    lines = ["## Phase 1: Setup", "- [ ] T001 a", "## Phase 2: Foundational", "- [ ] T002 b"]
    for number in range(1, stories + 1):
        task = 2 * number + 1
        later = f" (after T{task + 2:03d})" if number <= later_references else ""
        lines += [
            f"## Phase {number + 2}: User Story {number}",
            f"- [ ] T{task:03d} [P] Write src/s{number}/a.py{later}",
            f"- [ ] T{task + 1:03d} [P] Write src/s{number}/b.py",
        ]
    lines += [f"## Phase {stories + 3}: Polish", f"- [ ] T{2 * stories + 3:03d} Tidy", ""]
    lines += ["## Dependencies", ""]
    if chained:
        lines += [f"- User Story {n} depends on US{n - 1}" for n in range(2, stories + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("split", [False, True])
def test_a_long_task_list_is_read_whole(split: bool) -> None:
    # How long it takes is for benchmarks/plan_scale.py; networkx's transitive reduction
    # took ten seconds here, the ancestor bitsets a fraction of one.
    analysis = analyse(parse_plan(_long_list(2_000), split_parallel_tasks=split))
    assert analysis.valid
    assert len(analysis.waves) == 2_000 + 3


def test_too_many_references_to_later_tasks_are_refused() -> None:
    plan = parse_plan(_long_list(300, later_references=199, chained=False))
    assert (plan.errors, plan.warnings) == ((), ())
    assert plan.phase("phase_3").depends_on == ("phase_4",)  # phase_4 waits for phase_2
    plan = parse_plan(_long_list(300, later_references=201, chained=False))
    assert [e.message for e in plan.errors] == [
        "the task list names later phases or tasks as prerequisites 201 times, more than the "
        "200 that are checked for cycles; refused"
    ]


def test_a_checklist_item_without_an_id_keeps_the_rest_of_its_phase() -> None:
    text = LIST.replace("- [ ] T005 [US1] Wire them in src/app.py", "- [ ] Wire them in src/app.py")
    plan = parse_plan(text, split_parallel_tasks=True)
    assert plan.phase("phase_3").depends_on == ("phase_3_t003", "phase_3_t004")
    assert "- [ ] Wire them in src/app.py" in plan.phase("phase_3").section
