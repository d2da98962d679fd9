"""Every real plan parses; a hand-checked sample yields exactly the graph its authors wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.plan.graph import analyse
from bot.plan.model import DependencySource as Src
from bot.plan.parse import parse_plan, parse_plan_bytes
from bot.plan.render import to_json, to_mermaid, to_text


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> Path:
    folder = shared_dir / "plans-corpus"
    if not folder.is_dir():
        pytest.skip(f"plans corpus not found at {folder}")
    return folder


def _serial(*ids: str) -> dict[str, list[str]]:
    """Today's behaviour: each phase after the one before it."""
    return {phase: list(ids[i - 1 : i]) for i, phase in enumerate(ids)}


# Read by hand from each plan: its phases and what each depends on.
EXPECTED: dict[str, dict[str, list[str]]] = {
    # JSON ids matched to headers as phase_<label>; "None (can be done in parallel with
    # Phase 1)"; annotated lists; "Phases 1-6".
    "0097-cloud-tower-client.md": {
        "phase_1": [],
        "phase_2": [],
        "phase_3": ["phase_1"],
        "phase_4": ["phase_2", "phase_3"],
        "phase_5": ["phase_1", "phase_4"],
        "phase_6": ["phase_4"],
        "phase_7": [f"phase_{n}" for n in range(1, 7)],
    },
    # "Phase 1-5 (all previous modules)": singular keyword, hyphen range.
    "0105-tower-server-decomposition.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_1"],
        "phase_4": ["phase_1", "phase_3"],
        "phase_5": ["phase_1", "phase_4"],
        "phase_6": [f"phase_{n}" for n in range(1, 6)],
        "phase_7": [],
    },
    # Named JSON ids matched to Phase headers by order; "Phases 1-5".
    "0126-project-management-rework.md": {
        "github_integration": [],
        "spawn_cli": ["github_integration"],
        "scaffold_cleanup": [],
        "tower_endpoint": ["github_integration"],
        "work_view": ["tower_endpoint"],
        "cleanup": [
            "github_integration",
            "spawn_cli",
            "scaffold_cleanup",
            "tower_endpoint",
            "work_view",
        ],
    },
    # "Phase 1; Phase 2 (...); Phase 3 (...)" across a continuation line; "Phases 1–5".
    "1380-artifact-canvas-horizontal-mul.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_1", "phase_2"],
        "phase_4": ["phase_1", "phase_2"],
        "phase_5": ["phase_1", "phase_2", "phase_3"],
        "phase_6": [f"phase_{n}" for n in range(1, 6)],
    },
    # ids "phase_<n>_<words>"; "None (parallel-safe with Phases 1–2)"; "Phases 1–7".
    "1470-automatic-builder-context-refr.md": {
        "phase_1_boundary_declaration": [],
        "phase_2_porch_trigger": ["phase_1_boundary_declaration"],
        "phase_3_selfrefresh_core": [],
        "phase_4_selfrefresh_command": ["phase_3_selfrefresh_core"],
        "phase_5_skill_and_reentry": ["phase_4_selfrefresh_command"],
        "phase_6_status_visibility": ["phase_2_porch_trigger"],
        "phase_7_docs_and_parity": [],
        "phase_8_end_to_end": [
            "phase_1_boundary_declaration",
            "phase_2_porch_trigger",
            "phase_3_selfrefresh_core",
            "phase_4_selfrefresh_command",
            "phase_5_skill_and_reentry",
            "phase_6_status_visibility",
            "phase_7_docs_and_parity",
        ],
    },
    # Phases named inside the parentheses ("...for Phase 2's files...") make no edge.
    "746-spir-architect-s-baked-archite.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_1"],
        "phase_4": ["phase_1", "phase_2", "phase_3"],
    },
    # Labels 1a/1b/2a/2b; the header says "Phase 1", the JSON title "Phase 1a:".
    "0602-vscode-extension.md": {
        "shared_types": [],
        "shared_runtime": ["shared_types"],
        "connection_core": ["shared_runtime"],
        "connection_reactive": ["connection_core"],
        "terminal_integration": ["connection_core"],
        "sidebar": ["connection_reactive"],
        "commands": ["connection_reactive", "terminal_integration", "sidebar"],
        "review_comments": [],
        "v1_polish": [
            "connection_core",
            "connection_reactive",
            "terminal_integration",
            "sidebar",
            "commands",
            "review_comments",
        ],
        "analytics": ["connection_core"],
        "file_links": ["terminal_integration"],
    },
    # "Phases 3, 4, 5"; "None (can ship with Phase 4 or independently)".
    "653-better-handling-of-builders-th.md": {
        "pr_exists_fix": [],
        "status_commit_infra": [],
        "pr_tracking_and_worktree": ["status_commit_infra"],
        "verify_phase": ["status_commit_infra", "pr_tracking_and_worktree"],
        "tick_removal": [],
        "docs_and_prompts": ["pr_tracking_and_worktree", "verify_phase", "tick_removal"],
    },
    # Example protocol JSON blocks with "phases" are not the plan's; "All previous phases".
    "0073-porch-protocol-orchestrator.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_1"],
        "phase_4": ["phase_2", "phase_3"],
        "phase_5": ["phase_1", "phase_2"],
        "phase_6": [],
        "phase_7": [f"phase_{n}" for n in range(1, 7)],
        "phase_8": ["phase_1", "phase_2", "phase_3"],
    },
    # "None. **Ships...**", "Phase 0 merged.", a line naming no phase, "Phase 3 reviewed.",
    # and sections without a Dependencies line (the phase before).
    "1280-prompt-surface-judgment-not-ru.md": _serial(
        "phase_0_instrument",
        "phase_1_shared_skills",
        "phase_2_roles",
        "phase_3_protocol_md",
        "phase_4_builder_prompts",
        "phase_5_prompts_heavy",
        "phase_6_prompts_light_spir_templates",
        "phase_7_templates_consult_spir",
        "phase_8_consult_types_a",
        "phase_9_consult_registry_deadtree",
        "phase_10_integration",
    ),
    "1134-afx-whoami-ship-arch-init-comm.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_1"],
    },
    # "None (can be done in parallel with Phase 2-3, but sequenced for commit clarity)".
    "0107-tower-cloud-registration-ui.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_2"],
        "phase_4": [],
    },
    # "Phases 1, 2, 3, 4, 5"; its ASCII map agrees with the declared edges.
    "1273-builder-context-reset-should-b.md": {
        "phase_1": [],
        "phase_2": [],
        "phase_3": [],
        "phase_4": [],
        "phase_5": ["phase_4"],
        "phase_6": [f"phase_{n}" for n in range(1, 6)],
        "phase_7": ["phase_1"],
    },
    # Headers only; "Phase 2 (Helpers ready)", "Phases 3-5 complete", and
    # "All tests implemented" (names no phase: the phase before).
    "0001-test-infrastructure.md": {
        "phase_1": [],
        "phase_2": ["phase_1"],
        "phase_3": ["phase_2"],
        "phase_4": ["phase_2"],
        "phase_5": ["phase_2"],
        "phase_6": ["phase_3", "phase_4", "phase_5"],
        "phase_7": ["phase_6"],
    },
    # A broken example JSON block (`"phases": [...]`) does not stop the headers being read.
    "0002-architect-builder.md": _serial(*[f"phase_{n}" for n in range(1, 10)]),
    # Letter labels with an em dash: "### Phase A — #1236 (...)".
    "1237-artifact-canvas-keyboard-first.md": _serial("phase_a", "phase_b", "phase_c"),
    "1205-shellper-replay-buffer-stores-.md": _serial("phase_1", "phase_2", "phase_3"),
    # `## Phase N` with one `### Phase 8` inside an amendment section.
    "0039-codev-cli.md": _serial(*[f"phase_{n}" for n in range(1, 11)]),
    # Phase 0; "### Phase 2 Hardening" is not a phase header.
    "0090-tower-single-daemon.md": _serial(*[f"phase_{n}" for n in range(0, 5)]),
    # A "File Summary" repeats "### Phase 1 (Port Consolidation)" under the real headers.
    "0092-terminal-file-links.md": _serial("phase_1", "phase_2", "phase_3"),
    "0086-porch-agent-sdk.md": _serial("phase_1", "phase_2", "phase_3", "phase_4"),
    # Named ids matched by order. The prose calls Phases 1 and 2 independent, but Phase 2's
    # Dependencies line names Phase 1: prose warns, it never removes an edge.
    "438-aspir-protocol.md": {
        "skeleton_protocol": [],
        "instance_protocol": ["skeleton_protocol"],
        "documentation": ["skeleton_protocol", "instance_protocol"],
    },
}

