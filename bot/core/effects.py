"""What the reducer asks the outside world to do. Adapters perform effects and report back
with events; the reducer itself does nothing.

Every effect has a deterministic `key` in RQ's job-id alphabet `[A-Za-z0-9_-]`;
`job_id(run_id, effect)` prefixes it with the run so that enqueueing the same effect twice (a
retried transaction, a duplicated event) yields the same job id. Every subclass of `Effect` is
registered by name when it is defined; how each kind is performed is declared once, in
workers/registry.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from bot.core import codec
from bot.core.names import is_key_safe, key_part

EFFECT_TYPES: dict[str, type[Effect]] = {}


@dataclass(frozen=True, kw_only=True)
class Effect:
    """Something the run needs done outside; `key` names it for deduplication."""

    abstract: ClassVar[bool] = True

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.abstract = abstract
        if not abstract:
            EFFECT_TYPES[cls.__name__] = cls

    @property
    def key(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class PhaseEffect(Effect, abstract=True):
    """A job for one phase, at one iteration and attempt: its report names both."""

    phase_id: str
    attempt: int
    iteration: int = 1

    def _key(self, verb: str) -> str:
        return f"{verb}-{key_part(self.phase_id)}-i{self.iteration}-a{self.attempt}"


@dataclass(frozen=True, kw_only=True)
class StartPoint:
    """A commit a phase branch starts from, and the branch that holds it."""

    ref: str  # the run's base branch, a dependency's phase branch, or a `-base` merge branch
    sha: str
    phase_id: str | None = None  # the dependency it comes from; None for the run's base


@dataclass(frozen=True, kw_only=True)
class MergeHeads(PhaseEffect):
    """Merge the heads of several dependencies, in order, onto `branch`; report HeadsMerged
    or MergeFailed naming the files and phases whose work conflicts.

    Idempotent: a `branch` that already holds every head is reused.
    """

    branch: str
    heads: tuple[StartPoint, ...]

    @property
    def key(self) -> str:
        return self._key("merge")


@dataclass(frozen=True, kw_only=True)
class ResolveMerge(PhaseEffect):
    """The merge ladder's rungs that need a clone: a local merge with the configured per-path
    strategies, then the resolver builder; report HeadsMerged, or MergeNeedsPerson after
    pushing `resolve_branch` for a person.

    Idempotent: heads the `-base` branch already holds merge as no-ops.
    """

    branch: str
    heads: tuple[StartPoint, ...]
    resolve_branch: str
    rungs: tuple[str, ...] = ()  # what the earlier rungs did, carried into the report

    @property
    def key(self) -> str:
        return self._key("resolve")


@dataclass(frozen=True, kw_only=True)
class AskForResolution(PhaseEffect):
    """Post the one comment that asks a person to resolve the phase's conflict (files,
    phases, hunks and the commands), and mark its check run as waiting.

    Idempotent: the comment carries a marker naming the phase, iteration and attempt.
    """

    @property
    def key(self) -> str:
        return self._key("ask")


@dataclass(frozen=True, kw_only=True)
class PreparePhase(PhaseEffect):
    """Create the phase branch at `start`, its draft PR into `base_branch` and its check run;
    report PhasePrepared or PhasePrepareFailed.

    Idempotent: an existing branch at the right commit, or an open PR for the head, is reused.
    """

    branch: str
    base_branch: str
    start: StartPoint

    @property
    def key(self) -> str:
        return self._key("prepare")


@dataclass(frozen=True, kw_only=True)
class RunBuilder(PhaseEffect):
    """Run the builder on `branch`; report BuilderStarted when a builder worker takes it,
    then PhaseBuilt or PhaseBuildFailed."""

    branch: str

    @property
    def key(self) -> str:
        return self._key("build")


@dataclass(frozen=True, kw_only=True)
class CancelBuilder(PhaseEffect):
    """Stop the builder of this attempt if it is queued or running; its late report is ignored."""

    @property
    def key(self) -> str:
        return self._key("cancel")


@dataclass(frozen=True, kw_only=True)
class RequestConsultation(Effect):
    """Ask for a batch's consultation: one comment on the issue listing its phases, and one
    round of review requests to the configured reviewers on their PRs.

    Idempotent: the comment is found by its marker, and asking an asked reviewer again is a
    no-op on GitHub.
    """

    batch: int

    @property
    def key(self) -> str:
        return f"consult-b{self.batch}"


@dataclass(frozen=True, kw_only=True)
class SummariseConsultation(Effect):
    """Bring a batch's comment up to date with its consultants' verdicts."""

    batch: int
    phase_id: str
    run: int

    @property
    def key(self) -> str:
        return f"summary-b{self.batch}-{key_part(self.phase_id)}-r{self.run}"


@dataclass(frozen=True, kw_only=True)
class RunConsultants(PhaseEffect):
    """Run every automated consultant on the phase's head, in parallel; post each verdict as a
    PR review once; report ConsultantsFinished."""

    run: int  # how many times the phase's consultants were asked, this one included
    head_sha: str

    @property
    def key(self) -> str:
        return self._key("consultants") + f"-r{self.run}"


@dataclass(frozen=True, kw_only=True)
class StartTimer(Effect):
    """Deliver `TimerFired(name)` to the run at `due_at` (epoch seconds)."""

    name: str  # [A-Za-z0-9_:-]; the reducer reads it back
    due_at: float

    @property
    def key(self) -> str:
        return f"timer-{key_part(self.name)}-{round(self.due_at)}"


@dataclass(frozen=True, kw_only=True)
class UpdateCheckRun(Effect):
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
class UpdateStatusComment(Effect):
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


@dataclass(frozen=True, kw_only=True)
class OpenIntegration(Effect):
    """Merge the phases nothing depends on (and the base branch, if it moved) on the
    integration branch, run the checks there, and open the integration PR; report
    IntegrationOpened or IntegrationFailed.

    Idempotent: heads the branch holds merge as no-ops, and an open PR for it is reused.
    A conflict no rung settles reports IntegrationNeedsPerson; once a person resolved it,
    the next `round` goes again from their branch.
    """

    round: int = 1

    @property
    def key(self) -> str:
        return "integrate" if self.round == 1 else f"integrate-r{self.round}"


@dataclass(frozen=True, kw_only=True)
class AskToResolveIntegration(Effect):
    """Post the one comment that asks a person to resolve the integration branch's conflict.

    Idempotent: the comment carries a marker naming the round.
    """

    round: int = 1

    @property
    def key(self) -> str:
        return f"integrate-ask-r{self.round}"


def job_id(run_id: str, effect: Effect) -> str:
    """`<run_id>-<effect key>`: a job id that is the same every time this effect is emitted."""
    if not is_key_safe(run_id):
        raise ValueError(f"run id {run_id!r} must only contain [A-Za-z0-9_-]")
    return f"{run_id}-{effect.key}"


def effect_to_dict(effect: Effect) -> dict[str, Any]:
    return codec.encode_tagged(effect)


def effect_from_dict(data: Mapping[str, Any]) -> Effect:
    return codec.decode_tagged(EFFECT_TYPES, data)
