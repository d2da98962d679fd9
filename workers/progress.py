"""Jobs that show a run's progress on GitHub: the phase check runs and the status comment.

Each renders the run as it is when the job runs, not as it was when the job was queued, and
requests coalesce, so a burst of events costs an edit or two.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.adapters import keys
from bot.adapters.github.client import RepoClient
from bot.core import access, render
from bot.core.effects import UpdateCheckRun, UpdateStatusComment
from bot.core.gantt import gantt
from bot.core.state import RunState
from workers.runtime import Runtime

RENDER_LOCK_SECONDS = 300  # the job's own timeout: a slow GitHub keeps the lock


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
    check_run_id = state.phase(phase_id).check_run_id if state else None
    if state is None or check_run_id is None:
        return
    fields = render.check_run_output(state, phase_id)
    rt.repo(state.installation_id, state.repo).update_check_run(check_run_id, **fields)


def update_status_comment(rt: Runtime, state: RunState, effect: UpdateStatusComment) -> None:
    """Bring the status comment up to the newest state of the run."""
    run_id = state.run_id
    render_newest(rt, keys.render(run_id, "status"), lambda: _render_status_comment(rt, run_id))


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


def _render_status_comment(rt: Runtime, run_id: str) -> None:
    state = rt.store.load(run_id)
    if state is None:
        return
    known = rt.redis.get(keys.status_comment(run_id))
    comment_id = rt.repo(state.installation_id, state.repo).upsert_comment(
        state.issue_number,
        render.status_marker(run_id),
        status_comment_body(rt, state),
        int(known) if known else None,
    )
    rt.redis.set(keys.status_comment(run_id), comment_id)


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
