"""The orchestrator: `reduce(state, event) -> (state, effects)`, pure and total.

The phase state machine it implements is the table in bot/core/transitions.py (drawn in the
README). One module per concern contributes handlers: `dispatch` (starting phases, ending
runs), `building` (merge, prepare, queue, build, retry, deadlines), `consulting` (batches,
reviews, consultants, review rounds), `stopping` (failure, blocking, cancel) and `control`
(retry and skip by people).

Stale or duplicate events (another iteration or attempt, a phase not in the status the event
expects, a finished run) return the very same state and no effects; the version is bumped once
per event that changes anything. Every event that changes something emits one
UpdateStatusComment, and every phase that changed and has a check run (or failed, or is
blocked, and so needs one) gets an UpdateCheckRun.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.effects import Effect, OpenIntegration, UpdateCheckRun, UpdateStatusComment
from bot.core.events import (
    CheckRunOpened,
    Event,
    PhaseBuilt,
    PhaseEvent,
    PhasePrepared,
    StatusRequested,
)
from bot.core.reducer import building, consulting, control, dispatch, stopping
from bot.core.reducer.step import Handler, Step
from bot.core.state import PhaseState, PhaseStatus, RunState, RunStatus

__all__ = ["Step", "reduce"]

_HANDLERS: dict[type, Handler] = {
    **dispatch.HANDLERS,
    **building.HANDLERS,
    **consulting.HANDLERS,
    **stopping.HANDLERS,
    **control.HANDLERS,
}


def shows_check_run(phase: PhaseState) -> bool:
    """Whether the phase has a check run to keep up to date, or needs one made: a phase that
    failed, was blocked or waits for a person's resolution before it had its own gets one,
    so the Checks view says why."""
    return phase.check_run_id is not None or phase.status in (
        PhaseStatus.FAILED,
        PhaseStatus.BLOCKED,
        PhaseStatus.CONFLICTED,
    )


def _shown_already(event: Event, state: RunState) -> str | None:
    """The phase whose check run was just made showing its new state: no edit needed."""
    if isinstance(event, CheckRunOpened):
        return event.phase_id
    phase = state.phases.get(event.phase_id) if isinstance(event, PhaseEvent) else None
    if phase is None:
        return None
    if isinstance(event, PhasePrepared) and phase.status is PhaseStatus.QUEUED:
        return event.phase_id  # created showing it queued (workers/preparing.py)
    if (
        isinstance(event, PhaseBuilt)
        and event.check_run_id is not None
        and phase.status is PhaseStatus.DONE
        and phase.check_run_id == event.check_run_id
    ):
        return event.phase_id  # moved to the new head showing it done (workers/builders.py)
    return None


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
    changed, dispatched = dispatch.dispatch(changed, event.at)
    changed, consulted = consulting.flush(changed, event.at)
    changed = dispatch.settle(changed, event.at)
    if changed.status is RunStatus.INTEGRATING and state.status is not RunStatus.INTEGRATING:
        # One transaction moves the run here, so the integration PR is asked for once, even
        # when the last two phases finish at the same instant on two workers.
        effects = [*effects, OpenIntegration()]
    version = state.version + 1
    changed = replace(changed, version=version)
    opened = _shown_already(event, changed)
    checks: list[Effect] = [
        UpdateCheckRun(phase_id=pid, version=version)
        for pid, phase in changed.phases.items()
        if phase != state.phases[pid] and pid != opened and shows_check_run(phase)
    ]
    effects = [*effects, *dispatched, *consulted]
    return changed, [*effects, *checks, UpdateStatusComment(version=version)]
