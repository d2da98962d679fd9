"""Ref moves (REST, merges and git pushes) and what follows them: `push`, and the pulls on them."""

from __future__ import annotations

from fakehub import pulls, render
from fakehub.errors import ApiError
from fakehub.gitrepo import ZERO_SHA, GitError
from fakehub.hub import Hub
from fakehub.store import Repo, User


def full_ref(ref: str) -> str:
    return ref if ref.startswith("refs/") else f"refs/{ref}"


def create_ref(hub: Hub, repo: Repo, user: User, ref: str, sha: str) -> None:
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name is invalid")
    git = hub.git(repo)
    if not git.valid_ref_name(ref):
        raise ApiError(422, f"{ref} is not a valid ref name.")
    with hub.git_lock(repo):
        if git.object_type(sha) != "commit":  # branches and tags here point at commits
            raise ApiError(422, "Object does not exist")
        if git.ref_sha(ref) is not None:
            raise ApiError(422, "Reference already exists")
        try:
            git.update_ref(ref, sha, ZERO_SHA)
        except GitError as exc:
            # `refs/heads/a/b` beside an existing `refs/heads/a` (or the reverse): git cannot
            # hold both, and GitHub answers with this bare message.
            raise ApiError(422, "Reference update failed") from exc
    refs_moved(hub, repo, user, {ref: (ZERO_SHA, sha)})


def update_ref(hub: Hub, repo: Repo, user: User, ref: str, sha: str, force: bool) -> None:
    git = hub.git(repo)
    with hub.git_lock(repo):
        old = git.ref_sha(ref)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        if git.object_type(sha) != "commit":  # branches and tags here point at commits
            raise ApiError(422, "Object does not exist")
        if not force and not git.is_ancestor(old, sha):
            raise ApiError(422, "Update is not a fast forward")
        git.update_ref(ref, sha, old)
    refs_moved(hub, repo, user, {ref: (old, sha)})


def delete_ref(hub: Hub, repo: Repo, user: User, ref: str) -> None:
    git = hub.git(repo)
    with hub.git_lock(repo):
        old = git.ref_sha(ref)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        git.delete_ref(ref)
    refs_moved(hub, repo, user, {ref: (old, ZERO_SHA)})


def refs_moved(hub: Hub, repo: Repo, user: User, moves: dict[str, tuple[str, str]]) -> None:
    """Send `push` for each moved ref, and `synchronize` for open pulls whose head moved."""
    with hub.store.lock:
        repo.pushed_at = hub.clock.now()
    git = hub.git(repo)
    for ref, (before, after) in sorted(moves.items()):
        if before == after:
            continue
        commits = [] if after == ZERO_SHA else _pushed_commits(hub, repo, before, after)
        head_commit = commits[-1] if commits else None
        if head_commit is None and after != ZERO_SHA:
            head_commit = _push_commit(hub, repo, after)
        created, deleted = before == ZERO_SHA, after == ZERO_SHA
        forced = not (created or deleted) and not git.is_ancestor(before, after)
        hub.emit(
            "push",
            repo,
            user,
            ref=ref,
            before=before,
            after=after,
            created=created,
            deleted=deleted,
            forced=forced,
            base_ref=None,
            compare=f"{hub.urls.repo_web(repo)}/compare/{before[:12]}...{after[:12]}",
            commits=commits,
            head_commit=head_commit,
            pusher={"name": user.login, "email": f"{user.login}@users.noreply.fakehub"},
        )
        if ref.startswith("refs/heads/") and not deleted:
            branch = ref.removeprefix("refs/heads/")
            pulls.head_moved(hub, repo, user, branch, before, after)
            pulls.base_moved(hub, repo, user, branch, after)


def _pushed_commits(hub: Hub, repo: Repo, before: str, after: str) -> list[render.JSON]:
    git = hub.git(repo)
    if before == ZERO_SHA:
        # A new branch: GitHub lists the commits not on the default branch.
        default = git.ref_sha(f"refs/heads/{repo.default_branch}")
        shas = git.rev_list(default, after) if default else [after]
    else:
        shas = git.rev_list(before, after)
    return [_push_commit(hub, repo, sha) for sha in shas[-20:]]


def _push_commit(hub: Hub, repo: Repo, sha: str) -> render.JSON:
    git = hub.git(repo)
    info = git.commit(sha)
    changes = git.diff(info.parents[0], sha) if info.parents else []
    return {
        "id": sha,
        "tree_id": info.tree,
        "distinct": True,
        "message": info.message,
        "timestamp": render.iso(info.committer.date),
        "url": f"{hub.urls.repo_web(repo)}/commit/{sha}",
        # GitHub adds `username` only when the email belongs to an account; none do here.
        "author": {"name": info.author.name, "email": info.author.email},
        "committer": {"name": info.committer.name, "email": info.committer.email},
        "added": [c.filename for c in changes if c.status == "added"],
        "removed": [c.filename for c in changes if c.status == "removed"],
        "modified": [c.filename for c in changes if c.status not in ("added", "removed")],
    }
