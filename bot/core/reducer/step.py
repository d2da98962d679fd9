"""What every reducer handler returns, and the shape of the handler tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core.effects import Effect
from bot.core.state import RunState

Step = tuple[RunState, list[Effect]]
Handler = Callable[[RunState, Any], Step]
