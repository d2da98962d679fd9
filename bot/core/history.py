"""The run's event log: one entry per event that changed the run, appended, never rewritten.

An entry says what happened (the event's type and who asked), when, and which phases moved
from which state to which at which iteration and attempt. The status comment, a dashboard's
swimlanes and a reconciler read the log; the store appends an entry in the same transaction
that stores the state it describes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import codec
from bot.core.events import Event
from bot.core.state import PhaseState, PhaseStatus, RunState, RunStatus


@dataclass(frozen=True, kw_only=True)
class PhaseMove:
    phase_id: str
    source: PhaseStatus
    target: PhaseStatus
    iteration: int
    attempt: int


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    at: float
    version: int  # the run's version after this event
    event: str  # the event's type, e.g. "PhaseBuilt"
    phase_id: str | None = None  # the phase the event was about, if any
    by: str = ""  # who asked, for commands
    run_status: RunStatus
    moves: tuple[PhaseMove, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dict(codec.encode(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogEntry:
        return codec.decode(cls, data)


def log_entry(before: RunState, after: RunState, event: Event) -> LogEntry:
    """What `event` did, taking `before` to `after`."""
    moves = tuple(
        PhaseMove(
            phase_id=pid,
            source=before.phases[pid].status,
            target=phase.status,
            iteration=phase.iteration,
            attempt=phase.attempt,
        )
        for pid, phase in after.phases.items()
        if (phase.status, phase.attempt, phase.iteration)
        != (
            before.phases[pid].status,
            before.phases[pid].attempt,
            before.phases[pid].iteration,
        )
    )
    return LogEntry(
        at=event.at,
        version=after.version,
        event=type(event).__name__,
        phase_id=getattr(event, "phase_id", None),
        by=getattr(event, "by", ""),
        run_status=after.status,
        moves=moves,
    )


def entered_at(entries: Sequence[LogEntry], phase: PhaseState) -> float | None:
    """When the phase last moved into its current status, iteration and attempt; None when
    the log does not say (a log cut short)."""
    for entry in reversed(entries):
        for move in entry.moves:
            if (move.phase_id, move.target, move.iteration, move.attempt) == (
                phase.phase_id,
                phase.status,
                phase.iteration,
                phase.attempt,
            ):
                return entry.at
    return None
