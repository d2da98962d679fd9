"""Everything the bot does to a repository on GitHub, through PyGithub, safe to repeat.

RQ delivers a job at least once and GitHub sometimes answers 502 after doing the work, so every
write here first looks for its own earlier result (a branch, a PR for the same head, a check run
with the same external id, a comment with our marker) and reuses it instead of duplicating it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from github import Github, GithubException, UnknownObjectException
from github.CheckRun import CheckRun
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from github.Repository import Repository

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 3


class MergeConflict(Exception):
    """GitHub's merges API answered 409: the heads do not merge cleanly."""


@dataclass(frozen=True)
class PullRef:
    number: int
    head_sha: str
    html_url: str


def _is_server_error(exc: GithubException) -> bool:
    return exc.status >= 500


def _ensure(create: Callable[[], T], find: Callable[[], T | None], what: str) -> T:
    """Create something at most once: on a server error, look for it before trying again."""
    existing = find()
    if existing is not None:
        return existing
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return create()
        except GithubException as exc:
            if not _is_server_error(exc) and exc.status != 422:
                raise
            # 422 is GitHub's "already exists" for refs and pulls; a 5xx may have been done.
            found = find()
            if found is not None:
                log.info("%s: reusing what an earlier request created", what)
                return found
            if exc.status == 422 or attempt == ATTEMPTS:
                raise
            log.warning("%s: GitHub answered %s, trying again", what, exc.status)
    raise AssertionError("unreachable")


