"""An issue's sub-issues as a plan: one phase per open sub-issue, edges from "blocked by".

The records come from GitHub (the adapter fetches them); everything here is pure. The rules,
as docs/plan-format.md states them:

- one phase per open sub-issue, in the parent's order; its title and section are the
  sub-issue's title and body;
- a "blocked by" relation to an open sibling is an edge; a closed blocker (sibling or not)
  counts as done; an open blocker outside the siblings is a warning, not waited for;
- when no sub-issue has any "blocked by" relation, the phases run in plan order, as a
  markdown plan without dependency lines does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.plan.markdown import scan
from bot.plan.model import DependencySource, Diagnostic, Phase, Plan, PlanSource
from bot.plan.touches import section_touches


@dataclass(frozen=True)
class IssueRef:
    """An issue as a relation names it; `repo` is empty for the parent's own repository."""

    number: int
    closed: bool = False
    repo: str = ""

    def __str__(self) -> str:
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class SubIssue:
    """One sub-issue of the parent, with the issues it is blocked by."""

    ref: IssueRef
    title: str
    body: str
    author: str
    blocked_by: tuple[IssueRef, ...] = ()


def phase_id(number: int) -> str:
    """The phase id of sub-issue `number`: it names the phase's branch too."""
    return f"issue_{number}"


def open_sub_issues(subs: Sequence[SubIssue]) -> list[SubIssue]:
    """The sub-issues that become phases: the open ones of the parent's own repository."""
    return [s for s in subs if not s.ref.closed and not s.ref.repo]


def plan_from_sub_issues(parent: int, overview: str, subs: Sequence[SubIssue]) -> Plan:
    """The plan the parent's sub-issues make. Never raises: problems become errors."""
    members = open_sub_issues(subs)
    warnings = [
        Diagnostic(f"sub-issue {s.ref} is in another repository; it is not run here")
        for s in subs
        if s.ref.repo and not s.ref.closed
    ]
    if not members:
        closed = len(subs) - len(warnings)
        message = f"every sub-issue of #{parent} is closed ({closed}): there is nothing to run"
        return Plan(
            phases=(),
            overview=overview,
            warnings=tuple(warnings),
            errors=(Diagnostic(message),),
            source=PlanSource.SUB_ISSUES,
        )
    declared = any(s.blocked_by for s in subs)
    siblings = {s.ref.number for s in members}
    phases = []
    for position, sub in enumerate(members):
        if declared:
            deps = []
            for blocker in sub.blocked_by:
                if blocker.closed:
                    continue  # done already: nothing to wait for
                if not blocker.repo and blocker.number in siblings:
                    deps.append(phase_id(blocker.number))
                    continue
                warnings.append(
                    Diagnostic(
                        f"sub-issue #{sub.ref.number} is blocked by {blocker}, which is open "
                        f"and not a sub-issue of #{parent}; the run does not wait for it"
                    )
                )
            source = DependencySource.BLOCKED_BY
        elif position:
            deps, source = (
                [phase_id(members[position - 1].ref.number)],
                DependencySource.PREVIOUS_PHASE,
            )
        else:
            deps, source = [], DependencySource.FIRST_PHASE
        doc = scan(sub.body)
        phases.append(
            Phase(
                id=phase_id(sub.ref.number),
                label=str(position + 1),
                title=sub.title.strip() or f"#{sub.ref.number}",
                line=0,
                depends_on=tuple(dict.fromkeys(deps)),
                touches=section_touches(doc, [(0, len(doc.lines))]),
                section=sub.body,
                depends_source=source,
                issue=sub.ref.number,
            )
        )
    return Plan(
        phases=tuple(phases),
        overview=overview,
        warnings=tuple(warnings),
        source=PlanSource.SUB_ISSUES,
    )
