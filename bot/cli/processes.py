"""`porch-parallel worker --role events|builders` (RQ), and the logging every process shares.

Kept apart from `serve`: a worker never imports the web app, Flask or gunicorn.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from types import FrameType
from typing import Any

import redis
from rq import Worker
from rq.executions import Execution
from rq.job import Job

from bot.adapters import logs
from bot.adapters.github import observe
from bot.adapters.queues import EVENTS_QUEUE, Role, role_queues
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
    """Plain lines or JSON (PORCH_LOG_FORMAT), the App's secrets redacted from either."""
    logs.configure(
        settings.log_level,
        role,
        json_lines=settings.log_format == "json",
        secrets=(settings.github_webhook_secret, settings.dashboard_token or ""),
    )


def preload(role: Role) -> None:
    """Import the modules that `role`'s jobs run, before RQ forks a work horse for them."""
    for module in JOB_MODULES[role]:
        importlib.import_module(module)


# A builder worker tells Redis it is alive (and its job's lease is renewed) this often, so
# that a worker that dies with its machine is found within a minute and a half (RQ adds a
# fixed minute to the lease), not the ten RQ's defaults take.
BUILDER_HEARTBEAT_SECONDS = 10
# How often a worker cleans its queues' registries (abandoned jobs, RQ's scheduler): the
# reconciler does the same every tick; this is the fallback when no events job runs.
MAINTENANCE_SECONDS = 60
# After RQ's loop gave up on Redis, how long to wait before working again, doubling.
RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 30.0


class PorchWorker(Worker):
    """RQ's forking worker, riding out Redis being away.

    RQ's own loop waits for Redis while it waits for a job, but a failed heartbeat while a
    work horse runs ends the worker, orphaning a builder half-way. Here a heartbeat that
    cannot reach Redis is skipped (the builder goes on; its lease lasts a minute longer than
    a heartbeat's interval), and `work` below starts the loop again once Redis is back.
    """

    stop_asked = False  # a person (or `up`) asked this worker to stop: do not start it again

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def maintain_heartbeats(self, job: Job, execution: Execution) -> None:
        try:
            super().maintain_heartbeats(job, execution)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("job %s: heartbeat skipped, Redis unreachable (%s)", job.id, exc)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        if any(queue.name == EVENTS_QUEUE for queue in self.queues):
            from workers.reconcile import ensure_ticking

            ensure_ticking(self.connection)


def work(settings: Settings, role: Role, burst: bool = False, name: str | None = None) -> bool:
    """An RQ worker on `role`'s queue only; scale a role out by starting more of them.

    When RQ's loop ends because Redis went away (rather than because it was asked to stop),
    the worker waits for Redis and works again, under the same name.
    """
    configure_logging(settings, role.value)
    preload(role)
    connection = connect(settings)
    observe.count_requests(connection)
    worked = False
    delay = RECONNECT_FIRST_SECONDS
    while True:
        worker = _worker(connection, role, name)
        log.info(
            "%s worker %s (pid %s) on %s, Redis: %s",
            role.value,
            worker.name,
            os.getpid(),
            ", ".join(worker.queue_names()),
            describe(settings),
        )
        # RQ's scheduler moves retried and timed jobs (timers, the reconciler's ticks) back to
        # their queue when due; builder jobs are never scheduled, so builder workers do
        # without one.
        scheduler = role is Role.EVENTS and not burst
        began = time.monotonic()
        try:
            worked |= bool(
                worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=scheduler)
            )
        except Exception:
            # Redis going away mid-loop (RQ then fails to record its death too), or a name
            # still held by this worker's previous life: both pass.
            log.exception("%s worker %s: its loop failed", role.value, worker.name)
        # Not burst and not asked to stop: RQ's loop gave up (on Redis, as it does when a
        # command times out). Work again once Redis answers, pausing longer while it keeps
        # failing soon after starting.
        if burst or worker.stop_asked:
            return worked
        delay = RECONNECT_FIRST_SECONDS if time.monotonic() - began > 60 else delay
        time.sleep(delay)
        delay = min(delay * 2, RECONNECT_MAX_SECONDS)
        _wait_for_redis(connection)


def _worker(connection: redis.Redis, role: Role, name: str | None) -> PorchWorker:
    options: dict[str, Any] = {"maintenance_interval": MAINTENANCE_SECONDS}
    if role is Role.BUILDERS:
        options["job_monitoring_interval"] = BUILDER_HEARTBEAT_SECONDS
    return PorchWorker(role_queues(connection, role), connection=connection, name=name, **options)


def _redis_answers(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False


def _wait_for_redis(connection: redis.Redis) -> None:
    """Return once Redis answers, asking again with a growing pause."""
    delay = RECONNECT_FIRST_SECONDS
    while not _redis_answers(connection):
        log.warning("Redis unreachable; trying again in %.0fs", delay)
        time.sleep(delay)
        delay = min(delay * 2, RECONNECT_MAX_SECONDS)
    log.info("Redis answers; working again")
