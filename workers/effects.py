"""Jobs that perform the reducer's short effects on GitHub and report back as events.

Each job takes the run id and the effect (as a dict), loads the run as it is now, and does
nothing when the run has moved on (a late or repeated job). Failures that GitHub reports after
our retries become events too, so a run never waits forever on a job that gave up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from github import GithubException
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from bot.adapters.github.client import MergeConflict, RepoClient, is_transient
from bot.adapters.jobs import builder_job_id, stop_flag_key
from bot.adapters.store import comment_key
from bot.core import render
from bot.core.effects import PreparePhase, effect_from_dict
from bot.core.events import PhasePrepared, PhasePrepareFailed
from bot.core.state import PhaseStatus, RunState
from bot.plan.parse import parse_plan
from bot.runtime import Runtime

log = logging.getLogger(__name__)

RENDER_LOCK_SECONDS = 300  # the job's own timeout: a slow GitHub keeps the lock
STOP_FLAG_SECONDS = 24 * 3600


def ensure_check_run(repo: RepoClient, state: RunState, phase_id: str, head_sha: str) -> int:
    """The phase's check run on `head_sha`, created showing the phase's current state."""
    fields = render.check_run_output(state, phase_id)
    return repo.ensure_check_run(head_sha=head_sha, **fields)


def prepare_phase(run_id: str, effect_data: dict[str, Any]) -> None:
    rt = Runtime.for_job()
    effect = effect_from_dict(effect_data)
    assert isinstance(effect, PreparePhase)
    state = rt.store.awaiting(run_id, effect.phase_id, effect.attempt, PhaseStatus.PREPARING)
    if state is None:
        return
    repo = rt.repo(state.installation_id, state.repo)
    try:
        event: PhasePrepared | PhasePrepareFailed = _prepare(rt, repo, state, effect)
    except Exception as exc:
        if is_transient(exc):
            raise  # RQ tries again later (bot.adapters.jobs); after the last try the phase fails
        log.exception("run %s: prepare %s failed", run_id, effect.key)
        event = PhasePrepareFailed(
            at=rt.clock(),
            phase_id=effect.phase_id,
            attempt=effect.attempt,
            error=_prepare_error(exc),
        )
    rt.store.apply(run_id, event)


def _prepare_error(exc: Exception) -> str:
    if isinstance(exc, MergeConflict):
        return (
            f"Its dependencies do not merge cleanly: {exc}. "
            "Resolving such conflicts automatically is not supported yet; merge them by hand "
            "and start the run again."
        )
    if isinstance(exc, GithubException):
        return f"GitHub answered {exc.status} while creating the branch or PR."
    return f"Preparing the phase failed: {type(exc).__name__}."


def _prepare(rt: Runtime, repo: RepoClient, state: RunState, effect: PreparePhase) -> PhasePrepared:
    phase_id = effect.phase_id
    first, rest = effect.start[0], effect.start[1:]
    if rest:
        # Several dependencies: their merge lives on its own branch, which the PR targets.
        repo.ensure_branch(effect.base_branch, first.sha)
        merged = [first.phase_id]
        for point in rest:
            try:
                repo.merge(effect.base_branch, point.sha, f"Merge {point.phase_id} for {phase_id}")
            except MergeConflict as conflict:
                raise MergeConflict(
                    f"the work of {point.phase_id} conflicts with that of "
                    f"{', '.join(str(m) for m in merged)}"
                ) from conflict
            merged.append(point.phase_id)
        start_sha = repo.branch_sha(effect.base_branch)
    else:
        start_sha = first.sha
    head = repo.ensure_started_branch(
        effect.branch, start_sha, f"Start {phase_id}: {state.titles[phase_id]}"
    )
    pull = repo.ensure_pull(
        head=effect.branch,
        base=effect.base_branch,
        title=f"{state.titles[phase_id]} ({phase_id})",
        body=_pull_body(state, phase_id),
        draft=True,
    )
    check_run_id = ensure_check_run(repo, state, phase_id, head)
    return PhasePrepared(
        at=rt.clock(),
        phase_id=phase_id,
        attempt=effect.attempt,
        branch=effect.branch,
        base_branch=effect.base_branch,
        pr_number=pull.number,
        check_run_id=check_run_id,
        # The branch's own first commit: its check run lives there until the builder pushes.
        base_sha=head,
    )


def _pull_body(state: RunState, phase_id: str) -> str:
    section = parse_plan(state.plan_text).phase(phase_id).section
    deps = ", ".join(state.deps[phase_id]) or "none"
    return (
        f"Phase `{phase_id}` of the plan in #{state.issue_number} ({state.plan_source}), "
        f"built by porch-parallel. Depends on: {deps}.\n\n"
        "This draft PR targets the branch the phase started from, so its diff is this "
        f"phase's work alone.\n\n---\n\n{section.strip()}\n"
    )


def update_check_run(run_id: str, effect_data: dict[str, Any]) -> None:
    """Make the phase's check run show the phase as it is now."""
    rt = Runtime.for_job()
    phase_id = str(effect_data["phase_id"])
    _render_newest(
        rt, f"porch:run:{run_id}:check:{phase_id}", lambda: _render_check_run(rt, run_id, phase_id)
    )


