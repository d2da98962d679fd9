"""The RQ queues, the worker roles that serve them, and the jobs that cross process boundaries."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

import redis
from rq import Queue

EVENTS_QUEUE = "porch-events"
BUILDERS_QUEUE = "porch-builders"

# Enqueued by dotted name so that the web process never imports the workers.
HANDLE_DELIVERY_JOB = "workers.intake.handle_delivery"

_SAFE_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def events_queue(connection: redis.Redis) -> Queue:
    """The fast queue: webhook deliveries and orchestration events."""
    return Queue(EVENTS_QUEUE, connection=connection)


def builders_queue(connection: redis.Redis) -> Queue:
    """The slow queue: builder jobs, each with its own timeout from the repository config."""
    return Queue(BUILDERS_QUEUE, connection=connection)


class Role(StrEnum):
    """What a `porch-parallel worker` does; each role listens on its own queue only.

    A builder runs until its timeout (an hour by default). Were builders to share workers with
    deliveries and effects, a command, a dispatch or a status update could wait that long.
    """

    EVENTS = "events"  # webhook deliveries and effects: short jobs, answered at once
    BUILDERS = "builders"  # builder jobs: long, one at a time per worker


def role_queues(connection: redis.Redis, role: Role) -> list[Queue]:
    """The queues a worker of `role` listens on."""
    if role is Role.EVENTS:
        return [events_queue(connection)]
    return [builders_queue(connection)]


def delivery_job_id(delivery_id: str) -> str:
    """A deterministic RQ job id for a webhook delivery (RQ accepts only [A-Za-z0-9_-])."""
    if _SAFE_JOB_ID.fullmatch(delivery_id):
        return f"delivery-{delivery_id}"
    # Anything else is hashed rather than escaped, so two distinct ids never collide.
    return f"delivery-sha256-{hashlib.sha256(delivery_id.encode()).hexdigest()}"
