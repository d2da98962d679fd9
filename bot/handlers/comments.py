"""`/porch …` commands in new issue and PR comments."""

from __future__ import annotations

import logging

from gidgethub import sansio
from gidgethub.routing import Router

from bot.adapters import keys
from bot.adapters.github.client import RepoClient, is_transient
from bot.adapters.github.failures import for_failure as failure_message
from bot.adapters.store import RunExists
from bot.core import messages, render
from bot.core.events import (
    ApprovedByCommand,
    CancelRequested,
    ConsultRequested,
    IntegrationResolved,
    ResolutionVerified,
    RetryRequested,
    SkipRequested,
    StatusRequested,
)
from bot.core.plan_comment import PLAN_MARKER, plan_comment
from bot.core.reducer import control
from bot.core.state import ConsultationSettings, PhaseStatus, RunSettings, RunState, new_run
from bot.errors import ConfigError
from bot.handlers.context import Context
from bot.inputs.commands import (
    Approve,
    Cancel,
    Command,
    Consult,
    Help,
    Parallel,
    Resolved,
    Retry,
    ShowPlan,
    Skip,
    Status,
    Unknown,
    comment_may_hold_commands,
    may_change_runs,
    parse_commands,
    refusal_text,
)
from bot.inputs.config import CONFIG_PATH, RepoConfig, Sandbox, load_config
from bot.inputs.discovery import ISSUE_BODY, FoundPlan, find_plan
from bot.inputs.payloads import IssueComment, issue_comment_from
from bot.plan.graph import analyse
from bot.plan.subissues import open_sub_issues
from workers.integrating import verify_integration
from workers.reconcile import reconcile_run
from workers.registry import builder_timeout
from workers.resolving import verify_resolution

log = logging.getLogger(__name__)
router = Router()

ANSWERED_TTL = 7 * 24 * 3600
# A comment is a message to the bot, not a script: repeated lines count once, and only so many.
MAX_COMMANDS_PER_COMMENT = 5


@router.register("issue_comment", action="created")
async def run_commands(event: sansio.Event, ctx: Context) -> None:
    comment = issue_comment_from(event.data)
    if comment.author_type == "Bot" or not comment_may_hold_commands(
        comment.action, comment.sender_type
    ):
        return
    commands = list(dict.fromkeys(parse_commands(comment.body)))[:MAX_COMMANDS_PER_COMMENT]
    if not commands:
        return
    repo = ctx.runtime.repo(comment.repo.installation_id, comment.repo.full_name)
    try:
        if any(c.changes_run for c in commands) and not may_change_runs(
            repo.permission(comment.author)
        ):
            log.info("refused %s: %s lacks write access", ctx.delivery_id, comment.author)
            _answer_once(ctx, repo, comment, "refusal", refusal_text(comment.author))
            return
        redis = ctx.runtime.redis
        for index, command in enumerate(commands):
            done = keys.command_done(comment.repo.id, comment.comment_id, index)
            if redis.exists(done):
                log.info("delivery %s: %s was carried out already", ctx.delivery_id, command)
                continue
            _run(ctx, repo, comment, command)
            redis.set(done, 1, ex=ANSWERED_TTL)
    except Exception as exc:
        if is_transient(exc) and ctx.retries_left > 0:
            raise  # RQ delivers the event again shortly; every step above is repeatable
        log.exception("delivery %s: command failed", ctx.delivery_id)
        _answer_once(ctx, repo, comment, "failure", failure_message(exc))


