"""How runs end when things go wrong: failing builders and checks, conflicts, cancel, GitHub
errors after the write."""

from __future__ import annotations

from bot.core.events import StatusRequested
from bot.core.state import PhaseStatus, RunStatus
from tests.integration.conftest import BUILDER, DIAMOND, MAINTAINER, REPO, Porch, porch_config


def _statuses(porch: Porch, issue: int) -> dict[str, PhaseStatus]:
    state = porch.run(issue)
    assert state is not None
    return {pid: phase.status for pid, phase in state.phases.items()}


def _check_runs(porch: Porch, sha: str) -> list[tuple[str, str | None, str]]:
    runs = porch.hub.github().get_repo(REPO).get_commit(sha).get_check_runs()
    return [(r.status, r.conclusion, r.output.text or "") for r in runs]


def test_a_failed_builder_blocks_its_dependents_and_its_sibling_goes_on(porch: Porch) -> None:
    porch.repo(config=porch_config(f"SCRIPTED_BUILDER_FAIL=phase_2 python3 {BUILDER}"))
    issue = porch.start()
    assert _statuses(porch, issue) == {
        "phase_1": PhaseStatus.DONE,
        "phase_2": PhaseStatus.FAILED,
        "phase_3": PhaseStatus.DONE,
        "phase_4": PhaseStatus.BLOCKED,
    }
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.FAILED
    failed = state.phase("phase_2")
    assert failed.attempt == 2  # builder.retries defaults to one retry
    assert "failing on purpose" in failed.log_tail
    assert failed.head_sha is not None
    [(status, conclusion, text)] = _check_runs(porch, failed.head_sha)
    assert (status, conclusion) == ("completed", "failure")
    assert "failing on purpose" in text


def test_a_failing_check_fails_the_phase(porch: Porch) -> None:
    config = (
        porch_config() + "checks:\n  - test ! -f app/phase_3.py || (echo lint says no; exit 4)\n"
    )
    porch.repo(config=config)
    issue = porch.start()
    statuses = _statuses(porch, issue)
    assert statuses["phase_3"] is PhaseStatus.FAILED
    assert statuses["phase_4"] is PhaseStatus.BLOCKED
    state = porch.run(issue)
    assert state is not None
    assert "lint says no" in state.phase("phase_3").log_tail
    assert "exited with status 4" in state.phase("phase_3").error


def test_dependencies_that_do_not_merge_wait_for_a_person_with_a_clear_message(
    porch: Porch,
) -> None:
    porch.repo(config=porch_config(f"SCRIPTED_BUILDER_SHARED=app/shared.py python3 {BUILDER}"))
    issue = porch.start()
    statuses = _statuses(porch, issue)
    assert statuses["phase_2"] is PhaseStatus.DONE and statuses["phase_3"] is PhaseStatus.DONE
    assert statuses["phase_4"] is PhaseStatus.CONFLICTED
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.RUNNING
    rungs = state.phase("phase_4").merge_rungs
    assert rungs[0] == "github: phase_3 conflicts with phase_2"
    assert rungs[1] == "local: phase_3 conflicts with phase_2 in app/shared.py"
    assert rungs[-1].startswith("person: asked to resolve on ")
    comment = next(c.body for c in porch.comments(issue) if "porch-parallel:status" in c.body)
    assert "waiting for a person" in comment


def test_cancel_stops_the_run(porch: Porch) -> None:
    porch.repo()
    issue = porch.start(text="/porch parallel\n/porch cancel")
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.CANCELLED
    assert set(_statuses(porch, issue).values()) == {PhaseStatus.CANCELLED}


def test_accepted_commands_get_an_eyes_reaction(porch: Porch) -> None:
    porch.repo()
    issue = porch.hub.control.open_issue(REPO, MAINTAINER, "Task board", DIAMOND)["number"]
    comment = porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch parallel")
    porch.settle()  # the comment's id is needed, so not porch.start()
    gh_comment = porch.hub.github().get_repo(REPO).get_issue(issue).get_comment(comment["id"])
    assert [r.content for r in gh_comment.get_reactions()] == ["eyes"]


def test_github_failing_after_the_write_creates_no_duplicates(porch: Porch) -> None:
    porch.repo()
    for path in (
        f"/repos/{REPO}/pulls",
        f"/repos/{REPO}/issues/1/comments",
        f"/repos/{REPO}/check-runs",
    ):
        porch.hub.control.add_fault("error_after", method="POST", path=path, status=502, times=1)
    issue = porch.start()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    repo = porch.hub.github().get_repo(REPO)
    assert len(list(repo.get_pulls(state="all"))) == 5  # four phases and the integration PR
    statuses = [c for c in porch.comments(issue) if "porch-parallel:status" in c.body]
    assert len(statuses) == 1
    for phase in state.phases.values():
        assert phase.head_sha is not None
        runs = repo.get_commit(phase.head_sha).get_check_runs()
        assert len([r for r in runs if r.name != "porch: integration"]) == 1
    failed_posts = [r for r in porch.hub.requests if r.status == 502]
    assert len(failed_posts) == 3


def test_status_brings_the_one_status_comment_up_to_date(porch: Porch) -> None:
    porch.repo()
    issue = porch.start()
    [before] = [c for c in porch.comments(issue) if "porch-parallel:status" in c.body]

    def edits() -> int:
        return sum(
            1
            for d in porch.hub.deliveries
            if d.event == "issue_comment"
            and d.action == "edited"
            and d.payload["comment"]["id"] == before.id
        )

    # An edit that went missing: the comment shows less than the run knows. (An up-to-date
    # comment is not edited at all: an identical edit would only spend GitHub's budget.)
    _make_stale(porch, issue, before.id)
    edited_before = edits()
    status = porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch status")
    porch.settle()
    [after] = [c for c in porch.comments(issue) if "porch-parallel:status" in c.body]
    assert after.id == before.id
    assert edits() == edited_before + 1
    assert "4 of 4 phases done" in after.body
    comment = porch.hub.github().get_repo(REPO).get_issue(issue).get_comment(status["id"])
    assert [r.content for r in comment.get_reactions()] == ["eyes"]


