"""Everything the bot does to a repository on GitHub, through PyGithub, safe to repeat.

RQ delivers a job at least once, and GitHub sometimes answers 502 (or the connection drops)
after doing the work. So every create here first looks for its own earlier result (a branch,
a PR for the same head, a check run with the same external id, a comment with our marker) and
reuses it; only when it is not there is the create tried again. Reads are retried by PyGithub
itself; edits, which GitHub applies idempotently, are retried here.

The repository object is lazy: objects reached from it (an issue, a comment, a ref) cost no
request until an attribute is read, so an existence check must read one inside its `try`.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

import requests
from github import Github, GithubException, UnknownObjectException
from github.CheckRun import CheckRun
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from github.PullRequestReview import PullRequestReview
from github.Repository import Repository

from bot.core.consultation import FileStat
from bot.errors import FileTooLarge, ForeignObject, GitHubRateLimited
from bot.inputs.discovery import path_problem
from bot.inputs.payloads import PullRequestReview as PullRequestReviewData
from bot.inputs.payloads import pull_request_review_from
from bot.plan.subissues import IssueRef, SubIssue

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 3
BACKOFF_SECONDS = (0.5, 2.0)
# How far back a reused branch is checked for commits that are not the App's.
MAX_WALK = 200


class MergeConflict(Exception):
    """GitHub's merges API answered 409: the heads do not merge cleanly."""


@dataclass(frozen=True)
class PullRef:
    number: int
    head_sha: str
    html_url: str


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass, and whose request may nevertheless have been carried out."""
    if isinstance(exc, GithubException):
        return exc.status >= 500
    # The installation's budget is spent for a while: trying later is the whole remedy.
    return isinstance(exc, requests.RequestException | GitHubRateLimited)


def _pause(attempt: int) -> None:
    time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1])


def _ensure(create: Callable[[], T], find: Callable[[], T | None], what: str) -> T:
    """Create something at most once: after a failure that may have happened, look first."""
    existing = find()
    if existing is not None:
        return existing
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return create()
        except (GithubException, requests.RequestException) as exc:
            # 422 is GitHub's "already exists" for refs and pulls: a racing job made it.
            already = isinstance(exc, GithubException) and exc.status == 422
            if not (already or is_transient(exc)):
                raise
            found = find()
            if found is not None:
                log.info("%s: reusing what an earlier request created", what)
                return found
            if already or attempt == ATTEMPTS:
                raise
            log.warning("%s: %s, trying again", what, describe(exc))
            _pause(attempt)
    raise AssertionError("unreachable")


def _retry(call: Callable[[], T], what: str) -> T:
    """Repeat a call that is idempotent by nature (an edit, a merge) over transient failures."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return call()
        except (GithubException, requests.RequestException) as exc:
            if not is_transient(exc) or attempt == ATTEMPTS:
                raise
            log.warning("%s: %s, trying again", what, describe(exc))
            _pause(attempt)
    raise AssertionError("unreachable")


def describe(exc: BaseException) -> str:
    if isinstance(exc, GithubException):
        return f"GitHub answered {exc.status}"
    return type(exc).__name__


