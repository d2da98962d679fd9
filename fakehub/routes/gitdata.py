"""REST: the Git database API's commit creation (`POST /repos/{owner}/{repo}/git/commits`)."""

from __future__ import annotations

from flask import Blueprint, Response

from fakehub import render
from fakehub.errors import validation
from fakehub.gitrepo import Person
from fakehub.routes.common import body, caller, get_repo, hub, json_response

bp = Blueprint("gitdata", __name__)


@bp.post("/repos/<owner>/<name>/git/commits")
def create_git_commit(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    user = caller()
    data = body()
    message, tree, parents = data.get("message"), data.get("tree"), data.get("parents", [])
    if not isinstance(message, str):
        raise validation("Commit", "message", "missing_field")
    git = hub().git(repo)
    if not isinstance(tree, str) or git.object_type(tree) != "tree":
        raise validation("Commit", "tree", "invalid")
    if not isinstance(parents, list) or any(git.object_type(p) != "commit" for p in parents):
        raise validation("Commit", "parents", "invalid")
    author = Person(user.login, f"{user.login}@users.noreply.fakehub", int(hub().clock.now()))
    # A new commit object only: no ref moves until the caller creates or updates one.
    sha = git.commit_tree(tree, parents, message, author)
    return json_response(render.git_commit(hub().urls, repo, git.commit(sha)), 201)
