"""The phase set, ids, and rules R1-R4, each on small plans written for the purpose."""

from __future__ import annotations

import textwrap

import pytest

from bot.plan.model import DependencySource as Src
from bot.plan.parse import parse_plan
from tests.plan.plan_writers import WRITERS


def _plan(text: str):
    return parse_plan(textwrap.dedent(text))


def _graph(text: str) -> dict[str, list[str]]:
    return {p.id: list(p.depends_on) for p in _plan(text).phases}


DIAMOND = {"1": [], "2": ["1"], "3": ["1"], "4": ["2", "3"]}
EXPECTED_DIAMOND = {
    "phase_1": [],
    "phase_2": ["phase_1"],
    "phase_3": ["phase_1"],
    "phase_4": ["phase_2", "phase_3"],
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_each_format_reads_the_diamond(writer: str) -> None:
    plan = parse_plan(WRITERS[writer](DIAMOND))
    assert {p.id: list(p.depends_on) for p in plan.phases} == EXPECTED_DIAMOND
    assert plan.errors == ()


@pytest.mark.parametrize(
    ("header", "label", "title"),
    [
        ("## Phase 1: Data layer", "1", "Data layer"),
        ("### Phase 2a: Helpers", "2a", "Helpers"),
        ("### Phase A — Hover", "A", "Hover"),
        ("### Phase 3 – Docs", "3", "Docs"),
        ("### Phase 4 - Tests", "4", "Tests"),
        ("### Phase 5 (Port Consolidation)", "5", "Port Consolidation"),
        ("### **Phase 6**: Bold", "6", "Bold"),
        ("### Phase 7", "7", ""),
    ],
)
def test_phase_headers(header: str, label: str, title: str) -> None:
    plan = parse_plan(f"# Plan\n\n{header}\n\nWork.\n")
    assert [(p.label, p.title, p.line) for p in plan.phases] == [(label, title, 3)]
    assert plan.phases[0].id == f"phase_{label.lower()}"


@pytest.mark.parametrize(
    "text",
    [
        "#### Phase 1: Too deep",
        "# Phase 1: Too shallow",
        "### Phase 2 Hardening (alongside PTY work)",
        "### Tests for Phase 1",
        "```\n### Phase 1: In a code block\n```",
        "Phase 1: not a header",
    ],
)
def test_not_phase_headers(text: str) -> None:
    assert parse_plan(f"# Plan\n\n{text}\n").phases == ()


def test_r1_json_depends_on_wins_over_the_dependencies_line() -> None:
    plan = _plan(
        """\
        ```json
        {"phases": [{"id": "phase_1", "title": "A", "depends_on": []},
                    {"id": "phase_2", "title": "B", "depends_on": []}]}
        ```
        ### Phase 1: A
        ### Phase 2: B
        **Dependencies**: Phase 1
        """
    )
    assert [(p.depends_on, p.depends_source) for p in plan.phases] == [
        ((), Src.JSON),
        ((), Src.JSON),
    ]


def test_r2_dependencies_line_wins_over_a_table_row() -> None:
    plan = _plan(
        """\
        ### Phase 1: A
        ### Phase 2: B
        ### Phase 3: C
        **Dependencies**: Phase 1

        | Phase | Depends on |
        |---|---|
        | Phase 3 | Phase 2 |
        """
    )
    assert plan.phase("phase_3").depends_on == ("phase_1",)
    assert plan.phase("phase_3").depends_source is Src.DEPENDENCIES_LINE
    assert plan.phase("phase_3").depends_line == 4


def test_r3_table_row() -> None:
    plan = _plan(
        """\
        ### Phase 1: A
        ### Phase 2: B
        ### Phase 5: E

        | Phase | Title | Depends on |
        |-------|-------|------------|
        | 1 | A | None |
        | **Phase 5** | E | Phases 1-4 |
        """
    )
    assert [(p.id, p.depends_on, p.depends_source) for p in plan.phases] == [
        ("phase_1", (), Src.TABLE),
        ("phase_2", ("phase_1",), Src.PREVIOUS_PHASE),
        ("phase_5", ("phase_1", "phase_2"), Src.TABLE),
    ]
    assert plan.phase("phase_5").depends_line == 8


def test_r4_nothing_declared_is_serial() -> None:
    plan = _plan("### Phase 1: A\n### Phase 2: B\n### Phase 3: C\n**Dependencies**: None\n")
    assert [(p.depends_on, p.depends_source) for p in plan.phases] == [
        ((), Src.FIRST_PHASE),
        (("phase_1",), Src.PREVIOUS_PHASE),
        ((), Src.DEPENDENCIES_LINE),
    ]


def test_a_dependencies_line_naming_no_phase_falls_through_with_a_warning() -> None:
    plan = _plan("### Phase 1: A\n### Phase 2: B\n**Dependencies**: the design decision\n")
    assert plan.phase("phase_2").depends_on == ("phase_1",)
    assert [(w.line, "names no phase" in w.message) for w in plan.warnings] == [(3, True)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("All previous phases", ["phase_1", "phase_2", "phase_2a"]),
        ("Phases 1–5", ["phase_1", "phase_2", "phase_2a"]),
        ("Phase 1-2", ["phase_1", "phase_2", "phase_2a"]),
        ("Phases 2 **and 2a**", ["phase_2", "phase_2a"]),
        ("Phase 2a (helpers)", ["phase_2a"]),
        ("None (can be done in parallel with Phase 1)", []),
        ("Phase 1 — Phase 2 would be nicer", ["phase_1"]),
        ("Phase 1; Phase 2 (harness)", ["phase_1", "phase_2"]),
        ("Phase 2\n  and Phase 2a, joined from the next line", ["phase_2", "phase_2a"]),
    ],
)
def test_r2_forms_resolve_to_ids(line: str, expected: list[str]) -> None:
    text = "### Phase 1: A\n### Phase 2: B\n### Phase 2a: C\n### Phase 3: D\n"
    plan = parse_plan(f"{text}**Dependencies**: {line}\n")
    assert list(plan.phase("phase_3").depends_on) == expected