def _run(ctx: Context, repo: RepoClient, comment: IssueComment, command: Command) -> None:
    store = ctx.runtime.store
    if isinstance(command, Parallel):
        repo.react(comment.issue_number, comment.comment_id, "eyes")
        start_run(ctx, repo, comment, command)
    elif isinstance(command, ShowPlan):
        repo.react(comment.issue_number, comment.comment_id, "eyes")
        show_plan(ctx, repo, comment, command)
    elif isinstance(command, Status | Cancel):
        current = store.current(comment.repo.full_name, comment.issue_number)
        if current is None:
            _answer_once(ctx, repo, comment, "no-run", messages.no_run())
            return
        repo.react(comment.issue_number, comment.comment_id, "eyes")
        at = ctx.runtime.clock()
        if isinstance(command, Status):
            # A person looking is a good moment to mend what a lost job or report left.
            for note in reconcile_run(ctx.runtime, current.run_id):
                log.warning("run %s: reconciled: %s", current.run_id, note)
            store.apply(current.run_id, StatusRequested(at=at, by=comment.author))
        else:
            store.apply(current.run_id, CancelRequested(at=at, by=comment.author))
    elif isinstance(command, Approve | Consult):
        _consultation_command(ctx, repo, comment, command)
    elif isinstance(command, Resolved):
        resolved(ctx, repo, comment)
    elif isinstance(command, Retry | Skip):
        _control(ctx, repo, comment, command)
    elif isinstance(command, Help):
        _answer_once(ctx, repo, comment, "help", messages.help_text())
    elif isinstance(command, Unknown):
        _answer_once(ctx, repo, comment, "unknown", messages.unknown_command(command.text))
    else:
        # every command is handled above; this answers any left unparsed.
        _answer_once(ctx, repo, comment, "unknown", messages.unknown_command(_verb(command)))


def _consultation_command(
    ctx: Context, repo: RepoClient, comment: IssueComment, command: Approve | Consult
) -> None:
    """`/porch approve <phase>` and `/porch consult <phase>`, on the issue or a phase PR."""
    store = ctx.runtime.store
    current = store.current(comment.repo.full_name, comment.issue_number)
    if current is None and comment.is_pull_request:
        found = store.pull(comment.repo.full_name, comment.issue_number)
        current = store.load(found[0]) if found else None
    if current is None:
        _answer_once(ctx, repo, comment, "no-run", messages.no_run())
        return
    phase_id = control.find_phase(current, command.phase)
    if phase_id is None:
        _answer_once(
            ctx, repo, comment, "phase", messages.unknown_phase(command.phase, current.phases)
        )
        return
    at = ctx.runtime.clock()
    if isinstance(command, Approve):
        event: ApprovedByCommand | ConsultRequested = ApprovedByCommand(
            at=at, phase_id=phase_id, by=comment.author
        )
    else:
        event = ConsultRequested(at=at, phase_id=phase_id, by=comment.author)
    after = store.apply(current.run_id, event)
    if after is None or after is current or after.version == current.version:
        why = messages.not_consulting(phase_id, current.phase(phase_id).status.value)
        if isinstance(command, Consult) and not current.settings.consultation.consultants:
            why = messages.no_consultants()
        _answer_once(ctx, repo, comment, "consultation", why)
        return
    repo.react(comment.issue_number, comment.comment_id, "eyes")


def resolved(ctx: Context, repo: RepoClient, comment: IssueComment) -> None:
    """`/porch resolved`: each conflicted phase whose resolve branch checks out starts from it;
    for any other, one answer saying what is still wrong."""
    store = ctx.runtime.store
    current = store.current(comment.repo.full_name, comment.issue_number)
    if current is not None and current.integration_conflict is not None:
        _integration_resolved(ctx, repo, comment, current)
        return
    waiting = (
        []
        if current is None
        else [p for p in current.phases.values() if p.status is PhaseStatus.CONFLICTED]
    )
    if current is None or not waiting:
        _answer_once(ctx, repo, comment, "resolved", messages.nothing_to_resolve())
        return
    repo.react(comment.issue_number, comment.comment_id, "eyes")
    refusals = []
    for phase in waiting:
        sha, problems = verify_resolution(repo, current, phase.phase_id)
        branch = phase.resolve_branch or current.resolve_branch_for(phase.phase_id)
        if problems:
            refusals.append(messages.resolution_refused(phase.phase_id, branch, problems))
            continue
        event = ResolutionVerified(
            at=ctx.runtime.clock(),
            phase_id=phase.phase_id,
            attempt=phase.attempt,
            iteration=phase.iteration,
            branch=branch,
            sha=sha,
            by=comment.author,
        )
        store.apply(current.run_id, event)
    if refusals:
        _answer_once(ctx, repo, comment, "resolved", "\n\n".join(refusals))


