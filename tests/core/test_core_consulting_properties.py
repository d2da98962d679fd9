"""Property tests of consultation: random graphs, random reviews (stale, repeated, from
consultants), approvals and timers, with the driver checking every step."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.core.effects import Effect, RequestConsultation, RunConsultants
from bot.core.events import (
    ApprovedByCommand,
    ConsultantsFinished,
    ConsultantVerdict,
    Event,
    ReviewDismissed,
    ReviewSubmitted,
    RunStarted,
)
from bot.core.reducer.consulting import approvals, changes_requested
from bot.core.state import ConsultationSettings, PhaseStatus, RunState, RunStatus, Verdict
from tests.core.core_support import Driver, run_of
from tests.core.test_core_properties import dags

P = PhaseStatus

gates = st.builds(
    ConsultationSettings,
    gated=st.just(True),
    required_approvals=st.integers(0, 2),
    reviewers=st.just(("rita", "sam")),
    consultants=st.sampled_from([(), ("gem",)]),
    batch_window_seconds=st.sampled_from([0, 60]),
    max_iterations=st.integers(1, 3),
).filter(lambda g: g.required_approvals > 0 or bool(g.consultants))


def consulting(state: RunState) -> list[str]:
    return [pid for pid, p in state.phases.items() if p.status is P.CONSULTING]


def check_done_fairly(before: RunState, after: RunState, event: object) -> None:
    """A phase leaves consulting for done only with what it waits for, or a person's word."""
    for pid, phase in after.phases.items():
        if before.phases[pid].status is P.CONSULTING and phase.status is P.DONE:
            if isinstance(event, ApprovedByCommand) or before.phases[pid].needs_person:
                continue
            gate = after.settings.consultation
            assert len(approvals(phase)) >= gate.required_approvals
            assert not changes_requested(phase)
            assert not phase.consultants_pending


def check_batches(state: RunState, requested: list[int]) -> None:
    """Each batch asked for once, when it was sent; at most one batch open."""
    # Batches: each sent once, each phase in at most one open batch.
    assert len(requested) == len(set(requested))
    open_batches = [b for b in state.batches if b.sent_at is None]
    assert len(open_batches) <= 1
    for batch in state.batches:
        assert (batch.number in requested) == (batch.sent_at is not None)


def random_review(state: RunState, pid: str, data: st.DataObject, at: float) -> ReviewSubmitted:
    """A review by a writer: any verdict, of the head or of an older commit, maybe repeated."""
    phase = state.phases[pid]
    return ReviewSubmitted(
        at=at,
        phase_id=pid,
        review_id=data.draw(st.integers(1, 6)) + 100 * phase.iteration,
        reviewer=data.draw(st.sampled_from(["rita", "sam"])),
        verdict=data.draw(st.sampled_from(Verdict)),
        head_sha=data.draw(st.sampled_from([phase.head_sha or "", "old"])),
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking these runs is slow
)
@given(deps=dags(max_phases=5), gate=gates, data=st.data())
def test_random_consultations_keep_every_invariant(
    deps: dict[str, list[str]], gate: ConsultationSettings, data: st.DataObject
) -> None:
    driver = Driver(state=run_of(deps, max_parallel=len(deps), consultation=gate), deps=deps)
    asked: list[RunConsultants] = []
    requested: list[int] = []

    def note(effects: list[Effect]) -> None:
        asked.extend(e for e in effects if isinstance(e, RunConsultants))
        requested.extend(e.batch for e in effects if isinstance(e, RequestConsultation))

    def deliver(event: Event) -> None:
        before = driver.state
        note(driver.deliver(event))
        check_done_fairly(before, driver.state, event)

    deliver(RunStarted(at=driver.tick()))
    review_ids = st.integers(1, 6)
    for _ in range(200):
        state = driver.state
        if state.status.finished:
            break
        choice = data.draw(
            st.sampled_from(["perform"] * 4 + ["review", "dismiss", "verdicts", "timer", "approve"])
        )
        phases = consulting(state)
        if choice == "review" and phases:
            deliver(random_review(state, data.draw(st.sampled_from(phases)), data, driver.tick()))
        elif choice == "dismiss" and phases:
            pid = data.draw(st.sampled_from(phases))
            deliver(
                ReviewDismissed(at=driver.tick(), phase_id=pid, review_id=data.draw(review_ids))
            )
        elif choice == "verdicts" and asked:
            effect = asked.pop(data.draw(st.integers(0, len(asked) - 1)))
            deliver(
                ConsultantsFinished(
                    at=driver.tick(),
                    phase_id=effect.phase_id,
                    attempt=effect.attempt,
                    iteration=effect.iteration,
                    run=effect.run,
                    head_sha=effect.head_sha,
                    verdicts=(
                        ConsultantVerdict(
                            name="gem",
                            verdict=data.draw(st.sampled_from(Verdict)),
                            summary="…",
                            review_id=10_000 + len(driver.delivered),
                        ),
                    ),
                )
            )
        elif choice == "timer" and driver.timers:
            timer = driver.timers.pop(data.draw(st.integers(0, len(driver.timers) - 1)))
            note(driver.fire(timer, early=data.draw(st.booleans())))
        elif choice == "approve" and phases:
            pid = data.draw(st.sampled_from(phases))
            deliver(ApprovedByCommand(at=driver.tick(), phase_id=pid, by="maria"))
        elif driver.outstanding:
            work = driver.outstanding.pop(data.draw(st.integers(0, len(driver.outstanding) - 1)))
            note(driver.perform(work, succeed=data.draw(st.integers(0, 9)) > 0))

    check_batches(driver.state, requested)
    # No phase ever started before its dependencies were done (checked at every step by the
    # driver); a finished run has no phase left consulting.
    if driver.state.status is RunStatus.DONE:
        assert not consulting(driver.state)
