"""`/porch …` commands in new issue and PR comments."""

from __future__ import annotations

import logging

from gidgethub import sansio
from gidgethub.routing import Router

from bot import messages
from bot.commands import (
    Cancel,
    Command,
    Help,
    Parallel,
    Status,
    Unknown,
    comment_may_hold_commands,
    may_change_runs,
    parse_commands,
    refusal_text,
)
from bot.config import CONFIG_PATH, load_config
from bot.core.events import CancelRequested, StatusRequested
from bot.core.state import FailurePolicy, RunSettings, new_run
from bot.discovery import FoundPlan, find_plan
from bot.errors import ConfigError
from bot.github.client import RepoClient
from bot.handlers.context import Context
from bot.payloads import IssueComment, issue_comment_from
from bot.plan.graph import analyse
from bot.plan.parse import parse_plan
from bot.store import RunExists

log = logging.getLogger(__name__)
router = Router()

ANSWERED_TTL = 7 * 24 * 3600


def run_id_for(repo_id: int, issue_number: int) -> str:
    return f"r{repo_id}-{issue_number}"


@router.register("issue_comment", action="created")
async def run_commands(event: sansio.Event, ctx: Context) -> None:
    comment = issue_comment_from(event.data)
    if comment.author_type == "Bot" or not comment_may_hold_commands(
        comment.action, comment.sender_type
    ):
        return
    commands = parse_commands(comment.body)
    if not commands:
        return
    repo = ctx.runtime.repo(comment.repo.installation_id, comment.repo.full_name)
    if any(c.changes_run for c in commands) and not may_change_runs(
        repo.permission(comment.author)
    ):
        log.info("refused %s: %s lacks write access", ctx.delivery_id, comment.author)
        _answer_once(ctx, repo, comment, "refusal", refusal_text(comment.author))
        return
    for command in commands:
        _run(ctx, repo, comment, command)


def _run(ctx: Context, repo: RepoClient, comment: IssueComment, command: Command) -> None:
    run_id = run_id_for(comment.repo.id, comment.issue_number)
    store = ctx.runtime.store
    if isinstance(command, Parallel):
        repo.react(comment.issue_number, comment.comment_id, "eyes")
        start_run(ctx, repo, comment, command)
    elif isinstance(command, Status | Cancel):
        if store.load(run_id) is None:
            _answer_once(ctx, repo, comment, "no-run", messages.no_run())
            return
        repo.react(comment.issue_number, comment.comment_id, "eyes")
        at = ctx.runtime.clock()
        if isinstance(command, Status):
            store.apply(run_id, StatusRequested(at=at, by=comment.author))
        else:
            store.apply(run_id, CancelRequested(at=at, by=comment.author))
    elif isinstance(command, Help):
        _answer_once(ctx, repo, comment, "help", messages.help_text())
    elif isinstance(command, Unknown):
        _answer_once(ctx, repo, comment, "unknown", messages.unknown_command(command.text))
    else:
        # retry, skip and resolved are parsed already; they act once consultations exist.
        _answer_once(ctx, repo, comment, "unknown", messages.unknown_command(_verb(command)))


def start_run(ctx: Context, repo: RepoClient, comment: IssueComment, command: Parallel) -> None:
    """Read config and plan at the default branch; start the run, or say why not."""
    base_branch = comment.repo.default_branch
    base_sha = repo.branch_sha(base_branch)
    try:
        config = load_config(repo.read_file(CONFIG_PATH, base_sha))
    except ConfigError as error:
        _answer_once(ctx, repo, comment, "config", messages.bad_config(error))
        return
    if config.builder.command is None:
        _answer_once(ctx, repo, comment, "config", messages.no_builder())
        return

    found = find_plan(
        comment.issue_body,
        command.plan_path,
        lambda path: repo.read_file(path, base_sha),
        base_branch,
    )
    if not isinstance(found, FoundPlan):
        _answer_once(ctx, repo, comment, "plan", messages.plan_not_found(found.reason))
        return
    plan = parse_plan(found.text)
    analysis = analyse(plan)
    if not analysis.valid:
        # The analysis lists the plan's own errors (no phases, bad JSON) before the graph's.
        _answer_once(
            ctx, repo, comment, "plan", messages.invalid_plan(found.source, analysis.errors)
        )
        return

    now = ctx.runtime.clock()
    state = new_run(
        plan,
        run_id=run_id_for(comment.repo.id, comment.issue_number),
        repo=comment.repo.full_name,
        installation_id=comment.repo.installation_id,
        issue_number=comment.issue_number,
        issue_title=comment.issue_title,
        base_branch=base_branch,
        base_sha=base_sha,
        created_at=now,
        settings=RunSettings(
            max_parallel=config.max_parallel_builders,
            retries=config.builder.retries,
            failure_policy=FailurePolicy(config.failure_policy.value),
        ),
        branch_prefix=config.branch_prefix,
        plan_text=found.text,
        plan_source=found.source,
    )
    try:
        ctx.runtime.store.create(state, config.model_dump(mode="json"), at=now)
    except RunExists:
        _answer_once(ctx, repo, comment, "exists", messages.run_in_progress())
        return
    log.info("started run %s for %s#%s", state.run_id, state.repo, state.issue_number)


def _answer_once(
    ctx: Context, repo: RepoClient, comment: IssueComment, kind: str, body: str
) -> None:
    """Post one answer per comment and kind, even when the delivery is handled twice."""
    key = f"porch:answered:{comment.repo.id}:{comment.comment_id}:{kind}"
    if not ctx.runtime.redis.set(key, ctx.delivery_id, nx=True, ex=ANSWERED_TTL):
        return
    try:
        repo.comment(comment.issue_number, body)
    except Exception:
        ctx.runtime.redis.delete(key)  # not answered after all: a retry may answer
        raise


def _verb(command: Command) -> str:
    return type(command).__name__.lower()
