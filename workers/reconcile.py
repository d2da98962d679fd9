"""The reconciler: compares every running run with RQ and GitHub, and mends what was lost.

A job can vanish (Redis lost its last second, a worker died with it, someone emptied a
queue), a job's report can be lost after the job finished, and a worker can die mid-job. Every
`TICK_SECONDS`, and on `/porch status`, each phase that waits on a job (merging, preparing,
queued, building) is looked up in RQ under the job id its effect always gets:

- queued, started, scheduled or deferred: it is on its way; nothing to do;
- finished with a report the run does not show: the report is applied again;
- failed, stopped or cancelled (or finished without a report): the kind's failure event is
  applied again, so the phase retries or fails as any failure would;
- gone: the same job is enqueued again, through the store's planner.

Before that, each queue's registry of started jobs is cleaned, so that a job whose worker
stopped sending heartbeats (killed, or its machine gone) is failed through its failure
callback and its phase retried, within a minute and a half of the death. Past its state's
bound (bot/core/bounds.py) a phase fails, saying why.

The tick is a job of RQ's scheduler that schedules its successor first thing; every events
worker makes sure one is scheduled when it starts and at each of its maintenance rounds, and a
claim per time slot keeps it to one chain however many events workers run.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from bot.adapters import keys
from bot.adapters.github.deliveries import recent_deliveries, redeliver
from bot.adapters.queues import EVENTS_QUEUE, builders_queue, events_queue
from bot.core.bounds import bound
from bot.core.effects import (
    MergeHeads,
    PhaseEffect,
    PreparePhase,
    ResolveMerge,
    RunBuilder,
    StartPoint,
    job_id,
)
from bot.core.events import (
    BuilderStarted,
    PhaseOverdue,
    ReviewDismissed,
    ReviewSubmitted,
    event_from_dict,
)
from bot.core.history import LogEntry, entered_at
from bot.core.reducer.dispatch import prepare, start_points
from bot.core.state import PhaseState, PhaseStatus, RunState, RunStatus
from bot.inputs.interest import is_handled
from workers.consulting import consultation_of
from workers.registry import KINDS, plan_job
from workers.runtime import Runtime

log = logging.getLogger(__name__)

TICK_SECONDS = 15
# GitHub's record of deliveries is compared with ours every this many ticks (once a minute),
# for deliveries older than a settling time (one may be on its way) and younger than a day.
DELIVERY_CHECK_TICKS = 4
DELIVERY_SETTLE_SECONDS = 30
DELIVERY_WINDOW_SECONDS = 24 * 3600
TICK_JOB = "workers.reconcile.tick"
TICK_TIMEOUT = 120
_ON_ITS_WAY = frozenset(
    {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
)

# What the reconciler compares with GitHub for each run, besides what the jobs need: each
# check takes the run and returns what it mended. Missed deliveries of every handled event are
# asked for again by `redeliver_missed`; these catch what even a redelivery did not bring.
GitHubCheck = Callable[[Runtime, RunState], list[str]]


def missed_reviews(rt: Runtime, state: RunState) -> list[str]:
    """Reviews of a consulting phase's head that the run never heard of (their webhook and its
    redelivery both lost), and dismissals of reviews it counts: applied as the handler would.
    The reducer knows each review by id, so one that did arrive changes nothing."""
    notes: list[str] = []
    repo = None
    for phase in state.phases.values():
        if phase.status is not PhaseStatus.CONSULTING or phase.pr_number is None:
            continue
        repo = repo or rt.repo(state.installation_id, state.repo)
        known = {r.review_id: r for r in phase.reviews}
        for review in repo.reviews(phase.pr_number):
            seen = known.get(review.review_id)
            event: ReviewSubmitted | ReviewDismissed | None = None
            if review.state == "dismissed":
                if seen is not None and not seen.dismissed:
                    event = ReviewDismissed(
                        at=rt.clock(), phase_id=phase.phase_id, review_id=review.review_id
                    )
            elif seen is None and review.commit_id == phase.head_sha:
                event = consultation_of(repo, review, phase.phase_id, rt.clock())
            if event is not None:
                rt.store.apply(state.run_id, event)
                what = "dismissal of" if isinstance(event, ReviewDismissed) else "review"
                notes.append(f"{phase.phase_id}: {what} {review.review_id} by {review.reviewer}")
    return notes


GITHUB_CHECKS: list[GitHubCheck] = [missed_reviews]


def tick() -> None:
    """RQ's entry point of the periodic tick: schedule the next one, then reconcile all."""
    rt = Runtime.for_job(plan_job)
    slot = _slot(rt.clock())
    schedule_tick(rt.redis, slot + 1)
    clean_started_jobs(rt.redis)
    github_round = slot % DELIVERY_CHECK_TICKS == 0
    if github_round:
        try:
            for note in redeliver_missed(rt):
                log.warning("reconciled: %s", note)
        except Exception:
            log.exception("could not compare GitHub's deliveries with ours")
    for run_id in rt.store.active_run_ids():
        try:
            for note in reconcile_run(rt, run_id, with_github=github_round):
                log.warning("run %s: reconciled: %s", run_id, note)
        except Exception:
            # One run's trouble (a GitHub outage, a bad record) must not starve the others.
            log.exception("run %s: could not reconcile", run_id)


