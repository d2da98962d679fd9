"""Where a run's plan comes from: command path, then body, then a named file, then sub-issues."""

from __future__ import annotations

from bot.inputs.discovery import ISSUE_BODY, FoundPlan, PlanNotFound, find_plan
from bot.plan.model import PlanSource
from bot.plan.subissues import IssueRef, SubIssue

PLAN = "## Phase 1: A\n\nDo A.\n\n## Phase 2: B\n\nDo B.\n"
SUBS = [
    SubIssue(IssueRef(2), "First", "Do it.", "maria"),
    SubIssue(IssueRef(3), "Next", "", "maria"),
]


class Asked:
    """Sub-issues that remember whether anyone asked for them (a GitHub request each time)."""

    def __init__(self, subs: list[SubIssue]) -> None:
        self.subs = subs
        self.times = 0

    def __call__(self) -> list[SubIssue]:
        self.times += 1
        return self.subs


def test_the_command_path_comes_first() -> None:
    asked = Asked(SUBS)
    read = {"plans/x.md": PLAN}.get
    found = find_plan(PLAN, "plans/x.md", read, "main", asked, 1)
    assert isinstance(found, FoundPlan) and found.source == "`plans/x.md`"
    assert asked.times == 0


def test_a_plan_in_the_body_comes_before_sub_issues_which_are_not_fetched() -> None:
    asked = Asked(SUBS)
    found = find_plan(PLAN, None, {}.get, "main", asked, 1)
    assert isinstance(found, FoundPlan) and found.source == ISSUE_BODY
    assert asked.times == 0


def test_a_named_plan_file_comes_before_sub_issues() -> None:
    asked = Asked(SUBS)
    body = "See codev/plans/0004-board.md."
    found = find_plan(body, None, {"codev/plans/0004-board.md": PLAN}.get, "main", asked, 1)
    assert isinstance(found, FoundPlan) and found.source == "`codev/plans/0004-board.md`"
    assert asked.times == 0


def test_sub_issues_when_nothing_else_applies() -> None:
    found = find_plan("The board, in parts.", None, {}.get, "main", Asked(SUBS), 1)
    assert isinstance(found, FoundPlan)
    assert found.source == "the sub-issues of #1"
    plan = found.plan(1)
    assert plan.source is PlanSource.SUB_ISSUES
    assert [p.id for p in plan.phases] == ["issue_2", "issue_3"]
    assert plan.overview == "The board, in parts."


def test_sub_issues_before_a_named_file_that_does_not_exist() -> None:
    body = "Was codev/plans/0004-board.md."
    found = find_plan(body, None, {}.get, "main", Asked(SUBS), 1)
    assert isinstance(found, FoundPlan) and found.sub_issues


def test_nothing_at_all_says_where_it_looked() -> None:
    found = find_plan("Hello.", None, {}.get, "main", Asked([]), 1)
    assert isinstance(found, PlanNotFound)
    assert "no sub-issues" in found.reason


def test_split_parallel_tasks_reaches_the_task_list_reader() -> None:
    tasks = (
        "# Tasks\n\n## Phase 1: Setup\n\n- [ ] T001 Create src/app.py\n"
        "- [ ] T002 [P] Add src/a.py\n- [ ] T003 [P] Add src/b.py\n"
    )
    found = find_plan(tasks, None, {}.get, "main", Asked([]), 1)
    assert isinstance(found, FoundPlan)
    assert len(found.plan(1, split_parallel_tasks=True).phases) > len(found.plan(1).phases)
