"""`GET /metrics`: Prometheus's text format, the same answer from every web worker.

Gauges (runs and phases by state, queue depths, workers by role) are computed from Redis at
scrape time; counters and histograms are the series every process adds to in Redis
(bot.adapters.metrics). Nothing lives in a process's memory, so any number of gunicorn
workers, on any number of machines, answer alike. When PORCH_DASHBOARD_TOKEN is set the
endpoint wants it as a bearer token (Prometheus's `authorization` scrape setting); without it
the endpoint is open, as it shows counts only: no repository, run id, user or token.
"""

from __future__ import annotations

import hmac
import logging
from collections import Counter
from collections.abc import Iterator

import redis
from flask import Blueprint, Response, abort, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from rq import Queue, Worker

from bot.adapters import metrics
from bot.adapters.queues import Role, role_queues
from bot.adapters.store import reader
from bot.core.state import PhaseStatus, RunState, RunStatus
from bot.web.context import web_context

log = logging.getLogger(__name__)

metrics_page = Blueprint("metrics", __name__)

# Runs counted into the state gauges: the newest this many, so a scrape stays cheap.
RUNS_COUNTED = 1000


class RedisCollector(Collector):
    """Everything `/metrics` shows, read from one Redis at collection time."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def collect(self) -> Iterator[Metric]:
        yield from self._states()
        yield from self._queues()
        yield from metrics.collect_counters(self.redis)
        yield from metrics.collect_histograms(self.redis)
        yield from metrics.collect_rate_limit(self.redis)

    def _states(self) -> Iterator[Metric]:
        store = reader(self.redis)
        runs: Counter[str] = Counter()
        phases: Counter[str] = Counter()
        for run_id in store.run_ids(limit=RUNS_COUNTED):
            state: RunState | None = store.load(run_id)
            if state is None:
                continue
            runs[state.status.value] += 1
            phases.update(p.status.value for p in state.phases.values())
        run_gauge = GaugeMetricFamily("porch_runs", "Runs by state.", labels=["state"])
        for status in RunStatus:
            run_gauge.add_metric([status.value], runs[status.value])
        yield run_gauge
        phase_gauge = GaugeMetricFamily(
            "porch_phases", "Phases of those runs by state.", labels=["state"]
        )
        for phase_status in PhaseStatus:
            phase_gauge.add_metric([phase_status.value], phases[phase_status.value])
        yield phase_gauge

    def _queues(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("porch_queue_jobs", "Jobs waiting per queue.", labels=["queue"])
        workers = GaugeMetricFamily("porch_workers", "Live RQ workers by role.", labels=["role"])
        for role in Role:
            queues: list[Queue] = role_queues(self.redis, role)
            for queue in queues:
                depth.add_metric([queue.name], queue.count)
            names = {w.name for q in queues for w in Worker.all(queue=q)}
            workers.add_metric([role.value], len(names))
        yield depth
        yield workers


@metrics_page.get("/metrics")
def scrape() -> Response:
    token = web_context().settings.dashboard_token
    if token:
        header = request.headers.get("Authorization", "")
        offered = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        if not offered or not hmac.compare_digest(offered.encode(), token.encode()):
            abort(404)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(web_context().redis))
    try:
        body = generate_latest(registry)
    except redis.RedisError as exc:
        log.warning("/metrics: redis unreachable: %s", type(exc).__name__)
        return Response("redis unreachable\n", 503, mimetype="text/plain")
    return Response(body, 200, mimetype="text/plain; version=0.0.4; charset=utf-8")
