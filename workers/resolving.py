"""The merge ladder's rungs that need a clone, on the builders queue: a local merge with the
configured per-path strategies, then the resolver builder, then a branch for a person.

They run on builder workers because a clone, a merge and above all a resolver (an agent, for
up to the builder's timeout) would hold an events worker for minutes, and commands and
status updates would wait behind them.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.git import (
    GitAuth,
    GitError,
    clone,
    commit_all,
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
from bot.adapters.sandbox import for_repository, read_untrusted, sandbox_problem
from bot.core import conflicts, messages
from bot.core.effects import AskForResolution, ResolveMerge, StartPoint
from bot.core.events import HeadsMerged, MergeNeedsPerson
from bot.core.prompt import resolver_prompt
from bot.core.reducer.dispatch import start_points
from bot.core.state import RunState
from bot.inputs.config import RepoConfig
from workers.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Clone:
    """The job's clone of the `-base` branch and what it needs to merge and push there."""

    rt: Runtime
    state: RunState
    effect: ResolveMerge
    config: RepoConfig
    work: Path
    tmp: Path
    auth: GitAuth


def resolve_merge(
    rt: Runtime, state: RunState, effect: ResolveMerge
) -> HeadsMerged | MergeNeedsPerson:
    """Climb the rungs after GitHub's: merge locally, then the resolver, then a person."""
    config = rt.store.load_config(state.run_id)
    repo = rt.repo(state.installation_id, state.repo)
    auth = GitAuth(rt.auth.token(state.installation_id))
    with tempfile.TemporaryDirectory(prefix=f"porch-{state.run_id}-merge-") as tmp:
        work = Path(tmp) / "work"
        _clone_base(repo, effect, work, auth)
        fetch(work, [h.ref for h in effect.heads], auth)
        set_merge_strategies(work, config.merge.union_merge, config.merge.ours_merge)
        return _climb(_Clone(rt, state, effect, config, work, Path(tmp), auth))


def _clone_base(repo: RepoClient, effect: ResolveMerge, work: Path, auth: GitAuth) -> None:
    """The `-base` branch as GitHub's rung left it (the first head, and what merged cleanly)."""
    repo.ensure_branch(effect.branch, effect.heads[0].sha)
    clone(repo.clone_url(), work, effect.branch, auth)


def _climb(c: _Clone) -> HeadsMerged | MergeNeedsPerson:
    effect = c.effect
    rungs = list(effect.rungs)
    merged: list[str] = []
    for point in effect.heads:
        name = str(point.phase_id)
        if is_ancestor(c.work, point.sha):
            merged.append(name)
            continue
        before = head(c.work)
        files = merge(
            c.work, point.sha, f"Merge {name} for {effect.phase_id}", c.rt.identity, c.auth
        )
        if not files:
            rungs.append(f"local: merged {name}{_strategies(c.config)}")
            merged.append(name)
            continue
        shown = ", ".join(files)
        rungs.append(f"local: {name} conflicts with {', '.join(merged)} in {shown}")
        hunks = conflicts.cut("\n\n".join(hunks_of(c.work, files)))
        if c.config.merge.resolver_command is not None:
            resolved, note = _run_resolver(c, point, merged, files)
            rungs.append(note)
            if resolved:
                merged.append(name)
                continue
        git(["reset", "--quiet", "--hard", before], c.work)
        return _ask_a_person(c, before, rungs, files, hunks)
    push(c.work, effect.branch, c.auth)
    return HeadsMerged(
        at=c.rt.clock(),
        phase_id=effect.phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        branch=effect.branch,
        sha=head(c.work),
        rungs=tuple(rungs),
    )


def _strategies(config: RepoConfig) -> str:
    used = [
        f"{name}: {', '.join(globs)}"
        for name, globs in (("union", config.merge.union_merge), ("ours", config.merge.ours_merge))
        if globs
    ]
    return f" ({'; '.join(used)})" if used else ""


def hunks_of(work: Path, files: tuple[str, ...]) -> list[str]:
    found = []
    for path in files:
        # Never through a symlink a phase committed: it could point at the worker's files.
        text = read_untrusted(work / path)
        found.append(conflicts.hunks(path, text) if text else f"--- {path} (deleted on one side)")
    return found


def _run_resolver(
    c: _Clone, point: StartPoint, merged: list[str], files: tuple[str, ...]
) -> tuple[bool, str]:
    effect = c.effect
    return run_resolver(
        c.rt,
        c.state,
        c.config,
        Resolution(
            work=c.work,
            tmp=c.tmp,
            auth=c.auth,
            target=effect.phase_id,
            branch=effect.branch,
            meeting=(*merged, str(point.phase_id)),
            files=files,
            incoming=point.sha,
            message=f"Merge {point.phase_id} for {effect.phase_id}",
        ),
    )


@dataclass(frozen=True)
class Resolution:
    """A conflicted merge in a clone, markers in place, for the resolver builder to settle.

    `target` is what starts from the merge: a phase id, or "integration".
    """

    work: Path
    tmp: Path
    auth: GitAuth
    target: str
    branch: str
    meeting: tuple[str, ...]
    files: tuple[str, ...]
    incoming: str  # the head being merged in: the result must hold it
    message: str


