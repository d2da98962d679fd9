"""The integration job, on the builders queue: merge the phases nothing depends on (and the
base branch if it moved) on the integration branch, run the checks, open the integration PR.

It clones, merges and runs the configured checks, which take as long as a builder's: builder
workers take it, so events workers stay quick.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.adapters.git import (
    GitAuth,
    clone,
    fetch,
    head,
    is_ancestor,
    merge,
    push,
    set_merge_strategies,
)
from bot.adapters.process import run_command
from bot.adapters.sandbox import for_repository, sandbox_problem
from bot.core import integration
from bot.core.effects import OpenIntegration
from bot.core.events import IntegrationFailed, IntegrationOpened
from bot.core.state import RunState, RunStatus
from workers.runtime import Runtime


def open_integration(
    rt: Runtime, state: RunState, effect: OpenIntegration
) -> IntegrationOpened | IntegrationFailed | None:
    """The integration branch, checked, and its PR into the base branch, ready for review."""
    if state.status is not RunStatus.INTEGRATING:
        return None  # cancelled meanwhile, or a repeated job after the PR was opened
    config = rt.store.load_config(state.run_id)
    repo = rt.repo(state.installation_id, state.repo)
    auth = GitAuth(rt.auth.token(state.installation_id))
    leaves = [(pid, state.phase(pid)) for pid in state.leaves()]
    if not leaves:
        return IntegrationFailed(at=rt.clock(), error="No phase did any work to integrate.")
    branch = state.integration_branch
    first = leaves[0][1].head_sha or state.base_sha
    repo.ensure_branch(branch, first)
    rungs: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"porch-{state.run_id}-integration-") as tmp:
        work = Path(tmp) / "work"
        clone(repo.clone_url(), work, branch, auth)
        fetch(work, [p.branch or "" for _, p in leaves] + [state.base_branch], auth)
        set_merge_strategies(work, config.merge.union_merge, config.merge.ours_merge)
        points = [(pid, p.head_sha or "") for pid, p in leaves[1:]]
        base_now = repo.branch_sha(state.base_branch)
        if base_now != state.base_sha:
            points.append((state.base_branch, base_now))
        for name, sha in points:
            if is_ancestor(work, sha):
                continue
            files = merge(work, sha, f"Merge {name} for the integration PR", rt.identity, auth)
            if files:
                return IntegrationFailed(
                    at=rt.clock(),
                    error=(
                        f"{name} does not merge into the integration branch: conflicts in "
                        f"{', '.join(files)}. Merge it into `{branch}` by hand and open the "
                        "pull request yourself."
                    ),
                )
            rungs.append(f"merged {name}")
        log_path = Path(tmp) / "checks.log"
        # The repository's checks, in the builder's sandbox as everywhere else.
        sandbox = for_repository(config.builder, work)
        if config.checks and sandbox.enabled and (problem := sandbox_problem()) is not None:
            return IntegrationFailed(at=rt.clock(), error=problem)
        for check in config.checks:
            result = run_command(
                check,
                work,
                env={"PORCH_RUN_ID": state.run_id, "PORCH_BRANCH": branch},
                timeout_s=config.builder.timeout_minutes * 60,
                log_path=log_path,
                secrets=[auth.token],
                sandbox=sandbox,
            )
            if not result.ok:
                return IntegrationFailed(
                    at=rt.clock(),
                    error=f"A check failed on the integration branch:\n{result.log_tail}",
                )
        push(work, branch, auth)
        sha = head(work)
    text = integration.body(state, tuple(rungs))
    pull = repo.ensure_pull(branch, state.base_branch, integration.title(state), text, draft=False)
    repo.ensure_check_run(
        name="porch: integration",
        head_sha=sha,
        external_id=f"{state.run_id}:integration",
        status="completed",
        conclusion="success",
        output={"title": integration.title(state), "summary": text},
    )
    return IntegrationOpened(at=rt.clock(), pr_number=pull.number, sha=sha, rungs=tuple(rungs))
