"""REST: sub-issues and issue dependencies ("blocked by", "blocking")."""

from __future__ import annotations

from flask import Blueprint, Response

from fakehub import issues, relations
from fakehub.routes.common import body, caller, get_repo, hub, json_response, paginate

bp = Blueprint("relations", __name__)
R = "/repos/<owner>/<name>/issues/<int:number>"


@bp.get(f"{R}/sub_issues")
def list_sub_issues(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    return paginate(relations.sub_issues(hub(), issues.get_issue(repo, number)))


@bp.post(f"{R}/sub_issues")
def add_sub_issue(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name, write=True)
    parent = issues.get_issue(repo, number)
    data = body()
    relations.add_sub_issue(
        hub(),
        repo,
        parent,
        caller(),
        data.get("sub_issue_id"),
        replace=bool(data.get("replace_parent", False)),
    )
    return json_response(issues.issue_json(hub(), repo, parent), 201)


@bp.delete(f"{R}/sub_issue")
def remove_sub_issue(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name, write=True)
    parent = issues.get_issue(repo, number)
    relations.remove_sub_issue(hub(), repo, parent, caller(), body().get("sub_issue_id"))
    return json_response(issues.issue_json(hub(), repo, parent))


@bp.get(f"{R}/dependencies/blocked_by")
def list_blocked_by(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    return paginate(relations.blocked_by(hub(), issues.get_issue(repo, number)))


@bp.post(f"{R}/dependencies/blocked_by")
def add_blocked_by(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name, write=True)
    issue = issues.get_issue(repo, number)
    relations.add_blocked_by(hub(), repo, issue, caller(), body().get("issue_id"))
    return json_response(issues.issue_json(hub(), repo, issue), 201)


@bp.delete(f"{R}/dependencies/blocked_by/<int:issue_id>")
def remove_blocked_by(owner: str, name: str, number: int, issue_id: int) -> Response:
    repo = get_repo(owner, name, write=True)
    issue = issues.get_issue(repo, number)
    relations.remove_blocked_by(hub(), repo, issue, caller(), issue_id)
    return json_response(issues.issue_json(hub(), repo, issue))


@bp.get(f"{R}/dependencies/blocking")
def list_blocking(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    return paginate(relations.blocking(hub(), issues.get_issue(repo, number)))