NO_PHASES = ["1001-vscode-terminal-adapter-reconn.md", "0006-tutorial-mode.md"]


def test_every_plan_parses_and_renders(corpus: Path) -> None:
    paths = sorted(corpus.glob("*.md"))
    assert len(paths) >= 190
    with_phases = 0
    for path in paths:
        plan = parse_plan_bytes(path.read_bytes())
        analysis = analyse(plan)
        to_text(plan, analysis), to_mermaid(plan, analysis), to_json(plan, analysis)
        with_phases += bool(plan.phases)
        if plan.phases:
            assert analysis.valid, (path.name, analysis.errors)
    assert with_phases >= 90


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_checked_graph(corpus: Path, name: str) -> None:
    plan = parse_plan((corpus / name).read_text())
    assert {p.id: list(p.depends_on) for p in plan.phases} == EXPECTED[name]
    assert [p.id for p in plan.phases] == list(EXPECTED[name])
    assert analyse(plan).valid


@pytest.mark.parametrize("name", NO_PHASES)
def test_plans_without_phases_are_refused(corpus: Path, name: str) -> None:
    analysis = analyse(parse_plan((corpus / name).read_text()))
    assert not analysis.valid
    assert "no phases found" in analysis.errors[0].message


def test_waves_of_a_real_plan(corpus: Path) -> None:
    plan = parse_plan((corpus / "0097-cloud-tower-client.md").read_text())
    analysis = analyse(plan)
    assert analysis.waves == (
        ("phase_1", "phase_2"),
        ("phase_3",),
        ("phase_4",),
        ("phase_5", "phase_6"),
        ("phase_7",),
    )
    assert analysis.critical_path == ("phase_1", "phase_3", "phase_4", "phase_5", "phase_7")
    assert (analysis.serial_minutes, analysis.parallel_minutes) == (7, 5)


