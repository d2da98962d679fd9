"""Every kind of effect, declared once: the job that performs it, its queue, timeout and
retries, the phase states it expects, and the event that reports its failure.

The store's job planner (`plan_job`), the job skeleton (workers/jobs.py) and the lost-job
callback all read this table; nothing else names an effect's job.

Adding a kind of effect:
1. a frozen dataclass subclassing `Effect` (or `PhaseEffect`) in bot/core/effects.py, with a
   deterministic `key`; it registers itself by name;
2. the reducer emits it (and handles the events it reports) in bot/core/reducer/;
3. its body, `def body(rt: Runtime, state: RunState, effect: MyEffect) -> Event | None`, in a
   module of workers/ (tested by calling workers.jobs.run with a Runtime, no worker needed);
4. one `EffectKind(...)` row below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.adapters.jobs import JobSpec
from bot.adapters.queues import BUILDERS_QUEUE, EVENTS_QUEUE
from bot.core.effects import (
    AskForResolution,
    AskToResolveIntegration,
    CancelBuilder,
    Effect,
    MergeHeads,
    OpenIntegration,
    PhaseEffect,
    PreparePhase,
    RequestConsultation,
    ResolveMerge,
    RunBuilder,
    RunConsultants,
    StartTimer,
    SummariseConsultation,
    UpdateCheckRun,
    UpdateStatusComment,
    effect_to_dict,
    job_id,
)
from bot.core.events import (
    ConsultantsFinished,
    Event,
    IntegrationFailed,
    MergeFailed,
    PhaseBuildFailed,
    PhasePrepareFailed,
)
from bot.core.state import PhaseStatus, RunState
from bot.inputs.config import RepoConfig
from workers import (
    builders,
    consultants,
    consulting,
    integrating,
    merging,
    preparing,
    progress,
    resolving,
    timers,
)

E = TypeVar("E", bound=Effect)

SHORT_JOB_TIMEOUT = 300
# A passing GitHub failure while merging or preparing is tried again after these waits.
GITHUB_RETRY_SECONDS = (10, 30, 90)
# A builder job also clones, runs the checks and pushes; its own timeout covers the agent.
BUILDER_JOB_MARGIN = 30 * 60


@dataclass(frozen=True)
class EffectKind(Generic[E]):
    effect: type[E]
    perform: Callable[[Any, RunState, E], Event | None]
    queue: str = EVENTS_QUEUE
    timeout: Callable[[RepoConfig], int] = lambda _config: SHORT_JOB_TIMEOUT
    retry_intervals: tuple[int, ...] = ()
    # The phase states the job expects to find; in any other, the job is stale and skipped.
    expects: tuple[PhaseStatus, ...] = ()
    # The event that tells the run this job failed: it raised, or it was lost with its worker.
    failed: Callable[[E, str, float], Event] | None = None
    # When a scheduled job is due (epoch seconds); None: now.
    due_at: Callable[[E], float] | None = None


def builder_timeout(config: RepoConfig) -> int:
    """The builder and each check get the configured timeout, plus the clone and push."""
    minutes = config.builder.timeout_minutes
    return minutes * 60 * (1 + len(config.checks)) + BUILDER_JOB_MARGIN


def _reported_as(event: Callable[..., Event]) -> Callable[[Any, str, float], Event]:
    """The failure event of a phase job: `event` for the job's phase, iteration and attempt."""

    def failed(effect: PhaseEffect, error: str, at: float) -> Event:
        return event(
            at=at,
            phase_id=effect.phase_id,
            attempt=effect.attempt,
            iteration=effect.iteration,
            error=error,
        )

    return failed


def consultants_timeout(config: RepoConfig) -> int:
    """The consultants run side by side: the slowest one's timeout, plus the clone."""
    longest = max((c.timeout_seconds for c in config.consultation.consultants), default=60)
    return longest + BUILDER_JOB_MARGIN


