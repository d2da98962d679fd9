"""What can happen to a run. Each event carries `at`, epoch seconds supplied by whoever saw it
happen: the reducer never reads a clock, so replaying events gives the same state.

Events travel through Redis and RQ as dicts with a `type` field (`event_to_dict` and
`event_from_dict`). Phase events carry the `attempt` they belong to, so a late report from a
superseded builder is recognised as stale and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core import codec


@dataclass(frozen=True, kw_only=True)
class RunStarted:
    """The run was created and stored; dispatch the phases that depend on nothing."""

    at: float


@dataclass(frozen=True, kw_only=True)
class PhasePrepared:
    """The phase's branch, draft PR and check run exist; its builder may start."""

    at: float
    phase_id: str
    attempt: int
    branch: str
    base_branch: str  # the branch the draft PR targets
    pr_number: int
    check_run_id: int
    base_sha: str  # the commit the phase branch starts at (a merge commit for several deps)


@dataclass(frozen=True, kw_only=True)
class PhasePrepareFailed:
    """The branch could not be made, e.g. merging several dependencies' heads conflicted."""

    at: float
    phase_id: str
    attempt: int
    error: str


@dataclass(frozen=True, kw_only=True)
class PhaseBuilt:
    """The builder and the configured checks succeeded and the branch was pushed."""

    at: float
    phase_id: str
    attempt: int
    head_sha: str
    log_tail: str = ""
    # A builder that moved the check run to the new head (check runs belong to a commit) may
    # report the new run's id; None keeps the one from PhasePrepared.
    check_run_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PhaseBuildFailed:
    """The builder or a check failed, or it timed out; retried while attempts remain."""

    at: float
    phase_id: str
    attempt: int
    error: str
    log_tail: str = ""


@dataclass(frozen=True, kw_only=True)
class StatusRequested:
    """`/porch status`: bring the status comment up to date."""

    at: float
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class CancelRequested:
    """`/porch cancel`: stop every unfinished phase and end the run."""

    at: float
    by: str = ""


Event = (
    RunStarted
    | PhasePrepared
    | PhasePrepareFailed
    | PhaseBuilt
    | PhaseBuildFailed
    | StatusRequested
    | CancelRequested
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        RunStarted,
        PhasePrepared,
        PhasePrepareFailed,
        PhaseBuilt,
        PhaseBuildFailed,
        StatusRequested,
        CancelRequested,
    )
}


def event_to_dict(event: Event) -> dict[str, Any]:
    """`{"type": "PhaseBuilt", "at": ..., ...}`, JSON-ready."""
    return codec.encode_tagged(event)


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """The inverse of `event_to_dict`; ValueError for an unknown type or malformed fields."""
    return codec.decode_tagged(EVENT_TYPES, data)
