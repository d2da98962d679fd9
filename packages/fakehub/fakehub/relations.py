"""Sub-issues and issue dependencies ("blocked by"): the operations behind REST and control.

GitHub names the other issue by its id, not its number, in these requests. A sub-issue has
one parent; a parent holds at most 100 sub-issues; an issue cannot be its own sub-issue or
block itself. Every change sends the webhooks GitHub sends: `sub_issues` (to the parent's and
the sub-issue's side) and `issue_dependencies` (to the blocked and the blocking side).
"""

from __future__ import annotations

from fakehub import render
from fakehub.errors import ApiError, not_found, validation
from fakehub.hub import Hub
from fakehub.issues import issue_json
from fakehub.render import JSON
from fakehub.store import Issue, Repo, User

MAX_SUB_ISSUES = 100


def _by_id(hub: Hub, issue_id: object) -> tuple[Repo, Issue]:
    if not isinstance(issue_id, int) or isinstance(issue_id, bool):
        raise validation("Issue", "issue_id", "invalid")
    found = hub.store.find_issue(issue_id)
    if found is None:
        raise not_found()
    return found


def _issues(hub: Hub, ids: list[int]) -> list[tuple[Repo, Issue]]:
    found = (hub.store.find_issue(i) for i in ids)
    return [pair for pair in found if pair is not None]


def sub_issues(hub: Hub, parent: Issue) -> list[JSON]:
    """The parent's sub-issues in their order, open and closed."""
    with hub.store.lock:
        return [issue_json(hub, repo, issue) for repo, issue in _issues(hub, parent.sub_issues)]


def add_sub_issue(
    hub: Hub, repo: Repo, parent: Issue, user: User, sub_issue_id: object, replace: bool = False
) -> None:
    with hub.store.lock:
        child_repo, child = _by_id(hub, sub_issue_id)
        if child.pull is not None or parent.pull is not None:
            raise validation(
                "Issue", "sub_issue_id", "invalid", "Pull requests cannot be sub-issues"
            )
        if child.id == parent.id:
            raise validation(
                "Issue", "sub_issue_id", "invalid", "An issue cannot be its own sub-issue"
            )
        if child.id in parent.sub_issues:
            raise validation("Issue", "sub_issue_id", "custom", "Issue is already a sub-issue")
        if child.parent is not None and not replace:
            raise validation("Issue", "sub_issue_id", "custom", "Issue may only have one parent")
        if len(parent.sub_issues) >= MAX_SUB_ISSUES:
            raise validation(
                "Issue", "sub_issue_id", "custom", f"An issue may have at most {MAX_SUB_ISSUES}"
            )
        old = hub.store.find_issue(child.parent) if child.parent is not None else None
        if old is not None:
            old[1].sub_issues.remove(child.id)
        parent.sub_issues.append(child.id)
        child.parent = parent.id
        payloads = _sub_issue_payloads(hub, repo, parent, child_repo, child)
    _send_sub_issue_events(hub, repo, child_repo, user, "added", payloads)


def remove_sub_issue(hub: Hub, repo: Repo, parent: Issue, user: User, sub_issue_id: object) -> None:
    with hub.store.lock:
        child_repo, child = _by_id(hub, sub_issue_id)
        if child.id not in parent.sub_issues:
            raise ApiError(404, "Not Found")
        parent.sub_issues.remove(child.id)
        child.parent = None
        payloads = _sub_issue_payloads(hub, repo, parent, child_repo, child)
    _send_sub_issue_events(hub, repo, child_repo, user, "removed", payloads)


def _sub_issue_payloads(
    hub: Hub, repo: Repo, parent: Issue, child_repo: Repo, child: Issue
) -> tuple[JSON, JSON]:
    return issue_json(hub, repo, parent), issue_json(hub, child_repo, child)


def _send_sub_issue_events(
    hub: Hub,
    repo: Repo,
    child_repo: Repo,
    user: User,
    change: str,
    payloads: tuple[JSON, JSON],
) -> None:
    parent_data, child_data = payloads
    ids = {"parent_issue_id": parent_data["id"], "sub_issue_id": child_data["id"]}
    issues = {"parent_issue": parent_data, "sub_issue": child_data}
    hub.emit(
        "sub_issues",
        repo,
        user,
        action=f"sub_issue_{change}",
        sub_issue_repo=hub.repo_json(child_repo, full=True),
        **ids,
        **issues,
    )
    hub.emit(
        "sub_issues",
        child_repo,
        user,
        action=f"parent_issue_{change}",
        parent_issue_repo=hub.repo_json(repo, full=True),
        **ids,
        **issues,
    )


def blocked_by(hub: Hub, issue: Issue) -> list[JSON]:
    """The issues blocking this one, in the order the relations were made."""
    with hub.store.lock:
        return [issue_json(hub, r, i) for r, i in _issues(hub, issue.blocked_by)]


def blocking(hub: Hub, issue: Issue) -> list[JSON]:
    """The issues this one blocks."""
    with hub.store.lock:
        found = [
            (r, i)
            for r in hub.store.repos.values()
            for i in r.issues.values()
            if issue.id in i.blocked_by
        ]
        return [issue_json(hub, r, i) for r, i in sorted(found, key=lambda pair: pair[1].id)]


def add_blocked_by(hub: Hub, repo: Repo, issue: Issue, user: User, blocker_id: object) -> None:
    with hub.store.lock:
        blocker_repo, blocker = _by_id(hub, blocker_id)
        if blocker.id == issue.id:
            raise validation("Issue", "issue_id", "invalid", "An issue cannot block itself")
        if blocker.id in issue.blocked_by:
            raise validation("Issue", "issue_id", "custom", "Dependency already exists")
        issue.blocked_by.append(blocker.id)
        payloads = issue_json(hub, repo, issue), issue_json(hub, blocker_repo, blocker)
    _send_dependency_events(hub, repo, blocker_repo, user, "added", payloads)


def remove_blocked_by(hub: Hub, repo: Repo, issue: Issue, user: User, blocker_id: int) -> None:
    with hub.store.lock:
        if blocker_id not in issue.blocked_by:
            raise not_found()
        blocker_repo, blocker = _by_id(hub, blocker_id)
        issue.blocked_by.remove(blocker_id)
        payloads = issue_json(hub, repo, issue), issue_json(hub, blocker_repo, blocker)
    _send_dependency_events(hub, repo, blocker_repo, user, "removed", payloads)


def _send_dependency_events(
    hub: Hub,
    repo: Repo,
    blocker_repo: Repo,
    user: User,
    change: str,
    payloads: tuple[JSON, JSON],
) -> None:
    blocked_data, blocking_data = payloads
    common = {
        "blocked_issue_id": blocked_data["id"],
        "blocked_issue": blocked_data,
        "blocking_issue_id": blocking_data["id"],
        "blocking_issue": blocking_data,
    }
    # GitHub's description requires `organization` on these events.
    hub.emit(
        "issue_dependencies",
        repo,
        user,
        action=f"blocked_by_{change}",
        blocking_issue_repo=hub.repo_json(blocker_repo, full=True),
        organization=render.organization(hub.urls, repo.owner),
        **common,
    )
    hub.emit(
        "issue_dependencies",
        blocker_repo,
        user,
        action=f"blocking_{change}",
        blocked_issue_repo=hub.repo_json(repo, full=True),
        organization=render.organization(hub.urls, blocker_repo.owner),
        **common,
    )
