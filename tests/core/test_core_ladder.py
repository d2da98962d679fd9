"""The merge ladder in the reducer: GitHub's conflict climbs to a clone, then to a person, and
`/porch resolved` resumes the phase from the person's branch."""

from __future__ import annotations

import dataclasses

from bot.core.effects import (
    AskForResolution,
    AskToResolveIntegration,
    OpenIntegration,
    PreparePhase,
    ResolveMerge,
)
from bot.core.events import CancelRequested, IntegrationNeedsPerson, IntegrationResolved
from bot.core.reducer import reduce
from bot.core.render import check_run_output, status_comment
from bot.core.state import PhaseStatus, RunState, RunStatus
from tests.core.core_support import (
    DIAMOND,
    T0,
    escalated,
    merge_failed,
    needs_person,
    setup,
    verified,
)

P = PhaseStatus


def _joining() -> RunState:
    """The diamond with a, b and c done and d merging their heads."""
    done = (P.DONE, 1)
    return setup(DIAMOND, {"a": done, "b": done, "c": done, "d": (P.MERGING, 1)})


def test_a_conflict_at_github_climbs_to_a_clone_on_the_same_attempt() -> None:
    state = _joining()
    new, effects = reduce(state, escalated("d"))
    assert new.phases["d"].status is P.MERGING
    assert new.phases["d"].merge_rungs == ("github: d's heads conflict",)
    [resolve] = [e for e in effects if isinstance(e, ResolveMerge)]
    assert resolve.branch == state.merge_branch_for("d")
    assert resolve.resolve_branch == f"{state.branch_for('d')}-resolve"
    assert [h.phase_id for h in resolve.heads] == ["b", "c"]
    assert resolve.attempt == 1
    # The same report again climbs no further.
    assert reduce(new, escalated("d")) == (new, [])


def test_a_conflict_no_rung_merged_waits_for_a_person_and_the_run_waits_too() -> None:
    state = _joining()
    state, _ = reduce(state, escalated("d"))
    new, effects = reduce(state, needs_person(state, "d"))
    phase = new.phases["d"]
    assert phase.status is P.CONFLICTED
    assert phase.conflict_files == ("NOTES.md",)
    assert phase.resolve_branch == state.resolve_branch_for("d")
    assert new.status is RunStatus.RUNNING  # waiting, not failed
    assert AskForResolution(phase_id="d", attempt=1) in effects
    comment = status_comment(new)
    assert "conflicted" in comment and "waiting for a person" in comment
    assert state.resolve_branch_for("d") in comment


def test_a_verified_resolution_prepares_the_phase_on_the_persons_branch() -> None:
    state = _joining()
    state, _ = reduce(state, needs_person(state, "d"))
    new, effects = reduce(state, verified(state, "d"))
    assert new.phases["d"].status is P.PREPARING
    assert new.phases["d"].merge_rungs[-1].startswith("person: resolved by @maria")
    [prepare] = [e for e in effects if isinstance(e, PreparePhase)]
    assert prepare.start.ref == state.resolve_branch_for("d")
    assert prepare.start.sha == "d-resolved"
    assert prepare.base_branch == state.resolve_branch_for("d")


def test_a_resolution_for_a_phase_not_waiting_changes_nothing() -> None:
    state = _joining()
    assert reduce(state, verified(state, "d")) == (state, [])


def test_cancel_ends_a_conflicted_phase() -> None:
    state = _joining()
    state, _ = reduce(state, needs_person(state, "d"))
    new, _ = reduce(state, CancelRequested(at=state.created_at + 99))
    assert new.phases["d"].status is P.CANCELLED
    assert new.status is RunStatus.CANCELLED


def test_a_merge_job_that_fails_still_fails_the_phase() -> None:
    state = _joining()
    new, _ = reduce(state, merge_failed("d"))
    assert new.phases["d"].status is P.FAILED


def test_a_conflicted_phase_with_a_check_run_says_action_required() -> None:
    state = _joining()
    state, _ = reduce(state, needs_person(state, "d"))
    fields = check_run_output(state, "d")
    assert (fields["status"], fields["conclusion"]) == ("completed", "action_required")
    assert "/porch resolved" in fields["output"]["summary"]


def _integrating() -> RunState:
    state = setup({"a": [], "b": []}, {"a": (P.DONE, 1), "b": (P.DONE, 1)})
    return dataclasses.replace(state, status=RunStatus.INTEGRATING)


def _needs_person(round_: int) -> IntegrationNeedsPerson:
    return IntegrationNeedsPerson(
        at=T0 + 400,
        round=round_,
        meeting=("a", "b"),
        files=("x.py",),
        hunks="<<<<<<<",
        rungs=("local: b conflicts with a in x.py",),
    )


def test_the_integration_waits_for_a_person_and_goes_again_from_their_branch() -> None:
    state, effects = reduce(_integrating(), _needs_person(1))
    assert state.status is RunStatus.INTEGRATING
    assert state.integration_conflict is not None
    assert state.integration_conflict.files == ("x.py",)
    assert [e for e in effects if isinstance(e, AskToResolveIntegration)] == [
        AskToResolveIntegration(round=1)
    ]
    assert "### porch parallel: the integration PR waits for a person" in status_comment(state)
    state, effects = reduce(state, IntegrationResolved(at=T0 + 500, sha="s", by="maria"))
    assert state.integration_conflict is None and state.integration_round == 2
    assert [e for e in effects if isinstance(e, OpenIntegration)] == [OpenIntegration(round=2)]
    # The second round's job has an id of its own: the first one's is spent.
    assert OpenIntegration(round=2).key != OpenIntegration().key


def test_a_late_report_of_an_earlier_integration_round_changes_nothing() -> None:
    state = dataclasses.replace(_integrating(), integration_round=2)
    after, effects = reduce(state, _needs_person(1))
    assert after.integration_conflict is None and not effects
    after, effects = reduce(state, IntegrationResolved(at=T0 + 500, sha="s"))
    assert after.integration_round == 2 and not effects