class RepoClient:
    """One repository, as seen by one installation."""

    def __init__(self, gh: Github, full_name: str) -> None:
        self._gh = gh
        self.full_name = full_name
        self.owner = full_name.split("/", 1)[0]
        self._repo: Repository = gh.withLazy(True).get_repo(full_name)

    @cached_property
    def _details(self) -> Repository:
        """The repository as GitHub describes it (one request, made when first needed)."""
        return self._gh.get_repo(self.full_name)

    # -- reading -------------------------------------------------------------------------------

    def default_branch(self) -> str:
        return self._details.default_branch

    def clone_url(self) -> str:
        return self._details.clone_url

    def branch_sha(self, branch: str) -> str:
        return self._repo.get_git_ref(f"heads/{branch}").object.sha

    def read_file(self, path: str, ref: str, max_bytes: int = 2 * 1024 * 1024) -> str | None:
        """A text file at a ref, or None when there is no such file (or it is a directory).

        PyGithub percent-encodes each segment; a path with `..`, `.` or URL syntax is refused
        before it is sent, since a client may resolve dot segments and leave the endpoint.
        """
        problem = path_problem(path)
        if problem is not None:
            raise ValueError(problem)
        try:
            content = self._repo.get_contents(path, ref=ref)
        except UnknownObjectException:
            return None
        if isinstance(content, list):
            return None
        if content.size > max_bytes:
            raise FileTooLarge(
                f"`{path}` is {content.size:,} bytes; at most {max_bytes:,} are read"
            )
        if content.encoding != "base64":
            # GitHub leaves files over 1 MB out of the contents answer: fetch the blob itself.
            blob = self._repo.get_git_blob(content.sha)
            return _decode_base64(blob.content)
        return content.decoded_content.decode("utf-8", errors="replace")

    def permission(self, login: str) -> str:
        """The collaborator permission (admin, maintain, write, triage, read or none)."""
        try:
            return self._repo.get_collaborator_permission(login)
        except UnknownObjectException:
            return "none"

    def pull_files(self, number: int) -> list[str]:
        return [f.filename for f in self._repo.get_pull(number).get_files()]

    def pull_file_stats(self, number: int) -> list[FileStat]:
        """What a PR changes, file by file, with its added and deleted lines."""
        return [
            FileStat(f.filename, f.additions, f.deletions)
            for f in self._repo.get_pull(number).get_files()
        ]

    def review_comments(self, number: int, review_id: int) -> list[str]:
        """A review's inline comments, as `path:line: text`."""
        pull = self._repo.get_pull(number)
        return [
            f"{c.path}:{c.line or c.original_line or '?'}: {c.body}"
            for c in pull.get_single_review_comments(review_id)
        ]

    # -- reviews -------------------------------------------------------------------------------

    def reviews(self, pr_number: int) -> list[PullRequestReviewData]:
        """Every review of a PR as GitHub lists them now (the reconciler's view of reviews
        whose webhooks were lost), read as a `pull_request_review` delivery would be."""
        return [
            pull_request_review_from(
                {
                    "action": "submitted",
                    "review": data,
                    "pull_request": {"number": pr_number},
                    "repository": {"id": 0, "full_name": self.full_name},
                    "sender": data.get("user") or {},
                }
            )
            for data in self._pages(f"/repos/{self.full_name}/pulls/{pr_number}/reviews")
        ]

    def request_reviewers(self, number: int, logins: list[str]) -> None:
        """Ask `logins` to review; GitHub answers an already-asked reviewer with no change."""
        if logins:
            pull = self._repo.get_pull(number)
            _retry(lambda: pull.create_review_request(reviewers=logins), "review request")

    def ensure_review(self, number: int, body: str, marker: str, commit_id: str) -> int:
        """Post a COMMENT review once: `marker` (appended to the body) finds an earlier post.

        Always a COMMENT: GitHub refuses an approval or a request for changes by the author of
        a PR, and the App opened it; the verdict is in the body and reaches the run directly.
        """
        pull = self._repo.get_pull(number)
        text = f"{body}\n\n{marker}"

        def find() -> PullRequestReview | None:
            return _last(r for r in pull.get_reviews() if marker in (r.body or ""))

        def create() -> PullRequestReview:
            return pull.create_review(
                commit=self._repo.get_commit(commit_id), body=text, event="COMMENT"
            )

        return _ensure(create, find, "review").id

    # -- sub-issues and "blocked by" --------------------------------------------------------

    def sub_issues(self, number: int) -> list[SubIssue]:
        """The issue's sub-issues in their order, each with the issues it is blocked by.

        Through PyGithub's requester: the endpoints are newer than the PyGithub we require.
        """
        found = []
        for data in self._pages(f"/repos/{self.full_name}/issues/{number}/sub_issues"):
            sub = int(data["number"])
            blockers = self._pages(f"/repos/{self.full_name}/issues/{sub}/dependencies/blocked_by")
            found.append(
                SubIssue(
                    ref=self._issue_ref(data),
                    title=str(data.get("title") or ""),
                    body=str(data.get("body") or ""),
                    author=str((data.get("user") or {}).get("login") or ""),
                    blocked_by=tuple(self._issue_ref(b) for b in blockers),
                )
            )
        return found

    def _issue_ref(self, data: dict[str, Any]) -> IssueRef:
        # repository_url ends in /repos/OWNER/NAME; another repository's issue keeps its name.
        parts = str(data.get("repository_url") or "").rstrip("/").split("/")
        repo = "/".join(parts[-2:]) if len(parts) >= 2 else self.full_name
        return IssueRef(
            number=int(data["number"]),
            closed=data.get("state") == "closed",
            repo="" if repo.lower() == self.full_name.lower() else repo,
        )

    def _pages(self, path: str, per_page: int = 100) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, 101):  # GitHub allows 100 sub-issues: a bound, not a limit
            _, data = self._gh.requester.requestJsonAndCheck(
                "GET", path, parameters={"per_page": per_page, "page": page}
            )
            batch = data if isinstance(data, list) else []
            items += batch
            if len(batch) < per_page:
                break
        return items

    # -- branches and merges -------------------------------------------------------------------

    def _ref_sha(self, branch: str) -> str | None:
        try:
            return self.branch_sha(branch)
        except UnknownObjectException:
            return None

    def ensure_branch(self, branch: str, sha: str) -> str:
        """The branch's head, creating the branch at `sha` when it does not exist yet."""

        def create() -> str:
            return self._repo.create_git_ref(f"refs/heads/{branch}", sha).object.sha

        return _ensure(create, lambda: self._ref_sha(branch), f"branch {branch}")

    def close_pull(self, number: int, comment: str) -> None:
        """Close an open PR with a comment saying why; a closed one is left as it is."""
        pull = self._repo.get_pull(number)
        if pull.state != "open":
            return
        _retry(lambda: pull.create_issue_comment(comment), "comment")
        _retry(lambda: pull.edit(state="closed"), "close pull request")

    def delete_branch(self, branch: str) -> bool:
        """Delete a branch; False when it was not there (deleted already, or never made)."""
        # The matching-refs listing gives each ref's own URL (`/git/refs/…`), which is what
        # DELETE takes; `get_git_ref` builds `/git/ref/…`, which has no DELETE.
        full = f"refs/heads/{branch}"
        ref = next(
            (r for r in self._repo.get_git_matching_refs(f"heads/{branch}") if r.ref == full), None
        )
        if ref is None:
            return False
        try:
            _retry(ref.delete, "delete branch")
        except UnknownObjectException:
            return False
        except GithubException as exc:
            if exc.status == 422:  # GitHub: "Reference does not exist"
                return False
            raise
        return True

    def holds(self, branch: str, sha: str) -> bool:
        """Whether `branch` holds commit `sha` (is at it, or ahead of it)."""
        try:
            status = _retry(lambda: self._repo.compare(sha, branch), "compare").status
        except UnknownObjectException:
            return False
        return status in ("ahead", "identical")

    def ensure_started_branch(
        self, branch: str, parent_sha: str, message: str, app_name: str
    ) -> str:
        """The branch's head; when new, it starts with an empty commit on `parent_sha`.

        GitHub refuses a pull request with no commits between head and base, and a phase's
        draft PR opens before its builder has written anything: the empty commit marks the
        start of the phase and lets the PR exist from the first minute. An existing branch is
        reused only when it descends from `parent_sha` by commits whose author is the App (a job
        delivered twice, a phase tried again); anything else raises ForeignObject.
        """
        existing = self._ref_sha(branch)
        if existing is not None:
            foreign = self._foreign_commit(existing, {parent_sha}, app_name)
            if foreign is not None:
                raise ForeignObject(
                    f"The branch `{branch}` exists already at {existing[:7]}, which {foreign}; "
                    f"it is not this phase's start ({parent_sha[:7]}), so nothing is built on "
                    "it. Delete the branch (or rename it) and start the run again."
                )
            return existing
        parent = self._repo.get_git_commit(parent_sha)
        # A commit object that no ref points to is harmless, so creating it twice is too.
        commit = _retry(
            lambda: self._repo.create_git_commit(message, parent.tree, [parent]), "start commit"
        )
        return self.ensure_branch(branch, commit.sha)

    def ensure_merge_branch(self, branch: str, heads: list[str], app_name: str) -> str:
        """The `-base` branch of a phase with several dependencies, at `heads[0]` when new.

        An existing one is reused only when it holds exactly some of `heads` merged by the
        App (a job delivered twice); anything else raises ForeignObject.
        """
        existing = self._ref_sha(branch)
        if existing is None:
            return self.ensure_branch(branch, heads[0])
        if not self._only_merges_of(existing, heads, app_name):
            raise ForeignObject(
                f"The branch `{branch}` exists already at {existing[:7]}, which is not a merge "
                f"of this phase's dependencies' heads ({', '.join(h[:7] for h in heads)}) "
                "alone, so nothing is built on it. Delete the branch and start the run again."
            )
        return existing

    def _foreign_commit(self, head: str, bases: set[str], app_name: str) -> str | None:
        """Why `head` is not `bases` plus commits by the App; None when it is."""
        sha, seen = head, 0
        while sha not in bases:
            if seen == MAX_WALK:
                return f"is more than {MAX_WALK} commits from it"
            commit = self._repo.get_git_commit(sha)
            if commit.author.name != app_name:
                return f"holds commit {sha[:7]} by {commit.author.name} <{commit.author.email}>"
            if len(commit.parents) != 1:
                return f"holds merge commit {sha[:7]}"
            sha, seen = commit.parents[0].sha, seen + 1
        return None

    def _only_merges_of(self, head: str, heads: list[str], app_name: str) -> bool:
        if head == heads[0]:
            return True
        commit = self._repo.get_git_commit(head)
        if commit.author.name != app_name:
            return False
        parents = [p.sha for p in commit.parents]
        return (
            len(parents) == 2
            and parents[1] in heads[1:]
            and self._only_merges_of(parents[0], heads, app_name)
        )

    def merge(self, base_branch: str, head: str, message: str) -> str:
        """Merge `head` into `base_branch` on GitHub; the new head of `base_branch`.

        Merging again what is already merged answers 204, so a retried merge is harmless.
        """
        try:
            commit = _retry(lambda: self._repo.merge(base_branch, head, message), "merge")
        except GithubException as exc:
            if exc.status == 409:
                raise MergeConflict(f"{head} does not merge cleanly into {base_branch}") from exc
            raise
        return commit.sha if commit is not None else self.branch_sha(base_branch)

    # -- pull requests -------------------------------------------------------------------------

    def ensure_pull(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRef:
        """An open PR from `head` into `base`, as a draft where the repository allows drafts.

        Private repositories of Free and Pro accounts have no draft PRs: GitHub answers 422,
        and the PR is opened ready for review instead, saying so in its body.
        """

        def find() -> PullRequest | None:
            pulls = list(self._repo.get_pulls(state="open", head=f"{self.owner}:{head}"))
            ours = [p for p in pulls if p.base.ref == base and p.head.ref == head]
            if ours:
                return ours[0]
            if pulls:
                other = pulls[0]
                raise ForeignObject(
                    f"An open pull request from `{head}` exists already, #{other.number} into "
                    f"`{other.base.ref}` (this phase's PR targets `{base}`), so nothing is "
                    f"built on it. Close #{other.number} and start the run again."
                )
            return None

        def create(as_draft: bool = draft) -> PullRequest:
            text = body if as_draft == draft else f"{body}\n\n{NO_DRAFTS_NOTE}"
            return self._repo.create_pull(
                base=base, head=head, title=title, body=text, draft=as_draft
            )

        try:
            pull = _ensure(create, find, f"pull request {head}")
        except GithubException as exc:
            if not (draft and _drafts_unsupported(exc)):
                raise
            pull = _ensure(lambda: create(as_draft=False), find, f"pull request {head}")
        return PullRef(pull.number, pull.head.sha, pull.html_url)

    # -- check runs ----------------------------------------------------------------------------

    def ensure_check_run(self, *, name: str, head_sha: str, external_id: str, **fields: Any) -> int:
        def find() -> CheckRun | None:
            runs = self._repo.get_commit(head_sha).get_check_runs(check_name=name)
            return next((run for run in runs if run.external_id == external_id), None)

        def create() -> CheckRun:
            return self._repo.create_check_run(
                name=name, head_sha=head_sha, external_id=external_id, **_check_fields(fields)
            )

        return _ensure(create, find, f"check run {name}").id

    def update_check_run(self, check_run_id: int, **fields: Any) -> None:
        run = self._repo.get_check_run(check_run_id)
        _retry(lambda: run.edit(**_check_fields(fields)), f"check run {check_run_id}")

    # -- comments ------------------------------------------------------------------------------

    def comment(self, issue_number: int, body: str, marker: str) -> int:
        """Post `body` once: `marker` (an HTML comment appended to it) finds an earlier post."""
        issue = self._repo.get_issue(issue_number)
        text = f"{body}\n\n{marker}"
        return _ensure(
            lambda: issue.create_comment(text),
            lambda: self._find_ours(issue_number, marker),
            "comment",
        ).id

    def upsert_comment(
        self, issue_number: int, marker: str, body: str, known_id: int | None, force: bool = False
    ) -> int:
        """Edit our comment carrying `marker` (by its id, else found by the marker), or post it.

        A comment someone deleted is posted again rather than edited in vain.
        """
        issue = self._repo.get_issue(issue_number)
        existing = self._comment_if_ours(issue_number, known_id, marker) if known_id else None
        existing = existing or self._find_ours(issue_number, marker)
        if existing is not None:
            if existing.body == body and not force:
                return existing.id  # nothing new to show: an edit would only spend the budget
            try:
                _retry(lambda: existing.edit(body), "status comment")
                return existing.id
            except UnknownObjectException:
                log.info("status comment %s was deleted; posting it again", existing.id)
        return _ensure(
            lambda: issue.create_comment(body),
            lambda: self._find_ours(issue_number, marker),
            "status comment",
        ).id

    def _comment_if_ours(
        self, issue_number: int, comment_id: int, marker: str
    ) -> IssueComment | None:
        comment = self._repo.get_issue(issue_number).get_comment(comment_id)
        try:
            return comment if marker in (comment.body or "") else None
        except UnknownObjectException:
            return None

    def _find_ours(self, issue_number: int, marker: str) -> IssueComment | None:
        # Only bots' comments count: a person quoting the marker does not redirect our edits.
        comments = self._repo.get_issue(issue_number).get_comments()
        return _last(c for c in comments if c.user.type == "Bot" and marker in (c.body or ""))

    def react(self, issue_number: int, comment_id: int, reaction: str) -> None:
        # GitHub answers 200 with the existing reaction when it is there already.
        comment = self._repo.get_issue(issue_number).get_comment(comment_id)
        _retry(lambda: comment.create_reaction(reaction), "reaction")


NO_DRAFTS_NOTE = (
    "_This repository does not allow draft pull requests, so this one is open for review; "
    "porch-parallel will say when the phase is done._"
)


def _drafts_unsupported(exc: GithubException) -> bool:
    return exc.status == 422 and "draft" in str(exc.data).lower()


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    # PyGithub takes check run times as datetimes; rendering produces GitHub's ISO strings.
    return {
        key: datetime.fromisoformat(value)
        if key in ("started_at", "completed_at") and isinstance(value, str)
        else value
        for key, value in fields.items()
    }


def _decode_base64(content: str) -> str:
    return base64.b64decode(content).decode("utf-8", errors="replace")


def _last(items: Iterable[T]) -> T | None:
    found = None
    for item in items:
        found = item
    return found
