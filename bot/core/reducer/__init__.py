"""The orchestrator: `reduce(state, event) -> (state, effects)`, pure and total.

The phase state machine it implements is the table in bot/core/transitions.py (drawn in the
README). One module per concern contributes handlers: `dispatch` (starting phases, ending
runs), `building` (merge, prepare, queue, build, retry, deadlines) and `stopping` (failure,
blocking, cancel).

Stale or duplicate events (another iteration or attempt, a phase not in the status the event
expects, a finished run) return the very same state and no effects; the version is bumped once
per event that changes anything. Every event that changes something emits one
UpdateStatusComment, and every phase that changed and has a check run gets an UpdateCheckRun.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.effects import Effect, OpenIntegration, UpdateCheckRun, UpdateStatusComment
from bot.core.events import Event, StatusRequested
from bot.core.reducer import building, dispatch, stopping
from bot.core.reducer.step import Handler, Step
from bot.core.state import RunState, RunStatus

__all__ = ["Step", "reduce"]

_HANDLERS: dict[type, Handler] = {**dispatch.HANDLERS, **building.HANDLERS, **stopping.HANDLERS}


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
    changed = dispatch.settle(changed, event.at)
    if changed.status is RunStatus.INTEGRATING and state.status is not RunStatus.INTEGRATING:
        # One transaction moves the run here, so the integration PR is asked for once, even
        # when the last two phases finish at the same instant on two workers.
        effects = [*effects, OpenIntegration()]
    version = state.version + 1
    changed = replace(changed, version=version)
    checks: list[Effect] = [
        UpdateCheckRun(phase_id=pid, version=version)
        for pid, phase in changed.phases.items()
        if phase.check_run_id is not None and phase != state.phases[pid]
    ]
    return changed, [*effects, *dispatched, *checks, UpdateStatusComment(version=version)]
