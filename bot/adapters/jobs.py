"""How an effect becomes an RQ job: the spec the store enqueues in its transaction.

Which spec each kind of effect gets is declared once, in workers/registry.py; the store only
receives a `JobPlanner` and enqueues what it returns, so this layer never imports the jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry

from bot.core.effects import Effect
from bot.core.state import RunState
from bot.inputs.config import RepoConfig

RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class JobSpec:
    """How one effect becomes one RQ job."""

    queue: str
    func: str  # dotted path: the enqueuer never imports the job's module
    args: tuple[Any, ...]
    job_id: str
    timeout: int
    # Called by RQ when the job dies without reporting: its worker was killed, or its machine
    # went away and another worker found the job abandoned.
    on_failure: str | None = None
    # Seconds to wait before each retry RQ makes of a job that raised; none: never retried.
    retry_intervals: tuple[int, ...] = ()
    # Epoch seconds: run the job no earlier than this, through RQ's scheduler.
    due_at: float | None = None
    # What RQ's logs call the job: every effect job runs the same skeleton function.
    description: str = ""


JobPlanner = Callable[[RunState, RepoConfig, Effect], JobSpec]


def enqueue(connection: redis.Redis, pipe: Pipeline, spec: JobSpec) -> None:
    """Enqueue (or schedule) the job inside the caller's MULTI block."""
    queue = Queue(spec.queue, connection=connection)
    options: dict[str, Any] = {
        "args": spec.args,
        "job_id": spec.job_id,
        "timeout": spec.timeout,
        "result_ttl": RESULT_TTL,
        "failure_ttl": FAILURE_TTL,
        "description": spec.description or None,
        "on_failure": Callback(spec.on_failure) if spec.on_failure else None,
        "retry": (
            Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals))
            if spec.retry_intervals
            else None
        ),
    }
    if spec.due_at is None:
        queue.enqueue_call(spec.func, pipeline=pipe, **options)
        return
    job = queue.create_job(spec.func, **options)
    queue.schedule_job(job, datetime.fromtimestamp(spec.due_at, tz=UTC), pipeline=pipe)