def run_resolver(
    rt: Runtime, state: RunState, config: RepoConfig, r: Resolution
) -> tuple[bool, str]:
    """The resolver builder in the conflicted clone, in the builder's sandbox, then the checks;
    (resolved, what the rung did). Resolved means committed: no marker left, checks passed."""
    assert config.merge.resolver_command is not None
    prompt = r.tmp / "resolve-prompt.md"
    prompt.write_text(resolver_prompt(state, r.target, r.meeting, r.files))
    identity = rt.identity
    env = {
        "PORCH_RUN_ID": state.run_id,
        "PORCH_REPO": state.repo,
        "PORCH_ISSUE": str(state.issue_number),
        "PORCH_PHASE_ID": r.target,
        "PORCH_PHASE_TITLE": state.titles.get(r.target, "the integration PR"),
        "PORCH_PROMPT_FILE": str(prompt),
        "PORCH_BRANCH": r.branch,
        "PORCH_CONFLICT_FILES": "\n".join(r.files),
        "GIT_AUTHOR_NAME": identity.name,
        "GIT_AUTHOR_EMAIL": identity.email,
        "GIT_COMMITTER_NAME": identity.name,
        "GIT_COMMITTER_EMAIL": identity.email,
    }
    timeout_s = config.builder.timeout_minutes * 60
    log_path = r.tmp / "resolver.log"
    steps = [(config.merge.resolver_command, "the resolver")]
    steps += [(check, "a check") for check in config.checks]
    # The resolver is an agent and the checks are the repository's: the builder's sandbox.
    sandbox = for_repository(config.builder, r.work, (prompt,))
    if sandbox.enabled and (problem := sandbox_problem()) is not None:
        return False, f"resolver: {problem}"
    for n, (command, who) in enumerate(steps):
        result = run_command(
            command,
            r.work,
            env=env,
            timeout_s=timeout_s,
            log_path=log_path,
            secrets=[r.auth.token],
            sandbox=sandbox,
        )
        if not result.ok:
            why = "timed out" if result.timed_out else f"exited with {result.exit_code}"
            return False, f"resolver: {who} {why}"
        if n == 0:
            left = [p for p in r.files if _still_marked(r.work / p)]
            if left:
                return False, f"resolver: left conflict markers in {', '.join(left)}"
    try:
        commit_all(r.work, r.message, identity)
    except GitError as exc:
        log.info("resolver's result would not commit: %s", exc)
        return False, "resolver: its result could not be committed"
    if not is_ancestor(r.work, r.incoming):
        return False, "resolver: its result does not hold both sides' work"
    return True, f"resolver: resolved {', '.join(r.files)}"


def _still_marked(path: Path) -> bool:
    # Never through a symlink the resolver left: it could point at the worker's own files.
    return conflicts.has_markers(read_untrusted(path))


def _ask_a_person(
    c: _Clone,
    at_commit: str,
    rungs: list[str],
    files: tuple[str, ...],
    hunks: str,
) -> MergeNeedsPerson:
    """Push what merged so far to the resolve branch, unless a person has started on it."""
    effect = c.effect
    repo = c.rt.repo(c.state.installation_id, c.state.repo)
    repo.ensure_branch(effect.resolve_branch, at_commit)
    rungs.append("person: asked to resolve on " + effect.resolve_branch)
    return MergeNeedsPerson(
        at=c.rt.clock(),
        phase_id=effect.phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        rungs=tuple(rungs),
        resolve_branch=effect.resolve_branch,
        files=files,
        hunks=hunks,
    )


def ask_for_resolution(rt: Runtime, state: RunState, effect: AskForResolution) -> None:
    """The one comment that asks a person to resolve the conflict, with the commands."""
    phase = state.phase(effect.phase_id)
    heads = start_points(state, effect.phase_id)
    body = messages.conflict_needs_person(
        phase=effect.phase_id,
        meeting=[str(h.phase_id) for h in heads],
        files=phase.conflict_files,
        rungs=phase.merge_rungs,
        hunks=phase.conflict_hunks,
        resolve_branch=phase.resolve_branch or state.resolve_branch_for(effect.phase_id),
        heads=[(str(h.phase_id), h.ref) for h in heads],
    )
    marker = (
        f"<!-- porch-parallel:resolve run={state.run_id} phase={effect.phase_id} "
        f"i={effect.iteration} a={effect.attempt} -->"
    )
    rt.repo(state.installation_id, state.repo).comment(state.issue_number, body, marker)


def verify_resolution(repo: RepoClient, state: RunState, phase_id: str) -> tuple[str, list[str]]:
    """The resolve branch's head, and what keeps it from being a resolution (none: it is one).

    It must hold every dependency's head and no conflict markers in the files that conflicted.
    """
    phase = state.phase(phase_id)
    branch = phase.resolve_branch or state.resolve_branch_for(phase_id)
    sha = repo.branch_sha(branch)
    problems = [
        f"it does not hold {point.phase_id}'s work (`{point.sha[:7]}` on `{point.ref}`)"
        for point in start_points(state, phase_id)
        if not repo.holds(sha, point.sha)
    ]
    return sha, problems + still_marked(repo, sha, phase.conflict_files)


def still_marked(repo: RepoClient, sha: str, files: tuple[str, ...]) -> list[str]:
    """One problem for each of `files` that still holds conflict markers at `sha`."""
    problems = []
    for path in files:
        text = repo.read_file(path, sha)
        if text is not None and conflicts.has_markers(text):
            problems.append(f"`{path}` still holds conflict markers")
    return problems
