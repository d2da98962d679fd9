"""What every handler receives besides the event."""

from __future__ import annotations

from dataclasses import dataclass

from bot.runtime import Runtime


@dataclass(frozen=True)
class Context:
    runtime: Runtime
    delivery_id: str
