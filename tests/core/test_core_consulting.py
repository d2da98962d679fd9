"""Consultation: batches, reviews, consultants' verdicts, review rounds and approvals."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.effects import (
    RequestConsultation,
    RunBuilder,
    RunConsultants,
    StartTimer,
    SummariseConsultation,
)
from bot.core.events import (
    ApprovedByCommand,
    ConsultantsFinished,
    ConsultantVerdict,
    ConsultRequested,
    ReviewDismissed,
    ReviewSubmitted,
    TimerFired,
)
from bot.core.reducer import reduce
from bot.core.render import check_run_output, consultation_line, status_comment
from bot.core.state import ConsultationSettings, PhaseStatus, RunState, RunStatus, Verdict
from bot.inputs.config import load_config
from tests.core.core_support import DIAMOND, T0, built, setup

P = PhaseStatus
CHAIN = {"a": [], "b": ["a"]}
SIBLINGS = {"a": [], "b": [], "c": ["a", "b"]}


def gate(**changes: object) -> ConsultationSettings:
    fields: dict[str, object] = {"gated": True, "reviewers": ("rita",), **changes}
    return ConsultationSettings(**fields)  # type: ignore[arg-type]


def review(
    pid: str,
    verdict: Verdict,
    *,
    review_id: int = 1,
    reviewer: str = "rita",
    head: str | None = None,
    at: float = T0 + 400,
    body: str = "",
) -> ReviewSubmitted:
    return ReviewSubmitted(
        at=at,
        phase_id=pid,
        review_id=review_id,
        reviewer=reviewer,
        verdict=verdict,
        head_sha=head or f"{pid}-1",
        body=body,
    )


def consulting(deps: dict[str, list[str]], pid: str = "a", **changes: object) -> RunState:
    """The run once `pid` was built and its batch sent (nothing else active)."""
    state = setup(deps, {pid: (P.BUILDING, 1)}, consultation=gate(**changes))
    state, _ = reduce(state, built(pid))
    assert state.phases[pid].status is P.CONSULTING
    return state


# --- Built phases wait for consultation --------------------------------------------------------


def test_without_the_gate_a_built_phase_is_done() -> None:
    state = setup(CHAIN, {"a": (P.BUILDING, 1)})
    state, effects = reduce(state, built("a"))
    assert state.phases["a"].status is P.DONE
    assert not [e for e in effects if isinstance(e, RequestConsultation)]


def test_a_built_phase_is_consulted_and_its_dependent_waits() -> None:
    state = setup(CHAIN, {"a": (P.BUILDING, 1)}, consultation=gate())
    state, effects = reduce(state, built("a"))
    assert state.phases["a"].status is P.CONSULTING
    assert state.phases["b"].status is P.PENDING
    assert RequestConsultation(batch=1) in effects  # nothing else could join: sent at once
    assert state.status is RunStatus.RUNNING  # consulting is progress, not a stuck run


def test_an_approval_of_the_head_makes_it_done_and_starts_the_dependent() -> None:
    state = consulting(CHAIN)
    state, effects = reduce(state, review("a", Verdict.APPROVE))
    assert state.phases["a"].status is P.DONE
    assert state.phases["b"].status is P.PREPARING
    prepare = next(e for e in effects if type(e).__name__ == "PreparePhase")
    assert prepare.start.sha == "a-1"  # the approved head


def test_an_approval_of_an_older_head_does_not_count_and_says_so() -> None:
    state = consulting(CHAIN)
    state, _ = reduce(state, review("a", Verdict.APPROVE, head="a-start"))
    assert state.phases["a"].status is P.CONSULTING
    summary = check_run_output(state, "a")["output"]["summary"]
    assert "does not count" in summary and "a-start" in summary


def test_a_comment_changes_no_status() -> None:
    state = consulting(CHAIN)
    new, _ = reduce(state, review("a", Verdict.COMMENT, body="nice"))
    assert new.phases["a"].status is P.CONSULTING


def test_a_review_delivered_twice_counts_once() -> None:
    state = consulting(CHAIN, required_approvals=2, reviewers=("rita", "sam"))
    once, _ = reduce(state, review("a", Verdict.APPROVE))
    twice = reduce(once, review("a", Verdict.APPROVE))
    assert twice == (once, [])
    assert once.phases["a"].status is P.CONSULTING
    assert "1 of 2 approvals; waiting for sam" in consultation_line(once, once.phases["a"])


def test_reviews_while_building_change_nothing() -> None:
    state = setup(CHAIN, {"a": (P.BUILDING, 1)}, consultation=gate())
    assert reduce(state, review("a", Verdict.APPROVE)) == (state, [])
    assert reduce(state, review("a", Verdict.REQUEST_CHANGES)) == (state, [])


def test_a_dismissed_request_for_changes_stops_counting() -> None:
    state = consulting(CHAIN, required_approvals=1, max_iterations=1)
    state, _ = reduce(state, review("a", Verdict.REQUEST_CHANGES, review_id=1, reviewer="sam"))
    assert state.phases["a"].needs_person
    state, _ = reduce(state, review("a", Verdict.APPROVE, review_id=2))
    assert state.phases["a"].status is P.DONE  # a person's approval releases a waiting phase


def test_a_dismissed_approval_stops_counting() -> None:
    state = consulting(CHAIN, required_approvals=2, reviewers=("rita", "sam"))
    state, _ = reduce(state, review("a", Verdict.APPROVE, review_id=1))
    state, _ = reduce(state, ReviewDismissed(at=T0 + 500, phase_id="a", review_id=1))
    state, _ = reduce(state, review("a", Verdict.APPROVE, review_id=2, reviewer="sam"))
    assert state.phases["a"].status is P.CONSULTING
    assert "1 of 2 approvals" in consultation_line(state, state.phases["a"])


# --- Review rounds -----------------------------------------------------------------------------


def test_changes_requested_send_the_builder_back_as_the_next_round() -> None:
    state = setup(CHAIN, {"a": (P.BUILDING, 2)}, retries=1, consultation=gate())
    state, _ = reduce(state, built("a", attempt=2))
    state, effects = reduce(
        state, review("a", Verdict.REQUEST_CHANGES, head="a-2", body="rename it")
    )
    phase = state.phases["a"]
    assert (phase.status, phase.iteration, phase.attempt) == (P.QUEUED, 2, 1)
    assert RunBuilder(phase_id="a", attempt=1, iteration=2, branch=phase.branch or "") in effects


def test_after_the_last_round_the_phase_waits_for_a_person_and_approve_releases_it() -> None:
    state = consulting(CHAIN, max_iterations=1)
    state, effects = reduce(state, review("a", Verdict.REQUEST_CHANGES))
    assert state.phases["a"].status is P.CONSULTING and state.phases["a"].needs_person
    assert not [e for e in effects if isinstance(e, RunBuilder)]
    assert "waiting for a person" in status_comment(state)
    state, _ = reduce(state, ApprovedByCommand(at=T0 + 600, phase_id="a", by="maria"))
    assert state.phases["a"].status is P.DONE
    assert state.phases["a"].approved_by == "maria"


def test_approve_of_a_phase_not_consulting_changes_nothing() -> None:
    state = setup(CHAIN, {"a": (P.BUILDING, 1)}, consultation=gate())
    assert reduce(state, ApprovedByCommand(at=T0, phase_id="a", by="maria")) == (state, [])


# --- Batches -----------------------------------------------------------------------------------


def test_siblings_built_within_the_window_form_one_batch() -> None:
    state = setup(SIBLINGS, {"a": (P.BUILDING, 1), "b": (P.BUILDING, 1)}, consultation=gate())
    state, effects = reduce(state, built("a", at=T0 + 300))
    assert StartTimer(name="batch:1", due_at=T0 + 420) in effects
    assert not [e for e in effects if isinstance(e, RequestConsultation)]  # b still builds
    state, effects = reduce(state, built("b", at=T0 + 350))
    assert [e for e in effects if isinstance(e, RequestConsultation)] == [
        RequestConsultation(batch=1)
    ]
    assert state.batches[0].phases == ("a", "b")


def test_a_sibling_after_the_window_gets_a_second_batch() -> None:
    state = setup(SIBLINGS, {"a": (P.BUILDING, 1), "b": (P.BUILDING, 1)}, consultation=gate())
    state, _ = reduce(state, built("a", at=T0 + 300))
    state, effects = reduce(state, TimerFired(at=T0 + 421, name="batch:1", due_at=T0 + 420))
    assert RequestConsultation(batch=1) in effects
    state, effects = reduce(state, built("b", at=T0 + 500))
    assert RequestConsultation(batch=2) in effects
    assert [b.phases for b in state.batches] == [("a",), ("b",)]


def test_an_early_or_repeated_batch_timer_changes_nothing() -> None:
    state = setup(SIBLINGS, {"a": (P.BUILDING, 1), "b": (P.BUILDING, 1)}, consultation=gate())
    state, _ = reduce(state, built("a", at=T0 + 300))
    early = TimerFired(at=T0 + 400, name="batch:1", due_at=T0 + 420)
    assert reduce(state, early) == (state, [])
    sent, _ = reduce(state, TimerFired(at=T0 + 421, name="batch:1", due_at=T0 + 420))
    assert reduce(sent, TimerFired(at=T0 + 422, name="batch:1", due_at=T0 + 420)) == (sent, [])


# --- Automated consultants ---------------------------------------------------------------------


def _verdicts(*pairs: tuple[str, Verdict]) -> tuple[ConsultantVerdict, ...]:
    return tuple(
        ConsultantVerdict(name=n, verdict=v, summary=f"{n} says {v}", review_id=50 + i)
        for i, (n, v) in enumerate(pairs)
    )


def finished(state: RunState, *pairs: tuple[str, Verdict], run: int = 1) -> ConsultantsFinished:
    phase = state.phases["a"]
    return ConsultantsFinished(
        at=T0 + 700,
        phase_id="a",
        attempt=phase.attempt,
        iteration=phase.iteration,
        run=run,
        head_sha=phase.head_sha or "",
        verdicts=_verdicts(*pairs),
    )


def test_consultants_run_when_the_batch_is_sent_and_their_approval_counts() -> None:
    state = setup(CHAIN, {"a": (P.BUILDING, 1)}, consultation=gate(consultants=("gem", "cod")))
    state, effects = reduce(state, built("a"))
    assert RunConsultants(phase_id="a", attempt=1, iteration=1, run=1, head_sha="a-1") in effects
    assert "waiting for rita, gem, cod" in consultation_line(state, state.phases["a"])
    state, effects = reduce(
        state, finished(state, ("gem", Verdict.APPROVE), ("cod", Verdict.COMMENT))
    )
    assert state.phases["a"].status is P.DONE
    assert SummariseConsultation(batch=1, phase_id="a", run=1) in effects


def test_a_consultant_requesting_changes_starts_the_next_round() -> None:
    state = consulting(CHAIN, consultants=("gem",), required_approvals=0)
    state, _effects = reduce(state, finished(state, ("gem", Verdict.REQUEST_CHANGES)))
    assert (state.phases["a"].status, state.phases["a"].iteration) == (P.QUEUED, 2)


def test_verdicts_for_another_iteration_or_run_are_stale() -> None:
    state = consulting(CHAIN, consultants=("gem",), required_approvals=0)
    event = finished(state, ("gem", Verdict.APPROVE))
    assert reduce(state, dataclasses.replace(event, iteration=2)) == (state, [])
    assert reduce(state, dataclasses.replace(event, run=2)) == (state, [])
    done, _ = reduce(state, event)
    assert done.phases["a"].status is P.DONE
    assert reduce(done, event) == (done, [])


def test_consult_again_runs_the_consultants_again() -> None:
    state = consulting(CHAIN, consultants=("gem",))
    state, _ = reduce(state, finished(state, ("gem", Verdict.COMMENT)))
    state, effects = reduce(state, ConsultRequested(at=T0 + 800, phase_id="a", by="maria"))
    assert RunConsultants(phase_id="a", attempt=1, iteration=1, run=2, head_sha="a-1") in effects


def test_the_diamond_runs_to_the_end_through_approvals() -> None:
    state = setup(DIAMOND, {"a": (P.BUILDING, 1)}, consultation=gate())
    state, _ = reduce(state, built("a"))
    state, _ = reduce(state, review("a", Verdict.APPROVE))
    assert state.phases["b"].status is P.PREPARING and state.phases["c"].status is P.PREPARING


# --- When the gate applies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gated"),
    [
        ("builder: {command: make}\n", False),  # no section: runs finish as before
        ("consultation: {}\n", True),
        ("consultation: {reviewers: [rita]}\n", True),
        ("consultation: {enabled: false, reviewers: [rita]}\n", False),
        ("consultation: {required_approvals: 0}\n", False),
        ("consultation: {required_approvals: 0, consultants: [{name: g, command: x}]}\n", True),
    ],
)
def test_the_gate_applies_only_to_a_file_with_a_consultation_section(
    text: str, gated: bool
) -> None:
    assert ConsultationSettings.from_config(load_config(text)).gated is gated