def _integration_resolved(
    ctx: Context, repo: RepoClient, comment: IssueComment, current: RunState
) -> None:
    """`/porch resolved` for the integration branch's conflict: checked, then merged on."""
    repo.react(comment.issue_number, comment.comment_id, "eyes")
    sha, problems = verify_integration(repo, current)
    if problems:
        refusal = messages.resolution_refused(
            "the integration PR", current.integration_branch, problems
        )
        _answer_once(ctx, repo, comment, "resolved", refusal)
        return
    event = IntegrationResolved(at=ctx.runtime.clock(), sha=sha, by=comment.author)
    ctx.runtime.store.apply(current.run_id, event)


def _config(
    ctx: Context, repo: RepoClient, comment: IssueComment, base_sha: str
) -> RepoConfig | None:
    try:
        return load_config(repo.read_file(CONFIG_PATH, base_sha))
    except ConfigError as error:
        _answer_once(ctx, repo, comment, "config", messages.bad_config(error))
        return None


def _find(
    repo: RepoClient, comment: IssueComment, plan_path: str | None, base_sha: str
) -> FoundPlan | str:
    """The plan's source (command path, body, named file, sub-issues), or why there is none."""
    found = find_plan(
        comment.issue_body,
        plan_path,
        lambda path: repo.read_file(path, base_sha),
        comment.repo.default_branch,
        # Pull requests have no sub-issues: no request for them.
        sub_issues=lambda: () if comment.is_pull_request else repo.sub_issues(comment.issue_number),
        issue_number=comment.issue_number,
    )
    return found if isinstance(found, FoundPlan) else messages.plan_not_found(found.reason)


def _control(ctx: Context, repo: RepoClient, comment: IssueComment, command: Retry | Skip) -> None:
    """`/porch retry <phase>` and `/porch skip <phase>` on the issue's current run."""
    current = ctx.runtime.store.current(comment.repo.full_name, comment.issue_number)
    if current is None:
        _answer_once(ctx, repo, comment, "no-run", messages.no_run())
        return
    verb = _verb(command)
    phase_id = control.find_phase(current, command.phase)
    if phase_id is None:
        text = messages.unknown_phase(command.phase, current.phases)
        _answer_once(ctx, repo, comment, verb, text)
        return
    why_not = control.why_not_retry if isinstance(command, Retry) else control.why_not_skip
    reason = why_not(current, phase_id)
    if reason is not None:
        _answer_once(ctx, repo, comment, verb, messages.cannot_control(verb, phase_id, reason))
        return
    repo.react(comment.issue_number, comment.comment_id, "eyes")
    at = ctx.runtime.clock()
    event = (RetryRequested if isinstance(command, Retry) else SkipRequested)(
        at=at, phase_id=phase_id, by=comment.author
    )
    ctx.runtime.store.apply(current.run_id, event)


def start_run(ctx: Context, repo: RepoClient, comment: IssueComment, command: Parallel) -> None:
    """Read config and plan at the default branch; start the run, or say why not."""
    base_branch = comment.repo.default_branch
    base_sha = repo.branch_sha(base_branch)
    config = _config(ctx, repo, comment, base_sha)
    if config is None:
        return
    if config.builder.command is None:
        _answer_once(ctx, repo, comment, "config", messages.no_builder())
        return

    found = _find(repo, comment, command.plan_path, base_sha)
    if not isinstance(found, FoundPlan):
        _answer_once(ctx, repo, comment, "plan", found)
        return
    refusal = _untrusted(repo, comment, found)
    if refusal:
        _answer_once(ctx, repo, comment, "plan", refusal)
        return
    plan = found.plan(comment.issue_number, split_parallel_tasks=config.plan.split_parallel_tasks)
    analysis = analyse(plan)
    if not analysis.valid:
        # The analysis lists the plan's own errors (no phases, bad JSON) before the graph's.
        _answer_once(
            ctx, repo, comment, "plan", messages.invalid_plan(found.source, analysis.errors)
        )
        return

    store = ctx.runtime.store
    current = store.current(comment.repo.full_name, comment.issue_number)
    if current is not None and not current.status.finished:
        _answer_once(ctx, repo, comment, "exists", messages.run_in_progress())
        return
    run_id = store.next_run_id(comment.repo.id, comment.repo.full_name, comment.issue_number)
    now = ctx.runtime.clock()
    state = new_run(
        plan,
        run_id=run_id,
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
            failure_policy=config.failure_policy,
            builder_deadline_seconds=builder_timeout(config),
            consultation=ConsultationSettings.from_config(config),
            sandboxed=config.builder.sandbox is Sandbox.BUBBLEWRAP,
        ),
        branch_prefix=config.branch_prefix,
        plan_source=found.source,
        run_number=int(run_id.rsplit("-", 1)[1]),
    )
    try:
        store.create(state, config, at=now)
    except RunExists:
        _answer_once(ctx, repo, comment, "exists", messages.run_in_progress())
        return
    log.info("started run %s for %s#%s", state.run_id, state.repo, state.issue_number)
    if current is not None:
        supersede(ctx, repo, current, state.run_id)


