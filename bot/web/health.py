"""`GET /healthz`: the process is up and reaches Redis."""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, Response

from bot.web.context import web_context

log = logging.getLogger(__name__)

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Response:
    try:
        web_context().redis.ping()
    except redis.RedisError as exc:
        log.warning("health check: redis unreachable: %s", type(exc).__name__)
        return Response("redis unreachable\n", 503, mimetype="text/plain")
    return Response("ok\n", 200, mimetype="text/plain")
