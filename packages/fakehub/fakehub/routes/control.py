"""The control API under /_fakehub: act as people, inject faults, read the logs.

Every action that GitHub would report to the App sends the same webhook it would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request

from fakehub import checks, issues, merges, pulls, relations, render
from fakehub.clock import iso
from fakehub.errors import ApiError, not_found
from fakehub.faults import Fault
from fakehub.limits import SecondaryLimits
from fakehub.routes.common import body, hub, json_response, no_content
from fakehub.store import Permission, Repo, User

bp = Blueprint("control", __name__)
R = "/repos/<owner>/<name>"


@bp.errorhandler(KeyError)
def _missing_field(error: KeyError) -> Response:
    return json_response({"message": f"the control API needs the field {error}"}, 422)


def _repo(owner: str, name: str) -> Repo:
    found = hub().store.repo(owner, name)
    if found is None:
        raise not_found()
    return found


def _actor(data: dict[str, Any], default: str | None = None) -> User:
    login = data.get("user") or default
    if not isinstance(login, str) or not login:
        raise ApiError(422, "the control API needs `user`: the login of the person acting")
    return hub().store.user(login)


@bp.get("/app")
def app_credentials() -> Response:
    return json_response(hub().credentials())


@bp.post("/repos")
def create_repo() -> Response:
    data = body()
    source = data.get("source")
    try:
        repo = hub().create_repo(
            owner=str(data["owner"]),
            name=str(data["name"]),
            source=Path(source) if source else None,
            files=data.get("files"),
            default_branch=str(data.get("default_branch") or "main"),
            description=data.get("description"),
            private=bool(data.get("private", True)),
            owner_plan=str(data.get("owner_plan") or "team"),
        )
    except ValueError as exc:
        raise ApiError(422, str(exc)) from exc
    return json_response(hub().repo_json(repo, full=True), 201)


@bp.post("/users")
def create_user() -> Response:
    data = body()
    user = hub().store.user(str(data["login"]))
    token = hub().auth.issue_user_token(user)
    return json_response({**render.user(hub().urls, user), "token": token.token}, 201)


@bp.put(f"{R}/collaborators/<login>")
def add_collaborator(owner: str, name: str, login: str) -> Response:
    repo = _repo(owner, name)
    try:
        permission = Permission(body().get("permission", "write"))
    except ValueError as exc:
        raise ApiError(422, str(exc)) from exc
    user = hub().add_collaborator(repo, login, permission)
    token = hub().auth.issue_user_token(user)
    return json_response(
        {**render.user(hub().urls, user), "token": token.token, "permission": permission.value}
    )


@bp.post(f"{R}/issues")
def open_issue(owner: str, name: str) -> Response:
    repo = _repo(owner, name)
    data = body()
    issue = issues.open_issue(
        hub(),
        repo,
        _actor(data),
        str(data.get("title") or ""),
        data.get("body"),
        data.get("labels"),
    )
    return json_response(issues.issue_json(hub(), repo, issue), 201)


@bp.post(f"{R}/issues/<int:number>/comments")
def comment(owner: str, name: str, number: int) -> Response:
    repo = _repo(owner, name)
    data = body()
    found = issues.add_comment(
        hub(), repo, issues.get_issue(repo, number), _actor(data), str(data.get("body") or "")
    )
    return json_response(issues.comment_json(hub(), repo, found), 201)


@bp.patch(f"{R}/issues/comments/<int:comment_id>")
def edit_comment(owner: str, name: str, comment_id: int) -> Response:
    repo = _repo(owner, name)
    data = body()
    found = issues.get_comment(hub(), repo, comment_id)
    issues.edit_comment(
        hub(), repo, found, _actor(data, found.user.login), str(data.get("body") or "")
    )
    return json_response(issues.comment_json(hub(), repo, found))


@bp.patch(f"{R}/issues/<int:number>")
def update_issue(owner: str, name: str, number: int) -> Response:
    """Edit an issue as a person: title, body, state ("open" or "closed")."""
    repo = _repo(owner, name)
    data = body()
    changes: dict[str, Any] = {
        k: data[k] for k in ("title", "body", "state", "state_reason") if k in data
    }
    found = issues.update_issue(hub(), repo, issues.get_issue(repo, number), _actor(data), changes)
    return json_response(issues.issue_json(hub(), repo, found))


@bp.post(f"{R}/issues/<int:number>/sub_issues")
def add_sub_issue(owner: str, name: str, number: int) -> Response:
    """Make issue `number` (of this repository) a sub-issue of this one, as a person."""
    repo = _repo(owner, name)
    data = body()
    parent = issues.get_issue(repo, number)
    child = issues.get_issue(repo, int(data["number"]))
    relations.add_sub_issue(hub(), repo, parent, _actor(data), child.id)
    return json_response(issues.issue_json(hub(), repo, parent), 201)


@bp.post(f"{R}/issues/<int:number>/blocked_by")
def add_blocked_by(owner: str, name: str, number: int) -> Response:
    """Mark this issue blocked by issue `number` of this repository, as a person."""
    repo = _repo(owner, name)
    data = body()
    issue = issues.get_issue(repo, number)
    blocker = issues.get_issue(repo, int(data["number"]))
    relations.add_blocked_by(hub(), repo, issue, _actor(data), blocker.id)
    return json_response(issues.issue_json(hub(), repo, issue), 201)


@bp.post(f"{R}/pulls")
def open_pull(owner: str, name: str) -> Response:
    repo = _repo(owner, name)
    data = body()
    issue = pulls.open_pull(
        hub(),
        repo,
        _actor(data),
        str(data.get("title") or ""),
        str(data["head"]),
        str(data.get("base") or repo.default_branch),
        data.get("body"),
        bool(data.get("draft", False)),
    )
    return json_response(pulls.pull_json(hub(), repo, issue), 201)


@bp.post(f"{R}/pulls/<int:number>/reviews")
def review(owner: str, name: str, number: int) -> Response:
    repo = _repo(owner, name)
    data = body()
    found = pulls.submit_review(
        hub(),
        repo,
        pulls.get_pull(repo, number),
        _actor(data),
        str(data.get("event") or ""),
        str(data.get("body") or ""),
        data.get("commit_id"),
        list(data.get("comments") or []),
    )
    return json_response(render.review(hub().urls, repo, number, found), 201)


@bp.post(f"{R}/pulls/<int:number>/reviews/<int:review_id>/dismissals")
def dismiss_review(owner: str, name: str, number: int, review_id: int) -> Response:
    repo = _repo(owner, name)
    data = body()
    found = pulls.dismiss_review(
        hub(),
        repo,
        pulls.get_pull(repo, number),
        _actor(data),
        review_id,
        str(data.get("message") or "dismissed"),
    )
    return json_response(render.review(hub().urls, repo, number, found))


@bp.post(f"{R}/pulls/<int:number>/merge")
def merge(owner: str, name: str, number: int) -> Response:
    repo = _repo(owner, name)
    data = body()
    sha = merges.merge_pull(
        hub(),
        repo,
        pulls.get_pull(repo, number),
        _actor(data),
        method=str(data.get("merge_method") or "merge"),
    )
    return json_response({"sha": sha, "merged": True})


@bp.post(f"{R}/pulls/<int:number>/ready_for_review")
def ready_for_review(owner: str, name: str, number: int) -> Response:
    repo = _repo(owner, name)
    data = body()
    pulls.set_draft(
        hub(), repo, pulls.get_pull(repo, number), _actor(data), bool(data.get("draft", False))
    )
    return no_content()


@bp.post(f"{R}/check-runs/<int:run_id>/rerequest")
def rerequest(owner: str, name: str, run_id: int) -> Response:
    repo = _repo(owner, name)
    checks.rerequest(hub(), repo, checks.get_check_run(repo, run_id), _actor(body()))
    return no_content()


@bp.post(f"{R}/check-runs/<int:run_id>/actions/<identifier>")
def press_action(owner: str, name: str, run_id: int, identifier: str) -> Response:
    repo = _repo(owner, name)
    checks.request_action(
        hub(), repo, checks.get_check_run(repo, run_id), _actor(body()), identifier
    )
    return no_content()


@bp.post("/installation/events")
def installation_event() -> Response:
    """Send `installation` (e.g. `created`), as when the App is installed on its account."""
    data = body()
    the_hub = hub()
    with the_hub.store.lock:
        repos = list(the_hub.store.repos.values())
    the_hub.emit(
        "installation",
        None,
        _actor(data, the_hub.app.owner.login),
        action=str(data.get("action") or "created"),
        installation=the_hub.installation_json(),
        repositories=[
            {
                "id": r.id,
                "node_id": render.node_id("Repository", r.id),
                "name": r.name,
                "full_name": r.full_name,
                "private": r.private,
            }
            for r in repos
        ],
        requester=None,
    )
    return no_content()


@bp.post("/ping")
def ping() -> Response:
    """Send `ping`, as GitHub does when an App's webhook is set up."""
    the_hub = hub()
    created = iso(the_hub.app.created_at)
    hook = {
        "id": 1,
        "type": "App",
        "name": "web",
        "active": True,
        "events": list(render.APP_EVENTS),
        "config": {"content_type": "json", "insecure_ssl": "0", "url": the_hub.webhooks.url or ""},
        "created_at": created,
        "updated_at": created,
        "app_id": the_hub.app.app_id,
        "deliveries_url": f"{the_hub.urls.api}/app/hook/deliveries",
    }
    payload = {
        "zen": "Keep it logically awesome.",
        "hook_id": 1,
        "hook": hook,
        "sender": render.user(the_hub.urls, the_hub.app.owner),
    }
    the_hub.webhooks.send("ping", payload)
    return no_content()


