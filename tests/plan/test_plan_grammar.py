"""The `**Dependencies**:` grammar, one row per form real plans use."""

from __future__ import annotations

import pytest

from bot.plan.dependencies import (
    OUTSIDE,
    SOFT,
    Reference,
    SpecKind,
    in_range,
    label_key,
    parse_dependencies,
)

R = Reference

FORMS = [
    ("None", SpecKind.NONE, []),
    ("None.", SpecKind.NONE, []),
    ("none", SpecKind.NONE, []),
    ("N/A", SpecKind.NONE, []),
    ("None (can be done in parallel with Phase 1)", SpecKind.NONE, []),
    ("None — Phase 3 could help", SpecKind.NONE, []),
    ("None. **Ships as its own PR before Phase 1** (M0b).", SpecKind.NONE, []),
    ("Phase 1", SpecKind.REFERENCES, [R("1")]),
    ("Phase 1.", SpecKind.REFERENCES, [R("1")]),
    ("phase 1", SpecKind.REFERENCES, [R("1")]),
    ("Phase 1, Phase 2", SpecKind.REFERENCES, [R("1"), R("2")]),
    ("Phases 1, 2 and 3", SpecKind.REFERENCES, [R("1"), R("2"), R("3")]),
    ("Phases 1, 2, and 3", SpecKind.REFERENCES, [R("1"), R("2"), R("3")]),
    ("Phases 2 **and 3**", SpecKind.REFERENCES, [R("2"), R("3")]),
    ("Phases 2 & 3", SpecKind.REFERENCES, [R("2"), R("3")]),
    ("Phases 1–5", SpecKind.REFERENCES, [R("1", "5")]),
    ("Phase 1-5", SpecKind.REFERENCES, [R("1", "5")]),
    ("Phases 1 to 3", SpecKind.REFERENCES, [R("1", "3")]),
    ("Phases 1-3 complete", SpecKind.REFERENCES, [R("1", "3")]),
    ("Phase 2a", SpecKind.REFERENCES, [R("2a")]),
    ("Phases 2a, 2b, 3", SpecKind.REFERENCES, [R("2a"), R("2b"), R("3")]),
    ("Phase A and Phase B", SpecKind.REFERENCES, [R("A"), R("B")]),
    ("Phase 2 (Helpers ready)", SpecKind.REFERENCES, [R("2")]),
    ("Phase 1 (so Phase 4's files exist; see Phase 5)", SpecKind.REFERENCES, [R("1")]),
    ("Phase 2 — unlike Phase 3", SpecKind.REFERENCES, [R("2")]),
    ("Phase 2; the harness from Phase 3 helps", SpecKind.REFERENCES, [R("2")]),
    ("Phase 1; Phase 2 (harness); Phase 3", SpecKind.REFERENCES, [R("1"), R("2"), R("3")]),
    ("Phase 3 reviewed.", SpecKind.REFERENCES, [R("3")]),
    ("Phase 0 merged.", SpecKind.REFERENCES, [R("0")]),
    ("`Phase 4`", SpecKind.REFERENCES, [R("4")]),
    ("All previous phases", SpecKind.ALL_PREVIOUS, []),
    ("all prior phases (everything lands first)", SpecKind.ALL_PREVIOUS, []),
    ("All tests implemented", SpecKind.UNRECOGNISED, []),
    ("the P6 mechanism decision above.", SpecKind.UNRECOGNISED, []),
    ("#786", SpecKind.UNRECOGNISED, []),
    ("", SpecKind.UNRECOGNISED, []),
]


@pytest.mark.parametrize(("text", "kind", "references"), FORMS)
def test_dependency_forms(text: str, kind: SpecKind, references: list[Reference]) -> None:
    spec = parse_dependencies(text)
    assert (spec.kind, list(spec.references)) == (kind, references)


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Phase 2 (Helpers ready)", "Helpers ready"),
        ("None (independent; sequenced for focus)", "independent; sequenced for focus"),
        ("Phase 3 — ordered for review", "ordered for review"),
        ("Phase 3 reviewed.", "reviewed"),
        ("Phase 1. Then the rest.", "Then the rest"),
        ("the P6 decision", "the P6 decision"),
    ],
)
def test_annotations_are_kept_as_notes(text: str, note: str) -> None:
    assert note in parse_dependencies(text).notes


@pytest.mark.parametrize(
    ("note", "soft", "outside"),
    [
        ("sequencing, not technical", True, False),
        ("ordered for readability", True, False),
        ("sequenced for commit clarity", True, False),
        ("needs #786", False, True),
        ("merged", False, True),
        ("the P6 mechanism decision", False, True),
        ("Helpers ready", False, False),
        ("the skill instructs running afx whoami", False, False),
    ],
)
def test_annotation_markers(note: str, soft: bool, outside: bool) -> None:
    assert (bool(SOFT.search(note)), bool(OUTSIDE.search(note))) == (soft, outside)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["10", "2", "1b", "1", "2a", "B", "A"], ["1", "1b", "2", "2a", "10", "A", "B"]),
        (["0", "3", "1"], ["0", "1", "3"]),
    ],
)
def test_label_order(labels: list[str], expected: list[str]) -> None:
    assert sorted(labels, key=label_key) == expected


@pytest.mark.parametrize(
    ("label", "low", "high", "inside"),
    [
        ("3", "1", "5", True),
        ("5a", "1", "5", True),
        ("2a", "1", "5", True),
        ("6", "1", "5", False),
        ("0", "1", "5", False),
        ("2b", "2a", "3", True),
        ("2", "2a", "3", False),
        ("3", "5", "1", True),
        ("B", "A", "C", True),
        ("D", "A", "C", False),
    ],
)
def test_ranges(label: str, low: str, high: str, inside: bool) -> None:
    assert in_range(label, low, high) is inside
