"""Sub-issues as a plan: phases, "blocked by" edges, closed and outside blockers, errors."""

from __future__ import annotations

from bot.plan.graph import analyse
from bot.plan.model import DependencySource, PlanSource
from bot.plan.parse import parse_plan
from bot.plan.render import to_json_block
from bot.plan.subissues import IssueRef, SubIssue, plan_from_sub_issues


def sub(number: int, *blockers: IssueRef, closed: bool = False, body: str = "") -> SubIssue:
    return SubIssue(
        ref=IssueRef(number, closed=closed),
        title=f"Part {number}",
        body=body or f"Do part {number}.",
        author="maria",
        blocked_by=blockers,
    )


def by(number: int, closed: bool = False, repo: str = "") -> IssueRef:
    return IssueRef(number, closed=closed, repo=repo)


def deps(plan) -> dict[str, tuple[str, ...]]:
    return {p.id: p.depends_on for p in plan.phases}


def test_one_phase_per_open_sub_issue_in_order_with_title_and_body() -> None:
    plan = plan_from_sub_issues(1, "The board.", [sub(3, body="Build `src/a.py`."), sub(2)])
    assert plan.source is PlanSource.SUB_ISSUES
    assert [(p.id, p.label, p.title, p.issue) for p in plan.phases] == [
        ("issue_3", "1", "Part 3", 3),
        ("issue_2", "2", "Part 2", 2),
    ]
    assert plan.phases[0].section == "Build `src/a.py`."
    assert plan.overview == "The board."


def test_nothing_declared_runs_in_plan_order() -> None:
    plan = plan_from_sub_issues(1, "", [sub(2), sub(3), sub(4)])
    assert deps(plan) == {"issue_2": (), "issue_3": ("issue_2",), "issue_4": ("issue_3",)}
    assert plan.phases[1].depends_source is DependencySource.PREVIOUS_PHASE
    assert analyse(plan).waves == (("issue_2",), ("issue_3",), ("issue_4",))


def test_blocked_by_among_siblings_are_the_edges_and_the_rest_run_at_once() -> None:
    plan = plan_from_sub_issues(
        1, "", [sub(2), sub(3, by(2)), sub(4, by(2)), sub(5, by(3), by(4)), sub(6)]
    )
    assert deps(plan) == {
        "issue_2": (),
        "issue_3": ("issue_2",),
        "issue_4": ("issue_2",),
        "issue_5": ("issue_3", "issue_4"),
        "issue_6": (),
    }
    assert analyse(plan).waves == (
        ("issue_2", "issue_6"),
        ("issue_3", "issue_4"),
        ("issue_5",),
    )
    assert not plan.warnings


def test_a_closed_blocker_counts_as_done_and_a_closed_sub_issue_is_no_phase() -> None:
    plan = plan_from_sub_issues(
        1, "", [sub(2, closed=True), sub(3, by(2, closed=True)), sub(4, by(9, closed=True))]
    )
    assert deps(plan) == {"issue_3": (), "issue_4": ()}
    assert not plan.warnings and analyse(plan).valid


def test_an_open_blocker_outside_the_siblings_is_a_warning_not_an_edge() -> None:
    plan = plan_from_sub_issues(1, "", [sub(2, by(9)), sub(3, by(4, repo="octo/api"))])
    assert deps(plan) == {"issue_2": (), "issue_3": ()}
    assert [w.message for w in plan.warnings] == [
        "sub-issue #2 is blocked by #9, which is open and not a sub-issue of #1; "
        "the run does not wait for it",
        "sub-issue #3 is blocked by octo/api#4, which is open and not a sub-issue of #1; "
        "the run does not wait for it",
    ]
    assert analyse(plan).valid


def test_a_cycle_is_the_same_clear_error_as_in_a_markdown_plan() -> None:
    plan = plan_from_sub_issues(1, "", [sub(2, by(4)), sub(3, by(2)), sub(4, by(3))])
    analysis = analyse(plan)
    assert not analysis.valid
    [error] = analysis.errors
    # Named from any of its members, without lines: sub-issues have none.
    assert error.message in {
        "dependency cycle: issue_2 → issue_3 → issue_4 → issue_2",
        "dependency cycle: issue_3 → issue_4 → issue_2 → issue_3",
        "dependency cycle: issue_4 → issue_2 → issue_3 → issue_4",
    }


def test_every_sub_issue_closed_is_an_error_naming_the_parent() -> None:
    plan = plan_from_sub_issues(7, "", [sub(8, closed=True)])
    assert not plan.phases
    assert [e.message for e in analyse(plan).errors] == [
        "every sub-issue of #7 is closed (1): there is nothing to run"
    ]


def test_sub_issues_of_another_repository_are_left_out_with_a_warning() -> None:
    other = SubIssue(IssueRef(5, repo="octo/api"), "Elsewhere", "", "maria")
    plan = plan_from_sub_issues(1, "", [sub(2), other])
    assert [p.id for p in plan.phases] == ["issue_2"]
    assert [w.message for w in plan.warnings] == [
        "sub-issue octo/api#5 is in another repository; it is not run here"
    ]


def test_touches_come_from_the_sub_issue_body() -> None:
    body = "Add the model.\n\n**Files**:\n- `src/models/user.py`\n- `tests/test_user.py`\n"
    plan = plan_from_sub_issues(1, "", [sub(2, body=body)])
    assert plan.phases[0].touches == ("src/models/user.py", "tests/test_user.py")


def test_the_json_block_written_back_reads_as_the_same_graph() -> None:
    plan = plan_from_sub_issues(1, "", [sub(2), sub(3, by(2)), sub(4, by(2)), sub(5, by(3), by(4))])
    again = parse_plan(to_json_block(plan))
    assert deps(again) == deps(plan)
