"""The run store on a real Redis: one transaction per event, effects enqueued with the state."""

from __future__ import annotations

import threading

import pytest
import redis
from rq import Queue

from bot.adapters.queues import BUILDERS_QUEUE, EVENTS_QUEUE
from bot.adapters.store import RunExists, RunStore
from bot.core.effects import PreparePhase, effect_from_dict
from bot.core.events import PhaseBuilt, PhasePrepared, StatusRequested
from bot.core.state import PhaseStatus, RunState, RunStatus, new_run
from bot.plan.model import Phase, Plan

DIAMOND = Plan(
    phases=(
        Phase(id="phase_1", label="1", title="Data layer", line=1),
        Phase(id="phase_2", label="2", title="API routes", line=2, depends_on=("phase_1",)),
        Phase(id="phase_3", label="3", title="UI", line=3, depends_on=("phase_1",)),
        Phase(
            id="phase_4", label="4", title="Integration", line=4, depends_on=("phase_2", "phase_3")
        ),
    )
)
CONFIG = {"builder": {"timeout_minutes": 5}, "checks": []}


def _new(run_id: str = "r1-7") -> RunState:
    return new_run(
        DIAMOND,
        run_id=run_id,
        repo="octo/board",
        installation_id=1,
        issue_number=7,
        issue_title="Task board",
        base_branch="main",
        base_sha="a" * 40,
        created_at=100.0,
    )


def _jobs(connection: redis.Redis, queue: str) -> list[tuple[str, dict]]:
    jobs = Queue(queue, connection=connection).get_jobs()
    return [(job.func_name, job.args[1]) for job in jobs]


def _prepared(store: RunStore, run_id: str, phase_id: str, at: float) -> None:
    state = store.load(run_id)
    assert state is not None
    phase = state.phase(phase_id)
    store.apply(
        run_id,
        PhasePrepared(
            at=at,
            phase_id=phase_id,
            attempt=phase.attempt,
            branch=f"b/{phase_id}",
            base_branch="main",
            pr_number=1,
            check_run_id=1,
            base_sha="b" * 40,
        ),
    )


def _built(store: RunStore, run_id: str, phase_id: str, at: float) -> None:
    store.apply(run_id, PhaseBuilt(at=at, phase_id=phase_id, attempt=1, head_sha="c" * 40))


def test_create_stores_the_run_and_enqueues_its_first_effects(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client)
    started = store.create(_new(), CONFIG, at=101.0)

    assert started.status is RunStatus.RUNNING
    assert store.load("r1-7") == started
    assert store.load_config("r1-7") == CONFIG
    assert store.run_ids() == ["r1-7"]
    prepared = [
        effect_from_dict(args)
        for func, args in _jobs(redis_client, EVENTS_QUEUE)
        if func == "workers.effects.prepare_phase"
    ]
    assert [e.phase_id for e in prepared if isinstance(e, PreparePhase)] == ["phase_1"]


def test_a_second_run_for_a_running_issue_is_refused(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client)
    store.create(_new(), CONFIG, at=101.0)
    with pytest.raises(RunExists):
        store.create(_new(), CONFIG, at=102.0)


def test_builder_jobs_go_to_the_builders_queue_with_the_configured_timeout(
    redis_client: redis.Redis,
) -> None:
    store = RunStore(redis_client)
    store.create(_new(), CONFIG, at=101.0)
    _prepared(store, "r1-7", "phase_1", 102.0)
    jobs = Queue(BUILDERS_QUEUE, connection=redis_client).get_jobs()
    assert [job.func_name for job in jobs] == ["workers.builders.run_builder"]
    assert jobs[0].timeout is not None and jobs[0].timeout >= 5 * 60


def test_a_repeated_event_changes_nothing_and_enqueues_nothing(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client)
    store.create(_new(), CONFIG, at=101.0)
    _prepared(store, "r1-7", "phase_1", 102.0)
    before = store.load("r1-7")
    count = Queue(EVENTS_QUEUE, connection=redis_client).count
    _prepared(store, "r1-7", "phase_1", 103.0)
    assert store.load("r1-7") == before
    assert Queue(EVENTS_QUEUE, connection=redis_client).count == count


def test_status_request_changes_nothing_but_updates_the_comment(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client)
    store.create(_new(), CONFIG, at=101.0)
    before = store.load("r1-7")
    store.apply("r1-7", StatusRequested(at=200.0))
    assert store.load("r1-7") == before
    funcs = [func for func, _ in _jobs(redis_client, EVENTS_QUEUE)]
    assert funcs.count("workers.effects.update_status_comment") == 2


def test_siblings_finishing_at_once_dispatch_their_dependent_once(
    redis_client: redis.Redis, redis_url: str
) -> None:
    for round_ in range(10):
        redis_client.flushall()
        run_id = f"r1-{round_}"
        store = RunStore(redis_client)
        store.create(_new(run_id), CONFIG, at=101.0)
        _prepared(store, run_id, "phase_1", 102.0)
        _built(store, run_id, "phase_1", 103.0)
        _prepared(store, run_id, "phase_2", 104.0)
        _prepared(store, run_id, "phase_3", 104.0)

        barrier = threading.Barrier(2)

        def finish(
            phase_id: str, run_id: str = run_id, barrier: threading.Barrier = barrier
        ) -> None:
            # Each thread has its own connection, as two workers on two machines would.
            own = RunStore(redis.Redis.from_url(redis_url))
            barrier.wait()
            _built(own, run_id, phase_id, 105.0)

        threads = [threading.Thread(target=finish, args=(p,)) for p in ("phase_2", "phase_3")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        state = store.load(run_id)
        assert state is not None
        assert state.phase("phase_4").status is PhaseStatus.PREPARING
        prepares = [
            effect_from_dict(args)
            for func, args in _jobs(redis_client, EVENTS_QUEUE)
            if func == "workers.effects.prepare_phase"
        ]
        assert sorted(e.phase_id for e in prepares if isinstance(e, PreparePhase)) == [
            "phase_1",
            "phase_2",
            "phase_3",
            "phase_4",
        ]
