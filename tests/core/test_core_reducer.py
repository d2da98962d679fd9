"""Every transition of the reducer, one table row each, plus the start points it computes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from bot.core.effects import PreparePhase, RunBuilder, StartPoint, UpdateStatusComment
from bot.core.events import CancelRequested, Event, RunStarted, StatusRequested
from bot.core.reducer import reduce
from bot.core.state import FailurePolicy, PhaseStatus, RunState, RunStatus
from tests.core.core_support import (
    DIAMOND,
    T0,
    build_failed,
    built,
    prepare_failed,
    prepared,
    run_of,
    setup,
)

P = PhaseStatus
PENDING, PREPARING, BUILDING, DONE = P.PENDING, P.PREPARING, P.BUILDING, P.DONE
FAILED, BLOCKED, CANCELLED = P.FAILED, P.BLOCKED, P.CANCELLED
CHAIN = {"a": [], "b": ["a"], "c": ["b"]}
THREE = {"a": [], "b": [], "c": []}
ROOTS_AND_CHILD = {"a": [], "b": [], "c": ["a"]}


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
        ["prepare-a-1", "prepare-b-1", "status-v1"],
        run=RunStatus.PENDING,
        expect_run=RunStatus.RUNNING,
    ),
    Case(
        "run started respects max_parallel",
        THREE,
        {},
        lambda s: RunStarted(at=T0),
        {"a": (PREPARING, 1)},
        ["prepare-a-1", "status-v1"],
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
        "prepared phase builds",
        CHAIN,
        {"a": (PREPARING, 1)},
        lambda s: prepared(s, "a"),
        {"a": (BUILDING, 1)},
        ["build-a-1", "check-a-v6", "status-v6"],
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
        ["status-v6"],
    ),
    Case(
        "prepare failed of the last active phase fails the run",
        CHAIN,
        {"a": (PREPARING, 1)},
        lambda s: prepare_failed("a"),
        {"a": (FAILED, 1), "b": (BLOCKED, 0), "c": (BLOCKED, 0)},
        ["status-v6"],
        expect_run=RunStatus.FAILED,
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
        "built phase is done and its dependents are prepared",
        DIAMOND,
        {"a": (BUILDING, 1)},
        lambda s: built("a"),
        {"a": (DONE, 1), "b": (PREPARING, 1), "c": (PREPARING, 1)},
        ["prepare-b-1", "prepare-c-1", "check-a-v6", "status-v6"],
    ),
    Case(
        "built phase dispatches dependents up to max_parallel",
        DIAMOND,
        {"a": (BUILDING, 1)},
        lambda s: built("a"),
        {"a": (DONE, 1), "b": (PREPARING, 1)},
        ["prepare-b-1", "check-a-v6", "status-v6"],
        settings={"max_parallel": 1},
    ),
    Case(
        "a dependent waits for its last dependency",
        DIAMOND,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (BUILDING, 1)},
        lambda s: built("c"),
        {"c": (DONE, 1), "d": (PREPARING, 1)},
        ["prepare-d-1", "check-c-v6", "status-v6"],
    ),
    Case(
        "built frees a slot for a waiting phase",
        THREE,
        {"a": (BUILDING, 1), "b": (BUILDING, 1)},
        lambda s: built("a"),
        {"a": (DONE, 1), "c": (PREPARING, 1)},
        ["prepare-c-1", "check-a-v6", "status-v6"],
        settings={"max_parallel": 2},
    ),
    Case(
        "the last phase built finishes the run",
        CHAIN,
        {"a": (DONE, 1), "b": (DONE, 1), "c": (BUILDING, 2)},
        lambda s: built("c", attempt=2),
        {"c": (DONE, 2)},
        ["check-c-v6", "status-v6"],
        expect_run=RunStatus.DONE,
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
        "build failed with attempts left runs the builder again",
        CHAIN,
        {"a": (BUILDING, 1)},
        lambda s: build_failed("a"),
        {"a": (BUILDING, 2)},
        ["build-a-2", "check-a-v6", "status-v6"],
        settings={"retries": 2},
    ),
    Case(
        "build failed on the last attempt fails the phase",
        CHAIN,
        {"a": (BUILDING, 3)},
        lambda s: build_failed("a", attempt=3),
        {"a": (FAILED, 3), "b": (BLOCKED, 0), "c": (BLOCKED, 0)},
        ["check-a-v6", "status-v6"],
        expect_run=RunStatus.FAILED,
        settings={"retries": 2},
    ),
    Case(
        "build failed blocks dependents and siblings go on",
        DIAMOND,
        {"a": (DONE, 1), "b": (BUILDING, 1), "c": (BUILDING, 1)},
        lambda s: build_failed("b"),
        {"b": (FAILED, 1), "d": (BLOCKED, 0)},
        ["check-b-v6", "status-v6"],
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
        ["cancel-b-1", "check-a-v6", "check-b-v6", "status-v6"],
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
        "cancel stops every unfinished phase",
        {"a": [], "b": [], "c": ["a"], "d": []},
        {"a": (BUILDING, 1), "b": (PREPARING, 1), "d": (DONE, 1)},
        lambda s: CancelRequested(at=T0 + 99, by="octocat"),
        {"a": (CANCELLED, 1), "b": (CANCELLED, 1), "c": (CANCELLED, 0)},
        ["cancel-a-1", "check-a-v6", "status-v6"],
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


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
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
    state, _ = reduce(state, built("a", at=T0 + 312))
    a, b = state.phases["a"], state.phases["b"]
    assert (a.started_at, a.finished_at) == (T0 + 10, T0 + 312)
    assert b.started_at == T0 + 312 and b.finished_at is None


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
    new, _ = reduce(new, built("a", attempt=2))
    assert new.phases["a"].error == ""


def test_built_may_move_the_check_run_to_the_new_head() -> None:
    state = setup(CHAIN, {"a": (BUILDING, 1)})
    event = dataclasses.replace(built("a"), check_run_id=555)
    new, _ = reduce(state, event)
    assert new.phases["a"].check_run_id == 555


def _prepare_for(state: RunState, pid: str) -> PreparePhase:
    _, effects = reduce(
        state, built(next(p for p, s in state.phases.items() if s.status is BUILDING))
    )
    return next(e for e in effects if isinstance(e, PreparePhase) and e.phase_id == pid)


def test_a_root_starts_from_the_run_base() -> None:
    _, effects = reduce(run_of(CHAIN), RunStarted(at=T0))
    assert effects[0] == PreparePhase(
        phase_id="a",
        attempt=1,
        branch="porch/42-add-login/a",
        base_branch="main",
        start=(StartPoint(ref="main", sha="base0"),),
    )


def test_one_dependency_starts_from_its_head_and_targets_its_branch() -> None:
    state = setup(CHAIN, {"a": (BUILDING, 1)})
    effect = _prepare_for(state, "b")
    assert effect.start == (StartPoint(ref="porch/42-add-login/a", sha="a-1", phase_id="a"),)
    assert effect.base_branch == "porch/42-add-login/a"


def test_several_dependencies_merge_onto_a_base_branch() -> None:
    state = setup(DIAMOND, {"a": (DONE, 1), "b": (DONE, 1), "c": (BUILDING, 1)})
    effect = _prepare_for(state, "d")
    assert [p.phase_id for p in effect.start] == ["b", "c"]
    assert [p.sha for p in effect.start] == ["b-head", "c-1"]
    assert effect.base_branch == "porch/42-add-login/d-base"
    assert effect.branch == "porch/42-add-login/d"


def test_a_dependency_contained_in_another_is_left_out() -> None:
    deps = {"a": [], "b": ["a"], "c": ["a", "b"]}
    state = setup(deps, {"a": (DONE, 1), "b": (BUILDING, 1)})
    effect = _prepare_for(state, "c")
    assert [p.phase_id for p in effect.start] == ["b"]
    assert effect.base_branch == "porch/42-add-login/b"


def test_a_skipped_dependency_is_looked_through() -> None:
    deps = {"a": [], "b": ["a"], "c": ["b"]}
    state = setup(deps, {"a": (BUILDING, 1), "b": (P.SKIPPED, 0)})
    effect = _prepare_for(state, "c")
    assert [p.phase_id for p in effect.start] == ["a"]


def test_every_phase_skipped_or_done_is_a_done_run() -> None:
    state = setup(CHAIN, {"a": (BUILDING, 1), "b": (P.SKIPPED, 0), "c": (P.SKIPPED, 0)})
    new, _ = reduce(state, built("a"))
    assert new.status is RunStatus.DONE
    assert new.finished_at == T0 + 300