def test_a_range_under_its_own_phase_skips_itself() -> None:
    plan = _plan("### Phase 1: A\n### Phase 2: B\n**Dependencies**: Phases 1-2\n")
    assert plan.phase("phase_2").depends_on == ("phase_1",)
    assert any("include the phase itself" in w.message for w in plan.warnings)


def test_a_range_past_the_plan_expands_over_what_exists() -> None:
    plan = _plan("### Phase 1: A\n### Phase 2: B\n### Phase 3: C\n**Dependencies**: Phases 1–7\n")
    assert plan.phase("phase_3").depends_on == ("phase_1", "phase_2")
    assert any("Phase 7 missing" in w.message for w in plan.warnings)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("Phase 1 (sequencing, not technical)", "soft ordering"),
        ("Phase 1 (ordered for readability)", "soft ordering"),
        ("Phase 1 (after #786 lands)", "outside the plan"),
        ("Phase 1 merged.", "outside the plan"),
        ("Phase 1 (once the decision is made)", "outside the plan"),
    ],
)
def test_annotations_warn_and_keep_only_declared_edges(line: str, fragment: str) -> None:
    plan = parse_plan(f"### Phase 1: A\n### Phase 2: B\n**Dependencies**: {line}\n")
    assert plan.phase("phase_2").depends_on == ("phase_1",)
    assert [w.line for w in plan.warnings if fragment in w.message] == [3]
    assert plan.errors == ()


def test_unknown_phase_in_a_dependencies_line_is_an_error_with_its_line() -> None:
    plan = _plan("### Phase 1: A\n\n### Phase 2: B\n**Dependencies**: Phase 1, Phase 9\n")
    assert plan.phase("phase_2").depends_on == ("phase_1",)
    assert [(e.line, "Phase 9" in e.message) for e in plan.errors] == [(4, True)]


