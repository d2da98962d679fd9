"""Pull requests, review requests and reviews, and what a moved branch does to its pulls."""

from __future__ import annotations

import re
from typing import Any

from fakehub import render, render_git
from fakehub.errors import ApiError, check_body, not_found, validation
from fakehub.hub import Hub
from fakehub.issues import add_numbered, set_state, update_issue
from fakehub.render import JSON
from fakehub.store import Issue, Pull, Repo, Review, ReviewComment, User

# GitHub's closing keywords: merged into the default branch, "Closes #12" closes issue 12.
CLOSING = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b", re.IGNORECASE)

REVIEW_STATES = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}


def get_pull(repo: Repo, number: int) -> Issue:
    found = repo.issues.get(number)
    if found is None or found.pull is None:
        raise not_found()
    return found


def pull_json(hub: Hub, repo: Repo, issue: Issue, full: bool = True) -> JSON:
    """A pull request; `full` adds the counts and mergeability of GET /pulls/{number}."""
    pull = issue.pull
    assert pull is not None
    git = hub.git(repo)
    urls = hub.urls
    head_sha = hub.head_sha(repo, issue)
    base_sha = git.ref_sha(f"refs/heads/{pull.base_ref}") or head_sha
    api = f"{urls.repo_api(repo)}/pulls/{issue.number}"
    issue_api = f"{urls.repo_api(repo)}/issues/{issue.number}"
    web = f"{urls.repo_web(repo)}/pull/{issue.number}"
    repo_data = hub.repo_json(repo)
    owner = render.user(urls, repo.owner)
    data: JSON = {
        "url": api,
        "id": pull.id,
        "node_id": render.node_id("PullRequest", pull.id),
        "html_url": web,
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "issue_url": issue_api,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{urls.repo_api(repo)}/pulls/comments{{/number}}",
        "comments_url": f"{issue_api}/comments",
        "statuses_url": f"{urls.repo_api(repo)}/statuses/{head_sha}",
        "number": issue.number,
        "state": issue.state,
        "locked": False,
        "title": issue.title,
        "user": render.user(urls, issue.user),
        "body": issue.body,
        "labels": [render.label(urls, repo, lab) for lab in issue.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": render.iso(issue.created_at),
        "updated_at": render.iso(issue.updated_at),
        "closed_at": render.iso(issue.closed_at) if issue.closed_at else None,
        "merged_at": render.iso(pull.merged_at) if pull.merged_at else None,
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": render.user(urls, issue.assignees[0]) if issue.assignees else None,
        "assignees": [render.user(urls, a) for a in issue.assignees],
        "requested_reviewers": [render.user(urls, u) for u in pull.requested_reviewers],
        "requested_teams": [],
        "head": {
            "label": f"{repo.owner.login}:{pull.head_ref}",
            "ref": pull.head_ref,
            "sha": head_sha,
            "user": owner,
            "repo": repo_data,
        },
        "base": {
            "label": f"{repo.owner.login}:{pull.base_ref}",
            "ref": pull.base_ref,
            "sha": base_sha,
            "user": owner,
            "repo": repo_data,
        },
        "_links": {
            "self": {"href": api},
            "html": {"href": web},
            "issue": {"href": issue_api},
            "comments": {"href": f"{issue_api}/comments"},
            "review_comments": {"href": f"{api}/comments"},
            "review_comment": {"href": f"{urls.repo_api(repo)}/pulls/comments{{/number}}"},
            "commits": {"href": f"{api}/commits"},
            "statuses": {"href": f"{urls.repo_api(repo)}/statuses/{head_sha}"},
        },
        "author_association": render.author_association(repo, issue.user),
        "auto_merge": None,
        "draft": pull.draft,
    }
    if full:
        data.update(_pull_details(hub, repo, issue, base_sha, head_sha))
    return data


def _pull_details(hub: Hub, repo: Repo, issue: Issue, base_sha: str, head_sha: str) -> JSON:
    pull = issue.pull
    assert pull is not None
    git = hub.git(repo)
    merge_base = git.merge_base(base_sha, head_sha) or base_sha
    changes = git.diff(merge_base, head_sha)
    commits = len(git.rev_list(merge_base, head_sha))
    mergeable: bool | None = None
    state = "unknown"
    if issue.state == "open":
        mergeable = git.can_merge(base_sha, head_sha)
        state = "draft" if pull.draft else ("clean" if mergeable else "dirty")
    return {
        "merged": pull.merged,
        "mergeable": mergeable,
        "rebaseable": mergeable,
        "mergeable_state": state,
        "merged_by": render.user(hub.urls, pull.merged_by) if pull.merged_by else None,
        "comments": len(issue.comments),
        "review_comments": 0,
        "maintainer_can_modify": pull.maintainer_can_modify,
        "commits": commits,
        "additions": sum(c.additions for c in changes),
        "deletions": sum(c.deletions for c in changes),
        "changed_files": len(changes),
    }


def open_pull(
    hub: Hub,
    repo: Repo,
    user: User,
    title: str,
    head: str,
    base: str,
    body: str | None = None,
    draft: bool = False,
) -> Issue:
    if not title:
        raise validation("PullRequest", "title", "missing_field")
    check_body("PullRequest", body)
    if draft and not repo.drafts_supported:
        raise ApiError(422, "Draft pull requests are not supported in this repository.")
    head_owner, _, head_branch = head.rpartition(":")
    if head_owner and head_owner.lower() != repo.owner.login.lower():
        # Another owner's branch would be a fork's; the stand-in has none.
        raise validation("PullRequest", "head", "invalid")
    git = hub.git(repo)
    base_sha = git.ref_sha(f"refs/heads/{base}")
    head_sha = git.ref_sha(f"refs/heads/{head_branch}")
    if base_sha is None:
        raise validation("PullRequest", "base", "invalid")
    if head_sha is None:
        raise validation("PullRequest", "head", "invalid")
    if git.is_ancestor(head_sha, base_sha):
        raise validation("PullRequest", None, "custom", f"No commits between {base} and {head}")
    with hub.store.lock:
        for other in repo.issues.values():
            p = other.pull
            if p and other.state == "open" and p.head_ref == head_branch and p.base_ref == base:
                raise validation(
                    "PullRequest",
                    None,
                    "custom",
                    f"A pull request already exists for {repo.owner.login}:{head_branch}.",
                )
        issue = add_numbered(
            hub,
            repo,
            user,
            title,
            body,
            pull=Pull(hub.store.new_id(), head_branch, base, draft, head_sha),
        )
    emit(hub, repo, issue, user, "opened")
    return issue


def emit(hub: Hub, repo: Repo, issue: Issue, user: User, action: str, **extra: Any) -> None:
    """Send `pull_request` with `action` and the pull as it is now."""
    with hub.store.lock:
        data = pull_json(hub, repo, issue)
    hub.emit(
        "pull_request", repo, user, action=action, number=issue.number, pull_request=data, **extra
    )


def update_pull(hub: Hub, repo: Repo, issue: Issue, user: User, changes: dict[str, Any]) -> Issue:
    """PATCH a pull: title, body, state, base (draft cannot change through REST, as on GitHub)."""
    pull = issue.pull
    assert pull is not None
    edits: JSON = {}
    state_action: str | None = None
    check_body("PullRequest", changes.get("body"))
    new_base = changes.get("base")
    if new_base is not None and hub.git(repo).ref_sha(f"refs/heads/{new_base}") is None:
        raise validation("PullRequest", "base", "invalid")
    with hub.store.lock:
        if "title" in changes and changes["title"] != issue.title:
            edits["title"] = {"from": issue.title}
            issue.title = str(changes["title"])
        if "body" in changes and changes["body"] != issue.body:
            edits["body"] = {"from": issue.body or ""}
            issue.body = changes["body"]
        if new_base is not None and new_base != pull.base_ref:
            edits["base"] = {"ref": {"from": pull.base_ref}, "sha": {"from": ""}}
            pull.base_ref = str(new_base)
        state = changes.get("state")
        if state in ("open", "closed") and state != issue.state and not pull.merged:
            if state == "closed":
                pull.head_sha = hub.head_sha(repo, issue)
            set_state(hub, issue, user, state)
            state_action = "closed" if state == "closed" else "reopened"
        issue.updated_at = hub.clock.now()
    if edits:
        emit(hub, repo, issue, user, "edited", changes=edits)
    if state_action:
        emit(hub, repo, issue, user, state_action)
    return issue


def set_draft(hub: Hub, repo: Repo, issue: Issue, user: User, draft: bool) -> None:
    """Mark ready for review or convert to draft (GraphQL on GitHub; control API here)."""
    assert issue.pull is not None
    if draft and not repo.drafts_supported:
        raise ApiError(422, "Draft pull requests are not supported in this repository.")
    with hub.store.lock:
        if issue.pull.draft == draft:
            return
        issue.pull.draft = draft
        issue.updated_at = hub.clock.now()
    emit(hub, repo, issue, user, "converted_to_draft" if draft else "ready_for_review")


def request_reviewers(hub: Hub, repo: Repo, issue: Issue, user: User, logins: list[str]) -> None:
    pull = issue.pull
    assert pull is not None
    added: list[User] = []
    with hub.store.lock:
        for login in logins:
            reviewer = hub.store.find_user(login)
            if reviewer is not None and reviewer.id == issue.user.id:
                raise ApiError(422, "Review cannot be requested from pull request author.")
            if reviewer is None:
                raise validation(
                    "PullRequest",
                    None,
                    "custom",
                    "Reviews may only be requested from collaborators. One or more of the users "
                    "or teams you specified is not a collaborator of the "
                    f"{repo.full_name} repository.",
                )
            if reviewer not in pull.requested_reviewers:
                pull.requested_reviewers.append(reviewer)
                added.append(reviewer)
    for reviewer in added:
        emit(
            hub,
            repo,
            issue,
            user,
            "review_requested",
            requested_reviewer=render.user(hub.urls, reviewer),
        )


def remove_reviewers(hub: Hub, repo: Repo, issue: Issue, user: User, logins: list[str]) -> None:
    pull = issue.pull
    assert pull is not None
    with hub.store.lock:
        removed = [u for u in pull.requested_reviewers if u.login in logins]
        pull.requested_reviewers = [u for u in pull.requested_reviewers if u not in removed]
    for reviewer in removed:
        emit(
            hub,
            repo,
            issue,
            user,
            "review_request_removed",
            requested_reviewer=render.user(hub.urls, reviewer),
        )


def submit_review(
    hub: Hub,
    repo: Repo,
    issue: Issue,
    user: User,
    event: str,
    body: str = "",
    commit_id: str | None = None,
    comments: list[dict[str, Any]] | None = None,
) -> Review:
    pull = issue.pull
    assert pull is not None
    state = REVIEW_STATES.get(event)
    if state is None:
        raise validation("PullRequestReview", "event", "invalid")
    if state != "APPROVED" and not body:
        raise ApiError(422, "Unprocessable Entity", [f"Review body is required for {event}"])
    if state != "COMMENTED" and user.login == issue.user.login:
        verb = "approve" if state == "APPROVED" else "request changes on"
        raise ApiError(422, "Unprocessable Entity", [f"Can not {verb} your own pull request"])
    with hub.store.lock:
        review = Review(
            hub.store.new_id(),
            user,
            body,
            state,
            commit_id or hub.head_sha(repo, issue),
            hub.clock.now(),
        )
        for item in comments or []:
            if not item.get("path") or not item.get("body"):
                raise validation("PullRequestReviewComment", "path", "missing_field")
            review.comments.append(
                ReviewComment(
                    hub.store.new_id(),
                    str(item["path"]),
                    int(item.get("line") or item.get("position") or 1),
                    str(item["body"]),
                    hub.clock.now(),
                )
            )
        pull.reviews.append(review)
        # A review answers the request for it, as on GitHub.
        pull.requested_reviewers = [u for u in pull.requested_reviewers if u.id != user.id]
        # Webhooks spell a review's state in lower case; the REST API in upper case.
        review_data = render.review(hub.urls, repo, issue.number, review)
        review_data["state"] = review.state.lower()
        pull_data = pull_json(hub, repo, issue, full=False)
    hub.emit(
        "pull_request_review",
        repo,
        user,
        action="submitted",
        review=review_data,
        pull_request=pull_data,
    )
    return review


def dismiss_review(
    hub: Hub, repo: Repo, issue: Issue, user: User, review_id: int, message: str
) -> Review:
    """Dismiss an approval or a request for changes, as a person with write access can."""
    pull = issue.pull
    assert pull is not None
    with hub.store.lock:
        review = next((r for r in pull.reviews if r.id == review_id), None)
        if review is None:
            raise ApiError(404, "Not Found")
        if review.state not in ("APPROVED", "CHANGES_REQUESTED"):
            raise ApiError(422, "Unprocessable Entity", ["Can not dismiss a commented review"])
        review.state = "DISMISSED"
        # Webhooks spell a review's state in lower case; the REST API in upper case.
        review_data = render.review(hub.urls, repo, issue.number, review)
        review_data["state"] = review.state.lower()
        pull_data = pull_json(hub, repo, issue, full=False)
    hub.emit(
        "pull_request_review",
        repo,
        user,
        action="dismissed",
        review=review_data,
        pull_request=pull_data,
    )
    return review


def close_linked_issues(hub: Hub, repo: Repo, issue: Issue, user: User) -> None:
    """A pull merged into the default branch closes the issues its body says it closes."""
    assert issue.pull is not None
    if issue.pull.base_ref != repo.default_branch:
        return
    for match in CLOSING.finditer(issue.body or ""):
        target = repo.issues.get(int(match.group(1)))
        if target is not None and target.pull is None and target.state == "open":
            update_issue(hub, repo, target, user, {"state": "closed"})


def head_moved(hub: Hub, repo: Repo, user: User, branch: str, before: str, after: str) -> None:
    """A push to a branch: every open pull with that head gets `synchronize`."""
    with hub.store.lock:
        affected = [
            i
            for i in repo.issues.values()
            if i.pull and i.state == "open" and i.pull.head_ref == branch
        ]
        for issue in affected:
            assert issue.pull is not None
            issue.pull.head_sha = after
            issue.updated_at = hub.clock.now()
    for issue in affected:
        emit(hub, repo, issue, user, "synchronize", before=before, after=after)


def base_moved(hub: Hub, repo: Repo, user: User, branch: str, after: str) -> None:
    """A base branch now holding a pull's head: GitHub marks that pull merged."""
    git = hub.git(repo)
    with hub.store.lock:
        candidates = [
            i
            for i in repo.issues.values()
            if i.pull and i.state == "open" and i.pull.base_ref == branch
        ]
    merged: list[Issue] = []
    for issue in candidates:
        head = hub.head_sha(repo, issue)
        if head != after and not git.is_ancestor(head, after):
            continue
        if mark_merged(hub, issue, user, merge_sha=after, head_sha=head):
            merged.append(issue)
    for issue in merged:
        emit(hub, repo, issue, user, "closed")
        close_linked_issues(hub, repo, issue, user)


def mark_merged(hub: Hub, issue: Issue, user: User, merge_sha: str, head_sha: str) -> bool:
    """Record an open pull as merged by `user` and close it; False when it was not open."""
    pull = issue.pull
    assert pull is not None
    with hub.store.lock:
        if pull.merged or issue.state != "open":
            return False
        now = hub.clock.now()
        pull.merged, pull.merged_at, pull.merged_by = True, now, user
        pull.merge_commit_sha, pull.head_sha = merge_sha, head_sha
        set_state(hub, issue, user, "closed")
        issue.updated_at = now
    return True


def pull_files(hub: Hub, repo: Repo, issue: Issue) -> list[JSON]:
    git = hub.git(repo)
    assert issue.pull is not None
    head_sha = hub.head_sha(repo, issue)
    base_sha = git.ref_sha(f"refs/heads/{issue.pull.base_ref}") or head_sha
    merge_base = git.merge_base(base_sha, head_sha) or base_sha
    return [
        render_git.diff_entry(hub.urls, repo, head_sha, c) for c in git.diff(merge_base, head_sha)
    ]


def pull_commits(hub: Hub, repo: Repo, issue: Issue) -> list[JSON]:
    git = hub.git(repo)
    assert issue.pull is not None
    head_sha = hub.head_sha(repo, issue)
    base_sha = git.ref_sha(f"refs/heads/{issue.pull.base_ref}") or head_sha
    merge_base = git.merge_base(base_sha, head_sha) or base_sha
    return [
        render_git.commit(hub.urls, repo, git.commit(s)) for s in git.rev_list(merge_base, head_sha)
    ]