def _consultants_failed(effect: RunConsultants, error: str, at: float) -> Event:
    return ConsultantsFinished(
        at=at,
        phase_id=effect.phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        run=effect.run,
        head_sha=effect.head_sha,
        error=error,
    )


_KINDS: tuple[EffectKind[Any], ...] = (
    EffectKind(
        MergeHeads,
        merging.merge_heads,
        retry_intervals=GITHUB_RETRY_SECONDS,
        expects=(PhaseStatus.MERGING,),
        failed=_reported_as(MergeFailed),
    ),
    # A local merge and the resolver need a clone, and the resolver runs for up to the
    # builder's timeout: builder workers take them, so events workers stay quick.
    EffectKind(
        ResolveMerge,
        resolving.resolve_merge,
        queue=BUILDERS_QUEUE,
        timeout=builder_timeout,
        expects=(PhaseStatus.MERGING,),
        failed=_reported_as(MergeFailed),
    ),
    EffectKind(
        AskForResolution,
        resolving.ask_for_resolution,
        retry_intervals=GITHUB_RETRY_SECONDS,
        expects=(PhaseStatus.CONFLICTED,),
    ),
    EffectKind(
        PreparePhase,
        preparing.prepare_phase,
        retry_intervals=GITHUB_RETRY_SECONDS,
        expects=(PhaseStatus.PREPARING,),
        failed=_reported_as(PhasePrepareFailed),
    ),
    EffectKind(
        RunBuilder,
        builders.run_builder,
        queue=BUILDERS_QUEUE,
        timeout=builder_timeout,
        expects=(PhaseStatus.QUEUED,),
        failed=_reported_as(PhaseBuildFailed),
    ),
    # A clone, merges and the checks: as slow as a builder's, so on builder workers.
    EffectKind(
        OpenIntegration,
        integrating.open_integration,
        queue=BUILDERS_QUEUE,
        timeout=builder_timeout,
        failed=lambda _effect, error, at: IntegrationFailed(at=at, error=error),
    ),
    EffectKind(
        AskToResolveIntegration,
        integrating.ask_to_resolve_integration,
        retry_intervals=GITHUB_RETRY_SECONDS,
    ),
    EffectKind(CancelBuilder, builders.cancel_builder),
    EffectKind(
        RunConsultants,
        consultants.run_consultants,
        queue=BUILDERS_QUEUE,
        timeout=consultants_timeout,
        expects=(PhaseStatus.CONSULTING,),
        failed=_consultants_failed,
    ),
    EffectKind(
        RequestConsultation, consulting.request_consultation, retry_intervals=GITHUB_RETRY_SECONDS
    ),
    EffectKind(
        SummariseConsultation,
        consulting.summarise_consultation,
        retry_intervals=GITHUB_RETRY_SECONDS,
    ),
    EffectKind(StartTimer, timers.fire, due_at=lambda effect: effect.due_at),
    EffectKind(UpdateCheckRun, progress.update_check_run),
    EffectKind(UpdateStatusComment, progress.update_status_comment),
)

KINDS: dict[type[Effect], EffectKind[Any]] = {kind.effect: kind for kind in _KINDS}

PERFORM_JOB = "workers.jobs.perform"
REPORT_LOST_JOB = "workers.jobs.report_lost"


def plan_job(state: RunState, config: RepoConfig, effect: Effect) -> JobSpec:
    """The RQ job that performs `effect` for the run: the store's job planner."""
    kind = KINDS[type(effect)]
    return JobSpec(
        queue=kind.queue,
        func=PERFORM_JOB,
        args=(state.run_id, effect_to_dict(effect)),
        job_id=job_id(state.run_id, effect),
        timeout=kind.timeout(config),
        on_failure=REPORT_LOST_JOB if kind.failed else None,
        retry_intervals=kind.retry_intervals,
        due_at=kind.due_at(effect) if kind.due_at else None,
        description=f"{kind.perform.__name__} {job_id(state.run_id, effect)}",
    )
