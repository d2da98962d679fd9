"""`POST /webhooks/github`: verify, drop repeats, enqueue, answer 202. Nothing slow happens here.

The request path makes no GitHub API call and runs no git command: an event some handler
acts on (bot.inputs.interest) is handed, by job name, to `workers.intake.handle_delivery` on
the events queue; the rest are acknowledged and dropped.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Blueprint, Response, request
from gidgethub import BadRequest, ValidationFailure
from gidgethub.sansio import Event
from rq import Retry

from bot.adapters import keys, metrics
from bot.adapters.queues import HANDLE_DELIVERY_JOB, delivery_job_id, events_queue
from bot.inputs.interest import is_handled
from bot.web.context import web_context

log = logging.getLogger(__name__)

webhooks = Blueprint("webhooks", __name__)

# GitHub caps webhook payloads at 25 MB; anything longer is not from GitHub.
MAX_BODY_BYTES = 25 * 1024 * 1024
# GitHub's "Redeliver" button resends the same X-GitHub-Delivery, so a delivery stays
# remembered long enough to cover a maintainer clicking it the next day.
DELIVERY_TTL_SECONDS = 3 * 24 * 3600
_MAX_DELIVERY_ID = 200
DELIVERY_RETRIES = 2
DELIVERY_RETRY_SECONDS = [15, 60]


def _text(body: str, status: int) -> Response:
    return Response(body + "\n", status, mimetype="text/plain")


def _counted(body: str, status: int, outcome: str) -> Response:
    """The answer, counted by event and outcome (an unknown event name counts as `other`)."""
    event = request.headers.get("X-GitHub-Event", "")
    known = event if event.replace("_", "").isalpha() and len(event) <= 40 else "other"
    metrics.record(web_context().redis, metrics.DELIVERIES, event=known, outcome=outcome)
    return _text(body, status)


@webhooks.post("/webhooks/github")
def receive() -> Response:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _text("payload too large", 413)
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    signature = request.headers.get("X-Hub-Signature-256", "")
    # gidgethub would accept the old SHA-1 `X-Hub-Signature`, or a "sha1=" value, in its place.
    if not signature.startswith("sha256="):
        log.warning("delivery %s refused: no SHA-256 signature", delivery_id, extra=_ids())
        return _counted("X-Hub-Signature-256 required", 401, "refused")
    event_name = request.headers.get("X-GitHub-Event", "")
    if not delivery_id or not event_name or len(delivery_id) > _MAX_DELIVERY_ID:
        return _text("missing X-GitHub-Event or X-GitHub-Delivery", 400)

    body = request.get_data(cache=False)
    headers = {
        "content-type": request.headers.get("Content-Type", ""),
        "x-github-event": event_name,
        "x-github-delivery": delivery_id,
        "x-hub-signature-256": signature,
    }
    try:
        event = Event.from_http(headers, body, secret=web_context().settings.github_webhook_secret)
    except ValidationFailure:
        log.warning("delivery %s refused: bad signature", delivery_id, extra=_ids())
        return _counted("bad signature", 401, "refused")
    except BadRequest:
        return _text("expected a JSON payload", 400)
    if not isinstance(event.data, dict):
        return _text("expected a JSON object", 400)

    if event_name == "ping":
        log.info("delivery %s: ping", delivery_id, extra=_ids())
        return _counted("pong", 200, "ping")
    if not is_handled(event_name, event.data):
        # GitHub sends every subscribed event, including the pushes, PRs and check runs the
        # App causes itself: a job per delivery nobody handles would only crowd the queue.
        log.debug("delivery %s (%s): no handler", delivery_id, event_name, extra=_ids())
        return _counted("ignored", 200, "ignored")
    return _enqueue(event_name, delivery_id, event.data)


def _enqueue(event_name: str, delivery_id: str, payload: dict[str, Any]) -> Response:
    try:
        queued = _remember_and_enqueue(web_context().redis, event_name, delivery_id, payload)
    except redis.RedisError as exc:
        log.error(
            "delivery %s (%s): not queued, redis: %s",
            delivery_id,
            event_name,
            type(exc).__name__,
            extra=_ids(),
        )
        return _text("queue unavailable", 503)  # Redis is down: nothing to count in
    if not queued:
        log.info("delivery %s (%s): duplicate dropped", delivery_id, event_name, extra=_ids())
        return _counted("duplicate", 200, "duplicate")
    log.info("delivery %s (%s): queued", delivery_id, event_name, extra=_ids())
    return _counted("queued", 202, "queued")


def _remember_and_enqueue(
    connection: redis.Redis, event_name: str, delivery_id: str, payload: dict[str, Any]
) -> bool:
    """Record the delivery id (SET NX semantics) and enqueue its job in one transaction.

    Both land or neither does: a crash in between can neither lose a delivery that GitHub's
    "Redeliver" would then be refused for, nor enqueue one twice. False when already seen.
    """
    key = keys.delivery(delivery_id)
    with connection.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(key)
            if pipe.exists(key):
                return False
            pipe.multi()
            pipe.set(key, event_name, ex=DELIVERY_TTL_SECONDS)
            events_queue(connection).enqueue_call(
                HANDLE_DELIVERY_JOB,
                args=(event_name, delivery_id, payload),
                job_id=delivery_job_id(delivery_id),
                # RQ would otherwise describe the job by the repr of its whole payload.
                description=f"{event_name} delivery {delivery_id}",
                # A handler meeting a passing GitHub failure leaves it to these later tries.
                retry=Retry(max=DELIVERY_RETRIES, interval=DELIVERY_RETRY_SECONDS),
                pipeline=pipe,
            )
            pipe.execute()
        except redis.WatchError:
            return False  # a concurrent copy of this delivery recorded it first
    return True


def _ids() -> dict[str, str]:
    # Structured fields for a JSON log formatter; the message repeats them for plain logs.
    return {
        "delivery_id": request.headers.get("X-GitHub-Delivery", ""),
        "github_event": request.headers.get("X-GitHub-Event", ""),
    }
