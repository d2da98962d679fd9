"""REST through PyGithub: issues, comments, reactions, labels, collaborators, pagination."""

from __future__ import annotations

import pytest
from github import GithubException
from github.Repository import Repository

from fakehub.testing import RunningFakeHub


def test_issue_create_get_update_list(repo: Repository) -> None:
    issue = repo.create_issue("Plan", body="## Phase 1", labels=["porch"])
    assert issue.number == 1 and issue.state == "open"
    assert [label.name for label in issue.labels] == ["porch"]
    assert repo.get_issue(1).body == "## Phase 1"
    issue.edit(title="Plan v2", state="closed")
    assert repo.get_issue(1).title == "Plan v2"
    assert [i.number for i in repo.get_issues(state="closed")] == [1]
    assert list(repo.get_issues(state="open")) == []


def test_comments_create_list_edit(fakehub: RunningFakeHub, repo: Repository) -> None:
    issue = repo.create_issue("Plan")
    comment = issue.create_comment("/porch parallel")
    assert comment.user.login == fakehub.bot_login
    assert comment.user.type == "Bot"
    comment.edit("status: running")
    assert [c.body for c in issue.get_comments()] == ["status: running"]
    assert repo.get_issue(issue.number).comments == 1
    assert issue.get_comment(comment.id).body == "status: running"


def test_reactions_on_comments(fakehub: RunningFakeHub, repo: Repository) -> None:
    number = fakehub.control.open_issue("octo/app", "alice", "Plan")["number"]
    made = fakehub.control.comment("octo/app", number, "alice", "/porch parallel")
    comment = repo.get_issue(number).get_comment(made["id"])
    first = comment.create_reaction("eyes")
    again = comment.create_reaction("eyes")  # GitHub answers 200 with the same reaction
    assert first.id == again.id
    assert [r.content for r in comment.get_reactions()] == ["eyes"]
    assert repo.get_issue(number).get_comment(made["id"]).reactions["eyes"] == 1


# PyGithub's add_to_labels sends a bare array; GitHub takes it, but its description lists only
# `{"labels": [...]}`, so the checker rightly reports the request.
@pytest.mark.fakehub_allow_violations
def test_labels(repo: Repository) -> None:
    repo.create_label("phase", "00ff00", "a phase PR")
    assert repo.get_label("phase").color == "00ff00"
    issue = repo.create_issue("x")
    issue.add_to_labels("phase", "new-one")
    assert sorted(label.name for label in repo.get_issue(issue.number).labels) == [
        "new-one",
        "phase",
    ]
    issue.remove_from_labels("new-one")
    assert [label.name for label in repo.get_issue(issue.number).labels] == ["phase"]
    assert {label.name for label in repo.get_labels()} == {"phase", "new-one"}


@pytest.mark.parametrize(
    ("login", "permission", "role"),
    [
        ("alice", "write", "write"),
        ("owen", "admin", "admin"),
        ("mia", "write", "maintain"),
        ("tara", "read", "triage"),
        ("rita", "read", "read"),
    ],
)
def test_collaborator_permission(
    fakehub: RunningFakeHub, repo: Repository, login: str, permission: str, role: str
) -> None:
    if login != "alice":
        fakehub.control.add_collaborator("octo/app", login, role)
    assert repo.get_collaborator_permission(login) == permission
    assert repo.get_collaborator_role_name(login) == role


def test_permission_of_owner_and_stranger(fakehub: RunningFakeHub, repo: Repository) -> None:
    fakehub.control.add_user("stranger")
    assert repo.get_collaborator_permission("octo") == "admin"
    assert repo.get_collaborator_permission("stranger") == "none"
    with pytest.raises(GithubException) as raised:
        repo.get_collaborator_permission("nobody-at-all")
    assert raised.value.status == 404


def test_pagination_follows_link_headers(fakehub: RunningFakeHub, repo: Repository) -> None:
    issue = repo.create_issue("many comments")
    for n in range(7):
        fakehub.control.comment("octo/app", issue.number, "alice", f"comment {n}")
    client = fakehub.github()
    client.per_page = 3
    comments = client.get_repo("octo/app").get_issue(issue.number).get_comments()
    assert [c.body for c in comments] == [f"comment {n}" for n in range(7)]
    assert comments.totalCount == 7
    pages = [r for r in fakehub.requests if r.path.endswith(f"/issues/{issue.number}/comments")]
    # Pages after the first come from the Link header, whose query the stand-in writes.
    assert {r.query for r in pages} >= {"per_page=3", "page=2&per_page=3", "page=3&per_page=3"}


def test_people_act_through_rest_with_their_own_token(
    fakehub: RunningFakeHub, repo_name: str
) -> None:
    token = fakehub.control.add_collaborator(repo_name, "bob", "write")
    as_bob = fakehub.github(token).get_repo(repo_name)
    issue = as_bob.create_issue("from bob")
    assert issue.user.login == "bob"
    assert issue.user.type == "User"


def test_what_the_app_writes_is_performed_via_the_app(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    comment = repo.create_issue("x").create_comment("status")
    assert comment.performed_via_github_app is not None
    assert comment.performed_via_github_app.id == fakehub.app_id
    fakehub.flush()
    (created,) = [d.payload for d in fakehub.deliveries if d.event == "issue_comment"]
    assert created["comment"]["performed_via_github_app"]["slug"] == "porch-parallel"


def test_reactions_on_issues(repo: Repository) -> None:
    issue = repo.create_issue("Plan")
    issue.create_reaction("rocket")
    assert [r.content for r in issue.get_reactions()] == ["rocket"]
    assert repo.get_issue(issue.number).reactions["rocket"] == 1


def test_bodies_over_githubs_limit_are_422(repo: Repository) -> None:
    issue = repo.create_issue("Plan", body="x")
    with pytest.raises(GithubException) as raised:
        issue.create_comment("x" * 65_537)
    assert raised.value.status == 422
    assert raised.value.data["errors"][0]["message"] == (
        "Body is too long (maximum is 65536 characters)"
    )
    comment = issue.create_comment("x" * 65_536)
    with pytest.raises(GithubException) as raised:
        comment.edit("y" * 65_537)
    assert raised.value.status == 422
    with pytest.raises(GithubException) as raised:
        issue.edit(body="z" * 65_537)
    assert raised.value.status == 422
    assert [c.body for c in issue.get_comments()] == ["x" * 65_536]