def test_sources_and_lines_of_a_real_plan(corpus: Path) -> None:
    plan = parse_plan((corpus / "0001-test-infrastructure.md").read_text())
    assert [p.depends_source for p in plan.phases] == [Src.DEPENDENCIES_LINE] * 6 + [
        Src.PREVIOUS_PHASE
    ]
    assert plan.phase("phase_6").depends_line == 152
    assert [p.line for p in plan.phases][:2] == [24, 52]
    assert any(w.line == 181 and "names no phase" in w.message for w in plan.warnings)


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("1280-prompt-surface-judgment-not-ru.md", 165, "'merged' names something outside"),
        ("1280-prompt-surface-judgment-not-ru.md", 222, "names no phase"),
        ("0107-tower-cloud-registration-ui.md", 260, "soft ordering"),
        ("1470-automatic-builder-context-refr.md", 518, "soft ordering"),
        ("0022-consult-tool-stateless.md", 137, "phase_1 and phase_3 can run in parallel"),
        ("438-aspir-protocol.md", 180, "skeleton_protocol and instance_protocol can run"),
        ("0602-vscode-extension.md", 809, "terminal_integration depends on connection_reactive"),
        ("0073-porch-protocol-orchestrator.md", 524, "read as an example"),
    ],
)
def test_real_warnings(corpus: Path, name: str, line: int, words: str) -> None:
    analysis = analyse(parse_plan((corpus / name).read_text()))
    assert any(w.line == line and words in w.message for w in analysis.warnings), analysis.warnings


def test_maps_and_prose_that_agree_raise_no_warning(corpus: Path) -> None:
    for name in ("1273-builder-context-reset-should-b.md", "0097-cloud-tower-client.md"):
        assert analyse(parse_plan((corpus / name).read_text())).warnings == ()


def test_touches_from_files_sections_and_json(corpus: Path) -> None:
    canvas = parse_plan((corpus / "1380-artifact-canvas-horizontal-mul.md").read_text())
    assert canvas.phase("phase_4").touches == (
        "packages/artifact-canvas/src/components/ArtifactCanvas.tsx",
    )
    conflicts = analyse(canvas).predicted_conflicts
    assert [c.phases for c in conflicts] == [("phase_3", "phase_4"), ("phase_4", "phase_5")]
    sdk = parse_plan((corpus / "0086-porch-agent-sdk.md").read_text())
    assert sdk.phase("phase_1").touches == (
        "packages/codev/src/commands/porch/claude.ts",
        "packages/codev/package.json",
    )
    links = parse_plan((corpus / "0092-terminal-file-links.md").read_text())
    assert "packages/codev/src/agent-farm/servers/open-server.ts" in links.phase("phase_1").touches


def test_bold_labelled_file_lists_of_a_real_plan(corpus: Path) -> None:
    # "- **Create**: `…/tower-types.ts`": the paths, not "Create**" and "Modify**", which as
    # globs made every pair of concurrent phases conflict.
    towers = parse_plan((corpus / "0105-tower-server-decomposition.md").read_text())
    servers = "packages/codev/src/agent-farm/servers"
    assert towers.phase("phase_1").touches == (
        f"{servers}/tower-types.ts",
        f"{servers}/tower-utils.ts",
        f"{servers}/tower-server.ts",
    )
    conflicts = analyse(towers).predicted_conflicts
    assert [(c.phases, c.paths) for c in conflicts] == [
        (("phase_2", other), (f"{servers}/tower-server.ts",))
        for other in ("phase_3", "phase_4", "phase_5")
    ]


def test_a_dependencies_line_annotation_of_a_real_plan_is_not_a_claim(corpus: Path) -> None:
    # Phase 8: "Phase 1, Phase 2, Phase 3 (can be developed in parallel)".
    analysis = analyse(parse_plan((corpus / "0073-porch-protocol-orchestrator.md").read_text()))
    assert [w.line for w in analysis.warnings] == [524, 552, 586]