def _make_stale(porch: Porch, issue: int, comment_id: int) -> None:
    comment = porch.hub.github().get_repo(REPO).get_issue(issue).get_comment(comment_id)
    comment.edit(comment.body.replace("4 of 4 phases done", "3 of 4 phases done"))
    porch.hub.flush()


def test_parallel_after_a_failed_run_starts_a_fresh_run_on_fresh_branches(porch: Porch) -> None:
    fails_first_time = (
        'if [ "${PORCH_RUN_ID##*-}" = 1 ]; then export SCRIPTED_BUILDER_FAIL=phase_2; fi; '
        f"python3 {BUILDER}"
    )
    porch.repo(config=porch_config(fails_first_time))
    issue = porch.start()
    first = porch.run(issue)
    assert first is not None and first.status is RunStatus.FAILED

    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch parallel")
    porch.settle()
    second = porch.run(issue)
    assert second is not None and second.run_id != first.run_id
    assert second.status is RunStatus.DONE, [p.error for p in second.phases.values()]
    old = {p.branch for p in first.phases.values() if p.branch}
    new = {p.branch for p in second.phases.values()}
    assert old and not old & new
    statuses = [c for c in porch.comments(issue) if "porch-parallel:status" in c.body]
    assert len(statuses) == 2  # one per run, each edited in place
    assert f"superseded by run `{second.run_id}`" in statuses[0].body
    assert "superseded" not in statuses[1].body

    # The earlier run's PRs are closed with a link to the new run: only the new run's are open.
    repo = porch.hub.github().get_repo(REPO)
    open_heads = {p.head.ref for p in repo.get_pulls(state="open")}
    assert open_heads == new | {second.integration_branch}
    for phase in first.phases.values():
        if phase.pr_number is not None:
            comments = repo.get_pull(phase.pr_number).get_issue_comments()
            assert any(second.run_id in (c.body or "") for c in comments)
    branches = {b.name for b in repo.get_branches()}
    temporary = {first.integration_branch}
    for pid in first.phases:
        temporary |= {first.merge_branch_for(pid), first.resolve_branch_for(pid)}
    assert not branches & temporary


def test_status_updates_arriving_together_cost_one_edit(porch: Porch) -> None:
    porch.repo()
    issue = porch.start()
    state = porch.run(issue)
    assert state is not None
    [comment] = [c for c in porch.comments(issue) if "porch-parallel:status" in c.body]

    def edits() -> int:
        return sum(
            1
            for d in porch.hub.deliveries
            if d.event == "issue_comment"
            and d.action == "edited"
            and d.payload["comment"]["id"] == comment.id
        )

    _make_stale(porch, issue, comment.id)
    before = edits()
    # Another worker is rendering: twenty requests meanwhile only mark the comment dirty.
    holder = porch.redis.lock(f"porch:run:{state.run_id}:status:lock", timeout=60)
    assert holder.acquire(blocking=False)
    for second in range(20):
        porch.store.apply(state.run_id, StatusRequested(at=1000.0 + second))
    porch.settle()
    assert edits() == before
    holder.release()
    porch.store.apply(state.run_id, StatusRequested(at=2000.0))
    porch.settle()
    assert edits() == before + 1


def test_a_passing_github_outage_while_preparing_is_waited_out(porch: Porch) -> None:
    porch.repo()
    # Every try of the first preparation job fails; RQ runs the job again and it goes through.
    porch.hub.control.add_fault(
        "error", method="POST", path=f"/repos/{REPO}/pulls", status=503, times=3
    )
    issue = porch.start()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    # Four phases and the integration PR.
    assert len(list(porch.hub.github().get_repo(REPO).get_pulls(state="all"))) == 5


def test_a_lasting_github_outage_while_preparing_fails_the_phase_and_says_so(
    porch: Porch,
) -> None:
    porch.repo()
    porch.hub.control.add_fault(
        "error", method="POST", path=f"/repos/{REPO}/pulls", status=503, times=None
    )
    issue = porch.start()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.FAILED
    assert "GitHub kept failing" in state.phase("phase_1").error


def test_a_repository_without_draft_prs_gets_ready_prs(porch: Porch) -> None:
    porch.hub.hub.create_repo(
        "octo",
        "board",
        files={"README.md": "# board\n", ".github/porch.yml": porch_config()},
        private=True,
        owner_plan="free",
    )
    porch.hub.control.add_collaborator(REPO, MAINTAINER, "write")
    issue = porch.start()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    pulls = list(porch.hub.github().get_repo(REPO).get_pulls(state="all"))
    pulls = [p for p in pulls if p.number != state.integration_pr]  # ready for review anyway
    assert len(pulls) == 4
    assert not any(p.draft for p in pulls)
    assert all("does not allow draft pull requests" in p.body for p in pulls)


def test_a_builder_changing_workflows_fails_with_a_clear_message(porch: Porch) -> None:
    touches_ci = (
        f"mkdir -p .github/workflows && echo x > .github/workflows/ci.yml; python3 {BUILDER}"
    )
    porch.repo(config=porch_config(touches_ci))
    issue = porch.start()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.FAILED
    assert ".github/workflows/" in state.phase("phase_1").error
