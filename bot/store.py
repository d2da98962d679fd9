"""Runs in Redis, changed one event at a time in one transaction with the jobs they cause.

`apply` WATCHes the run's key, reduces, and commits the new state together with the effect
jobs in one MULTI/EXEC. When another worker changed the run in between, EXEC fails and the
event is reduced again against the newer state: two siblings finishing at the same instant
on two machines therefore see each other, and their dependent is dispatched once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import redis
from redis.client import Pipeline
from rq import Callback, Queue

from bot.core.effects import Effect
from bot.core.events import Event, RunStarted
from bot.core.reducer import reduce
from bot.core.state import RunState
from bot.jobs import plan_job

log = logging.getLogger(__name__)

RUNS_INDEX = "porch:runs"  # sorted set: run id -> created_at, for the dashboard


def run_key(run_id: str) -> str:
    return f"porch:run:{run_id}"


def config_key(run_id: str) -> str:
    return f"porch:run:{run_id}:config"


def comment_key(run_id: str) -> str:
    return f"porch:run:{run_id}:comment"


class RunExists(Exception):
    """A run for this issue is already stored."""


class RunStore:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def load(self, run_id: str) -> RunState | None:
        raw = self.redis.get(run_key(run_id))
        return RunState.from_dict(json.loads(raw)) if raw else None

    def load_config(self, run_id: str) -> dict[str, Any]:
        raw = self.redis.get(config_key(run_id))
        return json.loads(raw) if raw else {}

    def run_ids(self, newest_first: bool = True, limit: int = 100) -> list[str]:
        ids = self.redis.zrange(RUNS_INDEX, 0, limit - 1, desc=newest_first)
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    def create(self, state: RunState, config: dict[str, Any], at: float) -> RunState:
        """Store a new run and start it; RunExists when the issue already has one running.

        A finished run for the same issue is replaced: `/porch parallel` after a cancel or a
        failure starts afresh.
        """

        def change(current: RunState | None) -> tuple[RunState, list[Effect]] | None:
            if current is not None and not current.status.finished:
                raise RunExists(current.run_id)
            return reduce(state, RunStarted(at=at))

        started = self._transact(
            state.run_id,
            change,
            config=config,
            extra=lambda pipe: (
                pipe.set(config_key(state.run_id), json.dumps(config)),
                pipe.zadd(RUNS_INDEX, {state.run_id: state.created_at}),
            ),
        )
        assert started is not None
        return started

    def apply(self, run_id: str, event: Event) -> RunState | None:
        """Reduce one event into the stored run; None when there is no such run."""

        def change(current: RunState | None) -> tuple[RunState, list[Effect]] | None:
            if current is None:
                log.warning("run %s: no such run for %s", run_id, type(event).__name__)
                return None
            return reduce(current, event)

        return self._transact(run_id, change)

    def _transact(
        self,
        run_id: str,
        change: Callable[[RunState | None], tuple[RunState, list[Effect]] | None],
        config: Mapping[str, Any] | None = None,
        extra: Callable[[Pipeline], object] | None = None,
    ) -> RunState | None:
        key = run_key(run_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    current = RunState.from_dict(json.loads(raw)) if raw else None
                    result = change(current)
                    if result is None:
                        return current
                    new, effects = result
                    if new is current and not effects:
                        return current  # a stale or repeated event: nothing to commit
                    pipe.multi()
                    pipe.set(key, json.dumps(new.to_dict()))
                    if extra is not None:
                        extra(pipe)
                    if effects and config is None:
                        config = self.load_config(run_id)
                    self._enqueue(pipe, new, effects, config or {})
                    pipe.execute()
                    return new
                except redis.WatchError:
                    log.info("run %s changed under us; reducing again", run_id)
                    continue

    def _enqueue(
        self,
        pipe: Pipeline,
        state: RunState,
        effects: Sequence[Effect],
        config: Mapping[str, Any],
    ) -> None:
        for effect in effects:
            spec = plan_job(state, effect, config)
            queue = Queue(spec.queue, connection=self.redis)
            queue.enqueue_call(
                spec.func,
                args=spec.args,
                job_id=spec.job_id,
                timeout=spec.timeout,
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
                on_failure=Callback(spec.on_failure) if spec.on_failure else None,
                pipeline=pipe,
            )
