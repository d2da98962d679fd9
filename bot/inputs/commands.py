"""`/porch …` commands in comment bodies, and who may give them. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

PREFIX = "/porch"

# The prefix must stand alone: "/porchy" or "/porch-bot" is not ours.
_COMMAND_LINE = re.compile(r"^[ \t]*/porch(?:[ \t]+(?P<rest>.*?))?[ \t]*$", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
# Issue templates explain commands inside HTML comments, which GitHub does not show.
_HTML_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Parallel:
    """Start a run from the plan in the issue body, or in `plan_path` at the base branch."""

    plan_path: str | None = None
    changes_run: ClassVar[bool] = True


@dataclass(frozen=True)
class ShowPlan:
    """Post (or update) a comment with the graph `/porch parallel` would run; start nothing.

    Anyone may ask: it reads only what the asker can read already (the issue, its sub-issues,
    files on the default branch), starts nothing, and keeps one comment per issue.
    """

    plan_path: str | None = None
    changes_run: ClassVar[bool] = False


@dataclass(frozen=True)
class Status:
    """Bring the status comment up to date."""

    changes_run: ClassVar[bool] = False


@dataclass(frozen=True)
class Cancel:
    """Stop the run: cancel queued and running builders."""

    changes_run: ClassVar[bool] = True


@dataclass(frozen=True)
class Help:
    """Answer with HELP_TEXT."""

    changes_run: ClassVar[bool] = False


@dataclass(frozen=True)
class Retry:
    """Run a failed phase again; `phase` is the reference as written ("2", "phase_2", …)."""

    phase: str
    changes_run: ClassVar[bool] = True


@dataclass(frozen=True)
class Skip:
    """Treat a phase as done without building it, so its dependents can start."""

    phase: str
    changes_run: ClassVar[bool] = True


@dataclass(frozen=True)
class Approve:
    """A person's approval of a phase being consulted: it is done, its dependents may start."""

    phase: str
    changes_run: ClassVar[bool] = True


@dataclass(frozen=True)
class Consult:
    """Run a phase's automated consultants again on its current head."""

    phase: str
    changes_run: ClassVar[bool] = True


@dataclass(frozen=True)
class Resolved:
    """A person resolved a merge conflict on the branch the bot named; resume the run."""

    changes_run: ClassVar[bool] = True


@dataclass(frozen=True)
class Unknown:
    """A `/porch` line we do not understand; `text` is what followed the prefix."""

    text: str
    changes_run: ClassVar[bool] = False


Command = (
    Parallel
    | ShowPlan
    | Status
    | Cancel
    | Help
    | Retry
    | Skip
    | Approve
    | Consult
    | Resolved
    | Unknown
)

HELP_TEXT = """\
**porch** runs the phases of the plan in this issue in parallel, each on its own branch \
with its own draft PR, starting every phase as soon as the phases it depends on are done.

| Command | What it does |
| --- | --- |
| `/porch parallel [plan-path]` | Start a run from `plan-path` on the default branch, else \
the plan in this issue's body or a plan file it names, else this issue's sub-issues. |
| `/porch plan [plan-path]` | Show the graph a run would use (waves, warnings, predicted \
conflicts, the JSON block) in one comment, kept up to date; starts nothing. |
| `/porch status` | Bring the status comment up to date. |
| `/porch cancel` | Stop the run and its builders. |
| `/porch approve <phase>` | Approve a phase waiting for consultation, so its dependents \
start. |
| `/porch consult <phase>` | Run a phase's automated consultants again. |
| `/porch retry <phase>` | Build a failed phase again. |
| `/porch skip <phase>` | Mark a phase done without building it. |
| `/porch resolved` | Resume after you resolved a merge conflict. |
| `/porch help` | Show this message. |

Commands go at the start of a line of a new comment. Starting or changing a run needs \
write access to the repository; anyone may ask for `/porch plan`, `status` and `help`. \
The repository's `.github/porch.yml` configures the builder, checks and limits.
"""


def parse_commands(body: str) -> list[Command]:
    """Every `/porch` line of a comment body, in order; code blocks and HTML comments skipped."""
    commands: list[Command] = []
    in_fence = False
    for line in _HTML_COMMENT.sub("", body).splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _COMMAND_LINE.match(line)
        if match:
            commands.append(_parse_rest(match.group("rest") or ""))
    return commands


def _parse_rest(rest: str) -> Command:
    words = rest.split()
    if not words:
        return Help()
    verb, args = words[0].lower(), words[1:]
    if verb == "parallel" and len(args) <= 1:
        return Parallel(plan_path=_unquote(args[0]) if args else None)
    if verb == "plan" and len(args) <= 1:
        return ShowPlan(plan_path=_unquote(args[0]) if args else None)
    if verb in _PHASE_VERBS and args:
        # The phase reference may have spaces ("Phase 2"); keep it as written.
        phase = _unquote(rest.split(None, 1)[1].strip())
        return _PHASE_VERBS[verb](phase)
    if not args:
        simple: dict[str, Command] = {
            "status": Status(),
            "cancel": Cancel(),
            "help": Help(),
            "resolved": Resolved(),
        }
        if verb in simple:
            return simple[verb]
    return Unknown(rest)


_PHASE_VERBS: dict[str, type[Retry | Skip | Approve | Consult]] = {
    "retry": Retry,
    "skip": Skip,
    "approve": Approve,
    "consult": Consult,
}


def _unquote(text: str) -> str:
    # People paste paths as `code` or in quotes; the quotes are not part of the path.
    for quote in ("`", '"', "'"):
        if len(text) >= 2 and text.startswith(quote) and text.endswith(quote):
            return text[1:-1].strip()
    return text


# Collaborator permissions that may start or change a run. GitHub's permission endpoint
# reports "maintain" as "write" in its legacy field and as itself in role_name: accept both.
_RUN_CHANGING_PERMISSIONS = frozenset({"write", "maintain", "admin"})


def may_change_runs(permission: str) -> bool:
    """Whether a collaborator permission ("read", "triage", "write", …) may start or change runs."""
    return permission.strip().lower() in _RUN_CHANGING_PERMISSIONS


def refusal_text(login: str) -> str:
    """The one polite answer to someone without write access who tried to start or change a run."""
    return (
        f"Thanks, @{login}! Only people with write access to this repository can start or "
        "change a porch run, so I have not acted on this. A maintainer can run the command "
        "for you."
    )


def comment_may_hold_commands(action: str, sender_type: str) -> bool:
    """Only newly created comments by people count: edits and bots (ourselves too) are ignored."""
    return action == "created" and sender_type != "Bot"