def _render_check_run(rt: Runtime, run_id: str, phase_id: str) -> None:
    state = rt.store.load(run_id)
    check_run_id = state.phase(phase_id).check_run_id if state else None
    if state is None or check_run_id is None:
        return
    fields = render.check_run_output(state, phase_id)
    rt.repo(state.installation_id, state.repo).update_check_run(check_run_id, **fields)


def update_status_comment(run_id: str, effect_data: dict[str, Any]) -> None:
    """Bring the status comment up to the newest state of the run."""
    rt = Runtime.for_job()
    _render_newest(rt, f"porch:run:{run_id}:status", lambda: _render_status_comment(rt, run_id))


def _render_newest(rt: Runtime, key: str, render_now: Callable[[], None]) -> None:
    """Render something that shows the run's state (a comment, a check run) once it is asked.

    Requests coalesce: each job marks `key` dirty, and whoever holds its lock renders until it
    is clean. Many events (or `/porch status` lines) arriving at once cost a render or two,
    never one edit each, and a render of an older state never lands after a newer one.
    """
    dirty = f"{key}:dirty"
    rt.redis.set(dirty, 1)
    lock = rt.redis.lock(f"{key}:lock", timeout=RENDER_LOCK_SECONDS)
    while rt.redis.exists(dirty):
        if not lock.acquire(blocking=False):
            return  # the holder sees the mark and renders again before letting go
        try:
            while rt.redis.delete(dirty):
                render_now()
        finally:
            lock.release()


def _render_status_comment(rt: Runtime, run_id: str) -> None:
    state = rt.store.load(run_id)
    if state is None:
        return
    known = rt.redis.get(comment_key(run_id))
    comment_id = rt.repo(state.installation_id, state.repo).upsert_comment(
        state.issue_number,
        render.status_marker(run_id),
        render.status_comment(state),
        int(known) if known else None,
    )
    rt.redis.set(comment_key(run_id), comment_id)


def cancel_builder(run_id: str, effect_data: dict[str, Any]) -> None:
    """Stop a builder: a queued job is cancelled, a running one told to stop its agent.

    A running job is asked through Redis rather than killed (RQ's stop command kills the work
    horse, not the agent in its own process group): it stops the agent's whole group, cleans
    up its directory, and reports; the run has moved on, so the report changes nothing.
    """
    rt = Runtime.for_job()
    job_id = builder_job_id(run_id, str(effect_data["phase_id"]), int(effect_data["attempt"]))
    rt.redis.set(stop_flag_key(job_id), 1, ex=STOP_FLAG_SECONDS)
    try:
        job = Job.fetch(job_id, connection=rt.redis)
    except NoSuchJobError:
        return
    if job.get_status() in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        try:
            job.cancel()
        except InvalidJobOperation:
            log.info("run %s: builder %s started meanwhile; it will stop", run_id, job_id)
