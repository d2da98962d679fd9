"""An issue's sub-issues as the plan, against the local GitHub: the graph "blocked by" states,
each phase PR pointing at its sub-issue, `/porch plan`, and what is refused."""

from __future__ import annotations

from bot.core.plan_comment import PLAN_MARKER
from bot.core.state import PhaseStatus, RunStatus
from tests.integration.conftest import MAINTAINER, REPO, Porch

ACTIVE = {PhaseStatus.MERGING, PhaseStatus.PREPARING, PhaseStatus.QUEUED, PhaseStatus.BUILDING}
PARTS = ("Model", "API", "UI", "Integration", "Docs")


def _issue(porch: Porch, title: str, body: str = "", user: str = MAINTAINER) -> int:
    return int(porch.hub.control.open_issue(REPO, user, title, body)["number"])


def _board(porch: Porch, blocked: dict[str, list[str]], user: str = MAINTAINER) -> dict[str, int]:
    """The parent "Board" with the five parts as sub-issues, blocked as `blocked` says."""
    numbers = {"Board": _issue(porch, "Board", "The task board, in five parts.")}
    for part in PARTS:
        author = user if part == "UI" else MAINTAINER
        numbers[part] = _issue(porch, part, f"Build the {part.lower()}.", user=author)
        porch.hub.control.add_sub_issue(REPO, numbers["Board"], numbers[part], MAINTAINER)
    for part, blockers in blocked.items():
        for blocker in blockers:
            porch.hub.control.add_blocked_by(REPO, numbers[part], numbers[blocker], MAINTAINER)
    return numbers


def _bot_comments(porch: Porch, issue: int) -> list[str]:
    return [c.body for c in porch.comments(issue) if c.user.login == porch.hub.bot_login]


THREE = {"API": ["Model"], "UI": ["Model"], "Integration": ["API"]}


def test_five_sub_issues_run_in_parallel_where_blocked_by_allows(porch: Porch) -> None:
    porch.repo()
    n = _board(porch, THREE)
    board = n["Board"]
    porch.hub.control.comment(REPO, board, MAINTAINER, "/porch parallel")
    porch.settle()

    state = porch.run(board)
    assert state is not None
    assert state.status is RunStatus.DONE, [p.error for p in state.phases.values()]
    pid = {part: f"issue_{n[part]}" for part in PARTS}
    assert state.plan_source == f"the sub-issues of #{board}"
    # The integration PR's `Closes #n` lines come from this mapping.
    assert state.phase_issues == {pid[part]: n[part] for part in PARTS}
    assert state.deps == {
        pid["Model"]: (),
        pid["API"]: (pid["Model"],),
        pid["UI"]: (pid["Model"],),
        pid["Integration"]: (pid["API"],),
        pid["Docs"]: (),
    }

    # The event log: who left `pending` with whom, and what ran at the same time.
    log = porch.store.history(state.run_id)
    started = [
        {m.phase_id for m in entry.moves if m.source is PhaseStatus.PENDING}
        for entry in log
        if any(m.source is PhaseStatus.PENDING for m in entry.moves)
    ]
    assert started == [
        {pid["Model"], pid["Docs"]},
        {pid["API"], pid["UI"]},
        {pid["Integration"]},
    ]
    active: set[str] = set()
    together: list[set[str]] = []
    done_before: dict[str, set[str]] = {}
    done: set[str] = set()
    for entry in log:
        for move in entry.moves:
            if move.source is PhaseStatus.PENDING:
                done_before[move.phase_id] = set(done)
            if move.target in ACTIVE:
                active.add(move.phase_id)
            else:
                active.discard(move.phase_id)
            if move.target is PhaseStatus.DONE:
                done.add(move.phase_id)
        together.append(set(active))
    assert {pid["Model"], pid["Docs"]} in together
    assert any({pid["API"], pid["UI"]} <= now for now in together)
    assert pid["Model"] in done_before[pid["API"]] and pid["Model"] in done_before[pid["UI"]]
    assert pid["API"] in done_before[pid["Integration"]]
    assert pid["UI"] not in done_before[pid["Integration"]]  # not blocked by UI: no wait

    # Every phase PR names its sub-issue; the status comment links each one.
    repo = porch.hub.github().get_repo(REPO)
    pulls = {p.head.ref.rsplit("/", 1)[-1]: p for p in repo.get_pulls(state="open")}
    assert sorted(pulls) == sorted([*pid.values(), "integration"])
    for part in PARTS:
        body = pulls[pid[part]].body
        assert body.startswith(f"Part of #{n[part]}.")
        assert f"Build the {part.lower()}." in body
    [status] = [c for c in _bot_comments(porch, board) if "porch-parallel:status" in c]
    for part in PARTS:
        assert f"· #{n[part]} |" in status

    # The integration PR closes the parent and every sub-issue once it is merged.
    assert state.integration_pr is not None
    integration = repo.get_pull(state.integration_pr)
    for number in [board, *n.values()]:
        assert f"Closes #{number}" in integration.body
    porch.hub.control.merge_pull(REPO, state.integration_pr, MAINTAINER)
    porch.settle()
    assert {number: repo.get_issue(number).state for number in n.values()} == {
        number: "closed" for number in n.values()
    }


