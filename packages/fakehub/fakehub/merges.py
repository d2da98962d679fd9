"""Merging: `POST /merges` and merging a pull. Both move a base branch; what follows a move
(`push`, `synchronize`, pulls it merges) is `refs`' business, so this module sits above it."""

from __future__ import annotations

from fakehub import pulls
from fakehub.errors import ApiError, validation
from fakehub.gitrepo import GitError, Person
from fakehub.hub import Hub
from fakehub.refs import refs_moved
from fakehub.store import Issue, Repo, User


def merge_branches(
    hub: Hub, repo: Repo, user: User, base: str, head: str, message: str | None
) -> str | None:
    """POST /merges: merge `head` (a branch or sha) into branch `base`.

    Returns the merge commit, None when there is nothing to merge; raises 409 on a conflict,
    with no ref moved.
    """
    git = hub.git(repo)
    base_ref = f"refs/heads/{base}"
    with hub.git_lock(repo):
        base_sha = git.ref_sha(base_ref)
        if base_sha is None:
            raise ApiError(404, "Base does not exist")
        head_sha = git.resolve(head)
        if head_sha is None:
            raise ApiError(404, "Head does not exist")
        if git.is_ancestor(head_sha, base_sha):
            return None
        author = Person(
            user.login, f"{user.id}+{user.login}@users.noreply.fakehub", int(hub.clock.now())
        )
        merged = git.merge(base_sha, head_sha, message or f"Merge {head} into {base}", author)
        if merged is None:
            raise ApiError(409, "Merge conflict")
        try:
            git.update_ref(base_ref, merged, base_sha)
        except GitError as exc:
            raise ApiError(409, "Base branch was modified") from exc
    refs_moved(hub, repo, user, {base_ref: (base_sha, merged)})
    return merged


def merge_pull(
    hub: Hub,
    repo: Repo,
    issue: Issue,
    user: User,
    method: str = "merge",
    title: str | None = None,
    message: str | None = None,
    sha: str | None = None,
) -> str:
    """Merge a pull into its base; returns the new base commit."""
    pull = issue.pull
    assert pull is not None
    if pull.merged or issue.state != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    if pull.draft:
        raise ApiError(405, "Pull Request is still a draft")
    if method not in ("merge", "squash", "rebase"):
        raise validation("PullRequest", "merge_method", "invalid")
    git = hub.git(repo)
    base_ref = f"refs/heads/{pull.base_ref}"
    with hub.git_lock(repo):
        head_sha = hub.head_sha(repo, issue)
        if sha is not None and sha != head_sha:
            raise ApiError(409, "Head branch was modified. Review and try the merge again.")
        base_sha = git.ref_sha(base_ref)
        if base_sha is None:
            raise ApiError(405, "Pull Request is not mergeable")
        author = Person(
            user.login, f"{user.id}+{user.login}@users.noreply.fakehub", int(hub.clock.now())
        )
        subject = (
            title or f"Merge pull request #{issue.number} from {repo.owner.login}/{pull.head_ref}"
        )
        text = f"{subject}\n\n{message if message is not None else issue.title}"
        merged = git.merge(base_sha, head_sha, text, author)
        if merged is None:
            raise ApiError(405, "Pull Request is not mergeable")
        if method != "merge":
            # Squash and rebase are both recorded as one commit on the base with the merged tree.
            tree = git.commit(merged).tree
            merged = git.commit_tree(tree, [base_sha], text, author)
        try:
            git.update_ref(base_ref, merged, base_sha)
        except GitError as exc:
            raise ApiError(
                409, "Base branch was modified. Review and try the merge again."
            ) from exc
    pulls.mark_merged(hub, issue, user, merge_sha=merged, head_sha=head_sha)
    # GitHub sends `pull_request` closed before the `push` of the base.
    pulls.emit(hub, repo, issue, user, "closed")
    refs_moved(hub, repo, user, {base_ref: (base_sha, merged)})
    pulls.close_linked_issues(hub, repo, issue, user)
    return merged
