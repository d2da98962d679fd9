"""REST: check runs (created and updated by the App; listed for a ref)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from fakehub import checks
from fakehub.auth import Kind
from fakehub.errors import ApiError
from fakehub.routes.common import body, caller, get_repo, hub, json_response, paginate, principal

bp = Blueprint("checks", __name__)
R = "/repos/<owner>/<name>"


def _require_installation() -> None:
    # Only GitHub Apps may write check runs; a personal token gets 403 there.
    if principal().kind is not Kind.INSTALLATION:
        raise ApiError(403, "You must authenticate via a GitHub App.")


@bp.post(f"{R}/check-runs")
def create_check_run(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    _require_installation()
    run = checks.create_check_run(hub(), repo, caller(), body())
    return json_response(checks.check_run_json(hub(), repo, run), 201)


@bp.get(f"{R}/check-runs/<int:run_id>")
def get_check_run(owner: str, name: str, run_id: int) -> Response:
    repo = get_repo(owner, name)
    run = checks.get_check_run(repo, run_id)
    return json_response(checks.check_run_json(hub(), repo, run))


@bp.patch(f"{R}/check-runs/<int:run_id>")
def update_check_run(owner: str, name: str, run_id: int) -> Response:
    repo = get_repo(owner, name)
    _require_installation()
    run = checks.update_check_run(hub(), repo, checks.get_check_run(repo, run_id), caller(), body())
    return json_response(checks.check_run_json(hub(), repo, run))


@bp.get(f"{R}/commits/<path:ref>/check-runs")
def list_for_ref(owner: str, name: str, ref: str) -> Response:
    repo = get_repo(owner, name)
    sha = hub().git(repo).resolve(ref)
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    with hub().store.lock:
        runs = checks.runs_for_sha(
            repo,
            sha,
            request.args.get("check_name"),
            request.args.get("status"),
            latest=request.args.get("filter", "latest") != "all",
        )
    items = [checks.check_run_json(hub(), repo, r) for r in runs]
    return paginate(items, wrap="check_runs")
