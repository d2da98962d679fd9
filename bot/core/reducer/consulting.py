"""A built phase's consultation: batching phases that are ready together, reviews and automated
consultants' verdicts, review rounds that send the builder back, and the approval that makes
the phase done.

A phase is consulted when the run's `settings.consultation.gated`; it is done once it has
`required_approvals` approvals on its current head, its consultants have given their verdicts
on that head, and nobody's latest review of that head requests changes. A request for changes
starts the next round (the builder again, as iteration + 1, attempt 1) until
`max_iterations` rounds are used; then the phase waits for a person.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.effects import (
    Effect,
    RequestConsultation,
    RunBuilder,
    RunConsultants,
    StartTimer,
    SummariseConsultation,
)
from bot.core.events import (
    ApprovedByCommand,
    ConsultantsFinished,
    ConsultRequested,
    ReviewDismissed,
    ReviewSubmitted,
    TimerFired,
)
from bot.core.reducer.step import Handler, Step
from bot.core.state import Batch, PhaseState, PhaseStatus, Review, RunState, Verdict
from bot.core.transitions import move

BATCH_TIMER = "batch"
_BUSY = tuple(s for s in PhaseStatus if s.active)


def gated(state: RunState) -> bool:
    return state.settings.consultation.gated


def consult(state: RunState, phase: PhaseState, at: float) -> Step:
    """`phase` was built: it waits for consultation, in the open batch or a new one."""
    phase = move(
        phase,
        PhaseStatus.CONSULTING,
        needs_person=False,
        consultants_pending=False,
        consulting_since=at,
    )
    open_batch = next((b for b in state.batches if b.sent_at is None), None)
    effects: list[Effect] = []
    if open_batch is None:
        number = len(state.batches) + 1
        open_batch = Batch(number=number, phases=(phase.phase_id,), opened_at=at)
        window = state.settings.consultation.batch_window_seconds
        if window > 0:
            effects.append(StartTimer(name=f"{BATCH_TIMER}:{number}", due_at=at + window))
        batches = (*state.batches, open_batch)
    else:
        grown = replace(open_batch, phases=(*open_batch.phases, phase.phase_id))
        batches = tuple(grown if b.number == grown.number else b for b in state.batches)
    phase = replace(phase, batch=open_batch.number)
    return replace(state.with_phase(phase), batches=batches), effects


def flush(state: RunState, at: float) -> Step:
    """Send the open batch when no phase is left that could still join it before its window
    ends (none merging, preparing, queued or building), or when it has no window at all."""
    open_batch = next((b for b in state.batches if b.sent_at is None), None)
    if open_batch is None:
        return state, []
    window = state.settings.consultation.batch_window_seconds
    if window > 0 and state.count(*_BUSY) and at < open_batch.opened_at + window:
        return state, []
    return _send(state, open_batch, at)


def _send(state: RunState, batch: Batch, at: float) -> Step:
    sent = replace(batch, sent_at=at)
    state = replace(
        state, batches=tuple(sent if b.number == sent.number else b for b in state.batches)
    )
    effects: list[Effect] = [RequestConsultation(batch=batch.number)]
    for pid in batch.phases:
        phase = state.phases[pid]
        if phase.status is PhaseStatus.CONSULTING and state.settings.consultation.consultants:
            state, asked = _ask_consultants(state, phase)
            effects.append(asked)
    for pid in batch.phases:
        state = _settle_phase(state, pid, at)
    return state, effects


def _ask_consultants(state: RunState, phase: PhaseState) -> tuple[RunState, RunConsultants]:
    asked = replace(phase, consultants_pending=True, consult_runs=phase.consult_runs + 1)
    effect = RunConsultants(
        phase_id=phase.phase_id,
        attempt=phase.attempt,
        iteration=phase.iteration,
        run=asked.consult_runs,
        head_sha=phase.head_sha or "",
    )
    return state.with_phase(asked), effect


def batch_fired(state: RunState, event: TimerFired, rest: str) -> Step:
    """The window of batch `rest` is over: send it if it is still open."""
    if not rest.isdigit():
        return state, []
    batch = next((b for b in state.batches if b.number == int(rest)), None)
    if batch is None or batch.sent_at is not None:
        return state, []
    return _send(state, batch, event.at)


def counted(phase: PhaseState) -> dict[str, Review]:
    """Each reviewer's latest review of the phase's current head that was not dismissed."""
    latest: dict[str, Review] = {}
    for review in phase.reviews:
        if not review.dismissed and review.head_sha == phase.head_sha:
            latest[review.reviewer] = review
    return latest


def approvals(phase: PhaseState) -> list[str]:
    return [r.reviewer for r in counted(phase).values() if r.verdict is Verdict.APPROVE]


def changes_requested(phase: PhaseState) -> list[str]:
    return [r.reviewer for r in counted(phase).values() if r.verdict is Verdict.REQUEST_CHANGES]


def stale(phase: PhaseState) -> list[Review]:
    """Reviews of an older head in this round: shown, never counted."""
    return [
        r
        for r in phase.reviews
        if r.head_sha != phase.head_sha and r.iteration == phase.iteration and not r.dismissed
    ]


def awaited(state: RunState, phase: PhaseState) -> list[str]:
    """Who the phase still waits for: requested reviewers without a review of its head, and
    its consultants while they are at work."""
    reviewed = set(counted(phase))
    people = [r for r in state.settings.consultation.reviewers if r not in reviewed]
    if phase.consultants_pending:
        people += list(state.settings.consultation.consultants)
    return people


def _consulted(state: RunState, phase: PhaseState) -> bool:
    if not state.settings.consultation.consultants:
        return True
    return not phase.consultants_pending and phase.consult_runs > 0


def _settle_phase(state: RunState, phase_id: str, at: float) -> RunState:
    """Done, if the phase now has what it waits for."""
    phase = state.phases[phase_id]
    if phase.status is not PhaseStatus.CONSULTING or phase.needs_person:
        return state
    enough = len(approvals(phase)) >= state.settings.consultation.required_approvals
    if enough and _consulted(state, phase) and not changes_requested(phase):
        return state.with_phase(move(phase, PhaseStatus.DONE, finished_at=at, error=""))
    return state


def _next_round(state: RunState, phase: PhaseState, at: float) -> Step:
    """Changes were requested of the current head: build again, or wait for a person."""
    if phase.iteration >= state.settings.consultation.max_iterations:
        waiting = replace(
            phase,
            needs_person=True,
            error=f"{phase.iteration} review rounds used; waiting for a person to approve",
        )
        return state.with_phase(waiting), []
    again = move(
        phase,
        PhaseStatus.QUEUED,
        iteration=phase.iteration + 1,
        attempt=1,
        batch=None,
        consultants_pending=False,
        error="",
    )
    builder = RunBuilder(
        phase_id=again.phase_id,
        attempt=again.attempt,
        iteration=again.iteration,
        branch=again.branch or "",
    )
    return state.with_phase(again), [builder]


def _review_submitted(state: RunState, event: ReviewSubmitted) -> Step:
    phase = state.phases.get(event.phase_id)
    # A review while the phase is still being built (or already decided) reviews work that
    # is not the one to consult: it changes nothing.
    if phase is None or phase.status is not PhaseStatus.CONSULTING:
        return state, []
    if any(r.review_id == event.review_id for r in phase.reviews):
        return state, []  # the same review delivered again
    review = Review(
        review_id=event.review_id,
        reviewer=event.reviewer,
        verdict=event.verdict,
        head_sha=event.head_sha,
        iteration=phase.iteration,
        body=event.body,
        comments=event.comments,
    )
    phase = replace(phase, reviews=(*phase.reviews, review))
    state = state.with_phase(phase)
    if event.head_sha != phase.head_sha:
        return state, []  # kept to be shown as not counting
    if phase.needs_person and event.verdict is Verdict.APPROVE:
        return state.with_phase(move(phase, PhaseStatus.DONE, finished_at=event.at, error="")), []
    if event.verdict is Verdict.REQUEST_CHANGES and not phase.needs_person:
        return _next_round(state, phase, event.at)
    return _settle_phase(state, phase.phase_id, event.at), []


def _review_dismissed(state: RunState, event: ReviewDismissed) -> Step:
    phase = state.phases.get(event.phase_id)
    if phase is None or not any(
        r.review_id == event.review_id and not r.dismissed for r in phase.reviews
    ):
        return state, []
    reviews = tuple(
        replace(r, dismissed=True) if r.review_id == event.review_id else r for r in phase.reviews
    )
    state = state.with_phase(replace(phase, reviews=reviews))
    return _settle_phase(state, phase.phase_id, event.at), []


def _approved_by_command(state: RunState, event: ApprovedByCommand) -> Step:
    phase = state.phases.get(event.phase_id)
    if phase is None or phase.status is not PhaseStatus.CONSULTING:
        return state, []
    done = move(phase, PhaseStatus.DONE, finished_at=event.at, approved_by=event.by, error="")
    return state.with_phase(done), []


def _consult_requested(state: RunState, event: ConsultRequested) -> Step:
    phase = state.phases.get(event.phase_id)
    if (
        phase is None
        or phase.status is not PhaseStatus.CONSULTING
        or not state.settings.consultation.consultants
    ):
        return state, []
    state, asked = _ask_consultants(state, phase)
    return state, [asked]


def _consultants_finished(state: RunState, event: ConsultantsFinished) -> Step:
    phase = state.awaiting(
        event.phase_id, event.attempt, PhaseStatus.CONSULTING, iteration=event.iteration
    )
    if phase is None or not phase.consultants_pending or event.run != phase.consult_runs:
        return state, []
    known = {r.review_id for r in phase.reviews if r.review_id}
    reviews = tuple(
        Review(
            review_id=v.review_id,
            reviewer=v.name,
            verdict=v.verdict,
            head_sha=event.head_sha,
            iteration=phase.iteration,
            body=v.summary,
            consultant=True,
        )
        for v in event.verdicts
        if not v.review_id or v.review_id not in known
    )
    phase = replace(phase, consultants_pending=False, reviews=(*phase.reviews, *reviews))
    state = state.with_phase(phase)
    effects: list[Effect] = []
    if phase.batch is not None:
        effects.append(
            SummariseConsultation(batch=phase.batch, phase_id=phase.phase_id, run=event.run)
        )
    if any(v.verdict is Verdict.REQUEST_CHANGES for v in event.verdicts) and not phase.needs_person:
        state, more = _next_round(state, phase, event.at)
        return state, [*effects, *more]
    return _settle_phase(state, phase.phase_id, event.at), effects


HANDLERS: dict[type, Handler] = {
    ReviewSubmitted: _review_submitted,
    ReviewDismissed: _review_dismissed,
    ApprovedByCommand: _approved_by_command,
    ConsultRequested: _consult_requested,
    ConsultantsFinished: _consultants_finished,
}
