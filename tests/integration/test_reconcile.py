"""The reconciler mends what was lost: a job that vanished, a report that never landed, a
phase that waits past its bound. Jobs run in this process; the losses are made on purpose in
Redis, as a crash would leave them."""

from __future__ import annotations

import os
import socket
import time

import pytest
from rq import SimpleWorker
from rq.job import Job

from bot.adapters import keys
from bot.adapters.queues import builders_queue, events_queue
from bot.cli.main import main
from bot.core.state import PhaseStatus, RunStatus
from bot.settings import Settings
from tests.integration.conftest import BUILDER, Porch, porch_config
from workers.reconcile import reconcile_run, redeliver_missed
from workers.registry import plan_job
from workers.runtime import Runtime


def _runtime(porch: Porch, clock: float | None = None) -> Runtime:
    settings = Settings.from_env(os.environ)
    if clock is None:
        return Runtime(settings, porch.redis, plan_job)
    return Runtime(settings, porch.redis, plan_job, clock=lambda: clock)


def _run_one_events_job(porch: Porch) -> None:
    porch.hub.flush()
    SimpleWorker([events_queue(porch.redis)], connection=porch.redis).work(burst=True, max_jobs=1)


def test_a_lost_prepare_job_is_enqueued_again_and_the_run_completes(
    porch: Porch, capsys: pytest.CaptureFixture[str]
) -> None:
    porch.repo()
    issue = porch.open_and_comment()
    _run_one_events_job(porch)  # the `/porch parallel` delivery: the run starts
    state = porch.run(issue)
    assert state is not None and state.phase("phase_1").status is PhaseStatus.PREPARING
    [prepare] = [j for j in events_queue(porch.redis).get_job_ids() if "-prepare-" in j]
    Job.fetch(prepare, connection=porch.redis).delete()  # lost, as a crash would lose it

    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.phase("phase_1").status is PhaseStatus.PREPARING

    # By hand, as an operator would: the same comparison, printed.
    assert main(["reconcile"]) == 0
    printed = capsys.readouterr().out
    assert f"{state.run_id}: phase_1: job {prepare} was lost; enqueued it again" in printed
    assert "1 runs looked at, 1 things mended" in printed
    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    assert reconcile_run(_runtime(porch), state.run_id) == []


def test_a_lost_builder_report_is_applied_again_without_building_again(porch: Porch) -> None:
    porch.repo()
    issue = porch.open_and_comment()
    porch.orchestrate_until_a_builder_is_queued()
    state = porch.run(issue)
    assert state is not None
    run_key, log_key = keys.run(state.run_id), keys.event_log(state.run_id)
    before, logged = porch.redis.get(run_key), porch.redis.llen(log_key)
    assert before is not None
    queued = set(events_queue(porch.redis).get_job_ids())

    SimpleWorker([builders_queue(porch.redis)], connection=porch.redis).work(burst=True)
    # Redis loses everything the builder's reports wrote (its start, its result and the jobs
    # they enqueued); the builder's pushed work and its finished job survive.
    porch.redis.set(run_key, before)
    porch.redis.ltrim(log_key, 0, logged - 1)
    for job_id in set(events_queue(porch.redis).get_job_ids()) - queued:
        Job.fetch(job_id, connection=porch.redis).delete()

    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.phase("phase_1").status is PhaseStatus.QUEUED

    [note] = reconcile_run(_runtime(porch), state.run_id)
    assert note.startswith("phase_1: applied again the lost report of ")
    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    assert state.phase("phase_1").attempt == 1  # its report was used, not a second build


def test_a_phase_past_its_bound_fails_saying_why(porch: Porch) -> None:
    porch.repo()
    issue = porch.open_and_comment()
    builder = porch.orchestrate_until_a_builder_is_queued()  # and no builder worker runs
    state = porch.run(issue)
    assert state is not None and state.phase("phase_1").status is PhaseStatus.QUEUED

    assert reconcile_run(_runtime(porch), state.run_id) == []
    later = _runtime(porch, clock=time.time() + 7 * 3600)
    [note] = reconcile_run(later, state.run_id)
    assert note.startswith("phase_1: queued for ")
    porch.orchestrate()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.FAILED
    phase = state.phase("phase_1")
    assert phase.status is PhaseStatus.FAILED
    assert "no builder worker took its job" in phase.error
    assert builder.get_status(refresh=True) == "canceled"


def test_a_command_whose_webhook_was_lost_is_delivered_again(porch: Porch) -> None:
    porch.repo()
    web = f"http://127.0.0.1:{porch.server.server_port}/webhooks/github"
    with socket.socket() as closed:  # a port nobody listens on: the web app is down
        closed.bind(("127.0.0.1", 0))
        porch.hub.set_webhook_url(f"http://127.0.0.1:{closed.getsockname()[1]}/webhooks/github")
    issue = porch.open_and_comment()
    porch.hub.flush()
    porch.hub.set_webhook_url(web)
    porch.settle()
    assert porch.run(issue) is None  # GitHub does not deliver it again by itself

    # Young deliveries may still be on their way: only settled ones are asked for again.
    assert redeliver_missed(_runtime(porch)) == []
    [note] = redeliver_missed(_runtime(porch, clock=time.time() + 60))
    assert "(issue_comment, no answer) asked for again" in note
    assert redeliver_missed(_runtime(porch, clock=time.time() + 60)) == []  # once an hour
    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE


def test_a_lost_resolve_job_of_an_escalated_merge_is_enqueued_again(porch: Porch) -> None:
    shared = f"SCRIPTED_BUILDER_SHARED=app/shared.py python3 {BUILDER}"
    porch.repo(config=porch_config(shared) + "merge:\n  union_merge: [app/shared.py]\n")
    issue = porch.open_and_comment()
    builders = builders_queue(porch.redis)
    resolve: list[str] = []
    for _ in range(60):
        porch.orchestrate()
        resolve = [j for j in builders.get_job_ids() if "-resolve-" in j]
        if resolve:
            break
        SimpleWorker([builders], connection=porch.redis).work(burst=True, max_jobs=1)
    assert resolve, "GitHub's rung never escalated"
    Job.fetch(resolve[0], connection=porch.redis).delete()  # lost with its worker

    state = porch.run(issue)
    assert state is not None and state.phase("phase_4").status is PhaseStatus.MERGING
    notes = reconcile_run(_runtime(porch), state.run_id)
    assert notes == [f"phase_4: job {resolve[0]} was lost; enqueued it again"]
    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    assert state.phase("phase_4").merge_rungs[1].startswith("local: merged phase_3 (union")
