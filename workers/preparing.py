"""The job that makes a phase's branch, its draft PR and its check run."""

from __future__ import annotations

from dataclasses import replace

from bot.core import render
from bot.core.effects import PreparePhase
from bot.core.events import PhasePrepared
from bot.core.state import PhaseStatus, RunState
from workers.progress import ensure_check_run, move_check_run
from workers.runtime import Runtime


def prepare_phase(rt: Runtime, state: RunState, effect: PreparePhase) -> PhasePrepared:
    """The branch starts with an empty commit on the start point, so the draft PR can open
    before any work exists; each step finds its own earlier result before creating it."""
    repo = rt.repo(state.installation_id, state.repo)
    phase_id = effect.phase_id
    head = repo.ensure_started_branch(
        effect.branch,
        effect.start.sha,
        f"Start {phase_id}: {state.titles[phase_id]}",
        rt.identity.name,
    )
    pull = repo.ensure_pull(
        head=effect.branch,
        base=effect.base_branch,
        title=f"{state.titles[phase_id]} ({phase_id})",
        body=_pull_body(state, phase_id),
        draft=True,
    )
    # Made showing the phase as it will be once prepared (queued, its PR known), so no edit
    # needs to follow its creation.
    shown = state.with_phase(
        replace(
            state.phase(phase_id),
            status=PhaseStatus.QUEUED,
            branch=effect.branch,
            base_branch=effect.base_branch,
            pr_number=pull.number,
        )
    )
    check_run_id = ensure_check_run(repo, shown, phase_id, head)
    # A retried phase may have had its check run elsewhere (the run's base commit, when it
    # failed before it had a branch): that one is closed, pointing here.
    move_check_run(repo, state, phase_id, state.phase(phase_id).check_run_id, check_run_id, head)
    return PhasePrepared(
        at=rt.clock(),
        phase_id=phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        branch=effect.branch,
        base_branch=effect.base_branch,
        pr_number=pull.number,
        check_run_id=check_run_id,
        # The branch's own first commit: its check run lives there until the builder pushes.
        base_sha=head,
    )


def _pull_body(state: RunState, phase_id: str) -> str:
    """What the PR is for, then the phase's section of the plan, within GitHub's limit."""
    deps = ", ".join(state.deps[phase_id]) or "none"
    issue = state.phase_issues.get(phase_id)
    # "Part of", not "Closes": the sub-issue is closed by the integration PR, once it merges.
    part_of = f"Part of #{issue}.\n\n" if issue is not None else ""
    intro = (
        f"{part_of}Phase `{phase_id}` of the plan in #{state.issue_number} "
        f"({state.plan_source}), built by porch-parallel. Depends on: {deps}.\n\n"
        "This draft PR targets the branch the phase started from, so its diff is this "
        "phase's work alone.\n\n---\n\n"
    )
    section = state.sections.get(phase_id, "").strip()
    room = render.GITHUB_TEXT_LIMIT - len(intro) - 1
    if len(intro) + len(section) + 1 > render.GITHUB_TEXT_LIMIT:
        note = f"\n\n… (the rest of this section is in #{state.issue_number})"
        section = section[: max(0, room - len(note))] + note
    return _fit(f"{intro}{section}\n")


def _fit(text: str) -> str:
    # Dependency lists of huge plans could still overflow; GitHub would refuse the PR.
    limit = render.GITHUB_TEXT_LIMIT
    return text if len(text) <= limit else text[: limit - 1] + "…"
