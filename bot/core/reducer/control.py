"""People steering a run after a failure: retry a phase, skip a phase, and the check runs
made for phases that failed before they had one.

A retry puts the phase back to pending together with what it cannot start without (its
failed, blocked or cancelled dependencies) and what was waiting for it (its blocked or
cancelled dependents); a skip counts the phase as done, so its dependents start from its
dependencies' heads. Either brings a run that had ended `failed` or `cancelled` back to
`running`; dispatch then starts whatever is ready, on the branches and PRs it had.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.core.events import CheckRunOpened, RetryRequested, SkipRequested
from bot.core.reducer.step import Handler, Step
from bot.core.state import PhaseState, PhaseStatus, RunState, RunStatus
from bot.core.transitions import move

S = PhaseStatus
RETRYABLE = (S.FAILED, S.BLOCKED, S.CANCELLED)
SKIPPABLE = (S.PENDING, S.FAILED, S.BLOCKED, S.CANCELLED)
# What a retry or a skip revives downstream: phases that only stopped because of this one.
_REVIVED = (S.BLOCKED, S.CANCELLED)


def find_phase(state: RunState, reference: str) -> str | None:
    """The phase a person means: its id (`phase_2`), label (`2`, `2a`) or `Phase 2`."""
    text = reference.strip().strip("`").strip()
    if text in state.phases:
        return text
    label = re.sub(r"^phase[\s_:-]*", "", text, flags=re.IGNORECASE).rstrip(":").strip()
    for pid in state.phases:
        if pid.lower() == text.lower() or state.labels.get(pid, "").lower() == label.lower():
            return pid
    return None


def why_not_retry(state: RunState, phase_id: str) -> str | None:
    """Why `phase_id` cannot be retried now, or None when it can."""
    return _why_not(state, phase_id, RETRYABLE, "retry")


def why_not_skip(state: RunState, phase_id: str) -> str | None:
    """Why `phase_id` cannot be skipped now, or None when it can."""
    return _why_not(state, phase_id, SKIPPABLE, "skip")


def _why_not(state: RunState, phase_id: str, allowed: tuple[S, ...], verb: str) -> str | None:
    status = state.phases[phase_id].status
    if state.status is RunStatus.DONE:
        return "the run is already done"
    if status not in allowed:
        done = "retried" if verb == "retry" else "skipped"
        can = " or ".join(s.value for s in allowed)
        return f"it is {status.value}; only a phase that is {can} can be {done}"
    return None


def _retry_requested(state: RunState, event: RetryRequested) -> Step:
    if event.phase_id not in state.phases or why_not_retry(state, event.phase_id):
        return state, []
    targets = {event.phase_id} | _stopped_ancestors(state, event.phase_id)
    for pid in targets:
        state = state.with_phase(_again(state.phases[pid]))
    state = _revive_dependents(state, targets)
    return _resume(state), []


def _skip_requested(state: RunState, event: SkipRequested) -> Step:
    if event.phase_id not in state.phases or why_not_skip(state, event.phase_id):
        return state, []
    phase = state.phases[event.phase_id]
    by = f" by @{event.by}" if event.by else ""
    skipped = move(phase, S.SKIPPED, error=f"skipped{by}", finished_at=event.at)
    state = _revive_dependents(state.with_phase(skipped), {event.phase_id})
    return _resume(state), []


def _check_run_opened(state: RunState, event: CheckRunOpened) -> Step:
    phase = state.phases.get(event.phase_id)
    if phase is None or phase.check_run_id is not None:
        return state, []
    return state.with_phase(replace(phase, check_run_id=event.check_run_id)), []


def _again(phase: PhaseState) -> PhaseState:
    """The phase pending again, with the configured retries granted anew."""
    return move(phase, S.PENDING, first_attempt=phase.attempt + 1, error="", finished_at=None)


def _stopped_ancestors(state: RunState, phase_id: str) -> set[str]:
    """Dependencies, direct or not, that stopped and so keep the phase from starting."""
    found: set[str] = set()
    stack = list(state.deps[phase_id])
    while stack:
        dep = stack.pop()
        if dep not in found and state.phases[dep].status in RETRYABLE:
            found.add(dep)
            stack.extend(state.deps[dep])
    return found


def _revive_dependents(state: RunState, origins: set[str]) -> RunState:
    """Dependents of `origins` that had stopped go back to pending, unless another of their
    dependencies still keeps them from ever starting."""
    dependents = {d for pid in origins for d in state.dependents(pid)}
    for pid in state.phases:  # plan order: dependencies first
        phase = state.phases[pid]
        if pid not in dependents or phase.status not in _REVIVED:
            continue
        stuck = [d for d in state.deps[pid] if state.phases[d].status in RETRYABLE]
        if stuck:
            if phase.status is S.CANCELLED:
                state = state.with_phase(move(_again(phase), S.BLOCKED, error=f"{stuck[0]} failed"))
            continue
        state = state.with_phase(_again(phase))
    return state


def _resume(state: RunState) -> RunState:
    """A run that had ended runs again; dispatch and settle decide what happens next."""
    if state.status in (RunStatus.FAILED, RunStatus.CANCELLED):
        return replace(state, status=RunStatus.RUNNING, finished_at=None)
    return state


HANDLERS: dict[type, Handler] = {
    RetryRequested: _retry_requested,
    SkipRequested: _skip_requested,
    CheckRunOpened: _check_run_opened,
}
