"""Jobs that show a run's progress on GitHub: the phase check runs and the status comment.

Each renders the run as it is when the job runs, not as it was when the job was queued, and
requests coalesce, so a burst of events costs an edit or two.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rq import Queue

from bot.adapters import keys
from bot.adapters.github.client import RepoClient
from bot.adapters.jobs import RESULT_TTL
from bot.adapters.queues import EVENTS_QUEUE
from bot.core import access, render
from bot.core.effects import UpdateCheckRun, UpdateStatusComment, effect_to_dict, job_id
from bot.core.events import CheckRunOpened
from bot.core.gantt import gantt
from bot.core.state import PhaseStatus, RunState
from workers.runtime import Runtime

RENDER_LOCK_SECONDS = 300  # the job's own timeout: a slow GitHub keeps the lock
PERFORM_JOB = "workers.jobs.perform"  # named, not imported: workers.registry imports us


def ensure_check_run(repo: RepoClient, state: RunState, phase_id: str, head_sha: str) -> int:
    """The phase's check run on `head_sha`, created showing the phase's current state."""
    fields = render.check_run_output(state, phase_id)
    return repo.ensure_check_run(head_sha=head_sha, **fields)


def update_check_run(rt: Runtime, state: RunState, effect: UpdateCheckRun) -> None:
    """Make the phase's check run show the phase as it is now."""
    run_id, phase_id = state.run_id, effect.phase_id
    render_newest(
        rt,
        keys.render(run_id, f"check:{phase_id}"),
        lambda: _render_check_run(rt, run_id, phase_id),
    )


def _render_check_run(rt: Runtime, run_id: str, phase_id: str) -> None:
    state = rt.store.load(run_id)
    if state is None:
        return
    phase = state.phase(phase_id)
    repo = rt.repo(state.installation_id, state.repo)
    if phase.check_run_id is None:
        if phase.status in (PhaseStatus.FAILED, PhaseStatus.BLOCKED):
            # It stopped before it had a commit of its own: the run's base commit shows why.
            check_run_id = ensure_check_run(repo, state, phase_id, state.base_sha)
            opened = CheckRunOpened(at=rt.clock(), phase_id=phase_id, check_run_id=check_run_id)
            rt.store.apply(run_id, opened)
        return
    repo.update_check_run(phase.check_run_id, **render.check_run_output(state, phase_id))


def move_check_run(
    repo: RepoClient, state: RunState, phase_id: str, old: int | None, new: int, new_head: str
) -> None:
    """Close the phase's earlier check run, on another commit, as moved to `new_head`."""
    if old is None or old == new:
        return
    repo.update_check_run(
        old,
        status="completed",
        conclusion="neutral",
        output={
            "title": "Moved to the phase's new head",
            "summary": f"This phase's check continues on {new_head[:7]}.",
        },
        actions=[],
    )


def update_status_comment(rt: Runtime, state: RunState, effect: UpdateStatusComment) -> None:
    """Bring the status comment up to the newest state of the run, at most once per
    `status_interval`: sooner, one later job is scheduled to render whatever is newest then."""
    run_id = state.run_id
    key = keys.render(run_id, "status")
    # `/porch status` (and the later job below, due by now) render at once: a person asked.
    # So does a run's end, which happens once and is what everyone waits to see.
    at_once = effect.requested_at is not None or state.status.finished
    wait = 0.0 if at_once else _since_last_edit(rt, key)
    if wait > 0:
        rt.redis.set(f"{key}:dirty", 1)
        _render_later(rt, state, key, wait)
        return
    # A person who asked sees the comment edited, even when nothing in it changed.
    asked = effect.requested_at is not None
    render_newest(rt, key, lambda: _render_status_comment(rt, run_id, force=asked))


def _since_last_edit(rt: Runtime, key: str) -> float:
    """Seconds left before the comment may be edited again (0: now)."""
    last = rt.redis.get(f"{key}:edited")
    if last is None:
        return 0.0
    return float(last) + rt.settings.status_interval - rt.clock()


def _render_later(rt: Runtime, state: RunState, key: str, wait: float) -> None:
    # One later job at a time: it renders the newest state when it runs, so more are useless.
    if not rt.redis.set(f"{key}:later", 1, nx=True, px=max(1, int(wait * 1000))):
        return
    due = rt.clock() + wait
    effect = UpdateStatusComment(version=state.version, requested_at=due)
    Queue(EVENTS_QUEUE, connection=rt.redis).enqueue_at(
        datetime.fromtimestamp(due, tz=UTC),
        PERFORM_JOB,
        args=(state.run_id, effect_to_dict(effect)),
        job_id=job_id(state.run_id, effect),
        job_timeout=RENDER_LOCK_SECONDS,
        result_ttl=RESULT_TTL,
    )


def render_newest(rt: Runtime, key: str, render_now: Callable[[], None]) -> None:
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


def _render_status_comment(rt: Runtime, run_id: str, force: bool = False) -> None:
    state = rt.store.load(run_id)
    if state is None:
        return
    known = rt.redis.get(keys.status_comment(run_id))
    comment_id = rt.repo(state.installation_id, state.repo).upsert_comment(
        state.issue_number,
        render.status_marker(run_id),
        status_comment_body(rt, state),
        int(known) if known else None,
        force=force,
    )
    rt.redis.set(keys.status_comment(run_id), comment_id)
    if rt.settings.status_interval > 0:
        edited = f"{keys.render(run_id, 'status')}:edited"
        rt.redis.set(edited, repr(rt.clock()), ex=max(1, int(rt.settings.status_interval) + 1))


def status_comment_body(rt: Runtime, state: RunState) -> str:
    """The status comment: with a signed dashboard link when the dashboard has an address,
    and the gantt of real times once the run is over."""
    settings = rt.settings
    link = None
    if settings.public_url:
        key = access.link_key(settings.github_webhook_secret)
        link = access.run_link(settings.public_url, key, state.run_id, rt.clock())
    chart = gantt(state, rt.store.history(state.run_id)) if state.status.finished else None
    return render.status_comment(state, dashboard_url=link, gantt=chart)
