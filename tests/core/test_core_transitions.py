"""The phase transition table: what it allows, what `move` refuses, and the diagram drawn
from it. That the reducer keeps to it is checked at every step of the property tests."""

from __future__ import annotations

import re

import pytest

from bot.core.state import PhaseState, PhaseStatus
from bot.core.transitions import (
    PHASE_TRANSITIONS,
    IllegalTransition,
    Transition,
    allowed,
    move,
    state_diagram,
)

S = PhaseStatus
TABLE = {(t.source, t.target) for t in PHASE_TRANSITIONS}


@pytest.mark.parametrize(
    "transition", PHASE_TRANSITIONS, ids=[f"{t.source}->{t.target}" for t in PHASE_TRANSITIONS]
)
def test_move_makes_every_move_in_the_table(transition: Transition) -> None:
    source, target = transition.source, transition.target
    phase = PhaseState(phase_id="a", status=source, attempt=1)
    assert allowed(source, target)
    moved = move(phase, target, attempt=2, error="why")
    assert (moved.status, moved.attempt, moved.error) == (target, 2, "why")
    assert phase.status is source  # a new value; the old one is left as it was


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.PENDING, S.QUEUED),  # never without a branch and a PR
        (S.PENDING, S.BUILDING),
        (S.PENDING, S.DONE),
        (S.PENDING, S.FAILED),  # a phase that never started fails no build
        (S.MERGING, S.QUEUED),  # a merge is followed by preparing
        (S.MERGING, S.BLOCKED),
        (S.PREPARING, S.BUILDING),  # a builder starts from the queue
        (S.PREPARING, S.MERGING),
        (S.QUEUED, S.DONE),  # nothing is built before a builder starts
        (S.QUEUED, S.PREPARING),
        (S.BUILDING, S.PREPARING),  # a retry keeps its branch and PR
        (S.BUILDING, S.BLOCKED),
        (S.DONE, S.BUILDING),  # finished is finished
        (S.DONE, S.CANCELLED),
        (S.FAILED, S.QUEUED),
        (S.BLOCKED, S.CANCELLED),
        (S.DONE, S.PENDING),  # work that is done is not retried
        (S.DONE, S.SKIPPED),
        (S.CANCELLED, S.PREPARING),
        (S.SKIPPED, S.PENDING),
    ],
)
def test_move_refuses_a_move_not_in_the_table(source: PhaseStatus, target: PhaseStatus) -> None:
    assert (source, target) not in TABLE
    assert not allowed(source, target)
    with pytest.raises(IllegalTransition, match=f"a: {source} -> {target} is not allowed"):
        move(PhaseState(phase_id="a", status=source), target)


def test_staying_put_is_always_allowed() -> None:
    # The reducer records a PR on a cancelled phase, or a new attempt on a queued one,
    # without a move.
    for status in PhaseStatus:
        assert allowed(status, status)
        assert move(PhaseState(phase_id="a", status=status), status, attempt=3).attempt == 3


def test_only_a_retry_or_a_skip_leaves_a_finished_status() -> None:
    for t in PHASE_TRANSITIONS:
        if t.source.finished:
            assert t.source in (S.FAILED, S.BLOCKED, S.CANCELLED)
            assert t.target in (S.PENDING, S.SKIPPED)
            assert "Retry" in t.when or "Skip" in t.when


def test_every_unfinished_status_can_be_cancelled_and_leads_to_an_end() -> None:
    unfinished = [s for s in PhaseStatus if not s.finished]
    assert all((s, S.CANCELLED) in TABLE for s in unfinished)
    # Every active status has a way forward besides being cancelled.
    for status in unfinished:
        assert any(t.source is status and t.target is not S.CANCELLED for t in PHASE_TRANSITIONS)


def test_every_status_is_reachable_from_pending() -> None:
    reached = {S.PENDING}
    frontier = [S.PENDING]
    while frontier:
        source = frontier.pop()
        for t in PHASE_TRANSITIONS:
            if t.source is source and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(PhaseStatus)


def test_the_diagram_starts_pending_and_ends_in_every_finished_status_a_run_reaches() -> None:
    # Its rows are checked in test_core_diagram.py, beside the READMEs that show it.
    diagram = state_diagram()
    assert diagram.startswith("stateDiagram-v2\n    [*] --> pending\n")
    ends = re.findall(r"^    (\w+) --> \[\*\]$", diagram, flags=re.MULTILINE)
    assert ends == ["done", "failed", "blocked", "cancelled", "skipped"]
