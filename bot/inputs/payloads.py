"""The webhook fields the bot uses, parsed once at the edge into typed values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Repo:
    id: int
    full_name: str
    default_branch: str
    installation_id: int


@dataclass(frozen=True)
class IssueComment:
    """A comment on an issue or a pull request (GitHub's `issue_comment` event)."""

    action: str
    repo: Repo
    issue_number: int
    issue_title: str
    issue_body: str
    issue_author: str
    is_pull_request: bool
    comment_id: int
    body: str
    author: str
    author_type: str  # "User" or "Bot"
    sender_type: str


@dataclass(frozen=True)
class PullClosed:
    """A pull request was closed (GitHub's `pull_request` event, action `closed`)."""

    repo: Repo
    number: int
    merged: bool
    merged_by: str
    url: str


def pull_closed_from(payload: Mapping[str, Any]) -> PullClosed:
    pull = payload["pull_request"]
    return PullClosed(
        repo=repo_from(payload),
        number=int(pull["number"]),
        merged=bool(pull.get("merged")),
        merged_by=str((pull.get("merged_by") or {}).get("login") or ""),
        url=str(pull.get("html_url") or ""),
    )


def repo_from(payload: Mapping[str, Any]) -> Repo:
    repository = payload["repository"]
    return Repo(
        id=int(repository["id"]),
        full_name=str(repository["full_name"]),
        default_branch=str(repository.get("default_branch") or "main"),
        installation_id=int((payload.get("installation") or {}).get("id", 0)),
    )


def issue_comment_from(payload: Mapping[str, Any]) -> IssueComment:
    issue, comment = payload["issue"], payload["comment"]
    return IssueComment(
        action=str(payload["action"]),
        repo=repo_from(payload),
        issue_number=int(issue["number"]),
        issue_title=str(issue.get("title") or ""),
        issue_body=str(issue.get("body") or ""),
        issue_author=str(issue["user"]["login"]),
        is_pull_request="pull_request" in issue,
        comment_id=int(comment["id"]),
        body=str(comment.get("body") or ""),
        author=str(comment["user"]["login"]),
        author_type=str(comment["user"].get("type", "User")),
        sender_type=str(payload["sender"].get("type", "User")),
    )


@dataclass(frozen=True)
class PullRequestReview:
    """A review submitted on, or dismissed from, a pull request (`pull_request_review`)."""

    action: str  # submitted, dismissed or edited
    repo: Repo
    pr_number: int
    review_id: int
    reviewer: str
    reviewer_type: str  # "User" or "Bot"
    state: str  # lower case: approved, changes_requested, commented, dismissed
    commit_id: str
    body: str
    sender: str


def pull_request_review_from(payload: Mapping[str, Any]) -> PullRequestReview:
    review, pull = payload["review"], payload["pull_request"]
    user = review.get("user") or {}
    return PullRequestReview(
        action=str(payload["action"]),
        repo=repo_from(payload),
        pr_number=int(pull["number"]),
        review_id=int(review["id"]),
        reviewer=str(user.get("login") or ""),
        reviewer_type=str(user.get("type") or "User"),
        state=str(review.get("state") or "").lower(),
        commit_id=str(review.get("commit_id") or ""),
        body=str(review.get("body") or ""),
        sender=str((payload.get("sender") or {}).get("login") or ""),
    )


@dataclass(frozen=True)
class CheckRunRequest:
    """A person asked something of a check run: Re-run (`rerequested`) or one of its buttons
    (`requested_action`)."""

    repo: Repo
    check_run_id: int
    external_id: str
    identifier: str  # the button's identifier; "" for a Re-run
    sender: str


def check_run_request_from(payload: Mapping[str, Any]) -> CheckRunRequest:
    run = payload["check_run"]
    return CheckRunRequest(
        repo=repo_from(payload),
        check_run_id=int(run["id"]),
        external_id=str(run.get("external_id") or ""),
        identifier=str((payload.get("requested_action") or {}).get("identifier") or ""),
        sender=str(payload["sender"]["login"]),
    )
