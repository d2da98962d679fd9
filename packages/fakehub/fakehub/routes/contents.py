"""REST: repository contents (read a file or directory at a ref; create or update a file)."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, request

from fakehub import refs, render_git
from fakehub.errors import ApiError, not_found, validation
from fakehub.gitrepo import GitError, Person
from fakehub.routes.common import body, caller, get_repo, hub, json_response, resolve_ref

bp = Blueprint("contents", __name__)
R = "/repos/<owner>/<name>"


@bp.get(f"{R}/contents", strict_slashes=False)
def get_root_contents(owner: str, name: str) -> Response:
    return get_contents(owner, name, "")


@bp.get(f"{R}/contents/<path:path>")
def get_contents(owner: str, name: str, path: str) -> Response:
    repo = get_repo(owner, name)
    git = hub().git(repo)
    ref_name, sha = resolve_ref(repo, git, request.args.get("ref"))
    path = path.strip("/")
    entry = git.entry(sha, path)
    if entry is None:
        raise not_found()
    urls = hub().urls
    if entry.type == "blob":
        return json_response(render_git.file_content(urls, repo, git, ref_name, entry))
    listing = [render_git.content(urls, repo, ref_name, e) for e in git.list_tree(sha, path)]
    return json_response(listing)


@bp.put(f"{R}/contents/<path:path>")
def put_contents(owner: str, name: str, path: str) -> Response:
    """Create or update one file with a commit on a branch, as a person editing on the web."""
    repo = get_repo(owner, name, write=True)
    user = caller()
    data = body()
    message, encoded = data.get("message"), data.get("content")
    if not isinstance(message, str) or not isinstance(encoded, str):
        raise validation(
            "Content", "message" if not isinstance(message, str) else "content", "missing_field"
        )
    try:
        content = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(422, "content is not valid Base64") from exc
    path = path.strip("/")
    branch = str(data.get("branch") or repo.default_branch)
    ref = f"refs/heads/{branch}"
    git = hub().git(repo)
    with hub().git_lock(repo):
        parent = git.ref_sha(ref)
        if parent is None:
            raise ApiError(404, f"Branch {branch} not found")
        existing = git.entry(parent, path)
        if existing is not None and existing.type != "blob":
            raise ApiError(422, f"{path} is a directory")
        if existing is not None and data.get("sha") != existing.sha:
            if data.get("sha") is None:
                raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
            raise ApiError(409, f"{path} does not match {data.get('sha')}")
        given = data.get("committer")
        who: dict[str, object] = given if isinstance(given, dict) else {}
        author = Person(
            str(who.get("name") or user.login),
            str(who.get("email") or f"{user.login}@users.noreply.fakehub"),
            int(hub().clock.now()),
        )
        commit = git.commit_file(parent, path, content, message, author)
        try:
            git.update_ref(ref, commit, parent)
        except GitError as exc:
            raise ApiError(409, f"{branch} was modified; try again") from exc
    refs.refs_moved(hub(), repo, user, {ref: (parent, commit)})
    entry = git.entry(commit, path)
    assert entry is not None
    data_out = {
        "content": render_git.content(hub().urls, repo, branch, entry),
        "commit": render_git.git_commit(hub().urls, repo, git.commit(commit)),
    }
    return json_response(data_out, 200 if existing is not None else 201)
