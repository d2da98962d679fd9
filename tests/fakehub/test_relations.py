"""Sub-issues and issue dependencies through PyGithub, the control API, and their webhooks."""

from __future__ import annotations

import pytest
from github import GithubException
from github.Repository import Repository

from fakehub.testing import RunningFakeHub
from tests.fakehub.conftest import REPO


def _numbers(issues: object) -> list[int]:
    return [issue.number for issue in issues]  # type: ignore[attr-defined]


def test_sub_issues_listed_in_order_added_and_removed(repo: Repository) -> None:
    parent, first, second = (repo.create_issue(t) for t in ("Board", "Model", "API"))
    parent.add_sub_issue(second.id)
    parent.add_sub_issue(first.id)
    assert _numbers(parent.get_sub_issues()) == [second.number, first.number]
    parent.remove_sub_issue(second.id)
    assert _numbers(parent.get_sub_issues()) == [first.number]
    first.edit(state="closed")
    assert [(i.number, i.state) for i in parent.get_sub_issues()] == [(first.number, "closed")]


def test_a_sub_issue_has_one_parent_and_is_never_its_own(repo: Repository) -> None:
    one, two, child = (repo.create_issue(t) for t in ("One", "Two", "Child"))
    one.add_sub_issue(child.id)
    with pytest.raises(GithubException) as taken:
        two.add_sub_issue(child.id)
    assert taken.value.status == 422
    with pytest.raises(GithubException) as itself:
        one.add_sub_issue(one.id)
    assert itself.value.status == 422
    with pytest.raises(GithubException) as missing:
        one.add_sub_issue(999_999)
    assert missing.value.status == 404


def test_blocked_by_and_blocking(repo: Repository) -> None:
    model, api, ui = (repo.create_issue(t) for t in ("Model", "API", "UI"))
    api.add_blocked_by(model)
    ui.add_blocked_by(model)
    ui.add_blocked_by(api)
    assert _numbers(ui.get_blocked_by()) == [model.number, api.number]
    assert _numbers(model.get_blocking()) == [api.number, ui.number]
    ui.remove_blocked_by(api)
    assert _numbers(ui.get_blocked_by()) == [model.number]
    with pytest.raises(GithubException) as itself:
        model.add_blocked_by(model)
    assert itself.value.status == 422
    with pytest.raises(GithubException) as again:
        api.add_blocked_by(model)
    assert again.value.status == 422


def test_the_webhooks_of_both_sides_fit_githubs_payloads(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    parent, child, blocker = (repo.create_issue(t) for t in ("Board", "Model", "Setup"))
    parent.add_sub_issue(child.id)
    child.add_blocked_by(blocker)
    child.remove_blocked_by(blocker)
    parent.remove_sub_issue(child.id)
    fakehub.flush()
    seen = [(d.event, d.action) for d in fakehub.deliveries if d.event != "issues"]
    assert seen == [
        ("sub_issues", "sub_issue_added"),
        ("sub_issues", "parent_issue_added"),
        ("issue_dependencies", "blocked_by_added"),
        ("issue_dependencies", "blocking_added"),
        ("issue_dependencies", "blocked_by_removed"),
        ("issue_dependencies", "blocking_removed"),
        ("sub_issues", "sub_issue_removed"),
        ("sub_issues", "parent_issue_removed"),
    ]
    added = next(d.payload for d in fakehub.deliveries if d.action == "sub_issue_added")
    assert added["parent_issue"]["number"] == parent.number
    assert added["sub_issue"]["number"] == child.number
    # Every payload was checked against GitHub's description (the fixture fails otherwise).
    assert fakehub.violations == []


def test_the_control_api_makes_sub_issues_and_relations_by_number(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    numbers = [
        fakehub.control.open_issue(REPO, "alice", title)["number"]
        for title in ("Board", "Model", "API")
    ]
    parent, model, api = numbers
    fakehub.control.add_sub_issue(REPO, parent, model, "alice")
    fakehub.control.add_sub_issue(REPO, parent, api, "alice")
    fakehub.control.add_blocked_by(REPO, api, model, "alice")
    fakehub.control.update_issue(REPO, model, "alice", state="closed")
    issue = repo.get_issue(parent)
    assert [(i.number, i.state) for i in issue.get_sub_issues()] == [
        (model, "closed"),
        (api, "open"),
    ]
    assert _numbers(repo.get_issue(api).get_blocked_by()) == [model]
    fakehub.flush()
    sender = {d.payload["sender"]["login"] for d in fakehub.deliveries if d.event == "sub_issues"}
    assert sender == {"alice"}
