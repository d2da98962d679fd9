"""Fault injection (errors, rate limits, delays) and the request log that tests read."""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    ERROR = "error"  # answer `status` without doing the work
    ERROR_AFTER = "error_after"  # do the work, then answer `status` (GitHub's 502 that happened)
    PRIMARY_RATE_LIMIT = "primary_rate_limit"  # 403 with x-ratelimit-remaining: 0
    SECONDARY_RATE_LIMIT = "secondary_rate_limit"  # 403 or 429 with retry-after
    DELAY = "delay"  # answer normally after `delay` seconds


@dataclass
class Fault:
    """Applies to requests whose method and REST path (without /api/v3) match.

    `path` is a shell-style pattern (`/repos/*/pulls`); `times` is how many matching requests
    it affects (None: all of them).
    """

    kind: FaultKind
    method: str = "*"
    path: str = "*"
    status: int = 500
    times: int | None = 1
    delay: float = 0.0
    retry_after: int = 1
    reset_after: int = 60  # a primary limit's reset, this many seconds from now
    id: int = 0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and fnmatch.fnmatchcase(path, self.path)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        allowed = {
            "kind",
            "method",
            "path",
            "status",
            "times",
            "delay",
            "retry_after",
            "reset_after",
        }
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        fault = cls(**data)
        fault.kind = FaultKind(fault.kind)
        fault.method = fault.method.upper()
        if fault.kind is FaultKind.SECONDARY_RATE_LIMIT and fault.status not in (403, 429):
            fault.status = 403
        return fault


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault for this request, counted as used (spent ones are dropped)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.times is not None and fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None


@dataclass
class LoggedRequest:
    method: str
    path: str  # REST path without /api/v3, or the full path for git and other routes
    query: str
    status: int
    time: float
    duration: float
    area: str  # "rest", "git" or "control"
    unexpected: bool = False  # answered by the catch-all: no such route in the stand-in
    fault: str | None = None
    principal: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RequestLog:
    entries: list[LoggedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.entries.append(entry)

    def all(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self.entries)

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
