"""The run store on a real Redis: one transaction per event, effects enqueued with the state."""

from __future__ import annotations

import threading

import pytest
import redis
from rq import Queue

from bot.adapters.queues import BUILDERS_QUEUE, EVENTS_QUEUE
from bot.adapters.store import RunExists, RunStore
from bot.core.effects import (
    Effect,
    MergeHeads,
    OpenIntegration,
    PreparePhase,
    UpdateStatusComment,
    effect_from_dict,
)
from bot.core.events import BuilderStarted, PhaseBuilt, PhasePrepared, StatusRequested
from bot.core.state import PhaseStatus, RunState, RunStatus, new_run
from bot.inputs.config import RepoConfig
from bot.plan.model import Phase, Plan
from workers.registry import plan_job

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
CONFIG = RepoConfig.model_validate({"builder": {"timeout_minutes": 5}, "checks": []})


def _new(run_id: str = "r1-7", plan: Plan = DIAMOND) -> RunState:
    return new_run(
        plan,
        run_id=run_id,
        repo="octo/board",
        installation_id=1,
        issue_number=7,
        issue_title="Task board",
        base_branch="main",
        base_sha="a" * 40,
        created_at=100.0,
    )


def _effects(connection: redis.Redis, queue: str) -> list[Effect]:
    jobs = Queue(queue, connection=connection).get_jobs()
    return [effect_from_dict(job.args[1]) for job in jobs]


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


def _started(store: RunStore, run_id: str, phase_id: str, at: float) -> None:
    store.apply(run_id, BuilderStarted(at=at, phase_id=phase_id, attempt=1))


def _built(store: RunStore, run_id: str, phase_id: str, at: float) -> None:
    store.apply(run_id, PhaseBuilt(at=at, phase_id=phase_id, attempt=1, head_sha="c" * 40))


