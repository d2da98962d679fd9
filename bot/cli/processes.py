"""The long-running processes: `porch-parallel serve` (web) and `porch-parallel worker` (RQ)."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from rq import Worker

from bot.adapters.queues import worker_queues
from bot.adapters.redis_server import connect
from bot.settings import Settings
from bot.web import create_app

log = logging.getLogger(__name__)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
    )


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


def serve(settings: Settings, workers: int = 2, threads: int = 8) -> None:
    """The webhook endpoint and dashboard under gunicorn (threads: requests only enqueue)."""
    configure_logging(settings)
    connection = connect(settings)
    app = create_app(settings, redis=connection)
    log.info("serving on %s:%s, Redis %s", settings.host, settings.port, settings.redis_display)
    _Gunicorn(
        app,
        {
            "bind": f"{settings.host}:{settings.port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "loglevel": settings.log_level.lower(),
        },
    ).run()


def work(settings: Settings, burst: bool = False, name: str | None = None) -> bool:
    """An RQ worker on the events and builders queues; scale out by starting more."""
    configure_logging(settings)
    # RQ forks a work horse per job: importing the jobs' modules once here, before the fork,
    # spares every job the second or so of importing PyGithub, pydantic and networkx.

    connection = connect(settings)
    worker = Worker(worker_queues(connection), connection=connection, name=name)
    log.info("worker %s on Redis %s (pid %s)", worker.name, settings.redis_display, os.getpid())
    # The scheduler moves retried deliveries back to their queue when their wait is over.
    return bool(
        worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=not burst)
    )
