"""The orchestrator: `reduce(state, event) -> (state, effects)`, pure and total.

The state machine it implements is drawn in bot/core/README.md. In short: a pending phase
whose dependencies are all done is prepared (branch, draft PR, check run), up to
`max_parallel` phases preparing or building at once, in plan order; a prepared phase builds;
a failed build is retried up to `retries` times, then the phase fails, its transitive
dependents are blocked, and its siblings go on or are cancelled per `failure_policy`.

Stale or duplicate events (another attempt, a phase not in the status the event expects, a
finished run) return the very same state and no effects; the version is bumped once per event
that changes anything. Every event that changes something emits one UpdateStatusComment, and
every phase that changed and has a check run gets an UpdateCheckRun.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.core.effects import (
    CancelBuilder,
    Effect,
    PreparePhase,
    RunBuilder,
    StartPoint,
    UpdateCheckRun,
    UpdateStatusComment,
)
from bot.core.events import (
    CancelRequested,
    Event,
    PhaseBuildFailed,
    PhaseBuilt,
    PhasePrepared,
    PhasePrepareFailed,
    RunStarted,
    StatusRequested,
)
from bot.core.state import FailurePolicy, PhaseState, PhaseStatus, RunState, RunStatus

Step = tuple[RunState, list[Effect]]


def reduce(state: RunState, event: Event) -> Step:
    """Apply one event; see the module docstring for the rules."""
    if isinstance(event, StatusRequested):
        return state, [UpdateStatusComment(version=state.version, requested_at=event.at)]
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return state, []
    changed, effects = handler(state, event)
    if changed is state or changed == state:
        return state, []
    changed, dispatched = _dispatch(changed, event.at)
    changed = _settle(changed, event.at)
    version = state.version + 1
    changed = replace(changed, version=version)
    checks: list[Effect] = [
        UpdateCheckRun(phase_id=pid, version=version)
        for pid, phase in changed.phases.items()
        if phase.check_run_id is not None and phase != state.phases[pid]
    ]
    return changed, [*effects, *dispatched, *checks, UpdateStatusComment(version=version)]


def _run_started(state: RunState, event: RunStarted) -> Step:
    if state.status is not RunStatus.PENDING:
        return state, []
    return replace(state, status=RunStatus.RUNNING), []


def _phase_prepared(state: RunState, event: PhasePrepared) -> Step:
    phase = state.phases.get(event.phase_id)
    if phase is None or phase.attempt < 1 or phase.attempt != event.attempt:
        return state, []
    recorded = replace(
        phase,
        branch=event.branch,
        base_branch=event.base_branch,
        pr_number=event.pr_number,
        check_run_id=event.check_run_id,
        head_sha=event.base_sha,
    )
    if phase.status is PhaseStatus.CANCELLED and phase.pr_number is None:
        # Cancelled while its PR was being opened: remember the PR and check run anyway, so
        # the check run is completed as cancelled instead of staying queued forever.
        return state.with_phase(recorded), []
    if phase.status is not PhaseStatus.PREPARING:
        return state, []
    building = replace(recorded, status=PhaseStatus.BUILDING)
    effect = RunBuilder(phase_id=phase.phase_id, attempt=phase.attempt, branch=event.branch)
    return state.with_phase(building), [effect]


def _phase_prepare_failed(state: RunState, event: PhasePrepareFailed) -> Step:
    phase = state.awaiting(event.phase_id, event.attempt, PhaseStatus.PREPARING)
    if phase is None:
        return state, []
    return _fail(state, phase, event.error, event.at)


def _phase_built(state: RunState, event: PhaseBuilt) -> Step:
    phase = state.awaiting(event.phase_id, event.attempt, PhaseStatus.BUILDING)
    if phase is None:
        return state, []
    done = replace(
        phase,
        status=PhaseStatus.DONE,
        head_sha=event.head_sha,
        log_tail=event.log_tail,
        error="",
        finished_at=event.at,
        check_run_id=phase.check_run_id if event.check_run_id is None else event.check_run_id,
    )
    return state.with_phase(done), []


def _phase_build_failed(state: RunState, event: PhaseBuildFailed) -> Step:
    phase = state.awaiting(event.phase_id, event.attempt, PhaseStatus.BUILDING)
    if phase is None:
        return state, []
    if phase.attempt <= state.settings.retries:
        # Retry on the same branch: the PR and check run stay, only the attempt moves on.
        retry = replace(
            phase,
            attempt=phase.attempt + 1,
            log_tail=event.log_tail,
            error=f"attempt {phase.attempt} failed: {event.error}",
        )
        effect = RunBuilder(phase_id=phase.phase_id, attempt=retry.attempt, branch=_branch(retry))
        return state.with_phase(retry), [effect]
    return _fail(state, replace(phase, log_tail=event.log_tail), event.error, event.at)


def _cancel_requested(state: RunState, event: CancelRequested) -> Step:
    if state.status.finished:
        return state, []
    state, effects = _cancel_unfinished(state, event.at, reason="cancelled")
    return replace(state, status=RunStatus.CANCELLED, finished_at=event.at), effects


_HANDLERS: dict[type[Any], Callable[[RunState, Any], Step]] = {
    RunStarted: _run_started,
    PhasePrepared: _phase_prepared,
    PhasePrepareFailed: _phase_prepare_failed,
    PhaseBuilt: _phase_built,
    PhaseBuildFailed: _phase_build_failed,
    CancelRequested: _cancel_requested,
}


def _fail(state: RunState, phase: PhaseState, error: str, at: float) -> Step:
    """Fail the phase, block its transitive dependents, and apply the failure policy."""
    state = state.with_phase(
        replace(phase, status=PhaseStatus.FAILED, error=error or "failed", finished_at=at)
    )
    for pid in state.dependents(phase.phase_id):
        dependent = state.phases[pid]
        if dependent.status is PhaseStatus.PENDING:
            blocked = replace(
                dependent, status=PhaseStatus.BLOCKED, error=f"{phase.phase_id} failed"
            )
            state = state.with_phase(blocked)
    if state.settings.failure_policy is FailurePolicy.CANCEL:
        return _cancel_unfinished(state, at, reason=f"cancelled: {phase.phase_id} failed")
    return state, []


def _cancel_unfinished(state: RunState, at: float, reason: str) -> Step:
    effects: list[Effect] = []
    for phase in state.phases.values():
        if phase.status.finished:
            continue
        if phase.status is PhaseStatus.BUILDING:
            effects.append(CancelBuilder(phase_id=phase.phase_id, attempt=phase.attempt))
        # A phase that never started has no finishing time: it did not run.
        finished_at = at if phase.status.active else None
        cancelled = replace(
            phase, status=PhaseStatus.CANCELLED, error=reason, finished_at=finished_at
        )
        state = state.with_phase(cancelled)
    return state, effects


def _dispatch(state: RunState, at: float) -> Step:
    """Prepare pending phases whose dependencies are done, in plan order, while slots remain."""
    if state.status is not RunStatus.RUNNING:
        return state, []
    free = state.settings.max_parallel - sum(1 for p in state.phases.values() if p.status.active)
    effects: list[Effect] = []
    for pid, phase in state.phases.items():
        if free <= 0:
            break
        if phase.status is not PhaseStatus.PENDING or not _ready(state, pid):
            continue
        preparing = replace(
            phase, status=PhaseStatus.PREPARING, attempt=phase.attempt + 1, started_at=at
        )
        state = state.with_phase(preparing)
        effects.append(_prepare(state, preparing))
        free -= 1
    return state, effects


def _ready(state: RunState, phase_id: str) -> bool:
    return all(state.phases[d].status.satisfies_dependents for d in state.deps[phase_id])


def _prepare(state: RunState, phase: PhaseState) -> PreparePhase:
    start = _start_points(state, phase.phase_id)
    base_branch = start[0].ref if len(start) == 1 else state.merge_branch_for(phase.phase_id)
    return PreparePhase(
        phase_id=phase.phase_id,
        attempt=phase.attempt,
        branch=state.branch_for(phase.phase_id),
        base_branch=base_branch,
        start=start,
    )


def _start_points(state: RunState, phase_id: str) -> tuple[StartPoint, ...]:
    """The dependency heads a phase starts from, or the run's base commit when it has none.

    A dependency that another dependency itself depends on is left out: the other's head
    already contains it, and leaving it out keeps a single-parent start (and its PR target)
    wherever the graph allows.
    """
    heads: list[StartPoint] = []
    for dep in _direct_sources(state, phase_id):
        dep_state = state.phases[dep]
        heads.append(StartPoint(ref=_branch(dep_state), sha=dep_state.head_sha or "", phase_id=dep))
    return tuple(heads) or (StartPoint(ref=state.base_branch, sha=state.base_sha),)


def _direct_sources(state: RunState, phase_id: str) -> list[str]:
    """Done phases whose heads the phase needs: skipped dependencies are looked through."""
    sources: list[str] = []
    for dep in state.deps[phase_id]:
        if state.phases[dep].status is PhaseStatus.DONE:
            sources.append(dep)
        else:
            sources.extend(_direct_sources(state, dep))
    sources = list(dict.fromkeys(sources))
    covered = {a for s in sources for a in _ancestors(state, s)}
    return [s for s in sources if s not in covered]


def _ancestors(state: RunState, phase_id: str) -> set[str]:
    found: set[str] = set()
    stack = list(state.deps[phase_id])
    while stack:
        dep = stack.pop()
        if dep not in found:
            found.add(dep)
            stack.extend(state.deps[dep])
    return found


def _branch(phase: PhaseState) -> str:
    return phase.branch or ""


def _settle(state: RunState, at: float) -> RunState:
    """Finish the run when every phase is done, or when nothing can progress any more."""
    if state.status is not RunStatus.RUNNING:
        return state
    phases = state.phases.values()
    if all(p.status.satisfies_dependents for p in phases):
        return replace(state, status=RunStatus.DONE, finished_at=at)
    stuck = not any(
        p.status.active or (p.status is PhaseStatus.PENDING and _ready(state, p.phase_id))
        for p in phases
    )
    if stuck:
        return replace(state, status=RunStatus.FAILED, finished_at=at)
    return state
