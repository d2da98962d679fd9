"""GitHub's secondary rate limits, enforced when a test asks for them (off by default).

GitHub documents, per user or installation: no more than 100 requests at once, and no more
than 80 content-generating requests a minute and 500 an hour (most POST, PATCH, PUT and
DELETE requests). Past one, it answers 403 (or 429) with `retry-after` and the message below.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID {id}."
)
DOCS = (
    "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)


@dataclass
class SecondaryLimits:
    """The switch and the numbers; `status` is 403 (GitHub's usual answer) or 429."""

    enabled: bool = False
    per_minute: int = 80
    per_hour: int = 500
    concurrent: int = 100
    status: int = 403
    retry_after: int = 60

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SecondaryLimits:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown limit fields: {sorted(unknown)}")
        limits = cls(**data)
        if limits.status not in (403, 429):
            raise ValueError("status must be 403 or 429")
        return limits


class LimitKeeper:
    """Counts each caller's writes (by time) and requests in flight; says when one is over."""

    def __init__(self) -> None:
        self.limits = SecondaryLimits()
        self._lock = threading.Lock()
        self._writes: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}

    def configure(self, limits: SecondaryLimits) -> None:
        with self._lock:
            self.limits = limits
            self._writes.clear()

    def enter(self, caller: str, method: str, now: float) -> str | None:
        """Admit a request (None), or say which limit it exceeds; an admitted one must `leave`."""
        with self._lock:
            limits = self.limits
            if not limits.enabled:
                return None
            if self._in_flight.get(caller, 0) >= limits.concurrent:
                return "concurrent"
            if method.upper() in WRITE_METHODS:
                times = self._writes.setdefault(caller, deque())
                while times and times[0] <= now - 3600:
                    times.popleft()
                if sum(1 for t in times if t > now - 60) >= limits.per_minute:
                    return "per_minute"
                if len(times) >= limits.per_hour:
                    return "per_hour"
                times.append(now)
            self._in_flight[caller] = self._in_flight.get(caller, 0) + 1
            return None

    def leave(self, caller: str) -> None:
        with self._lock:
            if self._in_flight.get(caller, 0) > 0:
                self._in_flight[caller] -= 1
