"""Pull requests closing: a merged integration PR closes the run's phase PRs and deletes its
branches."""

from __future__ import annotations

import logging

from gidgethub import sansio
from gidgethub.routing import Router

from bot.adapters.github.client import RepoClient
from bot.adapters.store import INTEGRATION
from bot.core.state import RunState
from bot.handlers.context import Context
from bot.inputs.payloads import pull_closed_from

log = logging.getLogger(__name__)
router = Router()


@router.register("pull_request", action="closed")
async def integration_merged(event: sansio.Event, ctx: Context) -> None:
    closed = pull_closed_from(event.data)
    if not closed.merged:
        return
    store = ctx.runtime.store
    found = store.pull(closed.repo.full_name, closed.number)
    if found is None or found[1] != INTEGRATION:
        return  # a phase PR merged by hand, or a PR that is none of ours
    state = store.load(found[0])
    if state is None or not store.load_config(state.run_id).cleanup:
        return
    repo = ctx.runtime.repo(closed.repo.installation_id, closed.repo.full_name)
    clean_up(repo, state, closed.number)
    log.info("run %s: integration PR #%s merged; cleaned up", state.run_id, closed.number)


def clean_up(repo: RepoClient, state: RunState, integration_pr: int) -> None:
    """Close the phase PRs with a link to the integration PR, then delete every run branch.

    Repeatable: a closed PR and a missing branch are passed over.
    """
    note = (
        f"Merged into `{state.base_branch}` with the integration PR #{integration_pr}, "
        "together with the other phases of this run. Closing; the branch is deleted."
    )
    for phase in state.phases.values():
        if phase.pr_number is not None:
            repo.close_pull(phase.pr_number, note)
    for branch in run_branches(state):
        repo.delete_branch(branch)


def run_branches(state: RunState) -> list[str]:
    """Every branch the run may have made: phases, merge bases, resolve branches, integration."""
    found: list[str] = []
    for pid in state.phases:
        found += [state.branch_for(pid), state.merge_branch_for(pid), state.resolve_branch_for(pid)]
    return [*found, state.integration_branch]
