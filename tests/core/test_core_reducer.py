"""Every transition of the reducer, one table row each, plus the start points it computes,
builder starts and deadlines, cancellation times, and iteration staleness."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from bot.core.effects import (
    CancelBuilder,
    Effect,
    MergeHeads,
    PhaseEffect,
    PreparePhase,
    RunBuilder,
    StartPoint,
    StartTimer,
    UpdateCheckRun,
    UpdateStatusComment,
)
from bot.core.events import (
    EVENT_TYPES,
    CancelRequested,
    Event,
    IntegrationFailed,
    IntegrationOpened,
    PhaseEvent,
    PhaseOverdue,
    RunStarted,
    StatusRequested,
    TimerFired,
)
from bot.core.reducer import reduce
from bot.core.render import status_comment
from bot.core.state import FailurePolicy, PhaseStatus, RunState, RunStatus
from tests.core.core_support import (
    DIAMOND,
    T0,
    build_failed,
    built,
    deadline,
    escalated,
    merge_failed,
    merged,
    needs_person,
    prepare_failed,
    prepared,
    run_of,
    setup,
    started,
    timer_fired,
    verified,
)

P = PhaseStatus
PENDING, MERGING, PREPARING, QUEUED, BUILDING, DONE = (
    P.PENDING,
    P.MERGING,
    P.PREPARING,
    P.QUEUED,
    P.BUILDING,
    P.DONE,
)
FAILED, BLOCKED, CANCELLED = P.FAILED, P.BLOCKED, P.CANCELLED
CHAIN = {"a": [], "b": ["a"], "c": ["b"]}
THREE: dict[str, list[str]] = {"a": [], "b": [], "c": []}
ROOTS_AND_CHILD = {"a": [], "b": [], "c": ["a"]}
DIAMOND_TAIL = {**DIAMOND, "e": ["d"]}
JOINED = {"a": [], "b": [], "c": ["a", "b"], "x": []}
# BuilderStarted at T0 + 90 sets a deadline 3 h (the default) plus 15 min of grace later.
DEADLINE_A1 = "timer-deadline_x3a_1_x3a_1_x3a_a-1764331790"


@dataclass(frozen=True)
class Case:
    id: str
    deps: Mapping[str, Sequence[str]]
    phases: Mapping[str, tuple[PhaseStatus, int]]
    event: Callable[[RunState], Event]
    expect_phases: Mapping[str, tuple[PhaseStatus, int]]  # only the phases that change
    expect_effects: Sequence[str]  # effect keys, in order
    run: RunStatus = RunStatus.RUNNING
    expect_run: RunStatus | None = None  # None: unchanged
    settings: Mapping[str, object] = field(default_factory=dict)


CASES = [
    Case(
        "run started prepares every root",
        ROOTS_AND_CHILD,
        {},
        lambda s: RunStarted(at=T0),
        {"a": (PREPARING, 1), "b": (PREPARING, 1)},
        ["prepare-a-i1-a1", "prepare-b-i1-a1", "status-v1"],
        run=RunStatus.PENDING,
        expect_run=RunStatus.RUNNING,
    ),
    Case(
        "run started respects max_parallel",
        THREE,
        {},
        lambda s: RunStarted(at=T0),
        {"a": (PREPARING, 1)},
        ["prepare-a-i1-a1", "status-v1"],
        run=RunStatus.PENDING,
        expect_run=RunStatus.RUNNING,
        settings={"max_parallel": 1},
    ),
    Case(
        "run started twice is a duplicate",
        THREE,
        {"a": (PREPARING, 1), "b": (PREPARING, 1), "c": (PREPARING, 1)},
        lambda s: RunStarted(at=T0),
        {},
        [],
    ),
    Case(
        "heads merged prepares the join at the merge",
        DIAMOND,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (DONE, 1), "d": (MERGING, 1)},
        lambda s: merged(s, "d"),
        {"d": (PREPARING, 1)},
        ["prepare-d-i1-a1", "status-v6"],
    ),
    Case(
        "heads merged twice is a duplicate",
        DIAMOND,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (DONE, 1), "d": (PREPARING, 1)},
        lambda s: merged(s, "d"),
        {},
        [],
    ),
    Case(
        "heads merged for another attempt is stale",
        DIAMOND,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (DONE, 1), "d": (MERGING, 1)},
        lambda s: merged(s, "d", attempt=2),
        {},
        [],
    ),
    Case(
        "merge failed fails the join and blocks its dependents",
        DIAMOND_TAIL,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (DONE, 1), "d": (MERGING, 1)},
        lambda s: merge_failed("d"),
        {"d": (FAILED, 1), "e": (BLOCKED, 0)},
        ["check-d-v6", "check-e-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
    ),
    Case(
        "merge failed under policy cancel stops the other builders",
        JOINED,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (MERGING, 1), "x": (BUILDING, 1)},
        lambda s: merge_failed("c"),
        {"c": (FAILED, 1), "x": (CANCELLED, 1)},
        ["cancel-x-i1-a1", "check-c-v6", "check-x-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
        settings={"failure_policy": FailurePolicy.CANCEL},
    ),
    Case(
        "merge failed while preparing is stale",
        DIAMOND,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (DONE, 1), "d": (PREPARING, 1)},
        lambda s: merge_failed("d"),
        {},
        [],
    ),
    Case(
        "prepared phase is queued for a builder",
        CHAIN,
        {"a": (PREPARING, 1)},
        lambda s: prepared(s, "a"),
        {"a": (QUEUED, 1)},
        ["build-a-i1-a1", "status-v6"],
    ),
    Case(
        "prepared for another attempt is stale",
        CHAIN,
        {"a": (PREPARING, 1)},
        lambda s: prepared(s, "a", attempt=2),
        {},
        [],
    ),
    Case(
        "prepared twice is a duplicate",
        CHAIN,
        {"a": (QUEUED, 1)},
        lambda s: prepared(s, "a"),
        {},
        [],
    ),
    Case(
        "prepared once building is a duplicate",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: prepared(s, "a"),
        {},
        [],
    ),
    Case(
        "prepared for an unknown phase is ignored",
        CHAIN,
        {"a": (PREPARING, 1)},
        lambda s: prepared(s, "zz"),
        {},
        [],
    ),
    Case(
        "prepared after cancel records the check run to complete it",
        CHAIN,
        {"a": (CANCELLED, 1), "b": (CANCELLED, 0), "c": (CANCELLED, 0)},
        lambda s: prepared(s, "a"),
        {},
        ["check-a-v6", "status-v6"],
        run=RunStatus.CANCELLED,
    ),
    Case(
        "prepared for a phase cancelled before it was ever dispatched is ignored",
        CHAIN,
        {"a": (CANCELLED, 0), "b": (CANCELLED, 0), "c": (CANCELLED, 0)},
        lambda s: prepared(s, "a", attempt=0),
        {},
        [],
        run=RunStatus.CANCELLED,
    ),
    Case(
        "prepare failed fails the phase and blocks its dependents",
        {"a": [], "b": ["a"], "c": ["b"], "d": []},
        {"a": (PREPARING, 1), "d": (BUILDING, 1)},
        lambda s: prepare_failed("a"),
        {"a": (FAILED, 1), "b": (BLOCKED, 0), "c": (BLOCKED, 0)},
        ["check-a-v6", "check-b-v6", "check-c-v6", "status-v6"],
    ),
    Case(
        "prepare failed of the last active phase fails the run",
        CHAIN,
        {"a": (PREPARING, 1)},
        lambda s: prepare_failed("a"),
        {"a": (FAILED, 1), "b": (BLOCKED, 0), "c": (BLOCKED, 0)},
        ["check-a-v6", "check-b-v6", "check-c-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
    ),
    Case(
        "prepare failed while queued is stale",
        CHAIN,
        {"a": (QUEUED, 1)},
        lambda s: prepare_failed("a"),
        {},
        [],
    ),
    Case(
        "prepare failed while building is stale",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: prepare_failed("a"),
        {},
        [],
    ),
    Case(
        "builder started moves a queued phase to building and sets its deadline",
        CHAIN,
        {"a": (QUEUED, 1)},
        lambda s: started("a"),
        {"a": (BUILDING, 1)},
        [DEADLINE_A1, "check-a-v6", "status-v6"],
    ),
    Case(
        "builder started twice is a duplicate",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: started("a"),
        {},
        [],
    ),
    Case(
        "builder started for a superseded attempt is stale",
        CHAIN,
        {"a": (QUEUED, 2)},
        lambda s: started("a", attempt=1),
        {},
        [],
        settings={"retries": 1},
    ),
    Case(
        "builder started while preparing is stale",
        CHAIN,
        {"a": (PREPARING, 1)},
        lambda s: started("a"),
        {},
        [],
    ),
    Case(
        "builder started after cancel is stale",
        CHAIN,
        {"a": (CANCELLED, 1), "b": (CANCELLED, 0), "c": (CANCELLED, 0)},
        lambda s: started("a"),
        {},
        [],
        run=RunStatus.CANCELLED,
    ),
    Case(
        "built phase is done and its dependents are prepared",
        DIAMOND,
        {"a": (BUILDING, 1)},
        lambda s: built("a"),
        {"a": (DONE, 1), "b": (PREPARING, 1), "c": (PREPARING, 1)},
        ["prepare-b-i1-a1", "prepare-c-i1-a1", "check-a-v6", "status-v6"],
    ),
    Case(
        "built phase dispatches dependents up to max_parallel",
        DIAMOND,
        {"a": (BUILDING, 1)},
        lambda s: built("a"),
        {"a": (DONE, 1), "b": (PREPARING, 1)},
        ["prepare-b-i1-a1", "check-a-v6", "status-v6"],
        settings={"max_parallel": 1},
    ),
    Case(
        "a join waits for its last dependency, then merges their heads",
        DIAMOND,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (BUILDING, 1)},
        lambda s: built("c"),
        {"c": (DONE, 1), "d": (MERGING, 1)},
        ["merge-d-i1-a1", "check-c-v6", "status-v6"],
    ),
    Case(
        "a merging phase takes a slot",
        {**JOINED, "y": []},
        {"a": (DONE, 1), "b": (DONE, 1), "c": (MERGING, 1), "x": (QUEUED, 1)},
        lambda s: started("x"),
        {"x": (BUILDING, 1)},
        ["timer-deadline_x3a_1_x3a_1_x3a_x-1764331790", "check-x-v6", "status-v6"],
        settings={"max_parallel": 2},
    ),
    Case(
        "built frees a slot for a waiting phase",
        THREE,
        {"a": (BUILDING, 1), "b": (BUILDING, 1)},
        lambda s: built("a"),
        {"a": (DONE, 1), "c": (PREPARING, 1)},
        ["prepare-c-i1-a1", "check-a-v6", "status-v6"],
        settings={"max_parallel": 2},
    ),
    Case(
        "a queued phase takes a slot",
        {**THREE, "d": []},
        {"a": (PREPARING, 1), "b": (QUEUED, 1)},
        lambda s: prepared(s, "a"),
        {"a": (QUEUED, 1)},
        ["build-a-i1-a1", "status-v6"],
        settings={"max_parallel": 2},
    ),
    Case(
        "the last phase built starts the integration PR",
        CHAIN,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (BUILDING, 2)},
        lambda s: built("c", attempt=2),
        {"c": (DONE, 2)},
        ["integrate", "check-c-v6", "status-v6"],
        expect_run=RunStatus.INTEGRATING,
        settings={"retries": 1},
    ),
    Case(
        "built for an old attempt is stale",
        CHAIN,
        {"a": (BUILDING, 2)},
        lambda s: built("a", attempt=1),
        {},
        [],
        settings={"retries": 1},
    ),
    Case(
        "built twice is a duplicate",
        CHAIN,
        {"a": (DONE, 1), "b": (PREPARING, 1)},
        lambda s: built("a"),
        {},
        [],
    ),
    Case(
        "built while preparing is stale",
        CHAIN,
        {"a": (PREPARING, 1)},
        lambda s: built("a"),
        {},
        [],
    ),
    Case(
        "built while queued is stale: no builder has started",
        CHAIN,
        {"a": (QUEUED, 1)},
        lambda s: built("a"),
        {},
        [],
    ),
    Case(
        "build failed with attempts left queues the builder again",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: build_failed("a"),
        {"a": (QUEUED, 2)},
        ["build-a-i1-a2", "check-a-v6", "status-v6"],
        settings={"retries": 2},
    ),
    Case(
        "build failed on the last attempt fails the phase",
        CHAIN,
        {"a": (BUILDING, 3)},
        lambda s: build_failed("a", attempt=3),
        {"a": (FAILED, 3), "b": (BLOCKED, 0), "c": (BLOCKED, 0)},
        ["check-a-v6", "check-b-v6", "check-c-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
        settings={"retries": 2},
    ),
    Case(
        "a job lost while queued is queued again",
        CHAIN,
        {"a": (QUEUED, 1)},
        lambda s: build_failed("a"),
        {"a": (QUEUED, 2)},
        ["build-a-i1-a2", "check-a-v6", "status-v6"],
        settings={"retries": 1},
    ),
    Case(
        "a job lost while queued on the last attempt fails the phase",
        CHAIN,
        {"a": (QUEUED, 1)},
        lambda s: build_failed("a"),
        {"a": (FAILED, 1), "b": (BLOCKED, 0), "c": (BLOCKED, 0)},
        ["check-a-v6", "check-b-v6", "check-c-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
    ),
    Case(
        "build failed blocks dependents and siblings go on",
        DIAMOND,
        {"a": (DONE, 1), "b": (BUILDING, 1), "c": (BUILDING, 1)},
        lambda s: build_failed("b"),
        {"b": (FAILED, 1), "d": (BLOCKED, 0)},
        ["check-b-v6", "check-d-v6", "status-v6"],
    ),
    Case(
        "a sibling finishing after a failure ends the run as failed",
        DIAMOND,
        {"a": (DONE, 1), "b": (FAILED, 1), "c": (BUILDING, 1), "d": (BLOCKED, 0)},
        lambda s: built("c"),
        {"c": (DONE, 1)},
        ["check-c-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
    ),
    Case(
        "build failed under policy cancel cancels the rest",
        {"a": [], "b": [], "c": [], "d": ["a"]},
        {"a": (BUILDING, 1), "b": (BUILDING, 1), "c": (PREPARING, 1)},
        lambda s: build_failed("a"),
        {"a": (FAILED, 1), "b": (CANCELLED, 1), "c": (CANCELLED, 1), "d": (BLOCKED, 0)},
        ["cancel-b-i1-a1", "check-a-v6", "check-b-v6", "check-d-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
        settings={"failure_policy": FailurePolicy.CANCEL},
    ),
    Case(
        "build failed under policy cancel stops queued builders too",
        {"a": [], "b": [], "c": []},
        {"a": (BUILDING, 1), "b": (QUEUED, 1), "c": (MERGING, 1)},
        lambda s: build_failed("a"),
        {"a": (FAILED, 1), "b": (CANCELLED, 1), "c": (CANCELLED, 1)},
        ["cancel-b-i1-a1", "check-a-v6", "check-b-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
        settings={"failure_policy": FailurePolicy.CANCEL},
    ),
    Case(
        "build failed for an old attempt is stale",
        CHAIN,
        {"a": (BUILDING, 2)},
        lambda s: build_failed("a", attempt=1),
        {},
        [],
        settings={"retries": 2},
    ),
    Case(
        "a deadline fired late with attempts left queues the builder again",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: timer_fired("a", late=60),
        {"a": (QUEUED, 2)},
        # The slow builder of attempt 1 is stopped: it must not run beside attempt 2.
        ["cancel-a-i1-a1", "build-a-i1-a2", "check-a-v6", "status-v6"],
        settings={"retries": 1},
    ),
    Case(
        "a deadline fired late on the last attempt fails the phase",
        CHAIN,
        {"a": (BUILDING, 2)},
        lambda s: timer_fired("a", attempt=2, late=60),
        {"a": (FAILED, 2), "b": (BLOCKED, 0), "c": (BLOCKED, 0)},
        ["cancel-a-i1-a2", "check-a-v6", "check-b-v6", "check-c-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
        settings={"retries": 1},
    ),
    Case(
        "a deadline fired exactly when due counts",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: timer_fired("a", late=0),
        {"a": (FAILED, 1), "b": (BLOCKED, 0), "c": (BLOCKED, 0)},
        ["cancel-a-i1-a1", "check-a-v6", "check-b-v6", "check-c-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
    ),
    Case(
        "a deadline fired early changes nothing",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: timer_fired("a", late=-1),
        {},
        [],
        settings={"retries": 1},
    ),
    Case(
        "a deadline of a superseded attempt changes nothing",
        CHAIN,
        {"a": (BUILDING, 2)},
        lambda s: timer_fired("a", attempt=1, late=60),
        {},
        [],
        settings={"retries": 2},
    ),
    Case(
        "a deadline of an attempt queued again changes nothing",
        CHAIN,
        {"a": (QUEUED, 2)},
        lambda s: timer_fired("a", attempt=1, late=60),
        {},
        [],
        settings={"retries": 2},
    ),
    Case(
        "a deadline of a phase that is done changes nothing",
        CHAIN,
        {"a": (DONE, 1), "b": (PREPARING, 1)},
        lambda s: timer_fired("a", late=60),
        {},
        [],
    ),
    Case(
        "a timer that is no deadline changes nothing",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: TimerFired(at=T0 + 9000, name="reminder:1:1:a", due_at=T0),
        {},
        [],
    ),
    Case(
        "a deadline whose name does not parse changes nothing",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: TimerFired(at=T0 + 9000, name="deadline:soon", due_at=T0),
        {},
        [],
    ),
    Case(
        "cancel stops every unfinished phase",
        {"a": [], "b": [], "c": ["a"], "d": []},
        {"a": (BUILDING, 1), "b": (PREPARING, 1), "d": (DONE, 1)},
        lambda s: CancelRequested(at=T0 + 99, by="octocat"),
        {"a": (CANCELLED, 1), "b": (CANCELLED, 1), "c": (CANCELLED, 0)},
        ["cancel-a-i1-a1", "check-a-v6", "status-v6"],
        expect_run=RunStatus.CANCELLED,
    ),
    Case(
        "cancel stops queued builders and merges",
        JOINED,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (MERGING, 1), "x": (QUEUED, 1)},
        lambda s: CancelRequested(at=T0 + 99, by="octocat"),
        {"c": (CANCELLED, 1), "x": (CANCELLED, 1)},
        ["cancel-x-i1-a1", "check-x-v6", "status-v6"],
        expect_run=RunStatus.CANCELLED,
    ),
    Case(
        "cancel before the run started",
        CHAIN,
        {},
        lambda s: CancelRequested(at=T0),
        {"a": (CANCELLED, 0), "b": (CANCELLED, 0), "c": (CANCELLED, 0)},
        ["status-v1"],
        run=RunStatus.PENDING,
        expect_run=RunStatus.CANCELLED,
    ),
    Case(
        "cancel of a finished run changes nothing",
        CHAIN,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (DONE, 1)},
        lambda s: CancelRequested(at=T0),
        {},
        [],
        run=RunStatus.DONE,
    ),
]


def _params(cases: Sequence[Case]) -> list[object]:
    return [pytest.param(c, id=c.id) for c in cases]


@pytest.mark.parametrize("case", _params(CASES))
def test_transition(case: Case) -> None:
    version = 0 if case.run is RunStatus.PENDING and not case.phases else 5
    state = setup(case.deps, case.phases, run=case.run, version=version, **case.settings)
    new, effects = reduce(state, case.event(state))

    assert [e.key for e in effects] == list(case.expect_effects)
    changed = {
        pid: (p.status, p.attempt)
        for pid, p in new.phases.items()
        if (p.status, p.attempt) != (state.phases[pid].status, state.phases[pid].attempt)
    }
    assert changed == dict(case.expect_phases)
    assert new.status is (case.expect_run or case.run)
    if case.expect_effects:
        assert new.version == state.version + 1
    else:
        assert new is state  # stale: the very same state, nothing to commit


def test_status_requested_always_updates_the_comment_and_changes_nothing() -> None:
    for run in RunStatus:
        state = setup(CHAIN, run=run)
        new, effects = reduce(state, StatusRequested(at=T0 + 1.5, by="octocat"))
        assert new is state
        assert effects == [UpdateStatusComment(version=5, requested_at=T0 + 1.5)]
        assert effects[0].key == f"status-v5-r{round((T0 + 1.5) * 1000)}"


def test_times_come_from_the_events() -> None:
    state = setup(CHAIN, {"a": (PREPARING, 1)})
    state, _ = reduce(state, prepared(state, "a", at=T0 + 60))
    # Queued time is not building time: nothing has started yet.
    assert state.phases["a"].started_at is None
    state, _ = reduce(state, started("a", at=T0 + 90))
    state, _ = reduce(state, built("a", at=T0 + 312))
    a, b = state.phases["a"], state.phases["b"]
    assert (a.dispatched_at, a.started_at, a.finished_at) == (T0 + 5, T0 + 90, T0 + 312)
    assert (b.dispatched_at, b.started_at, b.finished_at) == (T0 + 312, None, None)


def test_a_retry_keeps_the_first_start_of_work() -> None:
    state = setup(CHAIN, {"a": (QUEUED, 1)}, retries=1)
    state, _ = reduce(state, started("a", at=T0 + 90))
    state, _ = reduce(state, build_failed("a", at=T0 + 200))
    state, effects = reduce(state, started("a", attempt=2, at=T0 + 400))
    assert state.phases["a"].started_at == T0 + 90
    # The deadline, though, counts from this attempt's start.
    (timer,) = [e for e in effects if isinstance(e, StartTimer)]
    assert timer == StartTimer(name=deadline("a", 2), due_at=T0 + 400 + 3 * 3600 + 15 * 60)


def test_a_builder_start_sets_its_deadline_from_the_settings() -> None:
    state = setup(CHAIN, {"a": (QUEUED, 1)}, builder_deadline_seconds=600)
    _, effects = reduce(state, started("a", at=T0 + 90))
    # The deadline plus 15 minutes of grace for the builder's own report to arrive.
    assert effects[0] == StartTimer(name="deadline:1:1:a", due_at=T0 + 90 + 600 + 900)
    assert effects[0].key == f"timer-deadline_x3a_1_x3a_1_x3a_a-{round(T0 + 1590)}"


def test_a_missed_deadline_says_why_the_attempt_failed() -> None:
    state = setup(CHAIN, {"a": (BUILDING, 1)}, retries=1)
    state = state.with_phase(dataclasses.replace(state.phases["a"], log_tail="step 3"))
    new, _ = reduce(state, timer_fired("a", late=60))
    a = new.phases["a"]
    assert a.error.startswith("attempt 1 failed: ")
    assert "deadline" in a.error
    assert a.log_tail == "step 3"  # what the builder last said is kept for the retry


@pytest.mark.parametrize(
    ("status", "attempt", "cancelled_at", "builder_stopped"),
    [
        (PENDING, 0, None, False),
        (MERGING, 1, None, False),
        (PREPARING, 1, None, False),
        (QUEUED, 1, None, True),  # its builder never started: it did not run
        (QUEUED, 2, T0 + 99, True),  # a retry: the first attempt's builder did run
        (BUILDING, 1, T0 + 99, True),
    ],
)
def test_cancel_finishes_only_phases_whose_builder_started(
    status: PhaseStatus, attempt: int, cancelled_at: float | None, builder_stopped: bool
) -> None:
    state = setup(THREE, {"a": (status, attempt)}, retries=1)
    new, effects = reduce(state, CancelRequested(at=T0 + 99, by="octocat"))
    a = new.phases["a"]
    assert (a.status, a.finished_at) == (CANCELLED, cancelled_at)
    assert a.started_at == state.phases["a"].started_at
    cancels = [e for e in effects if isinstance(e, CancelBuilder)]
    assert cancels == ([CancelBuilder(phase_id="a", attempt=attempt)] if builder_stopped else [])


def test_prepared_records_the_branch_pr_and_check_run() -> None:
    state = setup(CHAIN, {"a": (PREPARING, 1)})
    new, effects = reduce(state, prepared(state, "a"))
    a = new.phases["a"]
    assert (a.branch, a.pr_number, a.head_sha) == ("porch/42-add-login/a", 101, "a-start")
    assert a.check_run_id is not None
    assert effects[0] == RunBuilder(phase_id="a", attempt=1, branch="porch/42-add-login/a")


def test_build_failure_keeps_the_log_and_error_for_the_retry() -> None:
    state = setup(CHAIN, {"a": (BUILDING, 1)}, retries=1)
    new, _ = reduce(state, build_failed("a"))
    assert (new.phases["a"].log_tail, new.phases["a"].error) == ("boom", "attempt 1 failed: exit 1")
    new, _ = reduce(new, started("a", attempt=2, at=T0 + 310))
    new, _ = reduce(new, built("a", attempt=2, at=T0 + 400))
    assert new.phases["a"].error == ""


def test_built_may_move_the_check_run_to_the_new_head() -> None:
    state = setup(CHAIN, {"a": (BUILDING, 1)})
    event = dataclasses.replace(built("a"), check_run_id=555)
    new, effects = reduce(state, event)
    assert new.phases["a"].check_run_id == 555
    # The builder made it showing the phase done: no edit follows.
    assert not any(isinstance(e, UpdateCheckRun) for e in effects)
    _, effects = reduce(state, built("a"))
    assert UpdateCheckRun(phase_id="a", version=6) in effects


# --- Iterations -------------------------------------------------------------------------------

# Each phase event, and a status of its phase that accepts it (with `retries=1`).
ITERATION_CASES: list[tuple[str, PhaseStatus, Callable[[RunState, int], Event]]] = [
    ("HeadsMerged", MERGING, lambda s, i: merged(s, "a", iteration=i)),
    ("MergeFailed", MERGING, lambda s, i: merge_failed("a", iteration=i)),
    ("MergeEscalated", MERGING, lambda s, i: escalated("a", iteration=i)),
    ("MergeNeedsPerson", MERGING, lambda s, i: needs_person(s, "a", iteration=i)),
    ("ResolutionVerified", PhaseStatus.CONFLICTED, lambda s, i: verified(s, "a", iteration=i)),
    ("PhasePrepared", PREPARING, lambda s, i: prepared(s, "a", iteration=i)),
    ("PhasePrepareFailed", PREPARING, lambda s, i: prepare_failed("a", iteration=i)),
    ("BuilderStarted", QUEUED, lambda s, i: started("a", iteration=i)),
    ("PhaseBuilt", BUILDING, lambda s, i: built("a", iteration=i)),
    ("PhaseBuildFailed", QUEUED, lambda s, i: build_failed("a", iteration=i)),
    ("PhaseBuildFailed", BUILDING, lambda s, i: build_failed("a", iteration=i)),
    ("TimerFired", BUILDING, lambda s, i: timer_fired("a", iteration=i)),
    ("PhaseOverdue", PREPARING, lambda s, i: overdue("a", PREPARING, iteration=i)),
    ("PhaseOverdue", QUEUED, lambda s, i: overdue("a", QUEUED, iteration=i)),
]


def overdue(pid: str, status: PhaseStatus, attempt: int = 1, iteration: int = 1) -> PhaseOverdue:
    return PhaseOverdue(
        at=T0 + 7200,
        phase_id=pid,
        attempt=attempt,
        iteration=iteration,
        status=status.value,
        seconds=7200,
    )


@pytest.mark.parametrize("status", [MERGING, PREPARING, QUEUED])
def test_a_phase_past_its_bound_fails_saying_why(status: PhaseStatus) -> None:
    state = setup(CHAIN, {"a": (status, 1)}, retries=1)
    new, effects = reduce(state, overdue("a", status))
    phase = new.phases["a"]
    assert phase.status is FAILED
    assert phase.error.startswith(f"It stayed {status.value} for 2 h 0 min")
    assert new.phases["b"].status is PhaseStatus.BLOCKED
    # A queued job that a builder worker takes later must not build a failed phase.
    stops = [e for e in effects if isinstance(e, CancelBuilder)]
    assert len(stops) == (1 if status is QUEUED else 0)


@pytest.mark.parametrize("status", [PENDING, BUILDING, DONE])
def test_overdue_for_another_state_or_attempt_is_stale(status: PhaseStatus) -> None:
    state = setup(CHAIN, {"a": (PREPARING, 1)}, retries=1)
    assert reduce(state, overdue("a", status))[0] is state
    assert reduce(state, overdue("a", PREPARING, attempt=2))[0] is state


def test_every_phase_event_has_an_iteration_case() -> None:
    phase_events = {n for n, cls in EVENT_TYPES.items() if issubclass(cls, PhaseEvent)}
    # ConsultantsFinished has its own iteration test in test_core_consulting.py.
    assert {name for name, _, _ in ITERATION_CASES} == phase_events - {"ConsultantsFinished"} | {
        "TimerFired"
    }


@pytest.mark.parametrize(
    ("name", "status", "event"),
    ITERATION_CASES,
    ids=[f"{name} while {status.value}" for name, status, _ in ITERATION_CASES],
)
@pytest.mark.parametrize("iteration", [1, 2])
def test_an_event_for_another_iteration_is_stale(
    name: str, status: PhaseStatus, event: Callable[[RunState, int], Event], iteration: int
) -> None:
    state = setup(CHAIN, {"a": (status, 1)}, retries=1)
    state = state.with_phase(dataclasses.replace(state.phases["a"], iteration=iteration))
    other = 3 - iteration

    assert reduce(state, event(state, other)) == (state, [])
    assert reduce(state, event(state, other))[0] is state

    # The same event for the phase's own iteration does count, and what it asks for the
    # phase next belongs to that iteration.
    new, effects = reduce(state, event(state, iteration))
    assert new is not state
    assert new.phases["a"].iteration == iteration
    for effect in effects:
        if isinstance(effect, PhaseEffect) and effect.phase_id == "a":
            assert effect.iteration == iteration
            assert f"-i{iteration}-" in effect.key
        if isinstance(effect, StartTimer):
            assert effect.name.startswith(f"deadline:{iteration}:")


# --- Start points -----------------------------------------------------------------------------


def _start_of(state: RunState, pid: str) -> Effect:
    """What the building phase finishing starts `pid` with: a preparation or a merge."""
    _, effects = reduce(
        state, built(next(p for p, s in state.phases.items() if s.status is BUILDING))
    )
    return next(
        e for e in effects if isinstance(e, PreparePhase | MergeHeads) and e.phase_id == pid
    )


def test_a_root_starts_from_the_run_base() -> None:
    _, effects = reduce(run_of(CHAIN), RunStarted(at=T0))
    assert effects[0] == PreparePhase(
        phase_id="a",
        attempt=1,
        iteration=1,
        branch="porch/42-add-login/a",
        base_branch="main",
        start=StartPoint(ref="main", sha="base0"),
    )


def test_one_dependency_starts_from_its_head_and_targets_its_branch() -> None:
    state = setup(CHAIN, {"a": (BUILDING, 1)})
    effect = _start_of(state, "b")
    assert isinstance(effect, PreparePhase)
    assert effect.start == StartPoint(ref="porch/42-add-login/a", sha="a-1", phase_id="a")
    assert effect.base_branch == "porch/42-add-login/a"


def test_several_dependencies_merge_onto_a_base_branch() -> None:
    state = setup(DIAMOND, {"a": (DONE, 1), "b": (DONE, 1), "c": (BUILDING, 1)})
    effect = _start_of(state, "d")
    assert isinstance(effect, MergeHeads)
    assert [p.phase_id for p in effect.heads] == ["b", "c"]
    assert [p.sha for p in effect.heads] == ["b-head", "c-1"]
    assert [p.ref for p in effect.heads] == ["porch/42-add-login/b", "porch/42-add-login/c"]
    assert effect.branch == "porch/42-add-login/d-base"

    # The merge made, the phase is prepared at it, its PR targeting the merge branch.
    state, _ = reduce(state, built("c"))
    _, effects = reduce(state, merged(state, "d"))
    assert effects[0] == PreparePhase(
        phase_id="d",
        attempt=1,
        branch="porch/42-add-login/d",
        base_branch="porch/42-add-login/d-base",
        start=StartPoint(ref="porch/42-add-login/d-base", sha="d-merge"),
    )


def test_a_dependency_contained_in_another_is_left_out() -> None:
    deps = {"a": [], "b": ["a"], "c": ["a", "b"]}
    state = setup(deps, {"a": (DONE, 1), "b": (BUILDING, 1)})
    effect = _start_of(state, "c")
    assert isinstance(effect, PreparePhase)
    assert effect.start.phase_id == "b"
    assert effect.base_branch == "porch/42-add-login/b"


def test_a_skipped_dependency_is_looked_through() -> None:
    deps = {"a": [], "b": ["a"], "c": ["b"]}
    state = setup(deps, {"a": (BUILDING, 1), "b": (P.SKIPPED, 0)})
    effect = _start_of(state, "c")
    assert isinstance(effect, PreparePhase)
    assert effect.start.phase_id == "a"


def test_every_phase_skipped_or_done_integrates_then_the_run_is_done() -> None:
    state = setup(CHAIN, {"a": (BUILDING, 1), "b": (P.SKIPPED, 0), "c": (P.SKIPPED, 0)})
    new, _ = reduce(state, built("a"))
    assert new.status is RunStatus.INTEGRATING
    assert new.finished_at is None
    assert new.leaves() == ("a",)
    done, _ = reduce(new, IntegrationOpened(at=T0 + 400, pr_number=12, sha="i"))
    assert (done.status, done.integration_pr, done.finished_at) == (RunStatus.DONE, 12, T0 + 400)
    # Reported twice, it changes nothing the second time.
    assert reduce(done, IntegrationOpened(at=T0 + 401, pr_number=12, sha="i")) == (done, [])


def test_an_integration_that_fails_fails_the_run_and_says_why() -> None:
    state = setup(
        CHAIN, {"a": (DONE, 1), "b": (DONE, 1), "c": (DONE, 1)}, run=RunStatus.INTEGRATING
    )
    new, _ = reduce(state, IntegrationFailed(at=T0 + 400, error="a check failed"))
    assert new.status is RunStatus.FAILED
    assert "a check failed" in status_comment(new)
