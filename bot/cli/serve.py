"""`porch-parallel serve`: the web app under gunicorn."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from bot.adapters import logs
from bot.adapters.redis_server import connect, describe
from bot.cli.processes import configure_logging
from bot.settings import Settings
from bot.web import create_app

log = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):
    """gunicorn with its configuration from us instead of its own command line."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


class _Logs(GunicornLogger):
    """gunicorn's error and access logs in our format (JSON lines too), redacted."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        logs.adopt(self.error_log)
        logs.adopt(self.access_log)


def serve(settings: Settings, workers: int = 2, threads: int = 8) -> None:
    """The webhook endpoint and dashboard under gunicorn (threads: requests only enqueue)."""
    configure_logging(settings, "web")
    connection = connect(settings)
    app = create_app(settings, redis=connection)
    log.info(
        "web on %s:%s (pid %s), Redis: %s",
        settings.host,
        settings.port,
        os.getpid(),
        describe(settings),
    )
    _Gunicorn(
        app,
        {
            "bind": f"{settings.host}:{settings.port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "logger_class": _Logs,
            "loglevel": settings.log_level.lower(),
        },
    ).run()
