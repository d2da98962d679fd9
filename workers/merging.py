"""The job that merges a phase's dependencies' heads into its start point."""

from __future__ import annotations

from bot.adapters.github.client import MergeConflict
from bot.core.effects import MergeHeads
from bot.core.events import HeadsMerged, MergeFailed
from bot.core.state import RunState
from workers.runtime import Runtime


def merge_heads(rt: Runtime, state: RunState, effect: MergeHeads) -> HeadsMerged | MergeFailed:
    """Merge the heads, in order, on the phase's `-base` branch, with GitHub's merges API.

    Idempotent: the branch starts at the first head only when it does not exist yet, and
    merging a head the branch already holds changes nothing. An existing branch that holds
    anything else fails the phase (ForeignObject), saying what it found.
    """
    repo = rt.repo(state.installation_id, state.repo)
    first, rest = effect.heads[0], effect.heads[1:]
    repo.ensure_merge_branch(effect.branch, [h.sha for h in effect.heads], rt.identity.name)
    merged = [first.phase_id]
    for head in rest:
        try:
            repo.merge(effect.branch, head.sha, f"Merge {head.phase_id} for {effect.phase_id}")
        except MergeConflict:
            return MergeFailed(
                at=rt.clock(),
                phase_id=effect.phase_id,
                attempt=effect.attempt,
                iteration=effect.iteration,
                error=(
                    f"Its dependencies do not merge cleanly: the work of {head.phase_id} "
                    f"conflicts with that of {', '.join(str(m) for m in merged)}. Resolving "
                    "such conflicts automatically is not supported yet; merge them by hand "
                    "and start the run again."
                ),
            )
        merged.append(head.phase_id)
    return HeadsMerged(
        at=rt.clock(),
        phase_id=effect.phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        branch=effect.branch,
        sha=repo.branch_sha(effect.branch),
    )
