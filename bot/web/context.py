"""What the blueprints share: the settings and the Redis client, attached by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import current_app

from bot.settings import Settings


@dataclass(frozen=True)
class WebContext:
    settings: Settings
    redis: redis.Redis


def web_context() -> WebContext:
    context: WebContext = current_app.extensions["porch"]
    return context
