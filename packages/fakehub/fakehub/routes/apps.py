"""REST: the App endpoints (JWT-authenticated) and the installation's own view."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response

from fakehub.auth import Kind
from fakehub.clock import iso
from fakehub.errors import ApiError, not_found
from fakehub.render import APP_PERMISSIONS
from fakehub.routes.common import (
    body,
    hub,
    json_response,
    no_content,
    paginate,
    principal,
    require_app,
)
from fakehub.store import Repo
from fakehub.webhooks import Delivery

bp = Blueprint("apps", __name__)


@bp.get("/app")
def get_app() -> Response:
    require_app()
    return json_response(hub().app_json())


@bp.get("/app/installations")
def list_installations() -> Response:
    require_app()
    return paginate([hub().installation_json()])


def _installation(installation_id: int) -> None:
    if installation_id != hub().app.installation_id:
        raise not_found()


@bp.get("/app/installations/<int:installation_id>")
def get_installation(installation_id: int) -> Response:
    require_app()
    _installation(installation_id)
    return json_response(hub().installation_json())


@bp.post("/app/installations/<int:installation_id>/access_tokens")
def create_access_token(installation_id: int) -> Response:
    """A token for the whole installation, or narrowed by `repositories`/`repository_ids` and
    `permissions` as GitHub allows (a repository or permission the App lacks is a 422)."""
    require_app()
    _installation(installation_id)
    request_body = body()
    repos = _requested_repos(request_body)
    permissions = _requested_permissions(request_body)
    the_hub = hub()
    token = the_hub.auth.issue_installation_token(
        frozenset(r.id for r in repos) if repos is not None else None, permissions
    )
    assert token.expires_at is not None
    data: dict[str, object] = {
        "token": token.token,
        "expires_at": iso(token.expires_at),
        "permissions": dict(permissions if permissions is not None else APP_PERMISSIONS),
        "repository_selection": "selected" if repos is not None else "all",
    }
    if repos is not None:
        data["repositories"] = [the_hub.repo_json(r) for r in repos]
    return json_response(data, 201)


def _requested_repos(data: dict[str, Any]) -> list[Repo] | None:
    names, ids = data.get("repositories"), data.get("repository_ids")
    if names is None and ids is None:
        return None
    store = hub().store
    with store.lock:
        every = list(store.repos.values())
    found: list[Repo] = []
    for name in names or []:
        # Names without an owner: the installation's account is implied.
        match = [r for r in every if r.name == name]
        if not match:
            raise _not_accessible()
        found += match
    for repo_id in ids or []:
        match = [r for r in every if r.id == repo_id]
        if not match:
            raise _not_accessible()
        found += match
    return list({r.id: r for r in found}.values())


def _not_accessible() -> ApiError:
    return ApiError(
        422,
        "There is at least one repository that does not exist or is not accessible to the "
        "parent installation.",
    )


def _requested_permissions(data: dict[str, Any]) -> dict[str, str] | None:
    wanted = data.get("permissions")
    if wanted is None or wanted == {}:
        # No permissions named (PyGithub sends `{}`): the installation's own, as on GitHub.
        return None
    if not isinstance(wanted, dict):
        raise ApiError(422, "Invalid request.")
    order = {"read": 1, "write": 2}
    for name, level in wanted.items():
        granted = APP_PERMISSIONS.get(name)
        if granted is None or order.get(level, 3) > order[granted]:
            raise ApiError(422, "The permissions requested are not granted to this installation.")
    return {str(k): str(v) for k, v in wanted.items()}


@bp.delete("/installation/token")
def revoke_installation_token() -> Response:
    """An installation token revokes itself."""
    who = principal()
    if who.kind is not Kind.INSTALLATION or who.token is None:
        raise ApiError(403, "You must authenticate with an installation access token.")
    hub().auth.revoke(who.token.token)
    return no_content()


def _delivery_item(number: int, delivery: Delivery) -> dict[str, object]:
    """GitHub's summary of one delivery (`hook-delivery-item`): numbered from 1, in order."""
    repository = delivery.payload.get("repository")
    code = delivery.status_code or 0  # GitHub reports 0 for a delivery that got no answer
    return {
        "id": number,
        "guid": delivery.guid,
        "delivered_at": iso(delivery.delivered_at or time.time()),
        "redelivery": delivery.redelivery,
        "duration": round(delivery.duration or 0.0, 3),
        "status": "OK" if 200 <= code < 300 else (delivery.error or f"HTTP {code}")[:100],
        "status_code": code,
        "event": delivery.event,
        "action": delivery.action,
        "installation_id": hub().app.installation_id,
        "repository_id": repository.get("id") if isinstance(repository, dict) else None,
    }


@bp.get("/app/hook/deliveries")
def list_hook_deliveries() -> Response:
    """The App's recent deliveries, newest first, as GitHub lists them (page-numbered here
    rather than by cursor; `per_page` is honoured)."""
    require_app()
    sent = [
        (number, d)
        for number, d in enumerate(hub().webhooks.deliveries(), start=1)
        if d.delivered_at is not None
    ]
    return paginate([_delivery_item(n, d) for n, d in reversed(sent)])


@bp.post("/app/hook/deliveries/<int:delivery_id>/attempts")
def redeliver_hook_delivery(delivery_id: int) -> Response:
    """Send a past delivery again with its GUID, as the App's "Redeliver" does."""
    require_app()
    log = hub().webhooks.deliveries()
    if not 1 <= delivery_id <= len(log):
        raise not_found()
    hub().webhooks.redeliver(log[delivery_id - 1].guid)
    return json_response({}, 202)


@bp.get("/repos/<owner>/<name>/installation")
def repo_installation(owner: str, name: str) -> Response:
    require_app()
    if hub().store.repo(owner, name) is None:
        raise not_found()
    return json_response(hub().installation_json())


@bp.get("/installation/repositories")
def installation_repositories() -> Response:
    if principal().kind is not Kind.INSTALLATION:
        raise ApiError(403, "You must authenticate with an installation access token.")
    the_hub = hub()
    with the_hub.store.lock:
        repos = [r for r in the_hub.store.repos.values() if principal().may_see(r.id)]
    items = [the_hub.repo_json(r) for r in repos]
    return paginate(items, wrap="repositories")
