"""The run's event log: what each event did, phase by phase, as the store appends it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from bot.core.events import CancelRequested, Event, StatusRequested
from bot.core.history import LogEntry, PhaseMove, log_entry
from bot.core.reducer import reduce
from bot.core.state import PhaseStatus, RunState, RunStatus
from tests.core.core_support import (
    DIAMOND,
    T0,
    build_failed,
    built,
    prepared,
    setup,
    started,
    timer_fired,
)

P = PhaseStatus
CHAIN = {"a": [], "b": ["a"], "c": ["b"]}


def entry_for(state: RunState, event: Event) -> LogEntry:
    after, _ = reduce(state, event)
    return log_entry(state, after, event)


def test_an_entry_lists_every_phase_that_moved_with_its_iteration_and_attempt() -> None:
    state = setup(DIAMOND, {"a": (P.BUILDING, 1)})
    entry = entry_for(state, built("a", at=T0 + 300))
    assert entry == LogEntry(
        at=T0 + 300,
        version=6,
        event="PhaseBuilt",
        phase_id="a",
        run_status=RunStatus.RUNNING,
        moves=(
            PhaseMove(phase_id="a", source=P.BUILDING, target=P.DONE, iteration=1, attempt=1),
            PhaseMove(phase_id="b", source=P.PENDING, target=P.PREPARING, iteration=1, attempt=1),
            PhaseMove(phase_id="c", source=P.PENDING, target=P.PREPARING, iteration=1, attempt=1),
        ),
    )


def test_a_retry_is_a_move_to_the_next_attempt() -> None:
    state = setup(CHAIN, {"a": (P.BUILDING, 1)}, retries=1)
    entry = entry_for(state, build_failed("a"))
    assert entry.moves == (
        PhaseMove(phase_id="a", source=P.BUILDING, target=P.QUEUED, iteration=1, attempt=2),
    )
    # A job lost before it started is queued again: same status, and still a move.
    queued = setup(CHAIN, {"a": (P.QUEUED, 1)}, retries=1)
    assert entry_for(queued, build_failed("a")).moves == (
        PhaseMove(phase_id="a", source=P.QUEUED, target=P.QUEUED, iteration=1, attempt=2),
    )


def test_an_entry_keeps_the_phase_s_iteration() -> None:
    state = setup(CHAIN, {"a": (P.QUEUED, 1)})
    state = state.with_phase(dataclasses.replace(state.phases["a"], iteration=3))
    entry = entry_for(state, started("a", iteration=3))
    assert entry.moves == (
        PhaseMove(phase_id="a", source=P.QUEUED, target=P.BUILDING, iteration=3, attempt=1),
    )


def test_a_command_says_who_asked_and_names_no_phase() -> None:
    state = setup(CHAIN, {"a": (P.BUILDING, 1)})
    entry = entry_for(state, CancelRequested(at=T0 + 99, by="octocat"))
    assert (entry.event, entry.by, entry.phase_id) == ("CancelRequested", "octocat", None)
    assert entry.run_status is RunStatus.CANCELLED
    assert [(m.phase_id, m.source, m.target) for m in entry.moves] == [
        ("a", P.BUILDING, P.CANCELLED),
        ("b", P.PENDING, P.CANCELLED),
        ("c", P.PENDING, P.CANCELLED),
    ]


@pytest.mark.parametrize(
    ("phases", "run", "event", "changes"),
    [
        # A PR recorded for a phase cancelled while it was being opened: a change, no move.
        (
            {"a": (P.CANCELLED, 1), "b": (P.CANCELLED, 0), "c": (P.CANCELLED, 0)},
            RunStatus.CANCELLED,
            lambda s: prepared(s, "a"),
            True,
        ),
        # A status request changes nothing at all.
        (
            {"a": (P.BUILDING, 1)},
            RunStatus.RUNNING,
            lambda s: StatusRequested(at=T0, by="x"),
            False,
        ),
        # An early deadline neither.
        ({"a": (P.BUILDING, 1)}, RunStatus.RUNNING, lambda s: timer_fired("a", late=-5), False),
    ],
    ids=["PR recorded after cancel", "status requested", "early deadline"],
)
def test_an_event_that_moves_nothing_lists_no_moves(
    phases: dict[str, tuple[PhaseStatus, int]],
    run: RunStatus,
    event: Callable[[RunState], Event],
    changes: bool,
) -> None:
    state = setup(CHAIN, phases, run=run)
    happened = event(state)
    after, _ = reduce(state, happened)
    assert (after is not state) == changes
    entry = log_entry(state, after, happened)
    assert entry.moves == ()
    assert entry.event == type(happened).__name__
    assert entry.version == after.version


def test_an_entry_round_trips_through_json() -> None:
    state = setup(DIAMOND, {"a": (P.BUILDING, 1)})
    entry = entry_for(state, built("a"))
    data = json.loads(json.dumps(entry.to_dict()))
    assert data["moves"][0] == {
        "phase_id": "a",
        "source": "building",
        "target": "done",
        "iteration": 1,
        "attempt": 1,
    }
    assert LogEntry.from_dict(data) == entry
