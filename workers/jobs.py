"""The one skeleton every effect job runs in, and what the run hears when a job dies.

`perform` is the RQ entry point of every effect: decode the effect, look up its kind in the
registry, skip it when the run has moved on (a late or repeated job), run the kind's body, and
apply the event it reports. One broad `except` turns a crash into the kind's failure event, so
a run never waits on a job that gave up; a passing GitHub failure is first left to RQ's
retries while the kind has some.

`report_lost` is RQ's failure callback: it runs when a job's work horse was killed, or when a
worker found the job abandoned because the worker running it (or its machine) went away.
"""

from __future__ import annotations

import logging
import re
import time
from types import TracebackType
from typing import Any

import redis
from rq import get_current_job
from rq.job import Job

from bot.adapters import logs
from bot.adapters.github.client import describe, is_transient
from bot.adapters.jobs import JobSpec, enqueue
from bot.adapters.store import RunStore
from bot.core.effects import Effect, PhaseEffect, effect_from_dict
from bot.core.events import Event, event_to_dict
from bot.errors import ForeignObject, GitHubRateLimited
from workers.registry import (
    KINDS,
    PERFORM_JOB,
    REPORT_LOST_JOB,
    SHORT_JOB_TIMEOUT,
    EffectKind,
    plan_job,
)
from workers.runtime import Runtime

log = logging.getLogger(__name__)

# How long a job's report waits for Redis to come back before the job gives up on it.
REPORT_PATIENCE_SECONDS = 15 * 60


def perform(run_id: str, effect_data: dict[str, Any]) -> dict[str, Any] | None:
    """RQ's entry point for every effect job; returns the event it reported, which RQ keeps
    as the job's result so that the reconciler can apply it again should it be lost."""
    job = get_current_job()
    retries_left = (job.retries_left or 0) if job else 0
    effect = effect_from_dict(effect_data)
    try:
        with logs.ids(
            run_id=run_id,
            phase_id=getattr(effect, "phase_id", None),
            attempt=getattr(effect, "attempt", None),
            iteration=getattr(effect, "iteration", None),
        ):
            event = run(Runtime.for_job(plan_job), run_id, effect, retries_left)
    except GitHubRateLimited as limited:
        if job is None:
            raise
        reschedule(job, effect, limited.resume_at)
        return None
    return event_to_dict(event) if event is not None else None


def reschedule(job: Job, effect: Effect, resume_at: float) -> str:
    """Run the job again when GitHub's budget allows, instead of failing its phase: a copy
    scheduled through RQ's scheduler, its id the job's own plus how many times it waited."""
    kind = KINDS[type(effect)]
    base, waits = _waits(job.id)
    spec = JobSpec(
        queue=job.origin,
        func=PERFORM_JOB,
        args=tuple(job.args),
        job_id=f"{base}-w{waits + 1}",
        timeout=int(job.timeout or 0) or SHORT_JOB_TIMEOUT,
        on_failure=REPORT_LOST_JOB if kind.failed else None,
        retry_intervals=kind.retry_intervals,
        # A second's spread, so that the jobs that waited together do not all start at once.
        due_at=resume_at + (hash(job.id) % 1000) / 1000,
        description=job.description or "",
    )
    with job.connection.pipeline() as pipe:
        enqueue(job.connection, pipe, spec)
        pipe.execute()
    log.warning(
        "job %s: GitHub's budget is spent; again at %.0f as %s", job.id, resume_at, spec.job_id
    )
    return spec.job_id


def _waits(job_id: str) -> tuple[str, int]:
    match = _WAITED.fullmatch(job_id)
    return (match.group(1), int(match.group(2))) if match else (job_id, 0)


_WAITED = re.compile(r"(.+)-w(\d+)")


def run(rt: Runtime, run_id: str, effect: Effect, retries_left: int = 0) -> Event | None:
    """Perform `effect` for the run and apply what it reports; returns that event."""
    kind = KINDS[type(effect)]
    log.info("run %s: %s", run_id, effect.key)
    state = rt.store.load(run_id)
    if state is None:
        log.warning("run %s: gone; %s dropped", run_id, effect.key)
        return None
    if kind.expects and isinstance(effect, PhaseEffect):
        state = rt.store.awaiting(
            run_id, effect.phase_id, effect.attempt, *kind.expects, iteration=effect.iteration
        )
        if state is None:
            return None
    try:
        event = kind.perform(rt, state, effect)
    except GitHubRateLimited:
        raise  # not a failure: `perform` runs the job again when the budget allows
    except Exception as exc:
        if is_transient(exc) and retries_left > 0:
            raise  # RQ tries again later; after the last try the failure event is reported
        log.exception("run %s: job %s failed", run_id, effect.key)
        event = _failed(kind, effect, failure_reason(exc), rt.clock())
    if event is not None:
        apply_patiently(rt.store, run_id, event)
    return event


def apply_patiently(
    store: RunStore, run_id: str, event: Event, patience: float = REPORT_PATIENCE_SECONDS
) -> None:
    """Apply a job's report, waiting for Redis when it is away.

    A builder may finish while Redis restarts: its report, the only record of an hour's
    work, waits (with a growing pause) rather than failing the job.
    """
    deadline = time.monotonic() + patience
    pause = 1.0
    while True:
        try:
            store.apply(run_id, event)
            return
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("run %s: Redis unreachable (%s); reporting in %.0fs", run_id, exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, 30.0)


def failure_reason(exc: BaseException) -> str:
    """What a person is told about a job that raised: never a traceback or a token."""
    if isinstance(exc, ForeignObject):
        return str(exc)
    if is_transient(exc):
        return f"GitHub kept failing ({describe(exc)}); gave up after several tries."
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return f"GitHub answered {status}."
    return f"The job failed: {type(exc).__name__}."


def report_lost(
    job: Job,
    connection: redis.Redis,
    exc_type: type[BaseException],
    exc_value: BaseException | None,
    traceback: TracebackType | None,
    *_: Any,
) -> None:
    if job.retries_left:
        return  # RQ tries the job again: this was not its last word
    run_id, effect = job.args[0], effect_from_dict(job.args[1])
    kind = KINDS.get(type(effect))
    if kind is None:
        return
    if exc_value is not None and is_transient(exc_value):
        reason = failure_reason(exc_value)
    else:
        reason = f"Its job ended without reporting ({exc_type.__name__}); the worker may have died."
    log.warning("run %s: job %s lost: %s", run_id, job.id, exc_type.__name__)
    event = _failed(kind, effect, reason, time.time())
    if event is not None:
        # A stale attempt (the phase moved on, or the job did report) changes nothing.
        RunStore(connection, plan_job).apply(run_id, event)


def _failed(kind: EffectKind[Any], effect: Effect, reason: str, at: float) -> Event | None:
    return kind.failed(effect, reason, at) if kind.failed else None