def test_porch_plan_posts_the_graph_once_and_updates_it_for_anyone(porch: Porch) -> None:
    porch.repo()
    porch.hub.control.add_collaborator(REPO, "rita", "read")
    n = _board(porch, {"API": ["Model"]})
    board = n["Board"]
    porch.hub.control.comment(REPO, board, "rita", "/porch plan")
    porch.settle()
    [first] = [c for c in _bot_comments(porch, board) if PLAN_MARKER in c]
    assert f"### porch plan: 5 phases from the sub-issues of #{board}, valid" in first
    assert "```mermaid" in first and '"phases": [' in first

    # A new relation, asked again: the same comment, edited in place.
    porch.hub.control.add_blocked_by(REPO, n["Integration"], n["API"], MAINTAINER)
    porch.hub.control.comment(REPO, board, MAINTAINER, "/porch plan")
    porch.settle()
    plans = [c for c in _bot_comments(porch, board) if PLAN_MARKER in c]
    assert len(plans) == 1
    assert f'"depends_on": ["issue_{n["API"]}"]' in plans[0]
    assert plans[0].count(f"issue_{n['API']}") > first.count(f"issue_{n['API']}")
    assert porch.run(board) is None  # nothing was started
    assert [b.name for b in porch.hub.github().get_repo(REPO).get_branches()] == ["main"]


def test_a_closed_blocker_counts_as_done_and_an_outside_one_is_a_warning(porch: Porch) -> None:
    porch.repo()
    n = _board(porch, {"API": ["Model"]})
    outside = _issue(porch, "Someone else's work")
    porch.hub.control.add_blocked_by(REPO, n["UI"], outside, MAINTAINER)
    porch.hub.control.update_issue(REPO, n["Model"], MAINTAINER, state="closed")
    board = n["Board"]
    porch.hub.control.comment(REPO, board, MAINTAINER, "/porch plan\n/porch parallel")
    porch.settle()

    [plan] = [c for c in _bot_comments(porch, board) if PLAN_MARKER in c]
    assert (
        f"sub-issue #{n['UI']} is blocked by #{outside}, which is open and not a sub-issue "
        f"of #{board}; the run does not wait for it"
    ) in plan
    state = porch.run(board)
    assert state is not None and state.status is RunStatus.DONE
    assert f"issue_{n['Model']}" not in state.phases  # closed: no phase
    assert all(not deps for deps in state.deps.values())  # Model is done; the rest is free


def test_a_cycle_is_refused_with_the_same_clear_error(porch: Porch) -> None:
    porch.repo()
    n = _board(porch, {"API": ["UI"], "UI": ["API"]})
    board = n["Board"]
    porch.hub.control.comment(REPO, board, MAINTAINER, "/porch parallel")
    porch.settle()
    [answer] = _bot_comments(porch, board)
    assert f"cannot run the plan in the sub-issues of #{board}" in answer
    api, ui = f"issue_{n['API']}", f"issue_{n['UI']}"
    # The cycle may be named from either end.
    assert f"dependency cycle: {api} → {ui} → {api}" in answer or (
        f"dependency cycle: {ui} → {api} → {ui}" in answer
    )
    assert porch.run(board) is None


def test_a_sub_issue_by_someone_without_write_access_is_refused_by_name(porch: Porch) -> None:
    porch.repo()
    porch.hub.control.add_collaborator(REPO, "rita", "read")
    n = _board(porch, THREE, user="rita")  # rita opened the UI sub-issue
    board = n["Board"]
    porch.hub.control.comment(REPO, board, MAINTAINER, "/porch parallel")
    porch.settle()
    [answer] = _bot_comments(porch, board)
    assert f"@rita, who opened #{n['UI']}" in answer
    assert "does not have write access" in answer
    assert porch.run(board) is None
    assert [b.name for b in porch.hub.github().get_repo(REPO).get_branches()] == ["main"]
