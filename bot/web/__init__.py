"""The web process: an app factory, and one blueprint per concern (webhooks, health, the
dashboard, metrics)."""

from __future__ import annotations

import os

from flask import Flask, g, request
from redis import Redis

from bot.adapters import logs
from bot.adapters.redis_server import connect
from bot.settings import Settings
from bot.web.context import WebContext
from bot.web.dashboard import dashboard
from bot.web.health import health
from bot.web.metrics import metrics_page
from bot.web.webhooks import MAX_BODY_BYTES, webhooks

__all__ = ["create_app", "create_app_from_environment"]


def create_app(settings: Settings, redis: Redis | None = None) -> Flask:
    """Build the web app; Redis is `redis`, or else the one the settings point to."""
    app = Flask(__name__)
    # Werkzeug refuses a longer body (413) from its Content-Length, before reading it, and
    # stops a chunked one once it grows past the limit.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["porch"] = WebContext(
        settings=settings,
        redis=redis if redis is not None else connect(settings),
    )
    _log_ids(app)
    app.register_blueprint(webhooks)
    app.register_blueprint(health)
    app.register_blueprint(dashboard)
    app.register_blueprint(metrics_page)
    return app


def _log_ids(app: Flask) -> None:
    """Every log line of a request carries its delivery id, or the run it shows."""

    @app.before_request
    def bind() -> None:
        view_args = request.view_args or {}
        g.porch_log = logs.bind(
            delivery_id=request.headers.get("X-GitHub-Delivery", "")[:100],
            run_id=str(view_args.get("run_id", ""))[:100],
        )

    @app.teardown_request
    def unbind(_: BaseException | None) -> None:
        token = g.pop("porch_log", None)
        if token is not None:
            logs.unbind(token)


def create_app_from_environment() -> Flask:
    """The WSGI entry point for gunicorn: `gunicorn 'bot.web:create_app_from_environment()'`."""
    return create_app(Settings.from_env(os.environ))