def test_create_stores_the_run_and_enqueues_its_first_effects(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    started = store.create(_new(), CONFIG, at=101.0)

    assert started.status is RunStatus.RUNNING
    assert store.load("r1-7") == started
    assert store.load_config("r1-7") == CONFIG
    assert store.run_ids() == ["r1-7"]
    prepared = [e for e in _effects(redis_client, EVENTS_QUEUE) if isinstance(e, PreparePhase)]
    assert [e.phase_id for e in prepared] == ["phase_1"]


def test_a_second_run_for_a_running_issue_is_refused(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    store.create(_new(), CONFIG, at=101.0)
    with pytest.raises(RunExists):
        store.create(_new(), CONFIG, at=102.0)


def test_builder_jobs_go_to_the_builders_queue_with_the_configured_timeout(
    redis_client: redis.Redis,
) -> None:
    store = RunStore(redis_client, plan_job)
    store.create(_new(), CONFIG, at=101.0)
    _prepared(store, "r1-7", "phase_1", 102.0)
    jobs = Queue(BUILDERS_QUEUE, connection=redis_client).get_jobs()
    assert [job.func_name for job in jobs] == ["workers.jobs.perform"]
    assert [effect_from_dict(job.args[1]).key for job in jobs] == ["build-phase_1-i1-a1"]
    assert jobs[0].timeout is not None and jobs[0].timeout >= 5 * 60


def test_a_repeated_event_changes_nothing_and_enqueues_nothing(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    store.create(_new(), CONFIG, at=101.0)
    _prepared(store, "r1-7", "phase_1", 102.0)
    before = store.load("r1-7")
    count = Queue(EVENTS_QUEUE, connection=redis_client).count
    _prepared(store, "r1-7", "phase_1", 103.0)
    assert store.load("r1-7") == before
    assert Queue(EVENTS_QUEUE, connection=redis_client).count == count


def test_status_request_changes_nothing_but_updates_the_comment(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    store.create(_new(), CONFIG, at=101.0)
    before = store.load("r1-7")
    store.apply("r1-7", StatusRequested(at=200.0))
    assert store.load("r1-7") == before
    effects = _effects(redis_client, EVENTS_QUEUE)
    assert sum(isinstance(e, UpdateStatusComment) for e in effects) == 2


def _siblings_finish_at_once(
    redis_client: redis.Redis, redis_url: str, state: RunState
) -> RunState:
    """Run phase_1 to done, start phase_2 and phase_3, then report both built at the same
    instant from two threads with connections of their own, as two workers would."""
    redis_client.flushall()
    run_id = state.run_id
    store = RunStore(redis_client, plan_job)
    store.create(state, CONFIG, at=101.0)
    _prepared(store, run_id, "phase_1", 102.0)
    _started(store, run_id, "phase_1", 102.5)
    _built(store, run_id, "phase_1", 103.0)
    for sibling in ("phase_2", "phase_3"):
        _prepared(store, run_id, sibling, 104.0)
        _started(store, run_id, sibling, 104.5)
    barrier = threading.Barrier(2)

    def finish(phase_id: str) -> None:
        own = RunStore(redis.Redis.from_url(redis_url), plan_job)
        barrier.wait()
        _built(own, run_id, phase_id, 105.0)

    threads = [threading.Thread(target=finish, args=(p,)) for p in ("phase_2", "phase_3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = store.load(run_id)
    assert final is not None
    return final


def test_siblings_finishing_at_once_dispatch_their_dependent_once(
    redis_client: redis.Redis, redis_url: str
) -> None:
    for round_ in range(10):
        state = _siblings_finish_at_once(redis_client, redis_url, _new(f"r1-{round_}"))
        # The join starts from a merge of both heads: one merge, dispatched once.
        assert state.phase("phase_4").status is PhaseStatus.MERGING
        effects = _effects(redis_client, EVENTS_QUEUE)
        prepares = [e.phase_id for e in effects if isinstance(e, PreparePhase)]
        assert sorted(prepares) == ["phase_1", "phase_2", "phase_3"]
        merges = [e for e in effects if isinstance(e, MergeHeads)]
        assert [(m.phase_id, [h.phase_id for h in m.heads]) for m in merges] == [
            ("phase_4", ["phase_2", "phase_3"])
        ]


def test_the_event_log_records_each_change_with_its_phase_moves(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    store.create(_new(), CONFIG, at=101.0)
    _prepared(store, "r1-7", "phase_1", 102.0)
    _prepared(store, "r1-7", "phase_1", 102.5)  # repeated: changes nothing, logs nothing
    _started(store, "r1-7", "phase_1", 103.0)
    store.apply("r1-7", StatusRequested(at=104.0))  # changes nothing either

    log = store.history("r1-7")
    assert [(e.event, e.at) for e in log] == [
        ("RunStarted", 101.0),
        ("PhasePrepared", 102.0),
        ("BuilderStarted", 103.0),
    ]
    assert [(m.phase_id, m.source, m.target, m.attempt) for m in log[0].moves] == [
        ("phase_1", PhaseStatus.PENDING, PhaseStatus.PREPARING, 1)
    ]
    assert [(m.source, m.target) for m in log[2].moves] == [
        (PhaseStatus.QUEUED, PhaseStatus.BUILDING)
    ]
    assert [e.version for e in log] == [1, 2, 3]


def test_a_phase_pr_leads_back_to_its_run_and_phase(redis_client: redis.Redis) -> None:
    store = RunStore(redis_client, plan_job)
    store.create(_new(), CONFIG, at=101.0)
    assert store.pull("octo/board", 1) is None
    _prepared(store, "r1-7", "phase_1", 102.0)
    assert store.pull("octo/board", 1) == ("r1-7", "phase_1")
    assert store.pull("octo/board", 2) is None
    assert store.pull("octo/other", 1) is None


FORK = Plan(
    phases=(
        Phase(id="phase_1", label="1", title="Data layer", line=1),
        Phase(id="phase_2", label="2", title="API routes", line=2, depends_on=("phase_1",)),
        Phase(id="phase_3", label="3", title="UI", line=3, depends_on=("phase_1",)),
    )
)


def test_last_phases_finishing_at_once_on_two_workers_open_one_integration_pr(
    redis_client: redis.Redis, redis_url: str
) -> None:
    for round_ in range(50):
        final = _siblings_finish_at_once(redis_client, redis_url, _new(f"r2-{round_}", FORK))
        assert final.status is RunStatus.INTEGRATING
        integrations = [
            e for e in _effects(redis_client, BUILDERS_QUEUE) if isinstance(e, OpenIntegration)
        ]
        assert integrations == [OpenIntegration()], f"round {round_}"
