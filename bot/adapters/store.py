"""Runs in Redis, changed one event at a time in one transaction with the jobs they cause.

`apply` WATCHes the run's key, reduces, and commits the new state together with its event-log
entry, the PR index and the effect jobs in one MULTI/EXEC. When another worker changed the run
in between, EXEC fails and the event is reduced again against the newer state: two siblings
finishing at the same instant on two machines therefore see each other, and their dependent is
dispatched once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import redis
from redis.client import Pipeline

from bot.adapters import keys, metrics
from bot.adapters.jobs import JobPlanner, JobSpec, enqueue
from bot.core.effects import Effect
from bot.core.events import Event, RunStarted
from bot.core.history import LogEntry, log_entry
from bot.core.reducer import reduce
from bot.core.state import PhaseState, PhaseStatus, RunState
from bot.inputs.config import RepoConfig

log = logging.getLogger(__name__)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# The PR index's name for a run's integration PR: no phase id holds a colon.
INTEGRATION = ":integration"


class RunExists(Exception):
    """A run for this issue is already stored."""


class RunStore:
    def __init__(self, connection: redis.Redis, jobs: JobPlanner) -> None:
        self.redis = connection
        self.jobs = jobs

    def load(self, run_id: str) -> RunState | None:
        raw = self.redis.get(keys.run(run_id))
        return RunState.from_dict(json.loads(raw)) if raw else None

    def awaiting(
        self,
        run_id: str,
        phase_id: str,
        attempt: int,
        *statuses: PhaseStatus,
        iteration: int = 1,
    ) -> RunState | None:
        """The run, when its phase is still in one of `statuses` at this iteration and attempt;
        None for a stale job."""
        state = self.load(run_id)
        if state is None or not state.awaiting(phase_id, attempt, *statuses, iteration=iteration):
            log.info(
                "run %s: %s i%s a%s is no longer %s",
                run_id,
                phase_id,
                iteration,
                attempt,
                "/".join(statuses),
            )
            return None
        return state

    def load_config(self, run_id: str) -> RepoConfig:
        """The config the run started with; the defaults for a run stored without one."""
        raw = self.redis.get(keys.config(run_id))
        return RepoConfig.model_validate_json(raw) if raw else RepoConfig()

    def run_ids(self, newest_first: bool = True, limit: int = 100) -> list[str]:
        ids = self.redis.zrange(keys.RUNS_INDEX, 0, limit - 1, desc=newest_first)
        return [_text(i) for i in ids if isinstance(i, bytes | str)]

    def active_run_ids(self) -> list[str]:
        """The runs not finished yet, in no order."""
        return sorted(_text(i) for i in self.redis.smembers(keys.ACTIVE_RUNS))

    def current(self, repo: str, issue_number: int) -> RunState | None:
        """The issue's latest run, running or finished; None when it never had one."""
        run_id = self.redis.get(keys.issue(repo, issue_number))
        return self.load(_text(run_id)) if run_id else None

    def history(self, run_id: str) -> list[LogEntry]:
        """The run's event log, oldest first."""
        raw = self.redis.lrange(keys.event_log(run_id), 0, -1)
        return [LogEntry.from_dict(json.loads(item)) for item in raw]

    def pull(self, repo: str, pr_number: int) -> tuple[str, str] | None:
        """(run id, phase id) of the phase whose PR this is, (run id, INTEGRATION) for a run's
        integration PR; None for any other PR."""
        raw = self.redis.hget(keys.pulls(repo), str(pr_number))
        if not raw:
            return None
        run_id, phase_id = _text(raw).split(" ", 1)
        return run_id, phase_id

    def next_run_id(self, repo_id: int, repo: str, issue_number: int) -> str:
        """A fresh run id: `/porch parallel` after a cancel or failure starts a new run."""
        number = self.redis.incr(keys.issue_runs(repo, issue_number))
        return f"r{repo_id}-{issue_number}-{number}"

    def create(self, state: RunState, config: RepoConfig, at: float) -> RunState:
        """Store a new run, make it the issue's current run and start it.

        RunExists when the issue's current run is still going: one run per issue at a time.
        """
        pointer = keys.issue(state.repo, state.issue_number)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(pointer)
                    current_id = pipe.get(pointer)
                    if current_id is not None:
                        # Watched too: a current run finishing now lets this one start.
                        pipe.watch(keys.run(_text(current_id)))
                        raw = pipe.get(keys.run(_text(current_id)))
                        current = RunState.from_dict(json.loads(raw)) if raw else None
                        if current is not None and not current.status.finished:
                            raise RunExists(current.run_id)
                    event = RunStarted(at=at)
                    started, effects = reduce(state, event)
                    pipe.multi()
                    pipe.set(pointer, state.run_id)
                    pipe.set(keys.config(state.run_id), config.model_dump_json())
                    pipe.zadd(keys.RUNS_INDEX, {state.run_id: state.created_at})
                    self._commit(pipe, state, started, event, effects, config)
                    return started
                except redis.WatchError:
                    continue

    def apply(self, run_id: str, event: Event) -> RunState | None:
        """Reduce one event into the stored run; None when there is no such run.

        Stale and repeated events commit nothing. When another worker changed the run between
        our read and our write, the event is reduced again against what it wrote.
        """
        key = keys.run(run_id)
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
                    config = self.load_config(run_id) if effects else RepoConfig()
                    pipe.multi()
                    self._commit(pipe, current, new, event, effects, config)
                    return new
                except redis.WatchError:
                    log.info("run %s changed under us; reducing again", run_id)
                    continue

    def enqueue_again(self, state: RunState, effect: Effect) -> str:
        """Enqueue an effect's job once more, under its own job id: the reconciler's answer to
        a job that was lost. The job skips itself if the run has moved on meanwhile."""
        spec = self.jobs(state, self.load_config(state.run_id), effect)
        with self.redis.pipeline() as pipe:
            enqueue(self.redis, pipe, spec)
            pipe.execute()
        return spec.job_id

    def _commit(
        self,
        pipe: Pipeline,
        before: RunState,
        state: RunState,
        event: Event,
        effects: Sequence[Effect],
        config: RepoConfig,
    ) -> None:
        """The MULTI block's body, then EXEC: the state, its log entry, newly opened PRs in the
        index, and the effects' jobs."""
        if state is not before:
            pipe.set(keys.run(state.run_id), json.dumps(state.to_dict()))
            if state.status.finished:
                pipe.srem(keys.ACTIVE_RUNS, state.run_id)
            else:
                pipe.sadd(keys.ACTIVE_RUNS, state.run_id)
            entry = log_entry(before, state, event)
            pipe.rpush(keys.event_log(state.run_id), json.dumps(entry.to_dict()))
            opened = {
                str(phase.pr_number): f"{state.run_id} {pid}"
                for pid, phase in state.phases.items()
                if phase.pr_number is not None and _pr_of(before, pid) != phase.pr_number
            }
            if state.integration_pr is not None and before.integration_pr is None:
                opened[str(state.integration_pr)] = f"{state.run_id} {INTEGRATION}"
            if opened:
                pipe.hset(keys.pulls(state.repo), mapping=opened)  # type: ignore[arg-type]
            for latency in _dispatch_latencies(state, entry):
                metrics.observe(pipe, metrics.DISPATCH_SECONDS, latency, {})
            for seconds, outcome in _consultations_ended(before, entry):
                metrics.observe(pipe, metrics.CONSULTATION_SECONDS, seconds, {"outcome": outcome})
        for effect in effects:
            enqueue(self.redis, pipe, self.jobs(state, config, effect))
        pipe.execute()


