"""Conflicts predicted from git, each time a phase is pushed: `git merge-tree` of its new head
with the pushed heads of the phases beside it (neither builds on the other), in the builder's
clone. The status comment, the batch consultation comment and the siblings' next prompts show
them before the merge that would hit them.
"""

from __future__ import annotations

import fnmatch
import logging
from pathlib import Path

from bot.adapters.git import GitAuth, GitError, fetch, merge_tree_conflicts, set_merge_strategies
from bot.core.state import PredictedConflict, RunState
from bot.inputs.config import RepoConfig

log = logging.getLogger(__name__)


def sibling_conflicts(
    state: RunState, phase_id: str, work: Path, auth: GitAuth, config: RepoConfig
) -> tuple[PredictedConflict, ...]:
    """What would conflict between `work`'s HEAD and each sibling's pushed head.

    Best effort: a prediction that cannot be made (a branch gone, git failing) is logged and
    left out, never a reason to fail the build whose work is already pushed.
    """
    siblings = {
        pid: phase.branch
        for pid in state.concurrent(phase_id)
        if (phase := state.phase(pid)).branch
        and phase.head_sha
        and phase.head_sha != phase.start_sha
    }
    if not siblings:
        return ()
    # Files the local merge settles by itself (union and ours drivers) are no conflict.
    strategies = (*config.merge.union_merge, *config.merge.ours_merge)
    found = []
    try:
        set_merge_strategies(work, config.merge.union_merge, config.merge.ours_merge)
        fetch(work, [str(b) for b in siblings.values()], auth)
        for pid, branch in siblings.items():
            files = merge_tree_conflicts(work, "HEAD", f"refs/remotes/origin/{branch}", auth)
            files = tuple(f for f in files if not _settled(f, strategies))
            if files:
                pair = (phase_id, pid) if _before(state, phase_id, pid) else (pid, phase_id)
                found.append(PredictedConflict(phases=pair, paths=files, source="git"))
    except GitError as exc:
        log.warning("run %s: no conflict prediction for %s: %s", state.run_id, phase_id, exc)
        return ()
    return tuple(found)


def _settled(path: str, patterns: tuple[str, ...]) -> bool:
    # As in .gitattributes: a pattern without a slash matches the file name at any depth.
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(path if "/" in p else name, p.lstrip("/")) for p in patterns)


def _before(state: RunState, a: str, b: str) -> bool:
    order = list(state.phases)
    return order.index(a) < order.index(b)
