"""`porch-parallel worker --role events|builders` (RQ), and the logging every process shares.

Kept apart from `serve`: a worker never imports the web app, Flask or gunicorn.
"""

from __future__ import annotations

import importlib
import logging
import os

from rq import Worker

from bot.adapters.queues import Role, role_queues
from bot.adapters.redis_server import connect, describe
from bot.settings import Settings

log = logging.getLogger(__name__)

# What each role's work horses run. RQ forks a work horse per job: importing these once, before
# the fork, spares every job the second or so of importing PyGithub, pydantic and networkx,
# and a builder worker never loads the webhook handlers it does not run. The failure callback
# runs where a lost job is found: on a worker of the job's own role.
JOB_MODULES: dict[Role, tuple[str, ...]] = {
    Role.EVENTS: ("workers.intake", "workers.jobs", "workers.minting"),
    Role.BUILDERS: ("workers.jobs",),
}


def configure_logging(settings: Settings, role: str) -> None:
    # The role in every line: `porch-parallel up` interleaves the logs of all its processes.
    logging.basicConfig(
        level=settings.log_level,
        format=f"%(asctime)s %(levelname)s %(name)s [{role} %(process)d] %(message)s",
    )


def preload(role: Role) -> None:
    """Import the modules that `role`'s jobs run, before RQ forks a work horse for them."""
    for module in JOB_MODULES[role]:
        importlib.import_module(module)


def work(settings: Settings, role: Role, burst: bool = False, name: str | None = None) -> bool:
    """An RQ worker on `role`'s queue only; scale a role out by starting more of them."""
    configure_logging(settings, role.value)
    preload(role)
    connection = connect(settings)
    queues = role_queues(connection, role)
    worker = Worker(queues, connection=connection, name=name)
    log.info(
        "%s worker %s (pid %s) on %s, Redis: %s",
        role.value,
        worker.name,
        os.getpid(),
        ", ".join(queue.name for queue in queues),
        describe(settings),
    )
    # RQ's scheduler moves retried deliveries and effects back to their queue when their wait
    # is over; builder jobs are never scheduled, so builder workers do without one.
    scheduler = role is Role.EVENTS and not burst
    return bool(
        worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=scheduler)
    )
