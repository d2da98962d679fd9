"""Reading a spec-kit task list: when a document is one, its phases, tasks and paths."""

from __future__ import annotations

import pytest

from bot.plan.markdown import scan
from bot.plan.tasklist import PhaseKind, TaskList, read_task_list, task_references
from bot.plan.taskpaths import task_paths


def _read(text: str) -> TaskList:
    found = read_task_list(scan(text))
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("text", "is_task_list"),
    [
        ("## Phase 1: Setup\n\n- [ ] T001 Create src/\n", True),
        ("## Phase 1: Setup\n\n- [x] T001 Create src/\n", True),
        ("### Phase 1: Setup\n\n* [X] T001 [P] Create src/\n", True),
        ("## Phase 1: Setup\n\n- [ ] T-S018-P01-001 Create src/\n", True),
        # An empty Foundational phase does not stop a list being one.
        ("## Phase 1: A\n- [ ] T001 a\n## Phase 2: B\n\nNothing to do.\n", True),
        # Codev plans: phase headers without task lines.
        (
            "### Phase 1: Data layer\n\n**Dependencies**: None\n\n- [ ] Create app/models.py\n",
            False,
        ),
        # Task lines need the checkbox and an id of three or more digits.
        ("## Phase 1: Setup\n\n- T001 Create src/\n", False),
        ("## Phase 1: Setup\n\n- [ ] T01 Create src/\n", False),
        ("## Phase 1: Setup\n\n- [ ] T001: the test case for src/\n", True),
        # Task lines outside any phase, or only in a code block.
        ("# Tasks\n\n- [ ] T001 Create src/\n", False),
        ("## Phase 1: Setup\n\n```\n- [ ] T001 Create src/\n```\n", False),
        # A stray checklist of test ids in one phase of many is not a task list.
        (
            "### Phase 1: A\n- [ ] T100 covers a\n### Phase 2: B\nb\n### Phase 3: C\nc\n",
            False,
        ),
        # `#### Phase 1` is too deep to be a phase.
        ("#### Phase 1: Setup\n\n- [ ] T001 Create src/\n", False),
    ],
)
def test_detection(text: str, is_task_list: bool) -> None:
    assert (read_task_list(scan(text)) is not None) is is_task_list


@pytest.mark.parametrize(
    ("title", "kind", "story", "priority"),
    [
        ("Setup (Shared Infrastructure)", PhaseKind.SETUP, None, None),
        ("Foundational (Blocking Prerequisites)", PhaseKind.FOUNDATION, None, None),
        ("User Story 1 - Sign up (Priority: P1) 🎯 MVP", PhaseKind.STORY, 1, 1),
        ("User Story 12 — Export (Priority: P3)", PhaseKind.STORY, 12, 3),
        ("US4 Conflict report", PhaseKind.STORY, 4, None),
        ("Polish & Cross-Cutting Concerns", PhaseKind.POLISH, None, None),
        ("Integration", PhaseKind.OTHER, None, None),
    ],
)
def test_phase_kinds(title: str, kind: PhaseKind, story: int | None, priority: int | None) -> None:
    phase = _read(f"## Phase 3: {title}\n\n- [ ] T001 Do it\n").phases[0]
    assert (phase.kind, phase.story, phase.priority) == (kind, story, priority)


def test_a_story_known_by_its_tasks_labels() -> None:
    text = "## Phase 3: Shared inbox (Priority: P1)\n\n- [ ] T001 [US2] a\n- [ ] T002 [US2] b\n"
    phase = _read(text).phases[0]
    assert (phase.kind, phase.story, phase.priority) == (PhaseKind.STORY, 2, 1)
    # Polish with a story-tagged task stays Polish.
    polish = _read("## Phase 7: Polish\n\n- [ ] T001 [US2] a\n").phases[0]
    assert polish.kind is PhaseKind.POLISH


def test_labels_sub_phases_and_sections() -> None:
    text = (
        "# Tasks\n\n## Phase 1: Setup\n\n- [ ] T001 a\n\n## Phase 2.5: Late setup\n\n"
        "- [ ] T002 b\n\n### Phase N: Polish\n\n- [ ] T003 c\n\n## Dependencies\n\nnone\n"
    )
    phases = _read(text).phases
    assert [(p.label, p.id, p.title) for p in phases] == [
        ("1", "phase_1", "Setup"),
        ("2.5", "phase_2_5", "Late setup"),  # no Phase 2 to belong to
        ("N", "phase_n", "Polish"),
    ]
    assert phases[2].ranges == ((10, 14),)  # up to "## Dependencies"
    merged = _read(text.replace("Phase 2.5", "Phase 1.5")).phases
    assert [p.label for p in merged] == ["1", "N"]
    assert [t.id for t in merged[0].tasks] == ["T001", "T002"]


def test_a_task_line() -> None:
    text = (
        "## Phase 3: User Story 1 - Albums\n\n"
        "- [ ] T014 [P] [US1] Implement AlbumService in `src/services/album.py` "
        "(depends on T012, T013)\n"
        "  - also update src/services/__init__.py\n"
        "- [x] T015 [US1] Add the endpoint\n"
    )
    first, second = _read(text).phases[0].tasks
    assert (first.id, first.parallel, first.story) == ("T014", True, 1)
    assert first.text == "Implement AlbumService in `src/services/album.py` (depends on T012, T013)"
    assert first.paths == ("src/services/album.py", "src/services/__init__.py")
    assert first.references == ("T012", "T013")
    assert (first.index, first.end) == (2, 4)
    assert (second.id, second.parallel, second.story, second.references) == ("T015", False, 1, ())


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("Create User model in src/models/user.py", ("src/models/user.py",)),
        ("Documentation updates in docs/", ("docs/",)),
        (
            "Add the service in backend/src/services (one file per entity)",
            ("backend/src/services",),
        ),
        ("Update `README.md` and package.json.", ("README.md", "package.json")),
        ("Configure go.mod, then .golangci.yml", ("go.mod", ".golangci.yml")),
        (
            "Contract test for POST /api/users in tests/contract/test_users.py",
            ("tests/contract/test_users.py",),
        ),
        # Prose that looks like paths but is not.
        ("Set up the Node.js and Vue.js toolchains, e.g. with npm", ()),
        ("Handle read/write errors and CI/CD and/or TCP/IP", ()),
        ("Run the quickstart validation", ()),
        ("Edit src/a.py, src/a.py again", ("src/a.py",)),
    ],
)
def test_task_paths(text: str, paths: tuple[str, ...]) -> None:
    assert task_paths(text) == paths


@pytest.mark.parametrize(
    ("text", "references"),
    [
        ("Implement the service (depends on T012, T013)", ("T012", "T013")),
        ("Add the dialog (after T016)", ("T016",)),
        ("Wire it; requires T004 and T005.", ("T004", "T005")),
        ("Blocked by T-S018-P02-001", ("T-S018-P02-001",)),
        ("Does not depend on T012", ()),
        ("Mirrors T012 (depends on T013)", ("T013",)),
        ("Depends on T012) and also T013", ("T012",)),
    ],
)
def test_task_references(text: str, references: tuple[str, ...]) -> None:
    assert task_references(text) == references
