"""Jobs that ask for a batch's consultation: one comment on the issue listing its phases, and
one round of review requests on their PRs; and the comment brought up to date with verdicts."""

from __future__ import annotations

import logging

from github import GithubException

from bot.adapters import keys
from bot.adapters.github.client import RepoClient
from bot.core.consultation import FileStat, batch_comment, batch_marker
from bot.core.effects import RequestConsultation, SummariseConsultation
from bot.core.events import ReviewSubmitted
from bot.core.state import PhaseStatus, RunState, Verdict
from bot.inputs.commands import may_change_runs
from bot.inputs.payloads import PullRequestReview
from workers.progress import render_newest
from workers.runtime import Runtime

log = logging.getLogger(__name__)


def request_consultation(rt: Runtime, state: RunState, effect: RequestConsultation) -> None:
    """Ask the configured reviewers on each PR of the batch, then post the batch's comment."""
    repo = rt.repo(state.installation_id, state.repo)
    batch = next(b for b in state.batches if b.number == effect.batch)
    reviewers = list(state.settings.consultation.reviewers)
    for pid in batch.phases:
        phase = state.phase(pid)
        if phase.pr_number is None or phase.status is not PhaseStatus.CONSULTING:
            continue
        try:
            repo.request_reviewers(phase.pr_number, reviewers)
        except GithubException as exc:
            if exc.status >= 500:
                raise
            # A reviewer who is not a collaborator is refused by GitHub: the others still
            # review, and the comment names everyone asked.
            log.warning(
                "run %s: review request on #%s refused: %s",
                state.run_id,
                phase.pr_number,
                exc.status,
            )
    _summarise(rt, state.run_id, effect.batch)


def summarise_consultation(rt: Runtime, state: RunState, effect: SummariseConsultation) -> None:
    """Bring the batch's comment up to date with its consultants' verdicts."""
    _summarise(rt, state.run_id, effect.batch)


def _summarise(rt: Runtime, run_id: str, batch: int) -> None:
    render_newest(rt, keys.render(run_id, f"batch:{batch}"), lambda: _render(rt, run_id, batch))


def _render(rt: Runtime, run_id: str, number: int) -> None:
    state = rt.store.load(run_id)
    if state is None:
        return
    repo = rt.repo(state.installation_id, state.repo)
    batch = next(b for b in state.batches if b.number == number)
    files = {pid: _files(repo, state, pid) for pid in batch.phases}
    repo.upsert_comment(
        state.issue_number,
        batch_marker(run_id, number),
        batch_comment(state, number, files),
        None,
    )


def _files(repo: RepoClient, state: RunState, phase_id: str) -> list[FileStat]:
    number = state.phase(phase_id).pr_number
    return repo.pull_file_stats(number) if number else []


_VERDICTS = {
    "approved": Verdict.APPROVE,
    "changes_requested": Verdict.REQUEST_CHANGES,
    "commented": Verdict.COMMENT,
}


def consultation_of(
    repo: RepoClient, review: PullRequestReview, phase_id: str, at: float
) -> ReviewSubmitted | None:
    """The event a submitted review makes, or None when it does not count: a bot's, one with
    no verdict, or one by someone without write access. The reconciler asks the same."""
    verdict = _VERDICTS.get(review.state)
    if verdict is None or review.reviewer_type == "Bot":
        return None
    if not may_change_runs(repo.permission(review.reviewer)):
        log.info(
            "review %s of #%s by %s does not count: no write access",
            review.review_id,
            review.pr_number,
            review.reviewer,
        )
        return None
    return ReviewSubmitted(
        at=at,
        phase_id=phase_id,
        review_id=review.review_id,
        reviewer=review.reviewer,
        verdict=verdict,
        head_sha=review.commit_id,
        body=review.body,
        comments=tuple(repo.review_comments(review.pr_number, review.review_id)),
    )
