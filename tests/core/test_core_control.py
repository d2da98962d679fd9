"""Retry and skip by people: what goes again, what is revived, and when a run resumes."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.effects import MergeHeads, OpenIntegration, PreparePhase, UpdateCheckRun
from bot.core.events import (
    CheckRunOpened,
    MergeFailed,
    PhaseBuildFailed,
    RetryRequested,
    SkipRequested,
)
from bot.core.reducer import reduce
from bot.core.reducer.control import find_phase, why_not_retry, why_not_skip
from bot.core.state import PhaseStatus, RunStatus
from tests.core.core_support import T0, setup

P = PhaseStatus
CHAIN = {"a": [], "b": ["a"], "c": ["b"]}
DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def test_retry_of_a_failed_phase_revives_its_blocked_dependents_and_the_run() -> None:
    state = setup(
        CHAIN, {"a": (P.FAILED, 2), "b": (P.BLOCKED, 0), "c": (P.BLOCKED, 0)}, run=RunStatus.FAILED
    )
    new, effects = reduce(state, RetryRequested(at=T0 + 500, phase_id="a", by="maria"))
    assert new.status is RunStatus.RUNNING and new.finished_at is None
    assert [new.phases[p].status for p in "abc"] == [P.PREPARING, P.PENDING, P.PENDING]
    a = new.phases["a"]
    # Attempts keep rising, so reports of the old attempts stay stale; retries start over.
    assert (a.attempt, a.first_attempt, a.error) == (3, 3, "")
    prepare = next(e for e in effects if isinstance(e, PreparePhase))
    assert prepare.branch == state.phases["a"].branch  # the same branch, so the same PR
    assert UpdateCheckRun(phase_id="a", version=new.version) in effects


def test_a_retried_phase_gets_its_configured_retries_again() -> None:
    state = setup(CHAIN, {"a": (P.FAILED, 2)}, run=RunStatus.FAILED, retries=1)
    state, _ = reduce(state, RetryRequested(at=T0 + 500, phase_id="a"))
    failed = PhaseBuildFailed(at=T0 + 600, phase_id="a", attempt=3, error="boom")
    state = state.with_phase(dataclasses.replace(state.phases["a"], status=P.BUILDING))
    state, _ = reduce(state, failed)
    assert (state.phases["a"].status, state.phases["a"].attempt) == (P.QUEUED, 4)
    state = state.with_phase(dataclasses.replace(state.phases["a"], status=P.BUILDING))
    state, _ = reduce(state, PhaseBuildFailed(at=T0 + 700, phase_id="a", attempt=4, error="x"))
    assert state.phases["a"].status is P.FAILED


def test_retry_of_a_blocked_phase_retries_the_failed_dependency_it_waits_for() -> None:
    state = setup(
        DIAMOND,
        {"a": (P.DONE, 1), "b": (P.FAILED, 1), "c": (P.DONE, 1), "d": (P.BLOCKED, 0)},
        run=RunStatus.FAILED,
    )
    new, _ = reduce(state, RetryRequested(at=T0 + 500, phase_id="d"))
    assert new.phases["b"].status is P.PREPARING
    assert new.phases["d"].status is P.PENDING


def test_a_dependent_blocked_by_another_failure_stays_blocked() -> None:
    state = setup(
        DIAMOND,
        {"a": (P.DONE, 1), "b": (P.FAILED, 1), "c": (P.FAILED, 1), "d": (P.BLOCKED, 0)},
        run=RunStatus.FAILED,
    )
    new, _ = reduce(state, RetryRequested(at=T0 + 500, phase_id="b"))
    assert new.phases["b"].status is P.PREPARING
    assert new.phases["d"].status is P.BLOCKED
    assert new.status is RunStatus.RUNNING


def test_retry_in_a_cancelled_run_revives_the_cancelled_dependents() -> None:
    state = setup(
        CHAIN,
        {"a": (P.CANCELLED, 1), "b": (P.CANCELLED, 0), "c": (P.CANCELLED, 0)},
        run=RunStatus.CANCELLED,
    )
    new, _ = reduce(state, RetryRequested(at=T0 + 500, phase_id="a"))
    assert [new.phases[p].status for p in "abc"] == [P.PREPARING, P.PENDING, P.PENDING]
    assert new.status is RunStatus.RUNNING


def test_skip_counts_as_done_and_dependents_start_from_its_start_point() -> None:
    state = setup(
        DIAMOND,
        {"a": (P.DONE, 1), "b": (P.FAILED, 1), "c": (P.DONE, 1), "d": (P.BLOCKED, 0)},
        run=RunStatus.FAILED,
    )
    new, effects = reduce(state, SkipRequested(at=T0 + 500, phase_id="b", by="maria"))
    assert new.phases["b"].status is P.SKIPPED
    assert new.phases["b"].error == "skipped by @maria"
    assert new.status is RunStatus.RUNNING
    # b is looked through: d starts from c's head alone (a is inside c).
    prepare = next(e for e in effects if isinstance(e, PreparePhase))
    assert (prepare.phase_id, prepare.start.phase_id) == ("d", "c")
    assert not any(isinstance(e, MergeHeads) for e in effects)


def test_skipping_every_unfinished_phase_opens_the_integration_pr() -> None:
    state = setup(
        CHAIN, {"a": (P.DONE, 1), "b": (P.DONE, 1), "c": (P.FAILED, 1)}, run=RunStatus.FAILED
    )
    new, effects = reduce(state, SkipRequested(at=T0 + 500, phase_id="c"))
    assert new.status is RunStatus.INTEGRATING
    assert OpenIntegration() in effects


@pytest.mark.parametrize("status", [P.DONE, P.BUILDING, P.QUEUED, P.PENDING])
def test_retry_of_a_phase_that_did_not_stop_changes_nothing(status: P) -> None:
    state = setup(CHAIN, {"a": (status, 1)})
    assert why_not_retry(state, "a") is not None
    new, effects = reduce(state, RetryRequested(at=T0 + 500, phase_id="a"))
    assert new is state and effects == []


@pytest.mark.parametrize("status", [P.DONE, P.BUILDING, P.SKIPPED])
def test_skip_of_a_phase_done_or_at_work_changes_nothing(status: P) -> None:
    state = setup(CHAIN, {"a": (status, 1)})
    assert why_not_skip(state, "a") is not None
    new, effects = reduce(state, SkipRequested(at=T0 + 500, phase_id="a"))
    assert new is state and effects == []


def test_an_unknown_phase_changes_nothing() -> None:
    state = setup(CHAIN, {"a": (P.FAILED, 1)}, run=RunStatus.FAILED)
    assert reduce(state, RetryRequested(at=T0, phase_id="zz")) == (state, [])
    assert reduce(state, SkipRequested(at=T0, phase_id="zz")) == (state, [])


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("a", "a"), ("A", "a"), ("Phase a", "a"), ("phase_b", "b"), ("`c`", "c"), ("z", None)],
)
def test_a_phase_is_found_by_id_or_label(reference: str, expected: str | None) -> None:
    assert find_phase(setup(CHAIN), reference) == expected


def test_a_phase_failed_before_its_branch_asks_for_a_check_run_once() -> None:
    state = setup(CHAIN, {"a": (P.MERGING, 1)})
    new, effects = reduce(state, MergeFailed(at=T0 + 50, phase_id="a", attempt=1, error="x"))
    checks = {e.phase_id for e in effects if isinstance(e, UpdateCheckRun)}
    assert checks == {"a", "b", "c"}  # the failure and both blocked dependents
    opened, effects = reduce(new, CheckRunOpened(at=T0 + 51, phase_id="a", check_run_id=9))
    assert opened.phases["a"].check_run_id == 9
    assert not any(isinstance(e, UpdateCheckRun) for e in effects)
    # Recorded once: a second report for the same phase changes nothing.
    assert reduce(opened, CheckRunOpened(at=T0 + 52, phase_id="a", check_run_id=10)) == (
        opened,
        [],
    )
