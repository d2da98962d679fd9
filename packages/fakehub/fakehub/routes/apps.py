"""REST: the App endpoints (JWT-authenticated) and the installation's own view."""

from __future__ import annotations

from flask import Blueprint, Response

from fakehub.auth import Kind
from fakehub.clock import iso
from fakehub.errors import ApiError, not_found
from fakehub.render import APP_PERMISSIONS
from fakehub.routes.common import hub, json_response, paginate, principal, require_app

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
