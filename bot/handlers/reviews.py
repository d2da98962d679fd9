"""Reviews of phase PRs as consultations: submitted and dismissed reviews reach their run.

A review counts when its author has write access, checked as for commands; anyone else's
review is left alone (it is their right to review; it just does not gate the run), without a
reply. Reviews by bots, the App's own consultants included, are not read here: a consultant's
verdict reaches the run from the job that ran it. The run decides whether a review is stale
(another head, a phase no longer consulting) or repeated (a review id it has seen).
"""

from __future__ import annotations

import logging

from gidgethub import sansio
from gidgethub.routing import Router

from bot.core.events import ReviewDismissed
from bot.handlers.context import Context
from bot.inputs.payloads import PullRequestReview, pull_request_review_from
from workers.consulting import consultation_of

log = logging.getLogger(__name__)
router = Router()


@router.register("pull_request_review", action="submitted")
async def review_submitted(event: sansio.Event, ctx: Context) -> None:
    review = pull_request_review_from(event.data)
    found = _phase_of(ctx, review)
    if found is None:
        return
    run_id, phase_id = found
    repo = ctx.runtime.repo(review.repo.installation_id, review.repo.full_name)
    counted = consultation_of(repo, review, phase_id, ctx.runtime.clock())
    if counted is not None:
        ctx.runtime.store.apply(run_id, counted)


@router.register("pull_request_review", action="dismissed")
async def review_dismissed(event: sansio.Event, ctx: Context) -> None:
    # Only people with write access can dismiss a review on GitHub: no check of our own.
    review = pull_request_review_from(event.data)
    found = _phase_of(ctx, review)
    if found is None:
        return
    run_id, phase_id = found
    ctx.runtime.store.apply(
        run_id,
        ReviewDismissed(
            at=ctx.runtime.clock(),
            phase_id=phase_id,
            review_id=review.review_id,
            by=review.sender,
        ),
    )


def _phase_of(ctx: Context, review: PullRequestReview) -> tuple[str, str] | None:
    found = ctx.runtime.store.pull(review.repo.full_name, review.pr_number)
    if found is None:
        log.info("delivery %s: #%s is no phase PR", ctx.delivery_id, review.pr_number)
    return found
