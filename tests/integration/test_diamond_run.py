"""A whole run of the four-phase diamond, in process, against the local GitHub."""

from __future__ import annotations

from github.PullRequest import PullRequest

from bot.core.state import PhaseStatus, RunState, RunStatus
from tests.integration.conftest import MAINTAINER, REPO, Porch


def test_diamond_runs_to_done_with_a_draft_pr_per_phase(porch: Porch) -> None:
    porch.repo()
    issue = porch.start()

    state = porch.run(issue)
    assert state is not None
    assert state.status is RunStatus.DONE, [p.error for p in state.phases.values()]
    assert all(p.status is PhaseStatus.DONE for p in state.phases.values())

    repo = porch.hub.github().get_repo(REPO)
    pulls = {p.head.ref.rsplit("/", 1)[-1]: p for p in repo.get_pulls(state="open")}
    integration = pulls.pop("integration")
    assert sorted(pulls) == ["phase_1", "phase_2", "phase_3", "phase_4"]
    assert all(p.draft for p in pulls.values())
    _check_integration_pr(porch, state, integration, issue)
    assert pulls["phase_1"].base.ref == "main"
    assert pulls["phase_2"].base.ref == pulls["phase_1"].head.ref
    assert pulls["phase_3"].base.ref == pulls["phase_1"].head.ref
    assert pulls["phase_4"].base.ref == pulls["phase_4"].head.ref + "-base"
    for phase_id, pull in pulls.items():
        assert [f.filename for f in pull.get_files()] == [f"app/{phase_id}.py"]


def _check_integration_pr(porch: Porch, state: RunState, pull: PullRequest, issue: int) -> None:
    """One ready PR into the default branch with every phase's work, the gantt and figures."""
    assert not pull.draft
    assert pull.base.ref == "main"
    assert pull.head.ref == state.integration_branch
    assert state.integration_pr == pull.number
    assert sorted(f.filename for f in pull.get_files()) == [
        f"app/phase_{n}.py" for n in range(1, 5)
    ]
    body = pull.body or ""
    assert f"Closes #{issue}" in body
    assert "```mermaid\ngantt" in body
    assert "Makespan" in body and "serial" in body
    for pid, phase in state.phases.items():
        assert f"#{phase.pr_number}" in body, pid
    runs = porch.hub.github().get_repo(REPO).get_commit(pull.head.sha).get_check_runs()
    [summary] = [r for r in runs if r.name == "porch: integration"]
    assert summary.conclusion == "success" and "Makespan" in (summary.output.summary or "")


def test_merging_the_integration_pr_closes_the_issue_the_phase_prs_and_their_branches(
    porch: Porch,
) -> None:
    porch.repo()
    issue = porch.start()
    state = porch.run(issue)
    assert state is not None and state.integration_pr is not None
    porch.hub.control.merge_pull(REPO, state.integration_pr, MAINTAINER)
    porch.settle()

    repo = porch.hub.github().get_repo(REPO)
    assert repo.get_issue(issue).state == "closed"
    assert [p.number for p in repo.get_pulls(state="open")] == []
    for phase in state.phases.values():
        assert phase.pr_number is not None
        pull = repo.get_pull(phase.pr_number)
        assert pull.state == "closed"
        if pull.merged:
            # GitHub marks a PR merged once its head reaches its base: phase_1's, into main.
            assert pull.base.ref == "main"
            continue
        assert any(f"#{state.integration_pr}" in (c.body or "") for c in pull.get_issue_comments())
    branches = {b.name for b in repo.get_branches()}
    assert branches == {"main"}


def test_the_default_branch_moving_during_the_run_is_merged_into_the_integration_pr(
    porch: Porch,
) -> None:
    porch.repo()
    issue = porch.open_and_comment()
    porch.orchestrate()  # the run has started; no builder has run yet
    token = porch.hub.control.add_collaborator(REPO, MAINTAINER, "write")
    porch.hub.github(token).get_repo(REPO).create_file(
        "docs/moved.md", "Meanwhile on main", "main moved\n", branch="main"
    )
    porch.settle()

    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    assert state.integration_pr is not None
    repo = porch.hub.github().get_repo(REPO)
    main = repo.get_branch("main").commit.sha
    compare = repo.compare(main, state.integration_branch)
    assert compare.status == "ahead"  # holds main's new commit: merges without conflict
    files = [f.filename for f in repo.get_pull(state.integration_pr).get_files()]
    assert "docs/moved.md" not in files
    assert sorted(files) == [f"app/phase_{n}.py" for n in range(1, 5)]
