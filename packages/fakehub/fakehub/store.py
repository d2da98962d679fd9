"""In-memory state of the stand-in (people, repositories, issues, pulls, check runs, tokens).

Git refs and objects are not here: the bare repositories on disk are their only source of truth.
Every read or write of this state happens under `Store.lock`.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Permission(StrEnum):
    """Repository roles, weakest first (GitHub's role names)."""

    NONE = "none"
    READ = "read"
    TRIAGE = "triage"
    WRITE = "write"
    MAINTAIN = "maintain"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Permission).index(self)

    @property
    def legacy(self) -> str:
        """The `permission` field of the collaborator-permission endpoint uses older names."""
        return {
            "triage": "read",
            "maintain": "write",
        }.get(self.value, self.value)


@dataclass
class User:
    id: int
    login: str
    type: str = "User"  # "User", "Organization" or "Bot"
    name: str | None = None
    email: str | None = None


@dataclass
class Reaction:
    id: int
    user: User
    content: str
    created_at: float


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Comment:
    id: int
    issue_number: int
    user: User
    body: str
    created_at: float
    updated_at: float
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class ReviewComment:
    """An inline comment of a review, on one line of a file of the pull's diff."""

    id: int
    path: str
    line: int
    body: str
    created_at: float


@dataclass
class Review:
    id: int
    user: User
    body: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
    commit_id: str
    submitted_at: float
    comments: list[ReviewComment] = field(default_factory=list)


@dataclass
class Pull:
    """The pull-request part of an issue; the title, body, state and comments live on the Issue."""

    id: int
    head_ref: str
    base_ref: str
    draft: bool
    head_sha: str  # last known head, kept for closed pulls whose branch is gone
    maintainer_can_modify: bool = False
    merged: bool = False
    merged_at: float | None = None
    merged_by: User | None = None
    merge_commit_sha: str | None = None
    requested_reviewers: list[User] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)


@dataclass
class Issue:
    id: int
    number: int
    title: str
    body: str | None
    user: User
    created_at: float
    updated_at: float
    state: str = "open"
    state_reason: str | None = None
    closed_at: float | None = None
    closed_by: User | None = None
    labels: list[Label] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    pull: Pull | None = None
    # Sub-issues and "blocked by" relations hold issue ids (GitHub's API names issues by id
    # there); `parent` is the parent issue's id.
    parent: int | None = None
    sub_issues: list[int] = field(default_factory=list)
    blocked_by: list[int] = field(default_factory=list)


@dataclass
class CheckRun:
    id: int
    suite_id: int
    head_sha: str
    name: str
    app_owner: User
    status: str = "queued"
    conclusion: str | None = None
    started_at: float | None = None
    completed_at: float | None = None
    external_id: str | None = None
    details_url: str | None = None
    output: dict[str, Any] = field(default_factory=dict)
    actions: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Repo:
    id: int
    owner: User
    name: str
    path: Path
    default_branch: str
    created_at: float
    pushed_at: float
    description: str | None = None
    private: bool = True
    # The owner's GitHub plan: on `free` and `pro`, a private repository has no draft pulls.
    owner_plan: str = "team"
    collaborators: dict[str, Permission] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def next_number(self) -> int:
        return max(self.issues, default=0) + 1

    @property
    def drafts_supported(self) -> bool:
        return not self.private or self.owner_plan not in ("free", "pro")

    def permission_of(self, user: User) -> Permission:
        if user.login == self.owner.login:
            return Permission.ADMIN
        return self.collaborators.get(user.login, Permission.NONE)


@dataclass
class Token:
    token: str
    user: User
    expires_at: float | None  # None: a personal token that does not expire
    installation_id: int | None = None
    # An installation token narrowed at its request: these repository ids only (None: all of
    # the installation's), these permissions only (None: all of the App's).
    repository_ids: frozenset[int] | None = None
    permissions: dict[str, str] | None = None


class Store:
    """All mutable state, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        # One id sequence for everything, as GitHub's ids never collide across kinds in practice.
        self._ids = itertools.count(1000)
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}  # by lower-case full name: GitHub names are case-blind
        self.tokens: dict[str, Token] = {}
        self.comments: dict[int, tuple[Repo, Comment]] = {}

    def new_id(self) -> int:
        return next(self._ids)

    def user(self, login: str, type_: str = "User") -> User:
        """The user with this login, created on first mention."""
        with self.lock:
            found = self.users.get(login.lower())
            if found is None:
                found = User(id=self.new_id(), login=login, type=type_)
                self.users[login.lower()] = found
            return found

    def find_user(self, login: str) -> User | None:
        with self.lock:
            return self.users.get(login.lower())

    def repo(self, owner: str, name: str) -> Repo | None:
        with self.lock:
            return self.repos.get(f"{owner}/{name}".lower())

    def find_issue(self, issue_id: int) -> tuple[Repo, Issue] | None:
        """An issue of any repository, by its id."""
        with self.lock:
            for repo in self.repos.values():
                for issue in repo.issues.values():
                    if issue.id == issue_id:
                        return repo, issue
            return None

    def find_comment(self, repo: Repo, comment_id: int) -> Comment | None:
        with self.lock:
            found = self.comments.get(comment_id)
            if found is None or found[0] is not repo:
                return None
            return found[1]
