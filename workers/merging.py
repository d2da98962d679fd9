"""The first rung of the merge ladder: GitHub's merges API, on the events queue.

A conflict here is no failure: the phase stays `merging` and the rungs that need a clone (a
local merge with per-path strategies, then the resolver builder) run on a builder worker, so
that events workers never hold a clone. See workers/resolving.py.
"""

from __future__ import annotations

from bot.adapters.github.client import MergeConflict
from bot.core.effects import MergeHeads
from bot.core.events import HeadsMerged, MergeEscalated
from bot.core.state import RunState
from workers.runtime import Runtime


def merge_heads(rt: Runtime, state: RunState, effect: MergeHeads) -> HeadsMerged | MergeEscalated:
    """Merge the heads, in order, on the phase's `-base` branch, with GitHub's merges API.

    Idempotent: the branch starts at the first head only when it does not exist yet, and
    merging a head the branch already holds changes nothing. An existing branch that holds
    anything else fails the phase (ForeignObject), saying what it found.
    """
    repo = rt.repo(state.installation_id, state.repo)
    first, rest = effect.heads[0], effect.heads[1:]
    repo.ensure_merge_branch(effect.branch, [h.sha for h in effect.heads], rt.identity.name)
    merged = [str(first.phase_id)]
    for head in rest:
        try:
            repo.merge(effect.branch, head.sha, f"Merge {head.phase_id} for {effect.phase_id}")
        except MergeConflict:
            note = f"github: {head.phase_id} conflicts with {', '.join(merged)}"
            return MergeEscalated(
                at=rt.clock(),
                phase_id=effect.phase_id,
                attempt=effect.attempt,
                iteration=effect.iteration,
                rungs=(note,),
            )
        merged.append(str(head.phase_id))
    return HeadsMerged(
        at=rt.clock(),
        phase_id=effect.phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        branch=effect.branch,
        sha=repo.branch_sha(effect.branch),
        rungs=("github: merged",),
    )