def ensure_ticking(connection: redis.Redis) -> None:
    """Schedule the next tick unless one is scheduled already (an events worker's start)."""
    try:
        schedule_tick(connection, _slot(time.time()) + 1)
    except redis.RedisError as exc:
        log.warning("could not schedule the reconciler: %s", exc)


def schedule_tick(connection: redis.Redis, slot: int) -> bool:
    """Schedule the tick of `slot` unless someone did; True when this call did."""
    claim = keys.reconcile_tick(slot)
    queue = Queue(EVENTS_QUEUE, connection=connection)
    with connection.pipeline() as pipe:
        try:
            pipe.watch(claim)
            if pipe.exists(claim):
                return False
            pipe.multi()
            pipe.set(claim, 1, ex=3600)
            job = queue.create_job(
                TICK_JOB,
                job_id=f"porch-reconcile-{slot}",
                timeout=TICK_TIMEOUT,
                result_ttl=60,
                failure_ttl=24 * 3600,
                description="reconcile running runs",
            )
            due = datetime.fromtimestamp(slot * TICK_SECONDS, tz=UTC)
            queue.schedule_job(job, due, pipeline=pipe)
            pipe.execute()
        except redis.WatchError:
            return False
    return True


def redeliver_missed(rt: Runtime) -> list[str]:
    """Ask GitHub to deliver again each handled delivery that never reached our queue.

    Our record of a delivery (`keys.delivery`) is written in the transaction that queues it;
    a delivery GitHub lists without one was refused (the web app down, Redis away) or lost
    with Redis's last second. Each is asked for once an hour at most; its repeat, should the
    first arrive after all, is dropped by the web app as a duplicate.
    """
    now = rt.clock()
    notes = []
    for delivery in recent_deliveries(rt.auth):
        age = now - delivery.delivered_at
        if not (DELIVERY_SETTLE_SECONDS < age < DELIVERY_WINDOW_SECONDS):
            continue
        if not is_handled(delivery.event, {"action": delivery.action}):
            continue
        if rt.redis.exists(keys.delivery(delivery.guid)):
            continue
        if not rt.redis.set(keys.redelivery(delivery.guid), 1, nx=True, ex=3600):
            continue
        redeliver(rt.auth, delivery.id)
        answer = delivery.status_code or "no answer"
        notes.append(f"delivery {delivery.guid} ({delivery.event}, {answer}) asked for again")
    return notes


def _slot(now: float) -> int:
    return math.floor(now / TICK_SECONDS)


def clean_started_jobs(connection: redis.Redis) -> None:
    """Fail the started jobs whose worker stopped sending heartbeats, through their failure
    callbacks (`workers.jobs.report_lost`), as a worker's maintenance would."""
    for queue in (events_queue(connection), builders_queue(connection)):
        try:
            StartedJobRegistry(queue=queue).cleanup()
        except redis.RedisError:
            log.exception("could not clean the started jobs of %s", queue.name)


def reconcile_run(rt: Runtime, run_id: str, *, with_github: bool = True) -> list[str]:
    """Mend one run: what was done, one line each; nothing when all is well.

    `with_github` adds the comparisons that read GitHub (`GITHUB_CHECKS`): the periodic tick
    makes them once a minute, to spare the installation's rate limit."""
    state = rt.store.load(run_id)
    if state is None or state.status is not RunStatus.RUNNING:
        if state is not None and state.status.finished:
            rt.redis.srem(keys.ACTIVE_RUNS, run_id)  # finished by a version before the set
        return []
    notes: list[str] = []
    history: list[LogEntry] | None = None
    for phase in state.phases.values():
        if not phase.status.active:
            continue
        note = _compare_with_rq(rt, state, phase, _awaited(state, phase))
        if note is not None:
            notes.append(note)
            continue
        limit = bound(phase.status)
        if limit is None:
            continue
        history = history if history is not None else rt.store.history(run_id)
        since = entered_at(history, phase)
        now = rt.clock()
        if since is not None and now - since > limit:
            rt.store.apply(run_id, _overdue(phase, int(now - since), now))
            notes.append(f"{phase.phase_id}: {phase.status} for {int(now - since)}s; failed")
    for check in GITHUB_CHECKS if with_github else ():
        notes += check(rt, state)
    return notes


