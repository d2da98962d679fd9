"""Runs in Redis, changed one event at a time in one transaction with the jobs they cause.

`apply` WATCHes the run's key, reduces, and commits the new state together with the effect
jobs in one MULTI/EXEC. When another worker changed the run in between, EXEC fails and the
event is reduced again against the newer state: two siblings finishing at the same instant
on two machines therefore see each other, and their dependent is dispatched once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry

from bot.adapters.jobs import plan_job
from bot.core.effects import Effect
from bot.core.events import Event, RunStarted
from bot.core.reducer import reduce
from bot.core.state import PhaseStatus, RunState

log = logging.getLogger(__name__)

RUNS_INDEX = "porch:runs"  # sorted set: run id -> created_at, for the dashboard


def run_key(run_id: str) -> str:
    return f"porch:run:{run_id}"


def config_key(run_id: str) -> str:
    return f"porch:run:{run_id}:config"


def issue_key(repo: str, issue_number: int) -> str:
    """Points at the issue's current run."""
    return f"porch:issue:{repo}#{issue_number}"


def comment_key(run_id: str) -> str:
    return f"porch:run:{run_id}:comment"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RunExists(Exception):
    """A run for this issue is already stored."""


class RunStore:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def load(self, run_id: str) -> RunState | None:
        raw = self.redis.get(run_key(run_id))
        return RunState.from_dict(json.loads(raw)) if raw else None

    def awaiting(
        self, run_id: str, phase_id: str, attempt: int, status: PhaseStatus
    ) -> RunState | None:
        """The run, when its phase is still in `status` at `attempt`; None for a stale job."""
        state = self.load(run_id)
        if state is None or not state.awaiting(phase_id, attempt, status):
            log.info("run %s: %s attempt %s is no longer %s", run_id, phase_id, attempt, status)
            return None
        return state

    def load_config(self, run_id: str) -> dict[str, Any]:
        raw = self.redis.get(config_key(run_id))
        return json.loads(raw) if raw else {}

    def run_ids(self, newest_first: bool = True, limit: int = 100) -> list[str]:
        ids = self.redis.zrange(RUNS_INDEX, 0, limit - 1, desc=newest_first)
        return [_text(i) for i in ids if isinstance(i, bytes | str)]

    def current(self, repo: str, issue_number: int) -> RunState | None:
        """The issue's latest run, running or finished; None when it never had one."""
        run_id = self.redis.get(issue_key(repo, issue_number))
        return self.load(_text(run_id)) if run_id else None

    def next_run_id(self, repo_id: int, repo: str, issue_number: int) -> str:
        """A fresh run id: `/porch parallel` after a cancel or failure starts a new run."""
        number = self.redis.incr(f"{issue_key(repo, issue_number)}:runs")
        return f"r{repo_id}-{issue_number}-{number}"

    def create(self, state: RunState, config: dict[str, Any], at: float) -> RunState:
        """Store a new run, make it the issue's current run and start it.

        RunExists when the issue's current run is still going: one run per issue at a time.
        """
        pointer = issue_key(state.repo, state.issue_number)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(pointer)
                    current_id = pipe.get(pointer)
                    if current_id is not None:
                        # Watched too: a current run finishing now lets this one start.
                        pipe.watch(run_key(_text(current_id)))
                        raw = pipe.get(run_key(_text(current_id)))
                        current = RunState.from_dict(json.loads(raw)) if raw else None
                        if current is not None and not current.status.finished:
                            raise RunExists(current.run_id)
                    started, effects = reduce(state, RunStarted(at=at))
                    pipe.multi()
                    pipe.set(pointer, state.run_id)
                    pipe.set(config_key(state.run_id), json.dumps(config))
                    pipe.zadd(RUNS_INDEX, {state.run_id: state.created_at})
                    self._commit(pipe, started, effects, config)
                    return started
                except redis.WatchError:
                    continue

    def apply(self, run_id: str, event: Event) -> RunState | None:
        """Reduce one event into the stored run; None when there is no such run.

        Stale and repeated events commit nothing. When another worker changed the run between
        our read and our write, the event is reduced again against what it wrote.
        """
        key = run_key(run_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        log.warning("run %s: no such run for %s", run_id, type(event).__name__)
                        return None
                    current = RunState.from_dict(json.loads(raw))
                    new, effects = reduce(current, event)
                    if new is current and not effects:
                        return current
                    config = self.load_config(run_id) if effects else {}
                    pipe.multi()
                    self._commit(pipe, new, effects, config)
                    return new
                except redis.WatchError:
                    log.info("run %s changed under us; reducing again", run_id)
                    continue

    def _commit(
        self,
        pipe: Pipeline,
        state: RunState,
        effects: Sequence[Effect],
        config: Mapping[str, Any],
    ) -> None:
        """Store the state and enqueue its effects' jobs: the MULTI block's body, then EXEC."""
        pipe.set(run_key(state.run_id), json.dumps(state.to_dict()))
        self._enqueue(pipe, state, effects, config)
        pipe.execute()

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
                retry=(
                    Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals))
                    if spec.retry_intervals
                    else None
                ),
                pipeline=pipe,
            )
