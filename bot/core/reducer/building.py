"""A phase's way from its start point to built work: merging its dependencies' heads,
preparing its branch and PR, waiting for a builder worker, building, and retries."""

from __future__ import annotations

from dataclasses import replace

from bot.core import messages
from bot.core.bounds import STATE_BOUNDS
from bot.core.effects import (
    AskForResolution,
    CancelBuilder,
    Effect,
    ResolveMerge,
    RunBuilder,
    StartPoint,
    StartTimer,
)
from bot.core.events import (
    BuilderStarted,
    HeadsMerged,
    MergeEscalated,
    MergeFailed,
    MergeNeedsPerson,
    PhaseBuildFailed,
    PhaseBuilt,
    PhaseEvent,
    PhaseOverdue,
    PhasePrepared,
    PhasePrepareFailed,
    ResolutionVerified,
    TimerFired,
)
from bot.core.reducer import consulting
from bot.core.reducer.dispatch import prepare, start_points
from bot.core.reducer.step import Handler, Step
from bot.core.reducer.stopping import fail
from bot.core.state import PhaseState, PhaseStatus, RunState
from bot.core.transitions import move

# Past its deadline a builder is given this long to report before its attempt counts as lost:
# the job's own timeout ends the agent first, and its report should arrive meanwhile.
DEADLINE_GRACE_SECONDS = 15 * 60
_DEADLINE = "deadline"


def _awaiting(state: RunState, event: PhaseEvent, *statuses: PhaseStatus) -> PhaseState | None:
    return state.awaiting(event.phase_id, event.attempt, *statuses, iteration=event.iteration)


def _heads_merged(state: RunState, event: HeadsMerged) -> Step:
    phase = _awaiting(state, event, PhaseStatus.MERGING)
    if phase is None:
        return state, []
    # The report carries every rung climbed, the earlier ones included.
    preparing = move(phase, PhaseStatus.PREPARING, merge_rungs=event.rungs)
    start = StartPoint(ref=event.branch, sha=event.sha)
    return state.with_phase(preparing), [prepare(state, preparing, start)]


def _merge_escalated(state: RunState, event: MergeEscalated) -> Step:
    """GitHub could not merge: the rungs that need a clone run on a builder worker."""
    phase = _awaiting(state, event, PhaseStatus.MERGING)
    if phase is None or phase.merge_rungs:
        return state, []  # a repeated report: the ladder climbs once
    climbing = move(phase, PhaseStatus.MERGING, merge_rungs=event.rungs)
    resolve = ResolveMerge(
        phase_id=phase.phase_id,
        attempt=phase.attempt,
        iteration=phase.iteration,
        branch=state.merge_branch_for(phase.phase_id),
        heads=start_points(state, phase.phase_id),
        resolve_branch=state.resolve_branch_for(phase.phase_id),
        rungs=event.rungs,
    )
    return state.with_phase(climbing), [resolve]


def _merge_needs_person(state: RunState, event: MergeNeedsPerson) -> Step:
    phase = _awaiting(state, event, PhaseStatus.MERGING)
    if phase is None:
        return state, []
    waiting = move(
        phase,
        PhaseStatus.CONFLICTED,
        merge_rungs=event.rungs,
        resolve_branch=event.resolve_branch,
        conflict_files=event.files,
        conflict_hunks=event.hunks,
    )
    ask = AskForResolution(
        phase_id=phase.phase_id, attempt=phase.attempt, iteration=phase.iteration
    )
    return state.with_phase(waiting), [ask]


def _resolution_verified(state: RunState, event: ResolutionVerified) -> Step:
    """A person resolved the conflict: the phase starts from their branch."""
    phase = _awaiting(state, event, PhaseStatus.CONFLICTED)
    if phase is None:
        return state, []
    who = f" by @{event.by}" if event.by else ""
    preparing = move(
        phase,
        PhaseStatus.PREPARING,
        merge_rungs=(*phase.merge_rungs, f"person: resolved{who} on {event.branch}"),
    )
    start = StartPoint(ref=event.branch, sha=event.sha)
    return state.with_phase(preparing), [prepare(state, preparing, start)]


def _merge_failed(state: RunState, event: MergeFailed) -> Step:
    phase = _awaiting(state, event, PhaseStatus.MERGING)
    if phase is None:
        return state, []
    return fail(state, phase, event.error, event.at)


def _phase_prepared(state: RunState, event: PhasePrepared) -> Step:
    phase = state.phases.get(event.phase_id)
    if (
        phase is None
        or phase.attempt < 1  # never dispatched: nothing was asked to prepare it
        or phase.attempt != event.attempt
        or phase.iteration != event.iteration
    ):
        return state, []
    recorded = replace(
        phase,
        branch=event.branch,
        base_branch=event.base_branch,
        pr_number=event.pr_number,
        check_run_id=event.check_run_id,
        head_sha=event.base_sha,
        start_sha=event.base_sha,
    )
    if phase.status is PhaseStatus.CANCELLED and phase.pr_number is None:
        # Cancelled while its PR was being opened: remember the PR and check run anyway, so
        # the check run is completed as cancelled instead of staying queued forever.
        return state.with_phase(recorded), []
    if phase.status is not PhaseStatus.PREPARING:
        return state, []
    queued = move(recorded, PhaseStatus.QUEUED)
    return state.with_phase(queued), [_builder(queued)]


