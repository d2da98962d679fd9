"""What can happen to a run. Each event carries `at`, epoch seconds supplied by whoever saw it
happen: the reducer never reads a clock, so replaying events gives the same state.

Events travel through Redis and RQ as dicts with a `type` field (`event_to_dict` and
`event_from_dict`); every subclass of `Event` is registered by name when it is defined. Phase
events carry the `iteration` and `attempt` they belong to, so a late report from a superseded
job is recognised as stale and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from bot.core import codec
from bot.core.state import PredictedConflict, Verdict

EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened to a run, at `at`."""

    at: float
    abstract: ClassVar[bool] = True

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.abstract = abstract
        if not abstract:
            EVENT_TYPES[cls.__name__] = cls


@dataclass(frozen=True, kw_only=True)
class PhaseEvent(Event, abstract=True):
    """An event about one job of one phase."""

    phase_id: str
    attempt: int
    iteration: int = 1


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    """The run was created and stored; dispatch the phases that depend on nothing."""


@dataclass(frozen=True, kw_only=True)
class HeadsMerged(PhaseEvent):
    """The heads of a phase's dependencies were merged on its `-base` branch, at `sha`."""

    branch: str
    sha: str
    # What each rung of the merge ladder did, in order ("github: merged", "local: …").
    rungs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MergeEscalated(PhaseEvent):
    """GitHub's merges API found a conflict: the next rungs need a clone (`ResolveMerge`)."""

    rungs: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class MergeNeedsPerson(PhaseEvent):
    """No rung merged the heads: `resolve_branch` holds the first head for a person."""

    rungs: tuple[str, ...]
    resolve_branch: str
    files: tuple[str, ...]
    hunks: str  # the conflicting hunks, markers in place, cut to a readable length


@dataclass(frozen=True, kw_only=True)
class ResolutionVerified(PhaseEvent):
    """`/porch resolved`: the resolve branch holds every head and no conflict markers."""

    branch: str
    sha: str
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class MergeFailed(PhaseEvent):
    """The merge job itself failed (not a conflict: those climb the ladder)."""

    error: str


@dataclass(frozen=True, kw_only=True)
class PhasePrepared(PhaseEvent):
    """The phase's branch, draft PR and check run exist; its builder may be queued."""

    branch: str
    base_branch: str  # the branch the draft PR targets
    pr_number: int
    check_run_id: int
    base_sha: str  # the phase branch's first commit


@dataclass(frozen=True, kw_only=True)
class PhasePrepareFailed(PhaseEvent):
    """The branch, PR or check run could not be made."""

    error: str


@dataclass(frozen=True, kw_only=True)
class BuilderStarted(PhaseEvent):
    """A builder worker took the phase's job: from now on the phase is building."""


@dataclass(frozen=True, kw_only=True)
class PhaseBuilt(PhaseEvent):
    """The builder and the configured checks succeeded and the branch was pushed."""

    head_sha: str
    log_tail: str = ""
    rebuttal: str = ""  # the builder's answer to the reviews of the last round
    # A builder that moved the check run to the new head (check runs belong to a commit) may
    # report the new run's id; None keeps the one from PhasePrepared.
    check_run_id: int | None = None
    # What `git merge-tree` found between the new head and the pushed heads of phases beside it.
    conflicts: tuple[PredictedConflict, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PhaseBuildFailed(PhaseEvent):
    """The builder or a check failed, or it timed out; retried while attempts remain."""

    error: str
    log_tail: str = ""


@dataclass(frozen=True, kw_only=True)
class PhaseReviewEvent(Event, abstract=True):
    """Something a person did about a phase's consultation; not tied to one of its jobs."""

    phase_id: str


@dataclass(frozen=True, kw_only=True)
class ReviewSubmitted(PhaseReviewEvent):
    """A review of the phase's PR by someone whose review counts (write access, checked)."""

    review_id: int
    reviewer: str
    verdict: Verdict
    head_sha: str  # the commit reviewed
    body: str = ""
    comments: tuple[str, ...] = ()  # inline comments, "path:line: text"


@dataclass(frozen=True, kw_only=True)
class ReviewDismissed(PhaseReviewEvent):
    """A review of the phase's PR was dismissed: it no longer counts."""

    review_id: int
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class ApprovedByCommand(PhaseReviewEvent):
    """`/porch approve <phase>` by someone with write access."""

    by: str


@dataclass(frozen=True, kw_only=True)
class ConsultRequested(PhaseReviewEvent):
    """`/porch consult <phase>`: run the automated consultants on its head again."""

    by: str


@dataclass(frozen=True, kw_only=True)
class ConsultantVerdict:
    """One automated consultant's verdict, as posted on the PR."""

    name: str
    verdict: Verdict
    summary: str  # the review's body, without its heading
    review_id: int = 0  # 0 when the review could not be posted
    note: str = ""  # why it counts as COMMENT: "failed (exit 2)", "timed out", "no verdict"


@dataclass(frozen=True, kw_only=True)
class ConsultantsFinished(PhaseEvent):
    """The automated consultants of one `RunConsultants` job are done with `head_sha`."""

    run: int
    head_sha: str
    verdicts: tuple[ConsultantVerdict, ...] = ()
    error: str = ""  # the job itself failed: no verdicts


@dataclass(frozen=True, kw_only=True)
class IntegrationOpened(Event):
    """The integration PR is open: the run is done."""

    pr_number: int
    sha: str
    rungs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IntegrationNeedsPerson(Event):
    """No rung merged a head into the integration branch: what merged so far is pushed there,
    and a person is asked to merge the rest."""

    round: int
    meeting: tuple[str, ...]  # whose work meets in the conflict
    files: tuple[str, ...]
    hunks: str
    rungs: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class IntegrationResolved(Event):
    """`/porch resolved`: the integration branch holds every phase's work and no markers."""

    sha: str
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class IntegrationFailed(Event):
    """The integration branch could not be merged or did not pass the checks."""

    error: str


@dataclass(frozen=True, kw_only=True)
class PhaseOverdue(PhaseEvent):
    """The phase stayed in `status` past its bound (bot.core.bounds): the reconciler saw it."""

    status: str
    seconds: int  # how long it has been in `status`


@dataclass(frozen=True, kw_only=True)
class TimerFired(Event):
    """A timer the reducer started (`StartTimer`) is due."""

    name: str
    due_at: float


@dataclass(frozen=True, kw_only=True)
class StatusRequested(Event):
    """`/porch status`: bring the status comment up to date."""

    by: str = ""


@dataclass(frozen=True, kw_only=True)
class CancelRequested(Event):
    """`/porch cancel`: stop every unfinished phase and end the run."""

    by: str = ""


@dataclass(frozen=True, kw_only=True)
class RetryRequested(Event):
    """`/porch retry`, or a check run's Re-run or "Retry phase": build the phase again, with
    whatever it waits for that failed and whatever waited for it."""

    phase_id: str
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class SkipRequested(Event):
    """`/porch skip`, or a check run's "Skip phase": count the phase as done without its work."""

    phase_id: str
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class CheckRunOpened(Event):
    """A check run was made for a phase that failed or was blocked before it had one."""

    phase_id: str
    check_run_id: int


def event_to_dict(event: Event) -> dict[str, Any]:
    """`{"type": "PhaseBuilt", "at": ..., ...}`, JSON-ready."""
    return codec.encode_tagged(event)


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """The inverse of `event_to_dict`; ValueError for an unknown type or malformed fields."""
    return codec.decode_tagged(EVENT_TYPES, data)
