"""One GitHub budget per installation, shared by every process through Redis.

GitHub allows an installation about 80 content-creating requests a minute and 500 an hour
(its secondary limits) and pauses it entirely when it answers `retry-after` or spends its
primary limit (`x-ratelimit-remaining: 0` until `x-ratelimit-reset`). Pacing per client
cannot keep a fleet of workers under those: here every write takes a place in a sliding
window kept in Redis (one Lua script, so two workers never take the last place together),
and every answer that says "wait" is recorded there, so every worker waits together.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis

from bot.adapters import keys
from bot.errors import GitHubRateLimited

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Headroom below GitHub's 80 a minute and 500 an hour: requests we do not make (a person's
# own tools on the same installation) and clock skew between us and GitHub.
PER_MINUTE = 70
PER_HOUR = 450
# Longer than this, a job gives up its worker and is run again when the wait is over.
MAX_WAIT_SECONDS = 60.0

# KEYS[1] the window; ARGV now, per minute, per hour, member. Returns "0" when the request
# may go now (and counts it), else how many seconds until a place frees up.
_TAKE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600)
local minute = redis.call('ZCOUNT', KEYS[1], '(' .. (now - 60), '+inf')
local hour = redis.call('ZCARD', KEYS[1])
if minute < tonumber(ARGV[2]) and hour < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], 3700)
  return '0'
end
local wait = 0
local over = minute - tonumber(ARGV[2])
if over >= 0 then
  local oldest = redis.call(
    'ZRANGEBYSCORE', KEYS[1], '(' .. (now - 60), '+inf', 'WITHSCORES', 'LIMIT', over, 1)
  wait = math.max(wait, tonumber(oldest[2]) + 60 - now)
end
over = hour - tonumber(ARGV[3])
if over >= 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], over, over, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + 3600 - now)
end
return tostring(math.max(wait, 0.01))
"""


@dataclass(frozen=True)
class Limits:
    per_minute: int = PER_MINUTE
    per_hour: int = PER_HOUR
    max_wait: float = MAX_WAIT_SECONDS


class Budget:
    """The installation's shared budget: `before` each request, `after` each answer."""

    def __init__(
        self,
        connection: redis.Redis,
        installation_id: int,
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._redis = connection
        self.installation_id = installation_id
        self.limits = limits or Limits()
        self._clock = clock
        self._sleep = sleep
        self._take = connection.register_script(_TAKE)

    def before(self, method: str) -> None:
        """Wait for a pause to end and, for a write, for a place in the window; raise
        GitHubRateLimited when that would take longer than `max_wait`."""
        while True:
            wait = self._paused_for()
            if wait <= 0 and method.upper() in WRITE_METHODS:
                wait = self._place()
            if wait <= 0:
                return
            if wait > self.limits.max_wait:
                raise GitHubRateLimited(self.installation_id, self._clock() + wait)
            self._sleep(wait)

    def after(self, status: int, headers: Mapping[str, str]) -> float:
        """Record a "wait" answer for every process; how long it asks to wait (0: none)."""
        until = pause_until(status, headers, self._clock())
        if until is None:
            return 0.0
        key = keys.github_pause(self.installation_id)
        # Keep the later of two pauses: an earlier answer must not shorten a later one.
        current = self._redis.get(key)
        if current is None or float(current) < until:
            ttl = max(1, int(until - self._clock()) + 1)
            self._redis.set(key, repr(until), ex=ttl)
        wait = until - self._clock()
        log.warning(
            "installation %s: GitHub asks to wait %.0f s (%s)", self.installation_id, wait, status
        )
        return wait

    def _paused_for(self) -> float:
        until = self._redis.get(keys.github_pause(self.installation_id))
        return float(until) - self._clock() if until is not None else 0.0

    def _place(self) -> float:
        member = uuid.uuid4().hex
        args: list[float | int | str] = [
            self._clock(),
            self.limits.per_minute,
            self.limits.per_hour,
            member,
        ]
        return float(self._take(keys=[keys.github_writes(self.installation_id)], args=args))


def pause_until(status: int, headers: Mapping[str, str], now: float) -> float | None:
    """When GitHub's answer says requests may go again; None when it does not say to wait."""
    lowered = {k.lower(): v for k, v in headers.items()}
    retry_after = lowered.get("retry-after")
    if retry_after is not None:
        try:
            return now + max(0.0, float(retry_after))
        except ValueError:
            return now + 60  # an HTTP date: rare from GitHub's API; a minute is its advice
    if status in (403, 429):
        if lowered.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in lowered:
            try:
                return max(now, float(lowered["x-ratelimit-reset"]))
            except ValueError:
                return now + 60
        # A secondary limit without retry-after: GitHub says to wait at least a minute.
        if status == 429:
            return now + 60
    return None
