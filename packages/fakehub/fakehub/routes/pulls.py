"""REST: pull requests, their files and commits, requested reviewers, reviews, merging."""

from __future__ import annotations

from flask import Blueprint, Response, request

from fakehub import merges, pulls, render
from fakehub.errors import not_found, validation
from fakehub.routes.common import body, caller, get_repo, hub, json_response, no_content, paginate
from fakehub.store import Issue, Repo, Review

bp = Blueprint("pulls", __name__)
P = "/repos/<owner>/<name>/pulls"


def _matches(repo: Repo, issue: Issue) -> bool:
    pull = issue.pull
    if pull is None:
        return False
    state = request.args.get("state", "open")
    if state != "all" and issue.state != state:
        return False
    head = request.args.get("head")
    if head and ":" in head:
        # Without "owner:" GitHub silently ignores the filter and lists every pull: so does this.
        owner, _, branch = head.partition(":")
        if owner.lower() != repo.owner.login.lower() or branch != pull.head_ref:
            return False
    base = request.args.get("base")
    return not (base and base != pull.base_ref)


@bp.get(P)
def list_pulls(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    the_hub = hub()
    with the_hub.store.lock:
        found = [i for i in repo.issues.values() if _matches(repo, i)]
        found.sort(key=lambda i: i.number, reverse=request.args.get("direction", "desc") == "desc")
        items = [pulls.pull_json(the_hub, repo, i, full=False) for i in found]
    return paginate(items)


@bp.post(P)
def create_pull(owner: str, name: str) -> Response:
    repo = get_repo(owner, name)
    data = body()
    head, base = data.get("head"), data.get("base")
    if not isinstance(head, str) or not isinstance(base, str):
        raise validation(
            "PullRequest", "head" if not isinstance(head, str) else "base", "missing_field"
        )
    issue = pulls.open_pull(
        hub(),
        repo,
        caller(),
        str(data.get("title") or ""),
        head,
        base,
        data.get("body"),
        bool(data.get("draft", False)),
    )
    return json_response(pulls.pull_json(hub(), repo, issue), 201)


@bp.get(f"{P}/<int:number>")
def get_pull(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    with hub().store.lock:
        return json_response(pulls.pull_json(hub(), repo, pulls.get_pull(repo, number)))


@bp.patch(f"{P}/<int:number>")
def update_pull(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = pulls.update_pull(hub(), repo, pulls.get_pull(repo, number), caller(), body())
    return json_response(pulls.pull_json(hub(), repo, issue))


@bp.get(f"{P}/<int:number>/files")
def pull_files(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    return paginate(pulls.pull_files(hub(), repo, pulls.get_pull(repo, number)))


@bp.get(f"{P}/<int:number>/commits")
def pull_commits(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    return paginate(pulls.pull_commits(hub(), repo, pulls.get_pull(repo, number)))


@bp.get(f"{P}/<int:number>/merge")
def is_merged(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    pull = pulls.get_pull(repo, number).pull
    if pull is None or not pull.merged:
        raise not_found()
    return no_content()


@bp.put(f"{P}/<int:number>/merge")
def merge_pull(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name, write=True)
    data = body()
    sha = merges.merge_pull(
        hub(),
        repo,
        pulls.get_pull(repo, number),
        caller(),
        method=str(data.get("merge_method") or "merge"),
        title=data.get("commit_title"),
        message=data.get("commit_message"),
        sha=data.get("sha"),
    )
    return json_response(
        {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
    )


# -- review requests and reviews ------------------------------------------------------------


def _requested(repo: Repo, issue: Issue) -> Response:
    assert issue.pull is not None
    urls = hub().urls
    with hub().store.lock:
        users = [render.user(urls, u) for u in issue.pull.requested_reviewers]
    return json_response({"users": users, "teams": []})


@bp.get(f"{P}/<int:number>/requested_reviewers")
def list_requested(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    return _requested(repo, pulls.get_pull(repo, number))


@bp.post(f"{P}/<int:number>/requested_reviewers")
def request_reviewers(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = pulls.get_pull(repo, number)
    logins = [str(x) for x in body().get("reviewers") or []]
    pulls.request_reviewers(hub(), repo, issue, caller(), logins)
    return json_response(pulls.pull_json(hub(), repo, issue, full=False), 201)


@bp.delete(f"{P}/<int:number>/requested_reviewers")
def remove_reviewers(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = pulls.get_pull(repo, number)
    logins = [str(x) for x in body().get("reviewers") or []]
    pulls.remove_reviewers(hub(), repo, issue, caller(), logins)
    return json_response(pulls.pull_json(hub(), repo, issue, full=False))


@bp.get(f"{P}/<int:number>/reviews")
def list_reviews(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = pulls.get_pull(repo, number)
    assert issue.pull is not None
    with hub().store.lock:
        items = [render.review(hub().urls, repo, number, r) for r in issue.pull.reviews]
    return paginate(items)


@bp.get(f"{P}/<int:number>/reviews/<int:review_id>")
def get_review(owner: str, name: str, number: int, review_id: int) -> Response:
    repo = get_repo(owner, name)
    issue = pulls.get_pull(repo, number)
    assert issue.pull is not None
    for review in issue.pull.reviews:
        if review.id == review_id:
            return json_response(render.review(hub().urls, repo, number, review))
    raise not_found()


@bp.post(f"{P}/<int:number>/reviews")
def create_review(owner: str, name: str, number: int) -> Response:
    repo = get_repo(owner, name)
    issue = pulls.get_pull(repo, number)
    data = body()
    event = data.get("event")
    if not event:
        # A review without an event stays PENDING on GitHub; the stand-in does not model drafts.
        raise validation("PullRequestReview", "event", "missing_field")
    review = pulls.submit_review(
        hub(),
        repo,
        issue,
        caller(),
        str(event),
        str(data.get("body") or ""),
        data.get("commit_id"),
        list(data.get("comments") or []),
    )
    return json_response(render.review(hub().urls, repo, number, review))


def _review(repo: Repo, number: int, review_id: int) -> Review:
    issue = pulls.get_pull(repo, number)
    assert issue.pull is not None
    found = next((r for r in issue.pull.reviews if r.id == review_id), None)
    if found is None:
        raise not_found()
    return found


@bp.get(f"{P}/<int:number>/reviews/<int:review_id>/comments")
def review_comments(owner: str, name: str, number: int, review_id: int) -> Response:
    repo = get_repo(owner, name)
    with hub().store.lock:
        review = _review(repo, number, review_id)
        items = [
            render.review_comment(hub().urls, repo, number, review, c) for c in review.comments
        ]
    return json_response(items)


@bp.put(f"{P}/<int:number>/reviews/<int:review_id>/dismissals")
def dismiss_review(owner: str, name: str, number: int, review_id: int) -> Response:
    repo = get_repo(owner, name)
    data = body()
    if not data.get("message"):
        raise validation("PullRequestReview", "message", "missing_field")
    review = pulls.dismiss_review(
        hub(), repo, pulls.get_pull(repo, number), caller(), review_id, str(data["message"])
    )
    return json_response(render.review(hub().urls, repo, number, review))
