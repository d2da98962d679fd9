"""REST through PyGithub: pull requests, files, review requests, reviews, merging a pull."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from github import GithubException
from github.Repository import Repository

from fakehub.testing import RunningFakeHub, commit_file, git


def push_branch(clone: Path, branch: str, path: str, text: str, base: str = "main") -> str:
    git("checkout", "--quiet", "-B", branch, f"origin/{base}", cwd=clone)
    sha = commit_file(clone, path, text, f"{branch}: {path}")
    git("push", "--quiet", "origin", branch, cwd=clone)
    return sha


def test_open_draft_pull_and_read_it_back(repo: Repository, clone: Path) -> None:
    head = push_branch(clone, "phase-1", "src/data.py", "DATA = 1\n")
    pull = repo.create_pull(
        title="Phase 1", body="plan section", head="phase-1", base="main", draft=True
    )
    assert pull.draft and pull.state == "open"
    assert pull.head.ref == "phase-1" and pull.head.sha == head
    assert pull.base.ref == "main"
    got = repo.get_pull(pull.number)
    assert got.mergeable is True
    assert (got.commits, got.changed_files, got.additions) == (1, 1, 1)
    assert [f.filename for f in got.get_files()] == ["src/data.py"]
    assert [c.sha for c in got.get_commits()] == [head]


def test_list_pulls_by_head_base_and_state(repo: Repository, clone: Path) -> None:
    push_branch(clone, "phase-1", "a.txt", "a\n")
    push_branch(clone, "phase-2", "b.txt", "b\n", base="phase-1")
    one = repo.create_pull(title="1", body="", head="phase-1", base="main")
    two = repo.create_pull(title="2", body="", head="phase-2", base="phase-1")
    assert [p.number for p in repo.get_pulls(head="octo:phase-2")] == [two.number]
    # As on GitHub, a head without its owner is ignored: every open pull comes back.
    assert [p.number for p in repo.get_pulls(head="phase-2")] == [two.number, one.number]
    assert [p.number for p in repo.get_pulls(base="main")] == [one.number]
    assert [p.number for p in repo.get_pulls(state="all")] == [two.number, one.number]
    two.edit(state="closed")
    assert [p.number for p in repo.get_pulls(state="closed")] == [two.number]
    assert [p.number for p in repo.get_pulls(head="octo:phase-2", state="open")] == []


def test_duplicate_pull_and_empty_pull_are_422(repo: Repository, clone: Path) -> None:
    push_branch(clone, "phase-1", "a.txt", "a\n")
    repo.create_pull(title="1", body="", head="phase-1", base="main")
    with pytest.raises(GithubException) as raised:
        repo.create_pull(title="again", body="", head="phase-1", base="main")
    assert raised.value.status == 422
    assert "already exists" in raised.value.data["errors"][0]["message"]
    repo.create_git_ref("refs/heads/empty", repo.get_branch("main").commit.sha)
    with pytest.raises(GithubException) as raised:
        repo.create_pull(title="empty", body="", head="empty", base="main")
    assert raised.value.status == 422


def test_update_pull(repo: Repository, clone: Path) -> None:
    push_branch(clone, "phase-1", "a.txt", "a\n")
    pull = repo.create_pull(title="1", body="", head="phase-1", base="main")
    pull.edit(title="Phase 1: data", body="new body")
    got = repo.get_pull(pull.number)
    assert (got.title, got.body) == ("Phase 1: data", "new body")


def test_review_requests_and_reviews(
    fakehub: RunningFakeHub, repo: Repository, clone: Path
) -> None:
    push_branch(clone, "phase-1", "a.txt", "a\n")
    pull = repo.create_pull(title="1", body="", head="phase-1", base="main")
    pull.create_review_request(reviewers=["alice"])
    users, _teams = pull.get_review_requests()
    assert [u.login for u in users] == ["alice"]

    fakehub.control.review("octo/app", pull.number, "alice", "REQUEST_CHANGES", "use a dict")
    pull.create_review(body="automated consultant: fine", event="COMMENT")
    reviews = list(pull.get_reviews())
    assert [(r.user.login, r.state) for r in reviews] == [
        ("alice", "CHANGES_REQUESTED"),
        (fakehub.bot_login, "COMMENTED"),
    ]
    assert list(pull.get_review_requests()[0]) == []  # alice's review answered the request
    fakehub.control.review("octo/app", pull.number, "alice", "APPROVE")
    assert [r.state for r in pull.get_reviews()][-1] == "APPROVED"


def test_merge_pull(fakehub: RunningFakeHub, repo: Repository, clone: Path) -> None:
    push_branch(clone, "phase-1", "a.txt", "a\n")
    pull = repo.create_pull(title="1", body="", head="phase-1", base="main", draft=True)
    with pytest.raises(GithubException) as raised:
        pull.merge()
    assert raised.value.status == 405  # still a draft
    fakehub.control.ready_for_review("octo/app", pull.number, "alice")
    status = repo.get_pull(pull.number).merge(merge_method="merge")
    assert status.merged
    merged = repo.get_pull(pull.number)
    assert merged.merged and merged.state == "closed"
    assert merged.merge_commit_sha == repo.get_branch("main").commit.sha
    assert repo.get_contents("a.txt", ref="main").decoded_content == b"a\n"  # type: ignore[union-attr]


def test_concurrent_creates_of_the_same_pull_make_one(
    fakehub: RunningFakeHub, repo: Repository, clone: Path
) -> None:
    """Two workers racing to open the same phase PR: one wins, the other gets 422."""
    from concurrent.futures import ThreadPoolExecutor

    push_branch(clone, "phase-1", "a.txt", "a\n")

    def attempt(_: int) -> int:
        client = fakehub.github().get_repo("octo/app")
        try:
            return client.create_pull(title="1", body="", head="phase-1", base="main").number
        except GithubException as exc:
            return -exc.status

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = sorted(pool.map(attempt, range(4)))
    assert results.count(-422) == 3 and results[-1] > 0
    assert [p.number for p in repo.get_pulls(state="all")] == [results[-1]]


def test_pull_whose_head_reaches_its_base_is_merged(
    fakehub: RunningFakeHub, repo: Repository, clone: Path
) -> None:
    """A fast-forward of the base to the head (by git push or a ref update) merges the pull."""
    head = push_branch(clone, "phase-1", "a.txt", "a\n")
    pull = repo.create_pull(title="1", body="", head="phase-1", base="main")
    repo.get_git_ref("heads/main").edit(head)
    merged = repo.get_pull(pull.number)
    assert merged.merged and merged.state == "closed"
    assert merged.merge_commit_sha == head
    fakehub.flush()
    assert [d.action for d in fakehub.deliveries if d.event == "pull_request"] == [
        "opened",
        "closed",
    ]


def test_closing_a_pull_through_the_issues_api(
    fakehub: RunningFakeHub, repo: Repository, clone: Path
) -> None:
    push_branch(clone, "phase-1", "a.txt", "a\n")
    pull = repo.create_pull(title="1", body="", head="phase-1", base="main")
    repo.get_issue(pull.number).edit(state="closed")
    assert repo.get_pull(pull.number).state == "closed"
    fakehub.flush()
    assert [d.action for d in fakehub.deliveries if d.event == "pull_request"] == [
        "opened",
        "closed",
    ]


def test_merging_into_the_default_branch_closes_linked_issues(
    fakehub: RunningFakeHub, repo: Repository, clone: Path
) -> None:
    plan = repo.create_issue("Plan")
    other = repo.create_issue("Unrelated")
    push_branch(clone, "integration", "a.txt", "a\n")
    pull = repo.create_pull(
        title="Integration",
        body=f"All phases.\n\nCloses #{plan.number}",
        head="integration",
        base="main",
    )
    pull.merge()
    assert repo.get_issue(plan.number).state == "closed"
    assert repo.get_issue(other.number).state == "open"


def test_pull_heads_of_another_owner_and_long_bodies_are_422(repo: Repository, clone: Path) -> None:
    push_branch(clone, "phase-1", "a.txt", "a\n")
    # Another owner's branch would live in a fork; there is none, so GitHub finds no head.
    with pytest.raises(GithubException) as raised:
        repo.create_pull(title="1", body="", head="mallory:phase-1", base="main")
    assert raised.value.status == 422
    assert raised.value.data["errors"] == [
        {"resource": "PullRequest", "field": "head", "code": "invalid"}
    ]
    with pytest.raises(GithubException) as raised:
        repo.create_pull(title="1", body="x" * 65_537, head="phase-1", base="main")
    assert raised.value.status == 422
    pull = repo.create_pull(title="1", body="x", head="OCTO:phase-1", base="main")
    with pytest.raises(GithubException) as raised:
        pull.edit(body="y" * 65_537)
    assert raised.value.status == 422
    assert repo.get_pull(pull.number).body == "x"


def test_private_repositories_on_free_plans_have_no_draft_pulls(
    fakehub: RunningFakeHub, tmp_path: Path
) -> None:
    """GitHub Free and Pro offer draft pulls only in public repositories."""
    made = requests.post(
        f"{fakehub.control.base_url}/_fakehub/repos",
        json={"owner": "solo", "name": "app", "files": {"a.txt": "a\n"}, "owner_plan": "free"},
        timeout=10,
    )
    assert made.status_code == 201
    work = tmp_path / "work"
    git("clone", "--quiet", fakehub.clone_url("solo/app", fakehub.installation_token()), str(work))
    push_branch(work, "phase-1", "b.txt", "b\n")
    repo = fakehub.github().get_repo("solo/app")
    with pytest.raises(GithubException) as raised:
        repo.create_pull(title="1", body="", head="phase-1", base="main", draft=True)
    assert raised.value.status == 422
    assert raised.value.data["message"] == (
        "Draft pull requests are not supported in this repository."
    )
    assert not repo.get_pulls(state="all").totalCount
    pull = repo.create_pull(title="1", body="", head="phase-1", base="main")
    assert not pull.draft
    bad_plan = requests.post(
        f"{fakehub.control.base_url}/_fakehub/repos",
        json={"owner": "solo", "name": "other", "owner_plan": "gold"},
        timeout=10,
    )
    assert bad_plan.status_code == 422