# -- webhooks -------------------------------------------------------------------------------


@bp.put("/webhook")
def set_webhook_url() -> Response:
    hub().webhooks.url = body().get("url")
    return no_content()


@bp.get("/deliveries")
def deliveries() -> Response:
    return json_response([d.as_dict() for d in hub().webhooks.deliveries()])


@bp.post("/deliveries/flush")
def flush() -> Response:
    timeout = float(request.args.get("timeout", 10))
    if not hub().webhooks.flush(timeout):
        raise ApiError(504, "deliveries still pending")
    return no_content()


@bp.post("/deliveries/<guid>/redeliver")
def redeliver(guid: str) -> Response:
    try:
        again = hub().webhooks.redeliver(guid)
    except KeyError as exc:
        raise not_found() from exc
    return json_response(again.as_dict(), 202)


# -- faults, logs, clock --------------------------------------------------------------------


@bp.post("/faults")
def add_fault() -> Response:
    try:
        fault = hub().faults.add(Fault.from_dict(body()))
    except (TypeError, ValueError) as exc:
        raise ApiError(422, str(exc)) from exc
    return json_response(fault.as_dict(), 201)


@bp.put("/limits")
def set_limits() -> Response:
    """Switch GitHub's secondary limits on or off, with their numbers (off by default)."""
    try:
        limits = SecondaryLimits.from_dict(body())
    except (TypeError, ValueError) as exc:
        raise ApiError(422, str(exc)) from exc
    hub().limits.configure(limits)
    return json_response(limits.as_dict())


@bp.get("/limits")
def get_limits() -> Response:
    return json_response(hub().limits.limits.as_dict())


@bp.get("/faults")
def list_faults() -> Response:
    return json_response([f.as_dict() for f in hub().faults.list()])


@bp.delete("/faults")
def clear_faults() -> Response:
    hub().faults.clear()
    return no_content()


@bp.get("/requests")
def requests_log() -> Response:
    return json_response([e.as_dict() for e in hub().requests.all() if e.area != "control"])


@bp.delete("/requests")
def clear_requests() -> Response:
    hub().requests.clear()
    return no_content()


@bp.get("/violations")
def violations() -> Response:
    return json_response(list(hub().violations))


@bp.post("/clock")
def advance_clock() -> Response:
    hub().clock.advance(float(body().get("advance", 0)))
    return json_response({"now": hub().clock.now()})
