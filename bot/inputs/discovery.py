"""Where a run's plan comes from: the command's path, the issue body, or a file the body names."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.plan.parse import parse_plan

# codev's layouts: codev/plans/0042-name.md and codev/projects/<id>-name/plan.md; links to
# them (…/blob/main/codev/plans/…) contain the same path.
_PLAN_PATH = re.compile(
    r"(?<![\w/.-])(?:[\w.-]+/)*?(codev/plans/\d+[\w.-]*\.md|codev/projects/[\w.-]+/plan\.md)"
)


ISSUE_BODY = "the issue body"


@dataclass(frozen=True)
class FoundPlan:
    text: str
    source: str  # "the issue body" or a path, for messages and the status comment


@dataclass(frozen=True)
class PlanNotFound:
    reason: str


def named_plan_paths(body: str) -> list[str]:
    """Plan files the body names or links, in order of appearance, without repeats."""
    return list(dict.fromkeys(match.group(1) for match in _PLAN_PATH.finditer(body)))


def find_plan(
    body: str, command_path: str | None, read: Callable[[str], str | None], ref: str
) -> FoundPlan | PlanNotFound:
    """The plan a run should use; `read(path)` returns a file at the base branch or None."""
    if command_path:
        path = command_path.strip().lstrip("/")
        text = read(path)
        if text is None:
            return PlanNotFound(f"There is no file `{path}` on `{ref}`.")
        return FoundPlan(text, f"`{path}`")
    if parse_plan(body).phases:
        return FoundPlan(body, ISSUE_BODY)
    named = named_plan_paths(body)
    for path in named:
        text = read(path)
        if text is not None:
            return FoundPlan(text, f"`{path}`")
    if named:
        listed = ", ".join(f"`{p}`" for p in named)
        return PlanNotFound(f"The issue names {listed}, but none of them exists on `{ref}`.")
    return PlanNotFound(
        "This issue's body holds no phases, and names no plan file "
        "(`codev/plans/NNNN-*.md` or `codev/projects/<id>-*/plan.md`)."
    )
