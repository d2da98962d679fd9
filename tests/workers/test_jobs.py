"""The job skeleton, run without a worker: the runtime is passed in."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from rq import Queue

from bot.adapters.queues import EVENTS_QUEUE
from bot.adapters.store import RunStore
from bot.core.effects import StartTimer, effect_from_dict
from bot.core.events import BuilderStarted, PhasePrepared, TimerFired
from bot.core.state import PhaseStatus, RunSettings, new_run
from bot.inputs.config import RepoConfig
from bot.plan.model import Phase, Plan
from bot.settings import Settings
from workers.jobs import run
from workers.registry import plan_job
from workers.runtime import Runtime

SETTINGS = Settings(github_app_id="1", github_private_key="unused", github_webhook_secret="s")


def _building_run(store: RunStore, retries: int) -> None:
    state = new_run(
        Plan(phases=(Phase(id="p1", label="1", title="One", line=1),)),
        run_id="r1-1-1",
        repo="octo/app",
        installation_id=1,
        issue_number=1,
        issue_title="App",
        base_branch="main",
        base_sha="a" * 40,
        created_at=100.0,
        settings=RunSettings(retries=retries, builder_deadline_seconds=600),
    )
    store.create(state, RepoConfig(), at=100.0)
    prepared = PhasePrepared(
        at=101.0,
        phase_id="p1",
        attempt=1,
        branch="b",
        base_branch="main",
        pr_number=2,
        check_run_id=3,
        base_sha="b" * 40,
    )
    store.apply("r1-1-1", prepared)
    store.apply("r1-1-1", BuilderStarted(at=102.0, phase_id="p1", attempt=1))


def _scheduled_timer(connection: redis.Redis) -> tuple[StartTimer, datetime]:
    registry = Queue(EVENTS_QUEUE, connection=connection).scheduled_job_registry
    [job_id] = registry.get_job_ids()
    job = Queue(EVENTS_QUEUE, connection=connection).fetch_job(job_id)
    assert job is not None
    effect = effect_from_dict(job.args[1])
    assert isinstance(effect, StartTimer)
    return effect, registry.get_scheduled_time(job_id)


def test_a_builders_deadline_is_scheduled_through_rqs_scheduler(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    _building_run(store, retries=0)
    timer, when = _scheduled_timer(redis_client)
    assert timer.due_at > 102.0 + 600
    assert when == datetime.fromtimestamp(timer.due_at, tz=UTC).replace(microsecond=0)


def test_a_deadline_that_fires_fails_the_attempt_it_was_set_for(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    _building_run(store, retries=1)
    timer, _ = _scheduled_timer(redis_client)

    rt = Runtime(SETTINGS, redis_client, plan_job, clock=lambda: timer.due_at + 1)
    event = run(rt, "r1-1-1", timer)

    assert isinstance(event, TimerFired)
    state = store.load("r1-1-1")
    assert state is not None
    phase = state.phase("p1")
    assert (phase.status, phase.attempt) == (PhaseStatus.QUEUED, 2)
    assert "did not report within its deadline" in phase.error
    # The same timer again, now stale: the second attempt is not touched.
    run(rt, "r1-1-1", timer)
    assert store.load("r1-1-1") == state


def test_a_timer_that_fires_early_changes_nothing(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    _building_run(store, retries=0)
    timer, _ = _scheduled_timer(redis_client)
    before = store.load("r1-1-1")
    run(Runtime(SETTINGS, redis_client, plan_job, clock=lambda: timer.due_at - 5), "r1-1-1", timer)
    assert store.load("r1-1-1") == before