def _retry(call: Callable[[], T], what: str) -> T:
    """Repeat a call that is idempotent by nature (an edit, a read) over server errors."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return call()
        except GithubException as exc:
            if not _is_server_error(exc) or attempt == ATTEMPTS:
                raise
            log.warning("%s: GitHub answered %s, trying again", what, exc.status)
    raise AssertionError("unreachable")


class RepoClient:
    """One repository, as seen by one installation."""

    def __init__(self, gh: Github, full_name: str) -> None:
        self._gh = gh
        self.full_name = full_name
        self.owner = full_name.split("/", 1)[0]
        # Lazy: no request until a method needs one; most calls only need the URL.
        self._repo: Repository = gh.withLazy(True).get_repo(full_name)

    # -- reading -------------------------------------------------------------------------------

    def default_branch(self) -> str:
        return _retry(lambda: self._gh.get_repo(self.full_name).default_branch, "repository")

    def branch_sha(self, branch: str) -> str:
        ref = _retry(lambda: self._repo.get_git_ref(f"heads/{branch}"), f"ref {branch}")
        return ref.object.sha

    def read_file(self, path: str, ref: str) -> str | None:
        """A text file at a ref, or None when there is no such file."""
        try:
            content = _retry(lambda: self._repo.get_contents(path, ref=ref), f"file {path}")
        except UnknownObjectException:
            return None
        if isinstance(content, list):  # a directory
            return None
        return content.decoded_content.decode("utf-8", errors="replace")

    def clone_url(self) -> str:
        return _retry(lambda: self._gh.get_repo(self.full_name).clone_url, "repository")

    def permission(self, login: str) -> str:
        """The collaborator permission (admin, maintain, write, triage, read or none)."""
        try:
            return _retry(
                lambda: self._repo.get_collaborator_permission(login), f"permission {login}"
            )
        except UnknownObjectException:
            return "none"

    # -- branches and merges -------------------------------------------------------------------

    def ensure_branch(self, branch: str, sha: str) -> str:
        """The branch's head, creating the branch at `sha` when it does not exist yet."""

        def find() -> str | None:
            try:
                return self._repo.get_git_ref(f"heads/{branch}").object.sha
            except UnknownObjectException:
                return None

        def create() -> str:
            return self._repo.create_git_ref(f"refs/heads/{branch}", sha).object.sha

        return _ensure(create, find, f"branch {branch}")

    def ensure_started_branch(self, branch: str, parent_sha: str, message: str) -> str:
        """The branch's head; when new, it starts with an empty commit on `parent_sha`.

        GitHub refuses a pull request with no commits between head and base, and a phase's
        draft PR opens before its builder has written anything: the empty commit marks the
        start of the phase and lets the PR exist from the first minute.
        """
        try:
            return self.branch_sha(branch)
        except UnknownObjectException:
            pass
        parent = _retry(lambda: self._repo.get_git_commit(parent_sha), "commit")
        commit = _retry(
            lambda: self._repo.create_git_commit(message, parent.tree, [parent]),
            "start commit",
        )
        return self.ensure_branch(branch, commit.sha)

    def merge(self, base_branch: str, head: str, message: str) -> str:
        """Merge `head` into `base_branch` on GitHub; the new head of `base_branch`."""
        try:
            commit = _retry(lambda: self._repo.merge(base_branch, head, message), "merge")
        except GithubException as exc:
            if exc.status == 409:
                raise MergeConflict(f"{head} does not merge cleanly into {base_branch}") from exc
            raise
        return commit.sha if commit is not None else self.branch_sha(base_branch)

    # -- pull requests -------------------------------------------------------------------------

    def ensure_pull(self, head: str, base: str, title: str, body: str, draft: bool) -> PullRef:
        def find() -> PullRequest | None:
            pulls = self._repo.get_pulls(state="open", head=f"{self.owner}:{head}", base=base)
            return next(iter(pulls), None)

        def create() -> PullRequest:
            return self._repo.create_pull(base=base, head=head, title=title, body=body, draft=draft)

        pull = _ensure(create, find, f"pull request {head}")
        return PullRef(pull.number, pull.head.sha, pull.html_url)

    def pull_files(self, number: int) -> list[str]:
        pull = _retry(lambda: self._repo.get_pull(number), f"pull request {number}")
        return _retry(lambda: [f.filename for f in pull.get_files()], "pull request files")

    # -- check runs ----------------------------------------------------------------------------

    def ensure_check_run(self, *, name: str, head_sha: str, external_id: str, **fields: Any) -> int:
        def find() -> CheckRun | None:
            runs = self._repo.get_commit(head_sha).get_check_runs(check_name=name)
            return next((run for run in runs if run.external_id == external_id), None)

        def create() -> CheckRun:
            return self._repo.create_check_run(
                name=name,
                head_sha=head_sha,
                external_id=external_id,
                **_check_fields(fields),
            )

        return _ensure(create, find, f"check run {name}").id

    def update_check_run(self, check_run_id: int, **fields: Any) -> None:
        run = self._repo.get_check_run(check_run_id)
        _retry(lambda: run.edit(**_check_fields(fields)), f"check run {check_run_id}")

    # -- comments ------------------------------------------------------------------------------

    def comment(self, issue_number: int, body: str) -> int:
        issue = self._repo.get_issue(issue_number)
        return _retry(lambda: issue.create_comment(body), "comment").id

    def upsert_comment(
        self, issue_number: int, marker: str, body: str, known_id: int | None
    ) -> int:
        """Edit our comment carrying `marker` (found by id, else by marker), or create it."""
        issue = self._repo.get_issue(issue_number)

        def find() -> IssueComment | None:
            if known_id is not None:
                try:
                    return issue.get_comment(known_id)
                except UnknownObjectException:
                    pass
            return _last(c for c in issue.get_comments() if marker in (c.body or ""))

        existing = _retry(find, "status comment")
        if existing is not None:
            _retry(lambda: existing.edit(body), "status comment")
            return existing.id
        return _ensure(lambda: issue.create_comment(body), find, "status comment").id

    def react(self, issue_number: int, comment_id: int, reaction: str) -> None:
        comment = self._repo.get_issue(issue_number).get_comment(comment_id)
        _retry(lambda: comment.create_reaction(reaction), "reaction")


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    # PyGithub takes check run times as datetimes; rendering produces GitHub's ISO strings.
    return {
        key: datetime.fromisoformat(value)
        if key in ("started_at", "completed_at") and isinstance(value, str)
        else value
        for key, value in fields.items()
    }


def _last(items: Iterable[T]) -> T | None:
    found = None
    for item in items:
        found = item
    return found
