"""A run over sub-issues: the state keeps each phase's sub-issue; the status comment and the
`/porch plan` comment show them."""

from __future__ import annotations

import json
import re

from bot.core.plan_comment import PLAN_MARKER, plan_comment
from bot.core.render import status_comment
from bot.core.state import RunState, new_run
from bot.plan.graph import analyse
from bot.plan.parse import parse_plan
from bot.plan.subissues import IssueRef, SubIssue, plan_from_sub_issues


def sub(number: int, *blockers: int, title: str = "", body: str = "") -> SubIssue:
    return SubIssue(
        IssueRef(number),
        title or f"Part {number}",
        body or f"Do part {number}.",
        "maria",
        tuple(IssueRef(b) for b in blockers),
    )


FIVE = [sub(2), sub(3, 2), sub(4, 2), sub(5, 3, 4), sub(6)]


def run_over(plan) -> RunState:
    return new_run(
        plan,
        run_id="r",
        repo="octo/board",
        installation_id=1,
        issue_number=1,
        issue_title="Board",
        base_branch="main",
        base_sha="s",
        created_at=0.0,
        plan_source="the sub-issues of #1",
    )


def test_the_state_maps_every_phase_to_its_sub_issue_and_keeps_it_through_redis() -> None:
    state = run_over(plan_from_sub_issues(1, "Overview.", FIVE))
    assert state.phase_issues == {
        "issue_2": 2,
        "issue_3": 3,
        "issue_4": 4,
        "issue_5": 5,
        "issue_6": 6,
    }
    assert state.sections["issue_3"] == "Do part 3."
    assert state.overview == "Overview."
    assert RunState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_a_markdown_plan_maps_no_phase_to_an_issue() -> None:
    state = run_over(parse_plan("## Phase 1: A\n\nDo A.\n"))
    assert state.phase_issues == {}


def test_a_state_stored_before_sub_issues_existed_reads_with_none() -> None:
    data = run_over(parse_plan("## Phase 1: A\n")).to_dict()
    del data["phase_issues"]
    assert RunState.from_dict(data).phase_issues == {}


def test_the_status_comment_links_each_sub_issue() -> None:
    text = status_comment(run_over(plan_from_sub_issues(1, "", FIVE)))
    for number in range(2, 7):
        assert f"| Phase {number - 1}: Part {number} · #{number} |" in text


def test_the_plan_comment_shows_graph_waves_warnings_conflicts_and_json_block() -> None:
    subs = [
        sub(2, body="**Files**:\n- `src/app.py`\n"),
        sub(3, 2, 9),
        sub(4, body="**Files**:\n- `src/app.py`\n"),
    ]
    plan = plan_from_sub_issues(1, "", subs)
    text = plan_comment("the sub-issues of #1", plan, analyse(plan))
    assert text.startswith(PLAN_MARKER)
    assert "### porch plan: 3 phases from the sub-issues of #1, valid" in text
    assert "Nothing was started" in text
    assert "```mermaid\nflowchart TD\n" in text
    assert "p_issue_2 --> p_issue_3" in text
    assert "1. Phase 1: Part 2 (#2) · Phase 3: Part 4 (#4)\n2. Phase 2: Part 3 (#3)" in text
    assert (
        "- sub-issue #3 is blocked by #9, which is open and not a sub-issue of #1; "
        "the run does not wait for it"
    ) in text
    assert "- Phase 1: Part 2 (#2) and Phase 3: Part 4 (#4): `src/app.py`" in text
    block = text.split("<details>", 1)[1]
    assert '"id": "issue_3"' in block and '"depends_on": ["issue_2"]' in block


def test_the_plan_comment_of_an_invalid_plan_lists_its_errors_and_no_waves() -> None:
    plan = plan_from_sub_issues(1, "", [sub(2, 3), sub(3, 2)])
    text = plan_comment("the sub-issues of #1", plan, analyse(plan), note="A run would refuse.")
    assert "not valid (1 error)" in text
    assert (
        "- dependency cycle: issue_2 → issue_3 → issue_2" in text
        or "- dependency cycle: issue_3 → issue_2 → issue_3" in text
    )
    assert "**Waves**" not in text
    assert "> A run would refuse." in text


def test_the_plan_comment_mentions_nobody_a_plan_names() -> None:
    plan = plan_from_sub_issues(1, "", [sub(2, title="Ask @octocat")])
    text = plan_comment("the sub-issues of #1", plan, analyse(plan))
    # GitHub notifies for mentions in text, not in code blocks (the graph, the JSON block).
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    assert "@octocat" not in prose
    assert "1. Phase 1: Ask @\u200boctocat (#2)" in prose
