"""Where a run's plan comes from, first that applies: the command's path, the issue body, a
file the body names, the issue's sub-issues."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.plan.model import Plan
from bot.plan.parse import parse_plan
from bot.plan.subissues import SubIssue, plan_from_sub_issues

# codev's layouts: codev/plans/0042-name.md and codev/projects/<id>-name/plan.md; links to
# them (…/blob/main/codev/plans/…) contain the same path.
_PLAN_PATH = re.compile(
    r"(?<![\w/.-])(?:[\w.-]+/)*?(codev/plans/\d+[\w.-]*\.md|codev/projects/[\w.-]+/plan\.md)"
)


ISSUE_BODY = "the issue body"


@dataclass(frozen=True)
class FoundPlan:
    text: str  # the plan's markdown; for sub-issues, the parent's body (their overview)
    source: str  # "the issue body", a path or "the sub-issues of #N", for messages
    sub_issues: tuple[SubIssue, ...] = ()  # when the plan is the issue's sub-issues

    def plan(self, issue_number: int, *, split_parallel_tasks: bool = False) -> Plan:
        """The plan this source holds, read once."""
        if self.sub_issues:
            return plan_from_sub_issues(issue_number, self.text, self.sub_issues)
        return parse_plan(self.text, split_parallel_tasks=split_parallel_tasks)


@dataclass(frozen=True)
class PlanNotFound:
    reason: str


PATH_MAX = 255
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_problem(path: str) -> str | None:
    """Why `path` is not a normalised relative path inside the repository; None when it is.

    Paths come from comments, so each one is checked before it reaches an API URL: a `..`
    segment would leave the contents endpoint (`../../issues/1`), and a percent-encoded one
    would do the same after decoding.
    """
    if not path:
        return "The plan path is empty."
    if len(path) > PATH_MAX:
        return f"The plan path is longer than {PATH_MAX} characters."
    if _CONTROL.search(path):
        return "The plan path holds control characters."
    if "://" in path or path.startswith("/") or "\\" in path or re.match(r"[A-Za-z]:", path):
        return (
            f"`{path}` is not a path inside the repository: give it relative to the "
            "repository's root, such as `codev/plans/0042-board.md`."
        )
    if _PERCENT.search(path) or "?" in path or "#" in path:
        return f"`{path}` holds URL syntax (`%XX`, `?` or `#`): give the file's path as it is."
    segments = path.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return (
            f"`{path}` is not a normalised path inside the repository: no `..`, `.` or empty "
            "segments, such as `codev/plans/0042-board.md`."
        )
    return None


def named_plan_paths(body: str) -> list[str]:
    """Plan files the body names or links, in order of appearance, without repeats."""
    return list(dict.fromkeys(match.group(1) for match in _PLAN_PATH.finditer(body)))


def sub_issues_source(issue_number: int) -> str:
    return f"the sub-issues of #{issue_number}"


def find_plan(
    body: str,
    command_path: str | None,
    read: Callable[[str], str | None],
    ref: str,
    sub_issues: Callable[[], Sequence[SubIssue]] = tuple,
    issue_number: int = 0,
) -> FoundPlan | PlanNotFound:
    """The plan a run should use; `read(path)` returns a file at the base branch or None, and
    `sub_issues()` the issue's sub-issues (asked only when nothing before them applies)."""
    if command_path:
        path = command_path.strip()
        problem = path_problem(path)
        if problem is not None:
            return PlanNotFound(problem)
        text = read(path)
        if text is None:
            return PlanNotFound(f"There is no file `{path}` on `{ref}`.")
        return FoundPlan(text, f"`{path}`")
    if parse_plan(body).phases:
        return FoundPlan(body, ISSUE_BODY)
    named = named_plan_paths(body)
    for path in named:
        if path_problem(path) is not None:
            continue  # a name the pattern matched around `..`: never read
        text = read(path)
        if text is not None:
            return FoundPlan(text, f"`{path}`")
    subs = tuple(sub_issues())
    if subs:
        return FoundPlan(body, sub_issues_source(issue_number), subs)
    if named:
        listed = ", ".join(f"`{p}`" for p in named)
        return PlanNotFound(f"The issue names {listed}, but none of them exists on `{ref}`.")
    return PlanNotFound(
        "This issue's body holds no phases, names no plan file "
        "(`codev/plans/NNNN-*.md` or `codev/projects/<id>-*/plan.md`), "
        "and the issue has no sub-issues."
    )
