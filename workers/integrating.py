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
    git,
    head,
    is_ancestor,
    merge,
    push,
    set_merge_strategies,
)
from bot.adapters.github.client import RepoClient
from bot.adapters.process import run_command
from bot.adapters.sandbox import for_repository, sandbox_problem
from bot.core import conflicts, integration, messages
from bot.core.effects import AskToResolveIntegration, OpenIntegration
from bot.core.events import IntegrationFailed, IntegrationNeedsPerson, IntegrationOpened
from bot.core.state import RunState, RunStatus
from bot.inputs.config import RepoConfig
from workers.resolving import Resolution, hunks_of, run_resolver, still_marked
from workers.runtime import Runtime


def open_integration(
    rt: Runtime, state: RunState, effect: OpenIntegration
) -> IntegrationOpened | IntegrationFailed | IntegrationNeedsPerson | None:
    """The integration branch, checked, and its PR into the base branch, ready for review.

    Each head climbs the ladder's clone rungs: a local merge with the per-path strategies,
    then the resolver builder; a conflict neither settles goes to a person, on this branch.
    """
    if state.status is not RunStatus.INTEGRATING or state.integration_conflict is not None:
        return None  # cancelled meanwhile, a repeated job, or waiting for a person
    if effect.round != state.integration_round:
        return None
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
        points = [(pid, p.head_sha or "") for pid, p in leaves]
        base_now = repo.branch_sha(state.base_branch)
        if base_now != state.base_sha:
            points.append((state.base_branch, base_now))
        asked = _merge_all(rt, state, config, effect, Path(tmp), auth, points, rungs)
        if asked is not None:
            return asked
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


def _merge_all(
    rt: Runtime,
    state: RunState,
    config: RepoConfig,
    effect: OpenIntegration,
    tmp: Path,
    auth: GitAuth,
    points: list[tuple[str, str]],
    rungs: list[str],
) -> IntegrationNeedsPerson | None:
    """Merge each head into the clone at `tmp/work`, a rung at a time, noting each in `rungs`;
    the request for a person when a conflict is left, after pushing what merged before it."""
    work, branch = tmp / "work", state.integration_branch
    merged: list[str] = []
    for name, sha in points:
        if is_ancestor(work, sha):
            merged.append(name)
            continue
        before = head(work)
        message = f"Merge {name} for the integration PR"
        files = merge(work, sha, message, rt.identity, auth)
        if not files:
            rungs.append(f"local: merged {name}")
            merged.append(name)
            continue
        rungs.append(f"local: {name} conflicts with {', '.join(merged)} in {', '.join(files)}")
        hunks = conflicts.cut("\n\n".join(hunks_of(work, files)))
        meeting = (*merged, name)
        if config.merge.resolver_command is not None:
            resolution = Resolution(
                work=work,
                tmp=tmp,
                auth=auth,
                target="integration",
                branch=branch,
                meeting=meeting,
                files=files,
                incoming=sha,
                message=message,
            )
            resolved, note = run_resolver(rt, state, config, resolution)
            rungs.append(note)
            if resolved:
                merged.append(name)
                continue
        git(["reset", "--quiet", "--hard", before], work)
        push(work, branch, auth)  # what merged so far: where a person goes on from
        rungs.append(f"person: asked to resolve on {branch}")
        return IntegrationNeedsPerson(
            at=rt.clock(),
            round=effect.round,
            meeting=meeting,
            files=files,
            hunks=hunks,
            rungs=tuple(rungs),
        )
    return None


def ask_to_resolve_integration(
    rt: Runtime, state: RunState, effect: AskToResolveIntegration
) -> None:
    """The one comment asking a person to merge the rest on the integration branch."""
    conflict = state.integration_conflict
    if conflict is None or effect.round != state.integration_round:
        return
    # Each phase's work is on its branch; the default branch, when it moved, is its own.
    heads = [
        (name, (state.phase(name).branch or "") if name in state.phases else name)
        for name in conflict.meeting
    ]
    body = messages.conflict_needs_person(
        phase="the integration PR",
        meeting=conflict.meeting,
        files=conflict.files,
        rungs=conflict.rungs,
        hunks=conflict.hunks,
        resolve_branch=state.integration_branch,
        heads=heads,
    )
    marker = f"<!-- porch-parallel:resolve run={state.run_id} integration r={effect.round} -->"
    rt.repo(state.installation_id, state.repo).comment(state.issue_number, body, marker)


def verify_integration(repo: RepoClient, state: RunState) -> tuple[str, list[str]]:
    """The integration branch's head, and what keeps it from being a resolution (none: it is
    one): it must hold every phase's work that meets there and no conflict markers."""
    conflict = state.integration_conflict
    branch = state.integration_branch
    sha = repo.branch_sha(branch)
    if conflict is None:
        return sha, []
    problems = []
    for name in conflict.meeting:
        phase = state.phases.get(name)
        wanted = phase.head_sha if phase is not None else repo.branch_sha(name)
        if wanted and not repo.holds(sha, wanted):
            problems.append(f"it does not hold {name}'s work (`{wanted[:7]}`)")
    return sha, problems + still_marked(repo, sha, conflict.files)
