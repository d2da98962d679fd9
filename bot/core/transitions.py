"""The phase state machine as one table: every move the reducer makes is a row here.

The README's diagram is generated from this table (`state_diagram`), and a test checks that
the README shows exactly that diagram; the reducer moves phases only through `move`, which
refuses a move the table does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.core.state import PhaseState, PhaseStatus

S = PhaseStatus


@dataclass(frozen=True)
class Transition:
    source: PhaseStatus
    target: PhaseStatus
    when: str  # what makes it happen, and the effect it emits after " / "


_STOPPABLE = (
    S.PENDING,
    S.MERGING,
    S.CONFLICTED,
    S.PREPARING,
    S.QUEUED,
    S.BUILDING,
    S.CONSULTING,
)

PHASE_TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.PENDING, S.MERGING, "dependencies done, several heads, a free slot / MergeHeads"),
    Transition(S.PENDING, S.PREPARING, "dependencies done, one head, a free slot / PreparePhase"),
    Transition(S.MERGING, S.PREPARING, "HeadsMerged / PreparePhase"),
    Transition(S.MERGING, S.MERGING, "MergeEscalated (GitHub found a conflict) / ResolveMerge"),
    Transition(S.MERGING, S.CONFLICTED, "MergeNeedsPerson / AskForResolution"),
    Transition(S.CONFLICTED, S.PREPARING, "ResolutionVerified (/porch resolved) / PreparePhase"),
    Transition(S.MERGING, S.FAILED, "MergeFailed (the merge job failed), or overdue"),
    Transition(S.PREPARING, S.QUEUED, "PhasePrepared / RunBuilder"),
    Transition(S.PREPARING, S.FAILED, "PhasePrepareFailed, or overdue"),
    Transition(S.QUEUED, S.BUILDING, "BuilderStarted / StartTimer(deadline)"),
    Transition(S.QUEUED, S.QUEUED, "PhaseBuildFailed (job lost), attempts left / RunBuilder"),
    Transition(S.QUEUED, S.FAILED, "PhaseBuildFailed (job lost), no attempts left, or overdue"),
    Transition(S.BUILDING, S.QUEUED, "PhaseBuildFailed or deadline, attempts left / RunBuilder"),
    Transition(S.BUILDING, S.DONE, "PhaseBuilt, consultations off"),
    Transition(S.BUILDING, S.FAILED, "PhaseBuildFailed or deadline, no attempts left"),
    Transition(S.BUILDING, S.CONSULTING, "PhaseBuilt, consultations on / a batch"),
    Transition(
        S.CONSULTING,
        S.CONSULTING,
        "a review or verdicts, not enough yet; rounds used up / RunConsultants",
    ),
    Transition(S.CONSULTING, S.QUEUED, "changes requested, rounds left / RunBuilder (round + 1)"),
    Transition(S.CONSULTING, S.DONE, "approvals on its head, no changes requested; /porch approve"),
    Transition(S.PENDING, S.BLOCKED, "a dependency failed"),
    Transition(S.FAILED, S.PENDING, "RetryRequested"),
    Transition(S.BLOCKED, S.PENDING, "RetryRequested, or its failed dependency retried or skipped"),
    Transition(S.CANCELLED, S.PENDING, "RetryRequested, or its dependency retried or skipped"),
    *(
        Transition(source, S.SKIPPED, "SkipRequested")
        for source in (S.PENDING, S.FAILED, S.BLOCKED, S.CANCELLED)
    ),
    *(
        Transition(source, S.CANCELLED, "CancelRequested, or a failure under policy cancel")
        for source in _STOPPABLE
    ),
)

_ALLOWED = frozenset((t.source, t.target) for t in PHASE_TRANSITIONS)


class IllegalTransition(ValueError):
    """The reducer tried a move the table does not hold: a bug, never a user's error."""


def allowed(source: PhaseStatus, target: PhaseStatus) -> bool:
    return source is target or (source, target) in _ALLOWED


def move(phase: PhaseState, target: PhaseStatus, **changes: Any) -> PhaseState:
    """`phase` in `target` with `changes`, if the table allows the move."""
    if not allowed(phase.status, target):
        raise IllegalTransition(f"{phase.phase_id}: {phase.status} -> {target} is not allowed")
    return replace(phase, status=target, **changes)


def state_diagram() -> str:
    """The table as a Mermaid state diagram, terminal states last."""
    lines = ["stateDiagram-v2", "    [*] --> pending"]
    for t in PHASE_TRANSITIONS:
        lines.append(f"    {t.source.value} --> {t.target.value}: {t.when}")
    terminal = [s for s in PhaseStatus if s.finished]
    lines += [f"    {s.value} --> [*]" for s in terminal]
    return "\n".join(lines) + "\n"