def _phase_prepare_failed(state: RunState, event: PhasePrepareFailed) -> Step:
    phase = _awaiting(state, event, PhaseStatus.PREPARING)
    if phase is None:
        return state, []
    return fail(state, phase, event.error, event.at)


def _builder_started(state: RunState, event: BuilderStarted) -> Step:
    phase = _awaiting(state, event, PhaseStatus.QUEUED)
    if phase is None:
        return state, []
    # "Took" counts from the first start of work; a retry keeps the phase's first start.
    started_at = phase.started_at if phase.started_at is not None else event.at
    building = move(phase, PhaseStatus.BUILDING, started_at=started_at)
    deadline = StartTimer(
        name=deadline_name(phase),
        due_at=event.at + state.settings.builder_deadline_seconds + DEADLINE_GRACE_SECONDS,
    )
    return state.with_phase(building), [deadline]


def _phase_built(state: RunState, event: PhaseBuilt) -> Step:
    phase = _awaiting(state, event, PhaseStatus.BUILDING)
    if phase is None:
        return state, []
    state = state.with_git_conflicts(phase.phase_id, event.conflicts)
    built = replace(
        phase,
        head_sha=event.head_sha,
        log_tail=event.log_tail,
        rebuttal=event.rebuttal,
        error="",
        check_run_id=phase.check_run_id if event.check_run_id is None else event.check_run_id,
    )
    if consulting.gated(state):
        return consulting.consult(state, built, event.at)
    return state.with_phase(move(built, PhaseStatus.DONE, finished_at=event.at)), []


def _phase_build_failed(state: RunState, event: PhaseBuildFailed) -> Step:
    # A job lost before it started reports from `queued`.
    phase = _awaiting(state, event, PhaseStatus.QUEUED, PhaseStatus.BUILDING)
    if phase is None:
        return state, []
    return _attempt_failed(state, phase, event.error, event.log_tail, event.at)


def _attempt_failed(
    state: RunState, phase: PhaseState, error: str, log_tail: str, at: float
) -> Step:
    if phase.attempt - phase.first_attempt < state.settings.retries:
        # Retry on the same branch: the PR and check run stay, only the attempt moves on.
        retry = move(
            phase,
            PhaseStatus.QUEUED,
            attempt=phase.attempt + 1,
            log_tail=log_tail,
            error=f"attempt {phase.attempt} failed: {error}",
        )
        return state.with_phase(retry), [_builder(retry)]
    return fail(state, replace(phase, log_tail=log_tail), error, at)


def _builder(phase: PhaseState) -> RunBuilder:
    return RunBuilder(
        phase_id=phase.phase_id,
        attempt=phase.attempt,
        iteration=phase.iteration,
        branch=phase.branch or "",
    )


def _phase_overdue(state: RunState, event: PhaseOverdue) -> Step:
    """A phase past its state's bound fails, saying why; a retry would wait the same way."""
    status = PhaseStatus(event.status) if event.status in _BOUNDED else None
    phase = _awaiting(state, event, status) if status is not None else None
    if phase is None:
        return state, []
    effects: list[Effect] = []
    if status is PhaseStatus.QUEUED:
        # Its job may yet be taken: it must not build for a phase that has failed.
        effects.append(
            CancelBuilder(phase_id=phase.phase_id, attempt=phase.attempt, iteration=phase.iteration)
        )
    state, more = fail(state, phase, messages.overdue(event.status, event.seconds), event.at)
    return state, [*effects, *more]


_BOUNDED = frozenset(s.value for s in STATE_BOUNDS)


def deadline_name(phase: PhaseState) -> str:
    return f"{_DEADLINE}:{phase.iteration}:{phase.attempt}:{phase.phase_id}"


def _timer_fired(state: RunState, event: TimerFired) -> Step:
    if event.at < event.due_at:
        return state, []  # early (a clock behind the scheduler's): nothing is due yet
    kind, _, rest = event.name.partition(":")
    if kind == consulting.BATCH_TIMER:
        return consulting.batch_fired(state, event, rest)
    parts = rest.split(":", 2)
    # A name this version does not read (written by another version, or not ours) is ignored:
    # the reducer is total, and a timer must never make a run's events fail.
    if kind != _DEADLINE or len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return state, []
    iteration, attempt, phase_id = int(parts[0]), int(parts[1]), parts[2]
    phase = state.awaiting(phase_id, attempt, PhaseStatus.BUILDING, iteration=iteration)
    if phase is None:
        return state, []
    error = "Its builder did not report within its deadline; the job was lost."
    # A builder that is only slow, not lost, must not go on beside the next attempt.
    stop = CancelBuilder(phase_id=phase_id, attempt=attempt, iteration=iteration)
    state, effects = _attempt_failed(state, phase, error, phase.log_tail, event.at)
    return state, [stop, *effects]


HANDLERS: dict[type, Handler] = {
    HeadsMerged: _heads_merged,
    MergeEscalated: _merge_escalated,
    MergeNeedsPerson: _merge_needs_person,
    ResolutionVerified: _resolution_verified,
    MergeFailed: _merge_failed,
    PhasePrepared: _phase_prepared,
    PhasePrepareFailed: _phase_prepare_failed,
    BuilderStarted: _builder_started,
    PhaseBuilt: _phase_built,
    PhaseBuildFailed: _phase_build_failed,
    TimerFired: _timer_fired,
    PhaseOverdue: _phase_overdue,
}
