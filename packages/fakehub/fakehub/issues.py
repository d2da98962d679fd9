"""Issues, comments, labels and reactions: the operations behind REST and the control API."""

from __future__ import annotations

from typing import Any

from fakehub import render
from fakehub.errors import ApiError, check_body, not_found, validation
from fakehub.hub import Hub
from fakehub.render import JSON
from fakehub.store import Comment, Issue, Label, Reaction, Repo, User


def get_issue(repo: Repo, number: int) -> Issue:
    found = repo.issues.get(number)
    if found is None:
        raise not_found()
    return found


def _via_app(hub: Hub, user: User) -> JSON | None:
    # What the App writes through its installation is marked as "performed via" the App.
    return hub.app_json() if user.id == hub.app.bot.id else None


def issue_json(hub: Hub, repo: Repo, issue: Issue) -> JSON:
    return render.issue(hub.urls, repo, issue, _via_app(hub, issue.user))


def comment_json(hub: Hub, repo: Repo, comment: Comment) -> JSON:
    return render.comment(hub.urls, repo, comment, _via_app(hub, comment.user))


def add_numbered(
    hub: Hub, repo: Repo, user: User, title: str, body: str | None, **fields: Any
) -> Issue:
    """A new issue or pull (they share numbers, as on GitHub); the caller holds the lock."""
    now = hub.clock.now()
    issue = Issue(
        id=hub.store.new_id(),
        number=repo.next_number(),
        title=title,
        body=body,
        user=user,
        created_at=now,
        updated_at=now,
        **fields,
    )
    repo.issues[issue.number] = issue
    return issue


def open_issue(
    hub: Hub,
    repo: Repo,
    user: User,
    title: str,
    body: str | None = None,
    labels: list[str] | None = None,
    assignees: list[str] | None = None,
) -> Issue:
    if not title:
        raise validation("Issue", "title", "missing_field")
    check_body("Issue", body)
    with hub.store.lock:
        issue = add_numbered(
            hub,
            repo,
            user,
            title,
            body,
            labels=[ensure_label(hub, repo, name) for name in labels or []],
            assignees=[hub.store.user(login) for login in assignees or []],
        )
        data = issue_json(hub, repo, issue)
    hub.emit("issues", repo, user, action="opened", issue=data)
    return issue


def update_issue(hub: Hub, repo: Repo, issue: Issue, user: User, changes: dict[str, Any]) -> Issue:
    """PATCH an issue: title, body, state, state_reason, labels, assignees."""
    events: list[tuple[str, JSON]] = []
    state = changes.get("state")
    if state not in (None, "open", "closed"):
        raise validation("Issue", "state", "invalid")
    check_body("Issue", changes.get("body"))
    with hub.store.lock:
        old: JSON = {}
        if "title" in changes and changes["title"] != issue.title:
            old["title"] = {"from": issue.title}
            issue.title = str(changes["title"])
        if "body" in changes and changes["body"] != issue.body:
            old["body"] = {"from": issue.body or ""}
            issue.body = changes["body"]
        if "labels" in changes:
            issue.labels = [ensure_label(hub, repo, _label_name(x)) for x in changes["labels"]]
        if "assignees" in changes:
            issue.assignees = [hub.store.user(login) for login in changes["assignees"]]
        if old:
            events.append(("edited", {"changes": old}))
        if state is not None and state != issue.state:
            set_state(hub, issue, user, state, changes.get("state_reason"))
            events.append(("closed" if state == "closed" else "reopened", {}))
        issue.updated_at = hub.clock.now()
        data = issue_json(hub, repo, issue)
    for action, extra in events:
        hub.emit("issues", repo, user, action=action, issue=data, **extra)
    return issue


def set_state(hub: Hub, issue: Issue, user: User, state: str, reason: str | None = None) -> None:
    issue.state = state
    if state == "closed":
        issue.closed_at = hub.clock.now()
        issue.closed_by = user
        issue.state_reason = reason or "completed"
    else:
        issue.closed_at = None
        issue.closed_by = None
        issue.state_reason = "reopened"


