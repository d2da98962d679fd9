"""What the run hears when a phase's job dies without reporting.

A builder or prepare job reports its own failures. This callback covers the rest: RQ calls it
when the work horse was killed, and when a worker finds a job abandoned because the worker
running it (or its machine) went away. The phase's attempt then fails like any failed build:
retried while retries remain, so the run never waits forever on a job nobody runs.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

import redis
from rq.job import Job

from bot.adapters.github.client import describe, is_transient
from bot.adapters.store import RunStore
from bot.core.effects import PreparePhase, RunBuilder, effect_from_dict
from bot.core.events import PhaseBuildFailed, PhasePrepareFailed

log = logging.getLogger(__name__)


def report_lost_job(
    job: Job,
    connection: redis.Redis,
    exc_type: type[BaseException],
    exc_value: BaseException | None,
    traceback: TracebackType | None,
    *_: Any,
) -> None:
    if job.retries_left:
        return  # RQ tries the job again: this was not its last word
    run_id, effect_data = job.args[0], job.args[1]
    effect = effect_from_dict(effect_data)
    reason = _reason(exc_type, exc_value)
    log.warning("run %s: job %s lost: %s", run_id, job.id, exc_type.__name__)
    event: PhaseBuildFailed | PhasePrepareFailed
    if isinstance(effect, RunBuilder):
        event = PhaseBuildFailed(
            at=time.time(), phase_id=effect.phase_id, attempt=effect.attempt, error=reason
        )
    elif isinstance(effect, PreparePhase):
        event = PhasePrepareFailed(
            at=time.time(), phase_id=effect.phase_id, attempt=effect.attempt, error=reason
        )
    else:
        return
    # A stale attempt (the phase moved on, or the job did report) changes nothing.
    RunStore(connection).apply(run_id, event)


def _reason(exc_type: type[BaseException], exc_value: BaseException | None) -> str:
    if exc_value is not None and is_transient(exc_value):
        return f"GitHub kept failing ({describe(exc_value)}); gave up after several tries."
    return f"Its job ended without reporting ({exc_type.__name__}); the worker may have died."
