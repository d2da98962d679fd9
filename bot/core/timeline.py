"""A run's phases as spans of real time, read from its event log.

Each phase move in the log starts a span in the new state; the span lasts until the phase's
next move (or until `now`, for a run still going). A span carries the iteration and attempt it
belongs to, so a retried build shows as a second bar. The swimlanes, the Mermaid gantt and the
critical path all read these spans; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.history import LogEntry
from bot.core.state import PhaseStatus, RunState

# Where a phase's lane ends: a dot, not a bar.
ENDS = frozenset(
    {
        PhaseStatus.DONE,
        PhaseStatus.FAILED,
        PhaseStatus.BLOCKED,
        PhaseStatus.CANCELLED,
        PhaseStatus.SKIPPED,
    }
)


@dataclass(frozen=True, kw_only=True)
class Span:
    phase_id: str
    status: str  # a PhaseStatus value, or a state a newer bot added
    start: float
    end: float
    iteration: int
    attempt: int
    open: bool = False  # still in this state when the picture was taken

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    phase_id: str
    status: str
    at: float


@dataclass(frozen=True, kw_only=True)
class Timeline:
    start: float
    end: float
    spans: tuple[Span, ...]
    outcomes: tuple[Outcome, ...]  # where a phase reached done, failed, blocked, cancelled

    def of(self, phase_id: str) -> tuple[Span, ...]:
        return tuple(s for s in self.spans if s.phase_id == phase_id)

    def first_start(self, phase_id: str, status: str = PhaseStatus.BUILDING.value) -> float | None:
        return min((s.start for s in self.of(phase_id) if s.status == status), default=None)

    def last_end(self, phase_id: str) -> float | None:
        return max((s.end for s in self.of(phase_id)), default=None)


def timeline(state: RunState, entries: Sequence[LogEntry], now: float) -> Timeline:
    """The spans of every phase, in plan order, from the run's log; open spans end at `now`."""
    opened: dict[str, tuple[str, float, int, int]] = {}
    spans: list[Span] = []
    outcomes: list[Outcome] = []
    for entry in sorted(entries, key=lambda e: (e.at, e.version)):
        for move in entry.moves:
            pid = move.phase_id
            if pid in opened:
                status, start, iteration, attempt = opened.pop(pid)
                spans.append(_span(pid, status, start, entry.at, iteration, attempt))
            target = PhaseStatus(move.target) if move.target in _KNOWN else None
            if target in ENDS:
                outcomes.append(Outcome(phase_id=pid, status=target.value, at=entry.at))
            elif target is not PhaseStatus.PENDING:
                # Any state a phase works or waits in, including ones added later (a review
                # round's consulting), is a bar of its own.
                opened[pid] = (str(move.target), entry.at, move.iteration, move.attempt)
    end = state.finished_at if state.status.finished and state.finished_at else now
    for pid, (status, start, iteration, attempt) in opened.items():
        spans.append(_span(pid, status, start, max(start, now), iteration, attempt, True))
    order = {pid: i for i, pid in enumerate(state.phases)}
    spans.sort(key=lambda s: (order.get(s.phase_id, len(order)), s.start))
    starts = [s.start for s in spans]
    start = min([state.created_at, *starts]) if state.created_at else min(starts, default=now)
    return Timeline(
        start=start,
        end=max([end, *(s.end for s in spans)]),
        spans=tuple(spans),
        outcomes=tuple(outcomes),
    )


_KNOWN = frozenset(s.value for s in PhaseStatus)


def _span(
    pid: str,
    status: str,
    start: float,
    end: float,
    iteration: int,
    attempt: int,
    live: bool = False,
) -> Span:
    return Span(
        phase_id=pid,
        status=status,
        start=start,
        end=end,
        iteration=iteration,
        attempt=attempt,
        open=live,
    )


@dataclass(frozen=True, kw_only=True)
class Makespan:
    wall: float  # the run's start to its end (or now)
    serial: float  # every phase's own time (merging to its end) one after another
    building: float  # builders' time alone, added up
    critical_path: tuple[str, ...]

    @property
    def speedup(self) -> float | None:
        return self.serial / self.wall if self.wall > 0 and self.serial > 0 else None


def makespan(state: RunState, line: Timeline) -> Makespan:
    """The run's wall time against the same phases one after another, and its critical path."""
    serial = sum(s.seconds for s in line.spans)
    building = sum(s.seconds for s in line.spans if s.status == PhaseStatus.BUILDING.value)
    return Makespan(
        wall=max(0.0, line.end - line.start),
        serial=serial,
        building=building,
        critical_path=critical_path(state, line),
    )


def critical_path(state: RunState, line: Timeline) -> tuple[str, ...]:
    """The chain of phases that set the run's length, as it really ran.

    From the phase that ended last, step back each time to the dependency that ended last:
    that is the one its start waited for.
    """
    ends = {pid: line.last_end(pid) for pid in state.phases}
    known = {pid: end for pid, end in ends.items() if end is not None}
    if not known:
        return ()
    current: str | None = max(known, key=lambda pid: known[pid])
    chain: list[str] = []
    while current is not None:
        chain.append(current)
        deps = [d for d in state.deps.get(current, ()) if d in known]
        current = max(deps, key=lambda d: known[d]) if deps else None
    return tuple(reversed(chain))
