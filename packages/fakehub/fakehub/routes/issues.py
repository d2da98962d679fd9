"""REST: issues, issue comments, reactions and labels."""

from __future__ import annotations

from flask import Blueprint, Response, request

from fakehub import issues, pulls, render
from fakehub.errors import not_found, validation
from fakehub.routes.common import body, caller, get_repo, hub, json_response, no_content, paginate
from fakehub.store import Issue

bp = Blueprint("issues", __name__)
R = "/repos/<owner>/<name>"


def _filter(items: list[Issue]) -> list[Issue]:
    state = request.args.get("state", "open")
    if state != "all":
        items = [i for i in items if i.state == state]
    wanted = [x for x in request.args.get("labels", "").split(",") if x]
    if wanted:
        items = [i for i in items if set(wanted) <= {lab.name for lab in i.labels}]
    creator = request.args.get("creator")
    if creator:
        items = [i for i in items if i.user.login == creator]
    reverse = request.args.get("direction", "desc") == "desc"
    key = request.args.get("sort", "created")
    return sorted(
        items, key=lambda i: i.updated_at if key == "updated" else i.number, reverse=reverse
    )


@bp.get(f"{R}/issues")
def list_issues(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    the_hub = hub()
    with the_hub.store.lock:
        found = _filter(list(repo.issues.values()))
        items = [issues.issue_json(the_hub, repo, i) for i in found]
    return paginate(items)


@bp.post(f"{R}/issues")
def create_issue(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    data = body()
    issue = issues.open_issue(
        hub(),
        repo,
        caller(),
        str(data.get("title") or ""),
        data.get("body"),
        data.get("labels"),
        data.get("assignees"),
    )
    return json_response(issues.issue_json(hub(), repo, issue), 201)


@bp.get(f"{R}/issues/<int:number>")
def get_issue(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    with hub().store.lock:
        return json_response(issues.issue_json(hub(), repo, issues.get_issue(repo, number)))


@bp.patch(f"{R}/issues/<int:number>")
def update_issue(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = issues.get_issue(repo, number)
    changes = body()
    if issue.pull is not None:
        # A pull's title, body and state change through the pulls side, with its events.
        pull_side = {k: v for k, v in changes.items() if k in ("title", "body", "state")}
        pulls.update_pull(hub(), repo, issue, caller(), pull_side)
        changes = {k: v for k, v in changes.items() if k not in pull_side}
    issues.update_issue(hub(), repo, issue, caller(), changes)
    return json_response(issues.issue_json(hub(), repo, issue))


# -- comments -------------------------------------------------------------------------------


@bp.get(f"{R}/issues/<int:number>/comments")
def list_comments(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    the_hub = hub()
    with the_hub.store.lock:
        issue = issues.get_issue(repo, number)
        items = [issues.comment_json(the_hub, repo, c) for c in issue.comments]
    return paginate(items)


@bp.get(f"{R}/issues/comments")
def list_repo_comments(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    the_hub = hub()
    with the_hub.store.lock:
        found = sorted((c for i in repo.issues.values() for c in i.comments), key=lambda c: c.id)
        items = [issues.comment_json(the_hub, repo, c) for c in found]
    return paginate(items)


@bp.post(f"{R}/issues/<int:number>/comments")
def create_comment(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = issues.get_issue(repo, number)
    comment = issues.add_comment(hub(), repo, issue, caller(), str(body().get("body") or ""))
    return json_response(issues.comment_json(hub(), repo, comment), 201)


@bp.get(f"{R}/issues/comments/<int:comment_id>")
def get_comment(owner: str, name: str, comment_id: int) -> Response:
    repo = get_repo(owner, name)
    comment = issues.get_comment(hub(), repo, comment_id)
    return json_response(issues.comment_json(hub(), repo, comment))


@bp.patch(f"{R}/issues/comments/<int:comment_id>")
def update_comment(owner: str, name: str, comment_id: int) -> Response:
    repo = get_repo(owner, name)
    comment = issues.get_comment(hub(), repo, comment_id)
    issues.edit_comment(hub(), repo, comment, caller(), str(body().get("body") or ""))
    return json_response(issues.comment_json(hub(), repo, comment))


@bp.delete(f"{R}/issues/comments/<int:comment_id>")
def delete_comment(owner: str, name: str, comment_id: int) -> Response:
    repo = get_repo(owner, name)
    comment = issues.get_comment(hub(), repo, comment_id)
    issues.delete_comment(hub(), repo, comment, caller())
    return no_content()


@bp.get(f"{R}/issues/comments/<int:comment_id>/reactions")
def list_reactions(owner: str, name: str, comment_id: int) -> Response:
    repo = get_repo(owner, name)
    comment = issues.get_comment(hub(), repo, comment_id)
    content = request.args.get("content")
    with hub().store.lock:
        found = [r for r in comment.reactions if content is None or r.content == content]
        items = [render.reaction(hub().urls, r) for r in found]
    return paginate(items)


@bp.post(f"{R}/issues/comments/<int:comment_id>/reactions")
def create_reaction(owner: str, name: str, comment_id: int) -> Response:
    repo = get_repo(owner, name)
    comment = issues.get_comment(hub(), repo, comment_id)
    reaction, created = issues.add_reaction(hub(), comment, caller(), str(body().get("content")))
    return json_response(render.reaction(hub().urls, reaction), 201 if created else 200)


@bp.get(f"{R}/issues/<int:number>/reactions")
def list_issue_reactions(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = issues.get_issue(repo, number)
    content = request.args.get("content")
    with hub().store.lock:
        found = [r for r in issue.reactions if content is None or r.content == content]
        items = [render.reaction(hub().urls, r) for r in found]
    return paginate(items)


@bp.post(f"{R}/issues/<int:number>/reactions")
def create_issue_reaction(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = issues.get_issue(repo, number)
    reaction, created = issues.add_reaction(hub(), issue, caller(), str(body().get("content")))
    return json_response(render.reaction(hub().urls, reaction), 201 if created else 200)


# -- labels ---------------------------------------------------------------------------------


@bp.get(f"{R}/labels")
def list_labels(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    with hub().store.lock:
        items = [render.label(hub().urls, repo, lab) for lab in repo.labels.values()]
    return paginate(items)


@bp.get(f"{R}/labels/<label_name>")
def get_label(owner: str, name: str, label_name: str) -> Response:
    repo = get_repo(owner, name)
    found = repo.labels.get(label_name.lower())
    if found is None:
        raise not_found()
    return json_response(render.label(hub().urls, repo, found))


@bp.post(f"{R}/labels")
def create_label(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    caller()
    data = body()
    label_name = data.get("name")
    if not isinstance(label_name, str) or not label_name:
        raise validation("Label", "name", "missing_field")
    label = issues.create_label(
        hub(), repo, label_name, str(data.get("color") or "ededed"), data.get("description")
    )
    return json_response(render.label(hub().urls, repo, label), 201)


@bp.get(f"{R}/issues/<int:number>/labels")
def list_issue_labels(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = issues.get_issue(repo, number)
    return paginate([render.label(hub().urls, repo, lab) for lab in issue.labels])


@bp.post(f"{R}/issues/<int:number>/labels")
@bp.put(f"{R}/issues/<int:number>/labels")
def add_labels(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = issues.get_issue(repo, number)
    raw = request.get_json(silent=True)
    names = raw.get("labels", []) if isinstance(raw, dict) else raw or []
    names = [n["name"] if isinstance(n, dict) else str(n) for n in names]
    if request.method == "PUT":
        with hub().store.lock:
            issue.labels = []
    issues.add_labels(hub(), repo, issue, caller(), names)
    return json_response([render.label(hub().urls, repo, lab) for lab in issue.labels])


@bp.delete(f"{R}/issues/<int:number>/labels/<label_name>")
def remove_label(owner: str, name: str, number: int, label_name: str) -> Response:
    repo = get_repo(owner, name)
    issue = issues.get_issue(repo, number)
    caller()
    issues.remove_label(hub(), repo, issue, label_name)
    return json_response([render.label(hub().urls, repo, lab) for lab in issue.labels])