def test_json_phases_match_headers_through_aliases() -> None:
    plan = _plan(
        """\
        ```json
        {"phases": [
          {"id": "setup", "title": "Phase 1a: Setup"},
          {"id": "phase_2_api", "title": "API"},
          {"id": "phase_3", "title": "UI"}
        ]}
        ```
        ### Phase 3: UI
        **Dependencies**: Phase 1a
        ### Phase 2: API
        **Dependencies**: Phase 3
        """
    )
    assert [(p.id, p.label, p.line) for p in plan.phases] == [
        ("setup", "1a", 3),
        ("phase_2_api", "2", 10),
        ("phase_3", "3", 8),
    ]
    assert plan.phase("phase_3").depends_on == ("setup",)
    assert plan.phase("phase_2_api").depends_on == ("phase_3",)


def test_json_phases_match_headers_in_order_when_counts_agree() -> None:
    plan = _plan(
        """\
        ```json
        {"phases": [{"id": "server", "title": "Server"}, {"id": "client", "title": "Client"}]}
        ```
        ### Phase 1: The server
        ### Phase 2: The client
        **Dependencies**: Phase 1
        """
    )
    assert [(p.id, p.label, p.depends_on) for p in plan.phases] == [
        ("server", "1", ()),
        ("client", "2", ("server",)),
    ]


def test_an_example_json_block_that_matches_no_header_is_skipped() -> None:
    plan = _plan(
        """\
        ### Phase 1: Protocols
        ```json
        {"name": "spir", "phases": [{"id": "specify"}]}
        ```
        ### Phase 2: Docs
        """
    )
    assert [p.id for p in plan.phases] == ["phase_1", "phase_2"]
    assert any("read as an example" in w.message for w in plan.warnings)


def test_a_broken_plan_json_block_is_an_error_at_its_line() -> None:
    plan = _plan(
        """\
        # Plan

        ```json
        {"phases": [
          {"id": "phase_1", "title": "A",}
        ]}
        ```
        """
    )
    assert len(plan.errors) == 1
    assert plan.errors[0].line == 5
    assert "does not parse" in plan.errors[0].message


@pytest.mark.parametrize(
    ("field", "kind"),
    [('"depends_on": "phase_1"', "errors"), ('"estimate_minutes": "ten"', "warnings")],
)
def test_wrongly_typed_json_fields(field: str, kind: str) -> None:
    plan = parse_plan(f'```json\n{{"phases": [{{"id": "phase_1", {field}}}]}}\n```\n')
    assert [d.line for d in getattr(plan, kind)] == [2]


def test_a_deeper_repeat_of_a_phase_header_is_more_of_that_phase() -> None:
    plan = _plan(
        """\
        ## Phase 1: Ports
        ## Phase 2: Links
        ## File Summary
        ### Phase 1 (Ports)
        - `src/ports.py`
        """
    )
    assert [p.id for p in plan.phases] == ["phase_1", "phase_2"]
    assert plan.phase("phase_1").touches == ("src/ports.py",)


def test_a_phase_header_repeated_at_the_same_level_is_a_duplicate() -> None:
    plan = _plan("### Phase 1: A\n### Phase 1: B\n")
    assert [(p.id, p.line) for p in plan.phases] == [("phase_1", 1), ("phase_1", 2)]


