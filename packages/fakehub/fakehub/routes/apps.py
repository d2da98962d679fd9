"""REST: the App endpoints (JWT-authenticated) and the installation's own view."""

from __future__ import annotations

import time

from flask import Blueprint, Response

from fakehub.auth import Kind
from fakehub.clock import iso
from fakehub.errors import ApiError, not_found
from fakehub.render import APP_PERMISSIONS
from fakehub.routes.common import hub, json_response, paginate, principal, require_app
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
    require_app()
    _installation(installation_id)
    token = hub().auth.issue_installation_token()
    assert token.expires_at is not None
    data = {
        "token": token.token,
        "expires_at": iso(token.expires_at),
        "permissions": dict(APP_PERMISSIONS),
        "repository_selection": "all",
    }
    return json_response(data, 201)


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
        repos = list(the_hub.store.repos.values())
    items = [the_hub.repo_json(r) for r in repos]
    return paginate(items, wrap="repositories")