def add_comment(hub: Hub, repo: Repo, issue: Issue, user: User, body: str) -> Comment:
    if not body:
        raise validation("IssueComment", "body", "missing_field")
    check_body("IssueComment", body)
    with hub.store.lock:
        now = hub.clock.now()
        comment = Comment(hub.store.new_id(), issue.number, user, body, now, now)
        issue.comments.append(comment)
        issue.updated_at = now
        hub.store.comments[comment.id] = (repo, comment)
        issue_data = issue_json(hub, repo, issue)
        comment_data = comment_json(hub, repo, comment)
    hub.emit("issue_comment", repo, user, action="created", issue=issue_data, comment=comment_data)
    return comment


def get_comment(hub: Hub, repo: Repo, comment_id: int) -> Comment:
    found = hub.store.find_comment(repo, comment_id)
    if found is None:
        raise not_found()
    return found


def edit_comment(hub: Hub, repo: Repo, comment: Comment, user: User, body: str) -> Comment:
    if not body:
        raise validation("IssueComment", "body", "missing_field")
    check_body("IssueComment", body)
    with hub.store.lock:
        old = comment.body
        comment.body = body
        comment.updated_at = hub.clock.now()
        issue = repo.issues[comment.issue_number]
        issue_data = issue_json(hub, repo, issue)
        comment_data = comment_json(hub, repo, comment)
    hub.emit(
        "issue_comment",
        repo,
        user,
        action="edited",
        changes={"body": {"from": old}},
        issue=issue_data,
        comment=comment_data,
    )
    return comment


def delete_comment(hub: Hub, repo: Repo, comment: Comment, user: User) -> None:
    with hub.store.lock:
        issue = repo.issues[comment.issue_number]
        issue.comments.remove(comment)
        del hub.store.comments[comment.id]
        issue_data = issue_json(hub, repo, issue)
        comment_data = comment_json(hub, repo, comment)
    hub.emit("issue_comment", repo, user, action="deleted", issue=issue_data, comment=comment_data)


def add_reaction(
    hub: Hub, target: Comment | Issue, user: User, content: str
) -> tuple[Reaction, bool]:
    """The user's reaction on a comment or an issue, and whether it is new (GitHub answers 200
    for an existing one)."""
    if content not in render.REACTIONS:
        raise validation("Reaction", "content", "invalid")
    with hub.store.lock:
        for existing in target.reactions:
            if existing.user.id == user.id and existing.content == content:
                return existing, False
        reaction = Reaction(hub.store.new_id(), user, content, hub.clock.now())
        target.reactions.append(reaction)
        return reaction, True


def _label_name(item: object) -> str:
    if isinstance(item, dict):
        return str(item.get("name", ""))
    return str(item)


def ensure_label(hub: Hub, repo: Repo, name: str, color: str = "ededed") -> Label:
    """The repository's label with this name; adding a label to an issue creates it if needed."""
    with hub.store.lock:
        found = repo.labels.get(name.lower())
        if found is None:
            found = Label(hub.store.new_id(), name, color)
            repo.labels[name.lower()] = found
        return found


def create_label(hub: Hub, repo: Repo, name: str, color: str, description: str | None) -> Label:
    with hub.store.lock:
        if name.lower() in repo.labels:
            raise validation("Label", "name", "already_exists")
        label = ensure_label(hub, repo, name, color.lstrip("#") or "ededed")
        label.description = description
        return label


def add_labels(hub: Hub, repo: Repo, issue: Issue, user: User, names: list[str]) -> None:
    added: list[Label] = []
    with hub.store.lock:
        for name in names:
            label = ensure_label(hub, repo, name)
            if label not in issue.labels:
                issue.labels.append(label)
                added.append(label)
        issue.updated_at = hub.clock.now()
        data = issue_json(hub, repo, issue)
    # Labels on pulls would send `pull_request` labeled, which the stand-in does not model.
    if issue.pull is None:
        for label in added:
            hub.emit(
                "issues",
                repo,
                user,
                action="labeled",
                issue=data,
                label=render.label(hub.urls, repo, label),
            )


def remove_label(hub: Hub, repo: Repo, issue: Issue, name: str) -> None:
    with hub.store.lock:
        for label in issue.labels:
            if label.name.lower() == name.lower():
                issue.labels.remove(label)
                issue.updated_at = hub.clock.now()
                return
    raise ApiError(404, "Label does not exist")
