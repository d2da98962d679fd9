"""Ending phases early: a failure blocks its dependents and applies the failure policy;
`/porch cancel` stops everything unfinished."""

from __future__ import annotations

from dataclasses import replace

from bot.core.effects import CancelBuilder, Effect
from bot.core.events import CancelRequested
from bot.core.reducer.step import Handler, Step
from bot.core.state import FailurePolicy, PhaseState, PhaseStatus, RunState, RunStatus
from bot.core.transitions import move


def fail(state: RunState, phase: PhaseState, error: str, at: float) -> Step:
    """Fail the phase, block its transitive dependents, and apply the failure policy."""
    state = state.with_phase(
        move(phase, PhaseStatus.FAILED, error=error or "failed", finished_at=at)
    )
    for pid in state.dependents(phase.phase_id):
        dependent = state.phases[pid]
        if dependent.status is PhaseStatus.PENDING:
            state = state.with_phase(
                move(dependent, PhaseStatus.BLOCKED, error=f"{phase.phase_id} failed")
            )
    if state.settings.failure_policy is FailurePolicy.CANCEL:
        return cancel_unfinished(state, at, reason=f"cancelled: {phase.phase_id} failed")
    return state, []


def cancel_unfinished(state: RunState, at: float, reason: str) -> Step:
    effects: list[Effect] = []
    for phase in state.phases.values():
        if phase.status.finished:
            continue
        if phase.status in (PhaseStatus.QUEUED, PhaseStatus.BUILDING):
            effects.append(
                CancelBuilder(
                    phase_id=phase.phase_id, attempt=phase.attempt, iteration=phase.iteration
                )
            )
        # A phase whose builder never started did not run: it has no finishing time.
        finished_at = at if phase.started_at is not None else None
        state = state.with_phase(
            move(phase, PhaseStatus.CANCELLED, error=reason, finished_at=finished_at)
        )
    return state, effects


def _cancel_requested(state: RunState, event: CancelRequested) -> Step:
    if state.status.finished:
        return state, []
    state, effects = cancel_unfinished(state, event.at, reason="cancelled")
    return replace(state, status=RunStatus.CANCELLED, finished_at=event.at), effects


HANDLERS: dict[type, Handler] = {CancelRequested: _cancel_requested}
