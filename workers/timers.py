"""The job behind a timer: when RQ's scheduler makes it due, tell the run."""

from __future__ import annotations

from bot.core.effects import StartTimer
from bot.core.events import TimerFired
from bot.core.state import RunState
from workers.runtime import Runtime


def fire(rt: Runtime, state: RunState, effect: StartTimer) -> TimerFired:
    return TimerFired(at=rt.clock(), name=effect.name, due_at=effect.due_at)