def _awaited(state: RunState, phase: PhaseState) -> PhaseEffect:
    """The effect whose job the phase waits on, as the reducer emitted it."""
    pid = phase.phase_id
    if phase.status is PhaseStatus.MERGING and phase.merge_rungs:
        # GitHub's rung found a conflict: the phase waits on the rungs that need a clone.
        return ResolveMerge(
            phase_id=pid,
            attempt=phase.attempt,
            iteration=phase.iteration,
            branch=state.merge_branch_for(pid),
            heads=start_points(state, pid),
            resolve_branch=state.resolve_branch_for(pid),
            rungs=phase.merge_rungs,
        )
    if phase.status is PhaseStatus.MERGING:
        return MergeHeads(
            phase_id=pid,
            attempt=phase.attempt,
            iteration=phase.iteration,
            branch=state.merge_branch_for(pid),
            heads=start_points(state, pid),
        )
    if phase.status is PhaseStatus.PREPARING:
        starts = start_points(state, pid)
        if len(starts) == 1:
            return prepare(state, phase, starts[0])
        # Prepared at the merge of its dependencies' heads, whose commit only GitHub knows;
        # `_complete` asks for it should the job have to be enqueued again.
        return prepare(state, phase, StartPoint(ref=state.merge_branch_for(pid), sha=""))
    return RunBuilder(
        phase_id=pid, attempt=phase.attempt, iteration=phase.iteration, branch=phase.branch or ""
    )


def _compare_with_rq(
    rt: Runtime, state: RunState, phase: PhaseState, effect: PhaseEffect
) -> str | None:
    run_id, jid = state.run_id, job_id(state.run_id, effect)
    try:
        job: Job | None = Job.fetch(jid, connection=rt.redis)
        status = job.get_status() if job else None
    except NoSuchJobError:
        job, status = None, None
    if status in _ON_ITS_WAY:
        return None
    if job is None or status is None:
        rt.store.enqueue_again(state, _complete(rt, state, effect))
        return f"{phase.phase_id}: job {jid} was lost; enqueued it again"
    report = job.return_value() if status is JobStatus.FINISHED else None
    if isinstance(report, dict):
        event = event_from_dict(report)
        if isinstance(effect, RunBuilder) and phase.status is PhaseStatus.QUEUED:
            # The builder's start was lost with its report: the run hears both, in order.
            rt.store.apply(run_id, _started(effect, event.at))
        rt.store.apply(run_id, event)
        return f"{phase.phase_id}: applied again the lost report of {jid}"
    kind = KINDS[type(effect)]
    if kind.failed is None:
        return None
    reason = f"Its job ended ({status}) without a report the run could use."
    rt.store.apply(run_id, kind.failed(effect, reason, rt.clock()))
    return f"{phase.phase_id}: job {jid} ended {status} unheard; reported its failure"


def _complete(rt: Runtime, state: RunState, effect: PhaseEffect) -> PhaseEffect:
    """The effect with what only GitHub knows filled in (the commit of a merged start)."""
    if isinstance(effect, PreparePhase) and not effect.start.sha:
        repo = rt.repo(state.installation_id, state.repo)
        start = dataclasses.replace(effect.start, sha=repo.branch_sha(effect.start.ref))
        return dataclasses.replace(effect, start=start)
    return effect


def _started(effect: RunBuilder, at: float) -> BuilderStarted:
    return BuilderStarted(
        at=at, phase_id=effect.phase_id, attempt=effect.attempt, iteration=effect.iteration
    )


def _overdue(phase: PhaseState, seconds: int, at: float) -> PhaseOverdue:
    return PhaseOverdue(
        at=at,
        phase_id=phase.phase_id,
        attempt=phase.attempt,
        iteration=phase.iteration,
        status=phase.status.value,
        seconds=seconds,
    )
