"""GitHub requests counted by kind and status, and the rate limit left, for `/metrics`.

PyGithub reports every request it makes, with its answer's status and headers, to its
`github.Requester` logger at DEBUG (the Authorization header masked). A handler on that logger
alone turns each record into a count in Redis; the logger stops propagating, so those records
never reach a log file (they hold response bodies).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import redis

from bot.adapters import keys, metrics

REQUESTER_LOGGER = "github.Requester"
_REPO = re.compile(r"^/repos/[^/]+/[^/]+")
_NUMBER = re.compile(r"/\d+(?=/|$)")
_REF = re.compile(r"/(git/refs|git/ref|branches|merges|contents|commits)/.*$")


def kind(verb: str, url: str) -> str:
    """`POST /repos/:repo/pulls`: the method and the path with its names and numbers cut out."""
    path = url.split("?", 1)[0]
    path = re.sub(r"^[a-z]+://[^/]+", "", path)
    path = re.sub(r"^/api/v3", "", path)
    path = _REPO.sub("/repos/:repo", path)
    path = _REF.sub(lambda m: f"/{m.group(1)}/:ref", path)
    path = _NUMBER.sub("/:n", path)
    return f"{verb.upper()} {path[:80]}"


def record_response(
    connection: redis.Redis, verb: str, url: str, status: int | None, headers: Mapping[str, Any]
) -> None:
    """Count one request and keep the rate limit it reported, never failing the caller."""
    lowered = {str(k).lower(): v for k, v in headers.items()}
    try:
        metrics.count(
            connection,
            metrics.GITHUB_REQUESTS,
            {"kind": kind(verb, url), "status": str(status or "none")},
        )
        remaining = lowered.get("x-ratelimit-remaining")
        if remaining is not None and str(remaining).isdigit():
            resource = str(lowered.get("x-ratelimit-resource", "core"))[:40]
            connection.hset(keys.metric("gauge", "github_rate_limit"), resource, int(remaining))
    except redis.RedisError:
        pass  # a count lost is better than a job failed


class _RequestCounter(logging.Handler):
    def __init__(self, connection: redis.Redis) -> None:
        super().__init__(logging.DEBUG)
        self.connection = connection

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        # "%s %s://%s%s %s %s ==> %i %s %s": verb, scheme, host, url, headers, input, status,
        # response headers, body.
        if not isinstance(args, tuple) or len(args) != 9 or not isinstance(args[7], dict):
            return
        verb, url, status, headers = args[0], args[3], args[6], args[7]
        record_response(self.connection, str(verb), str(url), _status(status), headers)


def _status(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def count_requests(connection: redis.Redis) -> None:
    """From now on, count this process's PyGithub requests in Redis."""
    logger = logging.getLogger(REQUESTER_LOGGER)
    if any(isinstance(h, _RequestCounter) for h in logger.handlers):
        return
    logger.addHandler(_RequestCounter(connection))
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