def show_plan(ctx: Context, repo: RepoClient, comment: IssueComment, command: ShowPlan) -> None:
    """Post or update the issue's plan comment: what `/porch parallel` would run."""
    base_sha = repo.branch_sha(comment.repo.default_branch)
    config = _config(ctx, repo, comment, base_sha)
    if config is None:
        return
    found = _find(repo, comment, command.plan_path, base_sha)
    if not isinstance(found, FoundPlan):
        _answer_once(ctx, repo, comment, "plan", found)
        return
    plan = found.plan(comment.issue_number, split_parallel_tasks=config.plan.split_parallel_tasks)
    note = _untrusted(repo, comment, found)
    body = plan_comment(found.source, plan, analyse(plan), note=note or "")
    repo.upsert_comment(comment.issue_number, PLAN_MARKER, body, known_id=None)


def _untrusted(repo: RepoClient, comment: IssueComment, found: FoundPlan) -> str | None:
    """Why a run may not use this plan's text, or None when every author of it may.

    Whoever opened an issue can edit its body at any time, also after a maintainer read it:
    text that builders are told to follow is used only when its author could start a run.
    """
    permissions: dict[str, bool] = {comment.author: True}  # checked already

    def trusted(login: str) -> bool:
        if login not in permissions:
            permissions[login] = may_change_runs(repo.permission(login))
        return permissions[login]

    # A sub-issue plan's overview is the parent's body.
    body_used = found.source == ISSUE_BODY or bool(found.sub_issues)
    if body_used and not trusted(comment.issue_author):
        return messages.untrusted_body(comment.issue_author)
    for sub in open_sub_issues(found.sub_issues):
        if not trusted(sub.author):
            return messages.untrusted_sub_issue(sub.ref.number, sub.author)
    return None


def _answer_once(
    ctx: Context, repo: RepoClient, comment: IssueComment, kind: str, body: str
) -> None:
    """Post one answer per comment and kind, even when the delivery is handled twice."""
    key = keys.answered(comment.repo.id, comment.comment_id, kind)
    if not ctx.runtime.redis.set(key, ctx.delivery_id, nx=True, ex=ANSWERED_TTL):
        return
    marker = f"<!-- porch-parallel:answer comment={comment.comment_id} kind={kind} -->"
    try:
        repo.comment(comment.issue_number, body, marker)
    except Exception:
        ctx.runtime.redis.delete(key)  # not answered after all: a retry may answer
        raise


def _verb(command: Command) -> str:
    return type(command).__name__.lower()


def supersede(ctx: Context, repo: RepoClient, old: RunState, new_run_id: str) -> None:
    """The earlier run gives way to the new one: its open phase PRs are closed with a link to
    the new run, its temporary merge branches deleted, its status comment says so.

    Its phase branches stay: they hold the work of the closed PRs, for anyone who wants it.
    Repeatable: closed PRs and missing branches are passed over.
    """
    note = messages.superseded(new_run_id)
    for phase in old.phases.values():
        if phase.pr_number is not None:
            repo.close_pull(phase.pr_number, note)
    for pid in old.phases:
        repo.delete_branch(old.merge_branch_for(pid))
        repo.delete_branch(old.resolve_branch_for(pid))
    repo.delete_branch(old.integration_branch)
    marker = render.status_marker(old.run_id)
    body = f"{render.status_comment(old)}\n\n{note}"
    known = ctx.runtime.redis.get(keys.status_comment(old.run_id))
    repo.upsert_comment(old.issue_number, marker, body, int(known) if known else None)
