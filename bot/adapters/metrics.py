"""Counters and histograms kept in Redis, so every process (web and workers, on any machine)
adds to the same series, and `/metrics` on any web worker reports them all.

prometheus_client's own multiprocess mode shares files between the processes of one machine
only; a deployment here runs workers on several machines around one Redis, so the series live
there. Each series is a field of a hash per metric: labels as JSON -> a count (counters), or
labels plus `le` bucket, `sum` and `count` (histograms). Gauges are not kept: `/metrics`
computes them from the runs and RQ's queues at scrape time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from redis.client import Pipeline

from bot.adapters import keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Metric:
    name: str
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()  # histograms only


DELIVERIES = Metric(
    "porch_webhook_deliveries", "Webhook deliveries by event and outcome.", ("event", "outcome")
)
BUILDER_SECONDS = Metric(
    "porch_builder_duration_seconds",
    "How long builder jobs took, clone to push, by outcome.",
    ("outcome",),
    (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
)
DISPATCH_SECONDS = Metric(
    "porch_dispatch_latency_seconds",
    "From a phase's last dependency done to its builder started.",
    (),
    (0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
)
GITHUB_REQUESTS = Metric(
    "porch_github_requests", "Requests to GitHub's REST API by kind and status.", ("kind", "status")
)
CONSULTATION_SECONDS = Metric(
    "porch_consultation_duration_seconds",
    "How long review consultations took, by outcome.",
    ("outcome",),
    (30, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600),
)
COUNTERS = (DELIVERIES, GITHUB_REQUESTS)
HISTOGRAMS = (BUILDER_SECONDS, CONSULTATION_SECONDS, DISPATCH_SECONDS)

Target = redis.Redis | Pipeline


def _labels(metric: Metric, values: Mapping[str, str]) -> str:
    return json.dumps([str(values.get(label, "")) for label in metric.labels])


def count(target: Target, metric: Metric, labels: Mapping[str, str], amount: int = 1) -> None:
    """Add to a counter; on a pipeline, within its transaction."""
    target.hincrby(keys.metric("counter", metric.name), _labels(metric, labels), amount)


def observe(target: Target, metric: Metric, value: float, labels: Mapping[str, str]) -> None:
    """Record one observation of a histogram."""
    key, series = keys.metric("histogram", metric.name), _labels(metric, labels)
    pipe = target.pipeline(transaction=False) if isinstance(target, redis.Redis) else target
    for bound in metric.buckets:
        if value <= bound:
            pipe.hincrby(key, f"{series}|{bound}", 1)
    pipe.hincrby(key, f"{series}|+Inf", 1)
    pipe.hincrbyfloat(key, f"{series}|sum", value)
    if pipe is not target:
        pipe.execute()


def record(
    connection: redis.Redis, metric: Metric, value: float | None = None, **labels: str
) -> None:
    """Count or observe, never failing the caller: a metric lost beats a delivery lost."""
    try:
        if value is None:
            count(connection, metric, labels)
        else:
            observe(connection, metric, value, labels)
    except redis.RedisError as exc:
        log.warning("metric %s not recorded: %s", metric.name, type(exc).__name__)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def collect_counters(connection: redis.Redis) -> Iterator[CounterMetricFamily]:
    for metric in COUNTERS:
        family = CounterMetricFamily(metric.name, metric.help, labels=list(metric.labels))
        for raw, value in connection.hgetall(keys.metric("counter", metric.name)).items():
            family.add_metric(json.loads(_text(raw)), float(_text(value)))
        yield family


def collect_histograms(connection: redis.Redis) -> Iterator[HistogramMetricFamily]:
    for metric in HISTOGRAMS:
        family = HistogramMetricFamily(metric.name, metric.help, labels=list(metric.labels))
        series: dict[str, dict[str, float]] = {}
        for raw, value in connection.hgetall(keys.metric("histogram", metric.name)).items():
            labels, _, field = _text(raw).rpartition("|")
            series.setdefault(labels, {})[field] = float(_text(value))
        for labels, fields in series.items():
            buckets = [(str(float(b)), fields.get(str(b), 0.0)) for b in metric.buckets]
            buckets.append(("+Inf", fields.get("+Inf", 0.0)))
            family.add_metric(json.loads(labels), buckets, fields.get("sum", 0.0))
        yield family


def collect_rate_limit(connection: redis.Redis) -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "porch_github_rate_limit_remaining",
        "Requests left in the rate limit window, as GitHub's latest answer said, by resource.",
        labels=["resource"],
    )
    for resource, value in connection.hgetall(keys.metric("gauge", "github_rate_limit")).items():
        family.add_metric([_text(resource)], float(_text(value)))
    yield family
