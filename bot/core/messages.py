"""Every message the bot posts about a problem, in one place. Pure: no I/O, no GitHub types."""

from __future__ import annotations

from collections.abc import Iterable

from bot.errors import ConfigError
from bot.inputs.commands import HELP_TEXT
from bot.inputs.config import CONFIG_PATH
from bot.plan.model import Diagnostic

TITLE = "**porch-parallel**"


def _lines(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n".join(
        f"- line {d.line}: {d.message}" if d.line else f"- {d.message}" for d in diagnostics
    )


def invalid_plan(source: str, errors: Iterable[Diagnostic]) -> str:
    return (
        f"{TITLE} cannot run the plan in {source}: it is not valid, so nothing was created.\n\n"
        f"{_lines(errors)}\n\n"
        "Fix the plan and comment `/porch parallel` again. "
        "`porch-parallel plan <file>` shows the same check locally."
    )


def plan_not_found(reason: str) -> str:
    return (
        f"{TITLE} found no plan to run. {reason}\n\n"
        "Put the plan in the issue body, name its file in the body, give its path "
        "(`/porch parallel codev/plans/0042-my-plan.md`), or add sub-issues to this issue."
    )


def bad_config(error: ConfigError) -> str:
    problems = error.problems or (str(error),)
    listed = "\n".join(f"- {problem}" for problem in problems)
    return (
        f"{TITLE} cannot start: `{CONFIG_PATH}` on the default branch is not valid, "
        f"so nothing was created.\n\n{listed}\n\nSee docs/config.md for every key."
    )


def no_builder() -> str:
    return (
        f"{TITLE} cannot start: `{CONFIG_PATH}` on the default branch sets no "
        "`builder.command`, so there is nothing to build the phases with. For example:\n\n"
        '```yaml\nbuilder:\n  command: claude -p "$(cat $PORCH_PROMPT_FILE)"\n'
        "  timeout_minutes: 60\n```"
    )


def run_in_progress(run_url_hint: str = "") -> str:
    return (
        f"{TITLE}: a run for this issue is already in progress{run_url_hint}. "
        "Use `/porch status` to see it or `/porch cancel` to stop it first."
    )


def no_run() -> str:
    return f"{TITLE}: there is no run for this issue yet. Start one with `/porch parallel`."


def unknown_command(text: str) -> str:
    return f"{TITLE} does not know `/porch {text}`.\n\n{HELP_TEXT}"


def help_text() -> str:
    return HELP_TEXT


def untrusted_body(author: str) -> str:
    return (
        f"{TITLE} will not run the plan in this issue's body: @{author}, who opened the issue "
        "and can edit its body at any time, does not have write access, and the plan decides "
        "what builders are told to do. Put the plan in a file on the default branch and run "
        "`/porch parallel path/to/plan.md`, or open a new issue with it yourself."
    )


def not_consulting(phase_id: str, status: str) -> str:
    return (
        f"{TITLE}: `{phase_id}` is {status}, not waiting for consultation, so nothing changed. "
        "`/porch approve` and `/porch consult` act on a phase that is `consulting`."
    )


def no_consultants() -> str:
    return (
        f"{TITLE}: this run has no automated consultants (`consultation.consultants` in "
        "`.github/porch.yml` when the run started), so there is nothing to run again."
    )


def conflict_needs_person(
    *,
    phase: str,
    meeting: Iterable[str],
    files: Iterable[str],
    rungs: Iterable[str],
    hunks: str,
    resolve_branch: str,
    heads: Iterable[tuple[str, str]],
) -> str:
    """The one comment asking a person to resolve a conflict no rung of the ladder could.

    `heads` pairs each dependency phase with the branch holding its work.
    """
    heads = list(heads)
    merges = "\n".join(f"git merge origin/{branch}   # {pid}" for pid, branch in heads[1:])
    fence = "`" * max(3, _longest_backticks(hunks) + 1)
    tried = "\n".join(f"- {rung}" for rung in rungs)
    return (
        f"{TITLE}: the work of {', '.join(meeting)} conflicts, and {phase} starts from their "
        f"merge. It waits for you.\n\n"
        f"**Files:** {', '.join(f'`{f}`' for f in files)}\n\n"
        f"**Tried:**\n{tried}\n\n"
        f"**The conflicting hunks:**\n\n{fence}diff\n{hunks}\n{fence}\n\n"
        f"**To resolve it** on `{resolve_branch}`, which holds {heads[0][0]}'s work:\n\n"
        f"```sh\ngit fetch origin\ngit switch {resolve_branch}\n{merges}\n"
        f"# edit the files above, remove every conflict marker, then\n"
        f"git add -A && git commit --no-edit\ngit push origin {resolve_branch}\n```\n\n"
        "Then comment `/porch resolved` here: once the branch holds every phase's work and no "
        f"conflict markers, {phase} starts from it."
    )


def resolution_refused(phase: str, resolve_branch: str, problems: Iterable[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        f"{TITLE} cannot go on with {phase} yet: `{resolve_branch}` is not resolved.\n\n"
        f"{listed}\n\nPush the resolution to `{resolve_branch}` and comment `/porch resolved` "
        "again."
    )


def nothing_to_resolve() -> str:
    return f"{TITLE}: no phase of this issue's run is waiting for a resolved conflict."


def _longest_backticks(text: str) -> int:
    run = best = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        best = max(best, run)
    return best


def superseded(new_run_id: str) -> str:
    return (
        f"{TITLE}: this run was superseded by run `{new_run_id}`, started with "
        "`/porch parallel` after it ended; its status comment is the newer one below."
    )


def untrusted_sub_issue(number: int, author: str) -> str:
    return (
        f"{TITLE} will not run the sub-issues of this issue: @{author}, who opened #{number} "
        "and can edit its body at any time, does not have write access, and a sub-issue's "
        "body is what its builder is told to do. Ask a maintainer to open that sub-issue "
        "instead (or take it off this issue), then comment `/porch parallel` again."
    )


UNSANDBOXED = (
    "> [!WARNING]\n"
    "> This run's builders are **not sandboxed** (`builder.sandbox: none` in "
    "`.github/porch.yml`): they run as the builder worker's user, with its files in reach."
)


def overdue(status: str, seconds: int) -> str:
    """Why a phase failed after staying too long in one state."""
    waited = (
        f"{seconds // 3600} h {seconds % 3600 // 60} min"
        if seconds >= 3600
        else (f"{max(seconds // 60, 1)} min")
    )
    why = {
        "merging": "merging its dependencies' heads did not finish; GitHub, or every events "
        "worker, may be down",
        "preparing": "its branch, draft PR and check run were not made; GitHub, or every "
        "events worker, may be down",
        "queued": "no builder worker took its job; is a `porch-parallel worker --role "
        "builders` running?",
    }.get(status, "its job did not report")
    return f"It stayed {status} for {waited}: {why}."


def unknown_phase(reference: str, phase_ids: Iterable[str]) -> str:
    ids = ", ".join(f"`{pid}`" for pid in phase_ids)
    return f"{TITLE}: this run has no phase `{reference}`. Its phases: {ids}."


def cannot_control(verb: str, phase_id: str, reason: str) -> str:
    return f"{TITLE} cannot {verb} `{phase_id}`: {reason}."


def button_refusal(login: str, button: str) -> str:
    return (
        f"Thanks, @{login}! Only people with write access to this repository can change a "
        f"porch run, so I have not acted on **{button}**. A maintainer can press it for you."
    )
