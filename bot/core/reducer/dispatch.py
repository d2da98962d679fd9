"""Starting phases and ending runs: which pending phases start, from where, and when a run is
over."""

from __future__ import annotations

from dataclasses import replace

from bot.core.effects import (
    AskToResolveIntegration,
    Effect,
    MergeHeads,
    OpenIntegration,
    PreparePhase,
    StartPoint,
)
from bot.core.events import (
    IntegrationFailed,
    IntegrationNeedsPerson,
    IntegrationOpened,
    IntegrationResolved,
    RunStarted,
)
from bot.core.reducer.step import Handler, Step
from bot.core.state import IntegrationConflict, PhaseState, PhaseStatus, RunState, RunStatus
from bot.core.transitions import move


def dispatch(state: RunState, at: float) -> Step:
    """Start pending phases whose dependencies are done, in plan order, while slots remain.

    One start point: prepare the phase at it. Several: merge them first (`MergeHeads`), and
    prepare the phase at the merge once it is made.
    """
    if state.status is not RunStatus.RUNNING:
        return state, []
    free = state.settings.max_parallel - state.count(*_ACTIVE)
    effects: list[Effect] = []
    for pid, phase in state.phases.items():
        if free <= 0:
            break
        if phase.status is not PhaseStatus.PENDING or not ready(state, pid):
            continue
        start = start_points(state, pid)
        attempt = phase.attempt + 1
        if len(start) == 1:
            started = move(phase, PhaseStatus.PREPARING, attempt=attempt, dispatched_at=at)
            effects.append(prepare(state, started, start[0]))
        else:
            started = move(phase, PhaseStatus.MERGING, attempt=attempt, dispatched_at=at)
            effects.append(
                MergeHeads(
                    phase_id=pid,
                    attempt=attempt,
                    iteration=started.iteration,
                    branch=state.merge_branch_for(pid),
                    heads=start,
                )
            )
        state = state.with_phase(started)
        free -= 1
    return state, effects


_ACTIVE = tuple(s for s in PhaseStatus if s.active)


def prepare(state: RunState, phase: PhaseState, start: StartPoint) -> PreparePhase:
    return PreparePhase(
        phase_id=phase.phase_id,
        attempt=phase.attempt,
        iteration=phase.iteration,
        branch=state.branch_for(phase.phase_id),
        base_branch=start.ref,
        start=start,
    )


def ready(state: RunState, phase_id: str) -> bool:
    return all(state.phases[d].status.satisfies_dependents for d in state.deps[phase_id])


def start_points(state: RunState, phase_id: str) -> tuple[StartPoint, ...]:
    """The dependency heads a phase starts from, or the run's base commit when it has none.

    A dependency that another dependency itself depends on is left out: the other's head
    already contains it, and leaving it out keeps a single-parent start (and its PR target)
    wherever the graph allows.
    """
    heads: list[StartPoint] = []
    for dep in _direct_sources(state, phase_id):
        dep_state = state.phases[dep]
        heads.append(
            StartPoint(ref=dep_state.branch or "", sha=dep_state.head_sha or "", phase_id=dep)
        )
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


def settle(state: RunState, at: float) -> RunState:
    """Finish the run when every phase is done, or when nothing can progress any more."""
    if state.status is not RunStatus.RUNNING:
        return state
    phases = state.phases.values()
    if all(p.status.satisfies_dependents for p in phases):
        # Not done yet: done is when the integration PR exists (`OpenIntegration`).
        return replace(state, status=RunStatus.INTEGRATING)
    # A conflicted phase waits for a person's `/porch resolved`: the run waits with it.
    stuck = not any(
        p.status.active
        or p.status is PhaseStatus.CONSULTING
        or p.status is PhaseStatus.CONFLICTED
        or (p.status is PhaseStatus.PENDING and ready(state, p.phase_id))
        for p in phases
    )
    if stuck:
        return replace(state, status=RunStatus.FAILED, finished_at=at)
    return state


def _run_started(state: RunState, event: RunStarted) -> Step:
    if state.status is not RunStatus.PENDING:
        return state, []
    return replace(state, status=RunStatus.RUNNING), []


def _integration_opened(state: RunState, event: IntegrationOpened) -> Step:
    if state.status is not RunStatus.INTEGRATING:
        return state, []
    return replace(
        state, status=RunStatus.DONE, finished_at=event.at, integration_pr=event.pr_number
    ), []


def _integration_needs_person(state: RunState, event: IntegrationNeedsPerson) -> Step:
    if state.status is not RunStatus.INTEGRATING or state.integration_conflict is not None:
        return state, []
    if event.round != state.integration_round:
        return state, []  # a late report of a round a person already resolved
    conflict = IntegrationConflict(
        meeting=event.meeting, files=event.files, hunks=event.hunks, rungs=event.rungs
    )
    waiting = replace(state, integration_conflict=conflict)
    return waiting, [AskToResolveIntegration(round=state.integration_round)]


def _integration_resolved(state: RunState, event: IntegrationResolved) -> Step:
    if state.status is not RunStatus.INTEGRATING or state.integration_conflict is None:
        return state, []
    again = replace(state, integration_conflict=None, integration_round=state.integration_round + 1)
    return again, [OpenIntegration(round=again.integration_round)]


def _integration_failed(state: RunState, event: IntegrationFailed) -> Step:
    if state.status is not RunStatus.INTEGRATING:
        return state, []
    return replace(
        state, status=RunStatus.FAILED, finished_at=event.at, integration_error=event.error
    ), []


HANDLERS: dict[type, Handler] = {
    RunStarted: _run_started,
    IntegrationOpened: _integration_opened,
    IntegrationFailed: _integration_failed,
    IntegrationNeedsPerson: _integration_needs_person,
    IntegrationResolved: _integration_resolved,
}
