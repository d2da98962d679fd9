"""A phase's check run as a control: its **Re-run** and its "Retry phase" / "Skip phase"
buttons, each gated on write access like the commands."""

from __future__ import annotations

import logging

from gidgethub import sansio
from gidgethub.routing import Router

from bot.adapters import keys
from bot.adapters.github.client import RepoClient
from bot.core import messages, render
from bot.core.events import Event, RetryRequested, SkipRequested
from bot.core.reducer import control
from bot.core.state import RunState
from bot.handlers.context import Context
from bot.inputs.commands import may_change_runs
from bot.inputs.payloads import CheckRunRequest, check_run_request_from

log = logging.getLogger(__name__)
router = Router()

ANSWERED_TTL = 24 * 3600
_BUTTONS = {render.RETRY_ACTION: "Retry phase", render.SKIP_ACTION: "Skip phase"}


@router.register("check_run", action="rerequested")
async def rerun_phase(event: sansio.Event, ctx: Context) -> None:
    """GitHub's Re-run on a phase's check run: retry the phase when it stopped."""
    _act(ctx, check_run_request_from(event.data), render.RETRY_ACTION, "Re-run")


@router.register("check_run", action="requested_action")
async def press_button(event: sansio.Event, ctx: Context) -> None:
    """One of the buttons the bot put on a stopped phase's check run."""
    request = check_run_request_from(event.data)
    button = _BUTTONS.get(request.identifier)
    if button is None:
        log.info("delivery %s: unknown check run action %r", ctx.delivery_id, request.identifier)
        return
    _act(ctx, request, request.identifier, button)


def _act(ctx: Context, request: CheckRunRequest, action: str, button: str) -> None:
    ref = render.check_run_ref(request.external_id)
    state = ctx.runtime.store.load(ref[0]) if ref else None
    # Only our own check runs: the run must exist in this very repository and hold the phase.
    if ref is None or state is None or state.repo != request.repo.full_name:
        return
    phase_id = ref[1]
    if phase_id not in state.phases:
        return
    repo = ctx.runtime.repo(request.repo.installation_id, request.repo.full_name)
    if not may_change_runs(repo.permission(request.sender)):
        log.info("refused %s: %s lacks write access", ctx.delivery_id, request.sender)
        _refuse_once(ctx, repo, state, request, button)
        return
    event = _event(state, phase_id, action, request.sender, ctx.runtime.clock())
    if event is None:
        log.info("delivery %s: %s on %s changes nothing", ctx.delivery_id, button, phase_id)
        return
    ctx.runtime.store.apply(state.run_id, event)


def _event(state: RunState, phase_id: str, action: str, by: str, at: float) -> Event | None:
    if action == render.RETRY_ACTION and control.why_not_retry(state, phase_id) is None:
        return RetryRequested(at=at, phase_id=phase_id, by=by)
    if action == render.SKIP_ACTION and control.why_not_skip(state, phase_id) is None:
        return SkipRequested(at=at, phase_id=phase_id, by=by)
    return None


def _refuse_once(
    ctx: Context, repo: RepoClient, state: RunState, request: CheckRunRequest, button: str
) -> None:
    """One polite answer on the run's issue per check run, person and button."""
    key = keys.answered(request.repo.id, request.check_run_id, f"{button}:{request.sender}")
    if not ctx.runtime.redis.set(key, ctx.delivery_id, nx=True, ex=ANSWERED_TTL):
        return
    marker = (
        f"<!-- porch-parallel:answer check_run={request.check_run_id} "
        f"button={button} user={request.sender} -->"
    )
    try:
        repo.comment(state.issue_number, messages.button_refusal(request.sender, button), marker)
    except Exception:
        ctx.runtime.redis.delete(key)
        raise