def _no_jobs(state: RunState, config: RepoConfig, effect: Effect) -> JobSpec:
    raise RuntimeError("a reading store applies no events")


def reader(connection: redis.Redis) -> RunStore:
    """A store for reading runs only (the dashboard, /metrics): it can plan no job."""
    return RunStore(connection, _no_jobs)


def _pr_of(state: RunState, phase_id: str) -> int | None:
    phase: PhaseState | None = state.phases.get(phase_id)
    return phase.pr_number if phase else None


_CONSULTATION_OUTCOMES = {PhaseStatus.DONE: "approved", PhaseStatus.QUEUED: "changes_requested"}


def _consultations_ended(before: RunState, entry: LogEntry) -> list[tuple[float, str]]:
    """For each phase whose round of consultation ends with this entry: how long it took, and
    how it ended (approved, changes_requested, or the status it left for, e.g. cancelled)."""
    found = []
    for move in entry.moves:
        if move.source is not PhaseStatus.CONSULTING or move.target is PhaseStatus.CONSULTING:
            continue
        since = before.phases[move.phase_id].consulting_since
        if since is not None:
            outcome = _CONSULTATION_OUTCOMES.get(move.target, move.target.value)
            found.append((max(0.0, entry.at - since), outcome))
    return found


def _dispatch_latencies(state: RunState, entry: LogEntry) -> list[float]:
    """For each phase whose first builder starts with this entry: how long after its last
    dependency was done. Phases without dependencies have nothing to wait for."""
    found = []
    for move in entry.moves:
        deps = state.deps.get(move.phase_id, ())
        if move.target is not PhaseStatus.BUILDING or move.attempt != 1 or not deps:
            continue
        done = [state.phases[d].finished_at for d in deps]
        if all(at is not None for at in done):
            found.append(max(0.0, entry.at - max(at for at in done if at is not None)))
    return found
