"""What the reducer asks the outside world to do. Adapters perform effects and report back
with events; the reducer itself does nothing.

Every effect has a deterministic `key` in RQ's job-id alphabet `[A-Za-z0-9_-]`;
`job_id(run_id, effect)` prefixes it with the run so that enqueueing the same effect twice (a
retried transaction, a duplicated event) yields the same job id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core import codec
from bot.core.names import is_key_safe, key_part


@dataclass(frozen=True, kw_only=True)
class StartPoint:
    """A commit a phase branch starts from, and the branch that holds it."""

    ref: str  # the run's base branch, or a dependency's phase branch
    sha: str
    phase_id: str | None = None  # the dependency it comes from; None for the run's base


@dataclass(frozen=True, kw_only=True)
class PreparePhase:
    """Create the phase branch, its draft PR and its check run; report PhasePrepared.

    With one start point, `branch` starts at its sha and the PR targets `base_branch`, which
    is that start point's ref. With several (a phase with several dependencies), the adapter
    creates `base_branch` at a merge of their shas, in order, then `branch` at the same commit;
    a conflict is reported as PhasePrepareFailed naming the files and phases involved.
    Idempotent: an existing branch at the right commit, or an open PR for the head, is reused.
    """

    phase_id: str
    attempt: int
    branch: str
    base_branch: str
    start: tuple[StartPoint, ...]

    @property
    def key(self) -> str:
        return f"prepare-{key_part(self.phase_id)}-{self.attempt}"


@dataclass(frozen=True, kw_only=True)
class RunBuilder:
    """Run the builder on `branch` for this attempt; report PhaseBuilt or PhaseBuildFailed."""

    phase_id: str
    attempt: int
    branch: str

    @property
    def key(self) -> str:
        return f"build-{key_part(self.phase_id)}-{self.attempt}"


@dataclass(frozen=True, kw_only=True)
class CancelBuilder:
    """Stop the builder of this attempt if it is still running; its late report is ignored."""

    phase_id: str
    attempt: int

    @property
    def key(self) -> str:
        return f"cancel-{key_part(self.phase_id)}-{self.attempt}"


@dataclass(frozen=True, kw_only=True)
class UpdateCheckRun:
    """Make the phase's check run show its current state (`render.check_run_output`).

    `version` is the run state version this update was emitted for; the adapter renders the
    state it loads, which is at least that new, so an older update that runs late is harmless.
    """

    phase_id: str
    version: int

    @property
    def key(self) -> str:
        return f"check-{key_part(self.phase_id)}-v{self.version}"


@dataclass(frozen=True, kw_only=True)
class UpdateStatusComment:
    """Create or edit the run's status comment (`render.status_comment`).

    `requested_at` is set for `/porch status`, which changes no state and so no version: the
    key must still differ from the previous update's, or the job would be deduplicated away.
    """

    version: int
    requested_at: float | None = None

    @property
    def key(self) -> str:
        if self.requested_at is None:
            return f"status-v{self.version}"
        return f"status-v{self.version}-r{round(self.requested_at * 1000)}"


Effect = PreparePhase | RunBuilder | CancelBuilder | UpdateCheckRun | UpdateStatusComment

EFFECT_TYPES: dict[str, type[Effect]] = {
    cls.__name__: cls
    for cls in (PreparePhase, RunBuilder, CancelBuilder, UpdateCheckRun, UpdateStatusComment)
}


def job_id(run_id: str, effect: Effect) -> str:
    """`<run_id>-<effect key>`: a job id that is the same every time this effect is emitted."""
    if not is_key_safe(run_id):
        raise ValueError(f"run id {run_id!r} must only contain [A-Za-z0-9_-]")
    return f"{run_id}-{effect.key}"


def effect_to_dict(effect: Effect) -> dict[str, Any]:
    return codec.encode_tagged(effect)


def effect_from_dict(data: Mapping[str, Any]) -> Effect:
    return codec.decode_tagged(EFFECT_TYPES, data)
