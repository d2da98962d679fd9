"""REST: repositories, contents, branches, commits, compare, merges and git refs."""

from __future__ import annotations

from flask import Blueprint, Response, request

from fakehub import merges, refs, render, render_git
from fakehub.errors import ApiError, not_found, validation
from fakehub.gitrepo import Person
from fakehub.routes.common import (
    body,
    caller,
    get_repo,
    hub,
    json_response,
    no_content,
    paginate,
    resolve_ref,
)
from fakehub.store import Repo

bp = Blueprint("repos", __name__)
R = "/repos/<owner>/<name>"


@bp.get(R)
def get_repository(owner: str, name: str) -> Response:
    return json_response(hub().repo_json(get_repo(owner, name), full=True))


# -- branches and commits -------------------------------------------------------------------


@bp.get(f"{R}/branches")
def list_branches(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    urls = hub().urls
    items = [
        render_git.short_branch(urls, repo, ref.removeprefix("refs/heads/"), sha)
        for ref, sha in hub().git(repo).refs("refs/heads/")
    ]
    return paginate(items)


@bp.get(f"{R}/branches/<path:branch>")
def get_branch(owner: str, name: str, branch: str) -> Response:
    repo = get_repo(owner, name)
    git = hub().git(repo)
    sha = git.ref_sha(f"refs/heads/{branch}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    return json_response(render_git.branch(hub().urls, repo, branch, git.commit(sha)))


@bp.get(f"{R}/commits")
def list_commits(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    git = hub().git(repo)
    _, sha = resolve_ref(repo, git, request.args.get("sha"))
    urls = hub().urls
    return paginate([render_git.commit(urls, repo, git.commit(s)) for s in git.log(sha)])


@bp.get(f"{R}/commits/<path:ref>")
def get_commit(owner: str, name: str, ref: str) -> Response:
    repo = get_repo(owner, name)
    git = hub().git(repo)
    sha = git.resolve(ref)
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    info = git.commit(sha)
    files = git.diff(info.parents[0], sha) if info.parents else []
    return json_response(render_git.commit(hub().urls, repo, info, files))


@bp.get(f"{R}/git/commits/<sha>")
def get_git_commit(owner: str, name: str, sha: str) -> Response:
    repo = get_repo(owner, name)
    git = hub().git(repo)
    if git.object_type(sha) != "commit":
        raise not_found()
    return json_response(render_git.git_commit(hub().urls, repo, git.commit(sha)))


@bp.post(f"{R}/git/commits")
def create_git_commit(owner: str, name: str) -> Response:
    """A commit object from a tree and parents; no ref moves (as on GitHub)."""
    repo = get_repo(owner, name, write=True)
    git = hub().git(repo)
    data = body()
    message, tree = data.get("message"), data.get("tree")
    parents = data.get("parents", [])
    if not isinstance(message, str) or not isinstance(tree, str):
        raise validation(
            "Commit", "message" if not isinstance(message, str) else "tree", "missing_field"
        )
    if git.object_type(tree) != "tree":
        raise ApiError(422, "Tree SHA does not exist")
    if not isinstance(parents, list) or any(git.object_type(str(p)) != "commit" for p in parents):
        raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    user = caller()
    author = _git_person(data.get("author"), user.login, int(hub().clock.now()))
    sha = git.commit_tree(tree, [str(p) for p in parents], message, author)
    return json_response(render_git.git_commit(hub().urls, repo, git.commit(sha)), 201)


def _git_person(given: object, login: str, now: int) -> Person:
    if isinstance(given, dict) and given.get("name") and given.get("email"):
        return Person(str(given["name"]), str(given["email"]), now)
    return Person(login, f"{login}@users.noreply.fakehub", now)


@bp.get(f"{R}/git/blobs/<sha>")
def get_blob(owner: str, name: str, sha: str) -> Response:
    repo = get_repo(owner, name)
    git = hub().git(repo)
    if git.object_type(sha) != "blob":
        raise not_found()
    return json_response(render_git.blob(hub().urls, repo, git, sha))


@bp.get(f"{R}/git/trees/<sha>")
def get_tree(owner: str, name: str, sha: str) -> Response:
    repo = get_repo(owner, name)
    git = hub().git(repo)
    if git.object_type(sha) not in ("tree", "commit"):
        # GitHub takes a branch or tag name here too.
        found = git.resolve(sha)
        if found is None:
            raise not_found()
        sha = found
    api = hub().urls.repo_api(repo)
    recursive = request.args.get("recursive") not in (None, "", "0", "false")
    entries = git.list_tree(sha, "", recursive=recursive)
    items = [
        {
            "path": e.path,
            "mode": e.mode,
            "type": e.type,
            "sha": e.sha,
            **({"size": e.size} if e.type == "blob" else {}),
            "url": f"{api}/git/{'blobs' if e.type == 'blob' else 'trees'}/{e.sha}",
        }
        for e in entries
    ]
    tree_sha = git.out("rev-parse", f"{sha}^{{tree}}").strip()
    data = {
        "sha": tree_sha,
        "url": f"{api}/git/trees/{tree_sha}",
        "tree": items,
        "truncated": False,
    }
    return json_response(data)


@bp.get(f"{R}/compare/<path:basehead>")
def compare(owner: str, name: str, basehead: str) -> Response:
    repo = get_repo(owner, name)
    git = hub().git(repo)
    if "..." not in basehead:
        raise not_found()
    base, head = basehead.split("...", 1)
    base_sha, head_sha = git.resolve(base), git.resolve(head)
    if base_sha is None or head_sha is None:
        raise not_found()
    merge_base = git.merge_base(base_sha, head_sha)
    if merge_base is None:
        raise ApiError(404, f"No common ancestor between {base} and {head}.")
    ahead = git.rev_list(base_sha, head_sha)
    behind = git.rev_list(head_sha, base_sha)
    status = (
        "identical"
        if not ahead and not behind
        else "ahead"
        if not behind
        else "behind"
        if not ahead
        else "diverged"
    )
    urls = hub().urls
    web = f"{urls.repo_web(repo)}/compare/{basehead}"
    changes = git.diff(merge_base, head_sha)
    data = {
        "url": f"{urls.repo_api(repo)}/compare/{basehead}",
        "html_url": web,
        "permalink_url": f"{urls.repo_web(repo)}/compare/{base_sha}...{head_sha}",
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "base_commit": render_git.commit(urls, repo, git.commit(base_sha)),
        "merge_base_commit": render_git.commit(urls, repo, git.commit(merge_base)),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [render_git.commit(urls, repo, git.commit(s)) for s in ahead[:250]],
        "files": [render_git.diff_entry(urls, repo, head_sha, c) for c in changes],
    }
    return json_response(data)


@bp.post(f"{R}/merges")
def merge(owner: str, name: str) -> Response:
    repo = get_repo(owner, name, write=True)
    data = body()
    base, head = data.get("base"), data.get("head")
    if not isinstance(base, str) or not isinstance(head, str):
        raise validation("Merge", "base" if not isinstance(base, str) else "head", "missing_field")
    merged = merges.merge_branches(hub(), repo, caller(), base, head, data.get("commit_message"))
    if merged is None:
        return no_content()
    git = hub().git(repo)
    info = git.commit(merged)
    files = git.diff(info.parents[0], merged)
    return json_response(render_git.commit(hub().urls, repo, info, files), 201)


# -- git refs -------------------------------------------------------------------------------


def _ref_json(repo: Repo, ref: str, sha: str) -> dict[str, object]:
    return render_git.ref(hub().urls, repo, ref, sha)


@bp.get(f"{R}/git/ref/<path:ref>")
@bp.get(f"{R}/git/refs/<path:ref>")
def get_ref(owner: str, name: str, ref: str) -> Response:
    repo = get_repo(owner, name)
    full = refs.full_ref(ref)
    sha = hub().git(repo).ref_sha(full) if full.count("/") >= 2 else None
    if sha is None:
        raise not_found()
    return json_response(_ref_json(repo, full, sha))


@bp.get(f"{R}/git/refs")
def list_refs(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    items = [_ref_json(repo, ref, sha) for ref, sha in hub().git(repo).refs("refs/")]
    return paginate(items)


@bp.get(f"{R}/git/matching-refs/<path:ref>")
def matching_refs(owner: str, name: str, ref: str) -> Response:
    repo = get_repo(owner, name)
    prefix = refs.full_ref(ref)
    items = [
        _ref_json(repo, r, sha) for r, sha in hub().git(repo).refs("refs/") if r.startswith(prefix)
    ]
    return paginate(items)


@bp.post(f"{R}/git/refs")
def create_ref(owner: str, name: str) -> Response:
    repo = get_repo(owner, name, write=True)
    data = body()
    ref, sha = data.get("ref"), data.get("sha")
    if not isinstance(ref, str) or not isinstance(sha, str):
        raise validation("Reference", "ref" if not isinstance(ref, str) else "sha", "missing_field")
    refs.create_ref(hub(), repo, caller(), ref, sha)
    return json_response(_ref_json(repo, ref, sha), 201)


@bp.patch(f"{R}/git/refs/<path:ref>")
def update_ref(owner: str, name: str, ref: str) -> Response:
    repo = get_repo(owner, name, write=True)
    data = body()
    sha = data.get("sha")
    if not isinstance(sha, str):
        raise validation("Reference", "sha", "missing_field")
    full = refs.full_ref(ref)
    refs.update_ref(hub(), repo, caller(), full, sha, bool(data.get("force", False)))
    return json_response(_ref_json(repo, full, sha))


@bp.delete(f"{R}/git/refs/<path:ref>")
def delete_ref(owner: str, name: str, ref: str) -> Response:
    repo = get_repo(owner, name, write=True)
    refs.delete_ref(hub(), repo, caller(), refs.full_ref(ref))
    return no_content()


# -- people ---------------------------------------------------------------------------------


@bp.get(f"{R}/collaborators/<login>/permission")
def collaborator_permission(owner: str, name: str, login: str) -> Response:
    repo = get_repo(owner, name)
    the_hub = hub()
    user = the_hub.store.find_user(login)
    if user is None:
        raise ApiError(404, f"{login} is not a user")
    role = repo.permission_of(user)
    user_data = render.user(the_hub.urls, user)
    user_data["role_name"] = role.value
    user_data["permissions"] = _permission_flags(role.value)
    data = {"permission": role.legacy, "role_name": role.value, "user": user_data}
    return json_response(data)


def _permission_flags(role: str) -> dict[str, bool]:
    order = ["read", "triage", "write", "maintain", "admin"]
    rank = order.index(role) if role in order else -1
    return {
        "pull": rank >= 0,
        "triage": rank >= 1,
        "push": rank >= 2,
        "maintain": rank >= 3,
        "admin": rank >= 4,
    }


@bp.get(f"{R}/collaborators")
def list_collaborators(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    the_hub = hub()
    items = []
    with the_hub.store.lock:
        people = [(repo.owner.login, "admin")] + [
            (k, v.value) for k, v in repo.collaborators.items()
        ]
    for login, role in people:
        user = the_hub.store.user(login)
        data = render.user(the_hub.urls, user)
        data["role_name"] = role
        data["permissions"] = _permission_flags(role)
        items.append(data)
    return paginate(items)


@bp.get(f"{R}/collaborators/<login>")
def is_collaborator(owner: str, name: str, login: str) -> Response:
    repo = get_repo(owner, name)
    user = hub().store.find_user(login)
    if user is None or repo.permission_of(user).value == "none":
        raise not_found()
    return no_content()


@bp.get("/users/<login>")
def get_user(login: str) -> Response:
    caller()
    user = hub().store.find_user(login)
    if user is None:
        raise not_found()
    return json_response(render.user(hub().urls, user))


@bp.get("/rate_limit")
def rate_limit() -> Response:
    now = int(hub().clock.now())
    core = {"limit": 5000, "remaining": 5000, "reset": now - now % 3600 + 3600, "used": 0}
    return json_response({"resources": {"core": core}, "rate": core})