@pytest.mark.parametrize(
    ("section", "touches"),
    [
        ("#### Files to Create / Modify\n- `a/b.py` — model\n- `c.ts` (new)\n", ("a/b.py", "c.ts")),
        (
            "**Files to modify:**\n- `x/y.py`\n- x/z.py\n\n- `x/w.py`\n",
            ("x/y.py", "x/z.py", "x/w.py"),
        ),
        ("**File**: `one.py`\n\nText `not/this.py`.\n", ("one.py",)),
        ("**Files**: `a.py`, `b/c.py`\n", ("a.py", "b/c.py")),
        ("#### Files\n| File | Change |\n|---|---|\n| `t.py` | new |\n", ("t.py",)),
        ("**Files NOT touched**:\n- `keep.py`\n", ()),
        ("#### Files\n- `--flag` and `{{x}}`\n- `src/**/*.ts`\n", ("src/**/*.ts",)),
        (
            "#### Deliverables\n- [ ] New file: `src/forge.ts` — x\n- [x] Modified file `a.py`\n",
            ("src/forge.ts", "a.py"),
        ),
        ("#### Deliverables\n- [ ] Tests for `src/forge.ts`\n", ()),
        # A bold label before the path (0105, 0099 in the corpus): the path, not the label.
        (
            "#### Files\n- **Create**: `s/a.ts`\n- **Modify:** `s/b.ts` (imports)\n"
            "- **DELETE** `s/c.ts`\n- *New file*: s/d.ts\n",
            ("s/a.ts", "s/b.ts", "s/c.ts", "s/d.ts"),
        ),
        # A bold path (0056), and bold prose that names none (0100).
        (
            "**Files to modify:**\n1. **CLAUDE.md** - Update\n2. **`docs/x.md`** — also\n"
            "- **Note**: The banner is scoped.\n",
            ("CLAUDE.md", "docs/x.md"),
        ),
    ],
)
def test_touches_from_files_sections(section: str, touches: tuple[str, ...]) -> None:
    plan = parse_plan(f"### Phase 1: A\n\n{section}\n### Phase 2: B\n- `not/mine.py`\n")
    assert plan.phase("phase_1").touches == touches


def test_touches_in_json_win_over_sections() -> None:
    text = '```json\n{"phases": [{"id": "p1", "touches": ["src/*.py"]}]}\n```\n'
    plan = parse_plan(text + "### Phase 1: A\n**File**: `other.py`\n")
    assert plan.phase("p1").touches == ("src/*.py",)


def test_with_r1_the_dependencies_line_raises_no_errors() -> None:
    plan = _plan(
        """\
        ```json
        {"phases": [{"id": "phase_1", "depends_on": []}]}
        ```
        ### Phase 1: A
        **Dependencies**: Phase 9 (merged)
        """
    )
    assert (plan.errors, plan.warnings) == ((), ())
    assert plan.phases[0].depends_on == ()


def test_r1_and_a_disagreeing_dependencies_line_warn() -> None:
    plan = _plan(
        """\
        ```json
        {"phases": [{"id": "a", "depends_on": []}, {"id": "b", "depends_on": []}]}
        ```
        ### Phase 1: A
        ### Phase 2: B
        **Dependencies**: Phase 1
        """
    )
    assert plan.phase("b").depends_on == ()
    assert [(w.line, "disagree" in w.message) for w in plan.warnings] == [(6, True)]


def test_json_phase_lines_for_any_layout_and_duplicates() -> None:
    one_line = '```json\n{"phases": [{"id": "a"}, {"id": "b"}]}\n```\n'
    assert [p.line for p in parse_plan(one_line).phases] == [2, 2]
    spread = '```json\n{"phases": [\n {"id": "a"},\n {"id": "a"},\n {"id": "b"}\n]}\n```\n'
    assert [p.line for p in parse_plan(spread).phases] == [3, 4, 5]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"phases": ' + "[" * 100_000, "does not parse"),
        ('{"phases": [{"id": "a", "estimate_minutes": ' + "9" * 5_000 + "}]}", "does not parse"),
    ],
)
def test_json_that_python_refuses_is_an_error_not_an_exception(body: str, fragment: str) -> None:
    plan = parse_plan(f"```json\n{body}\n```\n")
    assert [fragment in e.message for e in plan.errors] == [True]


# 1e308 is a finite float, but two of them sum to infinity, which JSON cannot carry.
@pytest.mark.parametrize("value", ["1e999", "-5", "true", '"ten"', "10" + "0" * 400, "1e308"])
def test_unusable_estimates_are_ignored_with_a_warning(value: str) -> None:
    plan = parse_plan(f'```json\n{{"phases": [{{"id": "a", "estimate_minutes": {value}}}]}}\n```\n')
    assert plan.phases[0].estimate_minutes is None
    assert len(plan.warnings) == 1


def test_overview_is_the_overview_section() -> None:
    plan = _plan("# Plan\n\n## Overview\n\nWhat and why.\n\n## Phase 1: A\n")
    assert plan.overview == "What and why."
    assert parse_plan("### Phase 1: A\n").overview == ""
