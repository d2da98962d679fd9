"""The builder job: clone the phase branch, run the agent and the checks, commit and push.

Runs on the builders queue. Everything happens in a temporary directory of its own (never a
shared checkout, never `chdir`). The commands run in a bubblewrap sandbox (bot/adapters/
sandbox.py) unless the config opts out. The job's tokens are narrowed to the run's repository
(workers/tokens.py), used by git and our REST calls in this process only, never written to the
work tree, the prompt, the log or the event, and revoked when the job ends.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import redis
import requests
from github import GithubException
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from bot.adapters import keys, metrics
from bot.adapters.git import GitAuth, GitError, clone, commit_all, head, push
from bot.adapters.github.auth import github_for_token
from bot.adapters.github.client import RepoClient
from bot.adapters.process import CommandResult, run_command
from bot.adapters.sandbox import Sandbox, for_repository, read_untrusted, sandbox_problem
from bot.core.consultation import rebuttal_comment, rebuttal_marker, round_feedback
from bot.core.effects import CancelBuilder, RunBuilder, job_id
from bot.core.events import BuilderStarted, PhaseBuildFailed, PhaseBuilt
from bot.core.names import safe_name
from bot.core.prompt import DependencyNote, PromptInput, build_prompt, conflict_notes
from bot.core.state import PhaseStatus, RunState
from bot.errors import GitHubAuthError
from bot.inputs.config import RepoConfig
from bot.inputs.config import Sandbox as SandboxMode
from workers.predicted import sibling_conflicts
from workers.progress import ensure_check_run, move_check_run
from workers.runtime import Runtime
from workers.tokens import FRESH_SECONDS, JobTokens, builder_tokens

log = logging.getLogger(__name__)

STOP_FLAG_SECONDS = 24 * 3600


def run_builder(
    rt: Runtime, state: RunState, effect: RunBuilder
) -> PhaseBuilt | PhaseBuildFailed | None:
    """Tell the run its builder started, then build; None when the run moved on meanwhile."""
    started = rt.store.apply(
        state.run_id,
        BuilderStarted(
            at=rt.clock(),
            phase_id=effect.phase_id,
            attempt=effect.attempt,
            iteration=effect.iteration,
        ),
    )
    if started is None or not started.awaiting(
        effect.phase_id, effect.attempt, PhaseStatus.BUILDING, iteration=effect.iteration
    ):
        return None  # cancelled, or superseded, while it waited for a builder worker
    config = rt.store.load_config(state.run_id)
    began = rt.clock()
    with tempfile.TemporaryDirectory(prefix=f"porch-{state.run_id}-") as tmp:
        result = _build(rt, started, effect, config, Path(tmp))
    outcome = "built" if isinstance(result, PhaseBuilt) else "failed"
    metrics.record(rt.redis, metrics.BUILDER_SECONDS, rt.clock() - began, outcome=outcome)
    return result


def cancel_builder(rt: Runtime, state: RunState, effect: CancelBuilder) -> None:
    """Stop a builder: a queued job is cancelled, a running one told to stop its agent.

    A running job is asked through Redis rather than killed (RQ's stop command kills the work
    horse, not the agent in its own process group): it stops the agent's whole group, cleans
    up its directory, and reports; the run has moved on, so the report changes nothing.
    """
    builder = job_id(
        state.run_id,
        RunBuilder(
            phase_id=effect.phase_id, attempt=effect.attempt, iteration=effect.iteration, branch=""
        ),
    )
    rt.redis.set(keys.stop_flag(builder), 1, ex=STOP_FLAG_SECONDS)
    try:
        job = Job.fetch(builder, connection=rt.redis)
    except NoSuchJobError:
        return
    if job.get_status() in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        try:
            job.cancel()
        except InvalidJobOperation:
            log.info("run %s: builder %s started meanwhile; it will stop", state.run_id, builder)


def _build(
    rt: Runtime, state: RunState, effect: RunBuilder, config: RepoConfig, tmp: Path
) -> PhaseBuilt | PhaseBuildFailed:
    if config.builder.sandbox is SandboxMode.BUBBLEWRAP:
        problem = sandbox_problem()
        if problem is not None:
            return _failed(rt, effect, problem, "")
    try:
        with builder_tokens(rt, state.run_id, effect.phase_id) as tokens:
            return _build_with(rt, state, effect, config, tmp, tokens)
    except GitHubAuthError as exc:
        return _failed(rt, effect, f"Could not get a token for this build: {exc}", "")


def _build_with(
    rt: Runtime,
    state: RunState,
    effect: RunBuilder,
    config: RepoConfig,
    tmp: Path,
    tokens: JobTokens,
) -> PhaseBuilt | PhaseBuildFailed:
    phase_id = effect.phase_id
    phase = state.phase(phase_id)
    repo = RepoClient(github_for_token(rt.settings, tokens.api), state.repo)
    work, log_path = tmp / "work", tmp / "builder.log"
    secrets = [*tokens.secrets, *rt.settings.app_secrets]
    try:
        clone(repo.clone_url(), work, effect.branch, GitAuth(tokens.push))
    except GitError as exc:
        return _failed(rt, effect, f"Could not clone {effect.branch}: {exc}", "")
    prompt_path = tmp / "prompt.md"
    prompt_path.write_text(build_prompt(_prompt_input(state, effect, repo)))
    # Inside .git: writable in the sandbox beside the work tree, and never committed.
    rebuttal_path = work / ".git" / "porch-rebuttal.md"

    stop_key = keys.stop_flag(job_id(state.run_id, effect))
    sandbox = for_repository(config.builder, work, (prompt_path,))
    result, who = _run_builder_and_checks(
        config,
        work,
        env=_builder_env(rt, state, effect, prompt_path, config)
        | {"PORCH_REBUTTAL_FILE": str(rebuttal_path)},
        log_path=log_path,
        secrets=secrets,
        should_stop=lambda: _stop_asked(rt, stop_key),
        sandbox=sandbox,
    )
    if not result.ok:
        return _failed(rt, effect, _why(result, who), result.log_tail)

    commit_all(work, f"{phase_id}: {state.titles[phase_id]}", rt.identity)
    # Against the branch's first commit, not the clone: an earlier attempt that pushed before
    # its job died has done this phase's work already.
    if head(work) == phase.head_sha:
        return _failed(
            rt, effect, "The builder finished without changing anything.", result.log_tail
        )
    try:
        _push(rt, state, effect, work, tokens)
    except GitError as exc:
        return _failed(rt, effect, _push_error(effect.branch, exc), result.log_tail)
    new_head = head(work)
    # Posted with the App's own token: the build's narrowed one may not write comments.
    app_repo = rt.repo(state.installation_id, state.repo)
    rebuttal = _rebuttal(app_repo, state, effect, rebuttal_path, secrets)
    now = rt.store.load(state.run_id) or state
    built = PhaseBuilt(
        at=rt.clock(),
        phase_id=phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        head_sha=new_head,
        log_tail=result.log_tail,
        rebuttal=rebuttal,
        conflicts=sibling_conflicts(now, phase_id, work, GitAuth(tokens.push), config),
    )
    # The check run on the new head is made showing the phase done (or consulting), so no
    # edit follows it.
    gated = now.settings.consultation.gated
    shown = now.with_phase(
        replace(
            now.phase(phase_id),
            status=PhaseStatus.CONSULTING if gated else PhaseStatus.DONE,
            head_sha=new_head,
            log_tail=result.log_tail,
            error="",
            finished_at=built.at,
        )
    )
    return replace(built, check_run_id=_move_check_run(repo, shown, phase_id, new_head))


def _push(rt: Runtime, state: RunState, effect: RunBuilder, work: Path, tokens: JobTokens) -> None:
    if rt.clock() - tokens.minted_at < FRESH_SECONDS:
        push(work, effect.branch, GitAuth(tokens.push))
        return
    # A long build outlived the first tokens' safe margin: fresh ones, revoked in their turn.
    with builder_tokens(rt, state.run_id, effect.phase_id) as fresh:
        push(work, effect.branch, GitAuth(fresh.push))


def _stop_asked(rt: Runtime, stop_key: str) -> bool:
    """Whether `/porch cancel` asked this builder to stop; while Redis is away, no one has."""
    try:
        return bool(rt.redis.exists(stop_key))
    except redis.RedisError:
        return False


def _builder_env(
    rt: Runtime, state: RunState, effect: RunBuilder, prompt_path: Path, config: RepoConfig
) -> dict[str, str]:
    identity = rt.identity
    # The agent's own credentials, by name from the repository, by value from this worker.
    passed = {
        name: os.environ[name] for name in config.builder.env_passthrough if name in os.environ
    }
    return passed | {
        "PORCH_RUN_ID": state.run_id,
        "PORCH_REPO": state.repo,
        "PORCH_ISSUE": str(state.issue_number),
        "PORCH_PHASE_ID": effect.phase_id,
        # The id as a file or branch name may hold it: `[A-Za-z0-9._-]`, never `..` or `/`.
        "PORCH_PHASE_NAME": safe_name(effect.phase_id),
        "PORCH_PHASE_TITLE": state.titles[effect.phase_id],
        "PORCH_PROMPT_FILE": str(prompt_path),
        "PORCH_ITERATION": str(effect.iteration),
        "PORCH_ATTEMPT": str(effect.attempt),
        "PORCH_BRANCH": effect.branch,
        # So that an agent that commits for itself commits as the App, as we would.
        "GIT_AUTHOR_NAME": identity.name,
        "GIT_AUTHOR_EMAIL": identity.email,
        "GIT_COMMITTER_NAME": identity.name,
        "GIT_COMMITTER_EMAIL": identity.email,
    }


def _run_builder_and_checks(
    config: RepoConfig,
    work: Path,
    *,
    env: dict[str, str],
    log_path: Path,
    secrets: list[str],
    should_stop: Callable[[], bool],
    sandbox: Sandbox,
) -> tuple[CommandResult, str]:
    """The builder, then each check while all goes well: the last result, and whose it is."""
    assert config.builder.command is not None  # a run never starts without one
    timeout_s = config.builder.timeout_minutes * 60
    steps = [(config.builder.command, "The builder")]
    steps += [(check, f"The check `{_shown(check)}`") for check in config.checks]
    for command, who in steps:
        result = run_command(
            command,
            work,
            env=env,
            timeout_s=timeout_s,
            log_path=log_path,
            secrets=secrets,
            should_stop=should_stop,
            sandbox=sandbox,
        )
        if not result.ok:
            return result, who
    return result, "The builder"


def _shown(command: tuple[str, ...]) -> str:
    # The config turns a shell line into ("sh", "-c", line): show the line people wrote.
    return command[2] if command[:2] == ("sh", "-c") and len(command) == 3 else " ".join(command)


def _move_check_run(repo: RepoClient, state: RunState, phase_id: str, new_head: str) -> int | None:
    """The phase's check run on its new head; the one on its first commit is closed as moved.

    Check runs belong to a commit, and the PR now shows the new head. Failing to make the new
    one must not fail a build whose work is pushed: the phase keeps its old check run.
    """
    old = state.phase(phase_id).check_run_id
    try:
        new = ensure_check_run(repo, state, phase_id, new_head)
        move_check_run(repo, state, phase_id, old, new, new_head)
    except (GithubException, requests.RequestException):
        log.exception("run %s: could not move the check run of %s", state.run_id, phase_id)
        return None
    return new


def _prompt_input(state: RunState, effect: RunBuilder, repo: RepoClient) -> PromptInput:
    phase_id = effect.phase_id
    notes = []
    for dep in state.deps[phase_id]:
        pr_number = state.phase(dep).pr_number
        # A dependency's PR targets the branch it started from: its files are its work alone.
        files = repo.pull_files(pr_number) if pr_number else []
        notes.append(DependencyNote(dep, state.titles[dep], pr_number, files))
    siblings = {
        state.titles[other.phase_id]: list(state.touches.get(other.phase_id, ()))
        for other in state.phases.values()
        if other.phase_id != phase_id and other.status.active
    }
    return PromptInput(
        conflicts=conflict_notes(state, phase_id),
        run_id=state.run_id,
        phase_id=phase_id,
        title=state.titles[phase_id],
        section=state.sections.get(phase_id, ""),
        overview=state.overview,
        iteration=effect.iteration,
        attempt=effect.attempt,
        dependencies=notes,
        sibling_touches=siblings,
        feedback=round_feedback(state.phase(phase_id), effect.iteration - 1),
    )


def _rebuttal(
    repo: RepoClient, state: RunState, effect: RunBuilder, path: Path, secrets: list[str]
) -> str:
    """The builder's answer to the last round's reviews, posted once on the PR; "" if none.

    Only a review round (iteration 2 on) asks for one; posting it must not fail a build whose
    work is pushed, so a failed post is logged and the answer still reaches the consultants.
    """
    if effect.iteration < 2:
        return ""
    text = read_untrusted(path).strip()
    if not text:
        return ""
    body = rebuttal_comment(effect.phase_id, effect.iteration, text, secrets)
    pr_number = state.phase(effect.phase_id).pr_number
    if pr_number is not None:
        marker = rebuttal_marker(state.run_id, effect.phase_id, effect.iteration)
        try:
            repo.comment(pr_number, body, marker)
        except (GithubException, requests.RequestException):
            log.exception("run %s: could not post the rebuttal of %s", state.run_id, effect.key)
    return body


def _push_error(branch: str, exc: GitError) -> str:
    if "workflow" in str(exc) and "permission" in str(exc):
        # The App does not ask for the `workflows` permission: CI definitions stay with people.
        return (
            f"Could not push {branch}: the builder changed files under .github/workflows/, "
            "which porch-parallel may not push. Leave workflow changes to a person."
        )
    return f"Could not push {branch}: {exc}"


def _why(result: CommandResult, who: str) -> str:
    if result.leaked:
        return f"{who} printed a secret of this job; its output is withheld."
    if result.stopped:
        return "The run was cancelled."
    if result.timed_out:
        return f"{who} timed out."
    return f"{who} exited with status {result.exit_code}."


def _failed(rt: Runtime, effect: RunBuilder, error: str, log_tail: str) -> PhaseBuildFailed:
    log.info("builder %s failed: %s", effect.key, error)
    return PhaseBuildFailed(
        at=rt.clock(),
        phase_id=effect.phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        error=error,
        log_tail=log_tail,
    )
