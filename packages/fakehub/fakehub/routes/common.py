"""What every REST route needs: the hub, the caller, the repository, JSON in, pages out."""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import urlencode

from flask import Response, g, request

from fakehub.auth import Kind, Principal
from fakehub.errors import ApiError, not_found
from fakehub.gitrepo import GitRepo
from fakehub.hub import Hub
from fakehub.store import Permission, Repo, User

API_PREFIX = "/api/v3"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


HUB_ENVIRON_KEY = "fakehub.hub"


def hub() -> Hub:
    """The stand-in this request is for (several may share one Flask app in a process)."""
    return cast(Hub, request.environ[HUB_ENVIRON_KEY])


def principal() -> Principal:
    found = g.get("principal")
    if found is None:
        raise ApiError(401, "Requires authentication")
    return cast(Principal, found)


def caller() -> User:
    """The acting user for repository endpoints (an installation acts as the App's bot)."""
    who = principal()
    if who.kind is Kind.APP:
        # GitHub refuses an App JWT outside the /app endpoints.
        raise ApiError(403, "Resource not accessible by integration")
    return who.user


def require_app() -> Principal:
    who = g.get("principal")
    if who is None or who.kind is not Kind.APP:
        raise ApiError(401, "A JSON web token could not be decoded")
    return cast(Principal, who)


def get_repo(owner: str, name: str, write: bool = False) -> Repo:
    """The repository as the caller may see it; `write` for calls that need push access.

    The App's installation may do anything; a person's token only what their role allows
    (repositories are private: without a role, they do not exist).
    """
    found = hub().store.repo(owner, name)
    if found is None:
        raise not_found()
    who = caller()
    if not principal().may_see(found.id):
        # As GitHub answers a token narrowed to other repositories: as if it did not exist.
        raise not_found()
    if principal().kind is Kind.USER:
        role = found.permission_of(who)
        if role is Permission.NONE and found.private:
            raise not_found()
        if write and role.rank < Permission.WRITE.rank:
            raise ApiError(403, "Must have push access to this repository.")
    return found


def resolve_ref(repo: Repo, git: GitRepo, ref: str | None) -> tuple[str, str]:
    """(ref name, commit) for a branch, tag or sha; the default branch when none is given."""
    name = ref or repo.default_branch
    sha = git.resolve(name)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {name}")
    return name, sha


def body() -> dict[str, Any]:
    """The JSON object in the request body (GitHub answers 400 for a body that is not JSON)."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "Problems parsing JSON") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "Problems parsing JSON")
    return data


def json_response(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def no_content() -> Response:
    return Response(status=204)


def page_params() -> tuple[int, int]:
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(request.args.get("per_page", DEFAULT_PER_PAGE))))
    except ValueError as exc:
        raise ApiError(400, "Invalid page parameter") from exc
    return page, per_page


def paginate(items: list[Any], wrap: str | None = None, total: bool = False) -> Response:
    """One page of `items`, with GitHub's Link header (first, prev, next, last).

    `wrap` puts the page under that key of an object carrying `total_count` (check runs).
    """
    page, per_page = page_params()
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    data: object = {"total_count": len(items), wrap: chunk} if wrap else chunk
    response = json_response(data)
    links = []
    # The link must name the host the client used: PyGithub follows only links to its own host.
    base = request.host_url.rstrip("/") + request.path

    def link(number: int, rel: str) -> str:
        query = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}
        query.update({"per_page": str(per_page), "page": str(number)})
        return f'<{base}?{urlencode(query)}>; rel="{rel}"'

    if page > 1:
        links += [link(page - 1, "prev"), link(1, "first")]
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if links:
        response.headers["Link"] = ", ".join(links)
    return response
