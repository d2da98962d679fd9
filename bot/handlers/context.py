"""What every handler receives besides the event."""

from __future__ import annotations

from dataclasses import dataclass

from workers.runtime import Runtime


@dataclass(frozen=True)
class Context:
    runtime: Runtime
    delivery_id: str
    # How many more times RQ will deliver this event if handling it fails: a handler may
    # leave a passing GitHub failure to a later attempt while there is one.
    retries_left: int = 0
