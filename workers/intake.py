"""The job behind every webhook delivery: route it to the handlers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gidgethub import sansio
from rq import get_current_job

from bot.adapters import logs
from bot.handlers import router
from bot.handlers.context import Context
from workers.registry import plan_job
from workers.runtime import Runtime

log = logging.getLogger(__name__)


def handle_delivery(event_name: str, delivery_id: str, payload: dict[str, Any]) -> None:
    event = sansio.Event(payload, event=event_name, delivery_id=delivery_id)
    job = get_current_job()
    ctx = Context(
        runtime=Runtime.for_job(plan_job),
        delivery_id=delivery_id,
        retries_left=(job.retries_left or 0) if job else 0,
    )
    with logs.ids(delivery_id=delivery_id):
        log.info("delivery %s: %s.%s", delivery_id, event_name, payload.get("action", ""))
        # Handlers are coroutines because gidgethub's router awaits them; they run one at a
        # time here, in this job, and may block. asyncio.run copies the context into its task.
        asyncio.run(router.dispatch(event, ctx))
