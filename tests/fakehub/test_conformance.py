"""The conformance checker: hand-made bodies, good and bad, for operations the bot uses."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fakehub.conformance import OpenAPIConformance
from fakehub.hooks import Conformance
from fakehub.pytest_conformance import load_conformance

API = "https://api.github.com"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
WHEN = "2026-11-28T09:00:00Z"


@pytest.fixture(scope="module")
def conformance(shared_dir: Path) -> OpenAPIConformance:
    return load_conformance(shared_dir)


# -- hand-made bodies, as GitHub documents them ----------------------------------------------


def user(login: str = "octo", id: int = 1) -> dict[str, Any]:
    url = f"{API}/users/{login}"
    return {
        "login": login,
        "id": id,
        "node_id": f"U_{id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{id}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": "User",
        "site_admin": False,
    }


# Every `*_url` field a repository carries; each is an absolute URL or URL template.
REPO_URL_FIELDS = [
    "archive",
    "assignees",
    "blobs",
    "branches",
    "collaborators",
    "comments",
    "commits",
    "compare",
    "contents",
    "contributors",
    "deployments",
    "downloads",
    "events",
    "forks",
    "git_commits",
    "git_refs",
    "git_tags",
    "hooks",
    "issue_comment",
    "issue_events",
    "issues",
    "keys",
    "labels",
    "languages",
    "merges",
    "milestones",
    "notifications",
    "pulls",
    "releases",
    "stargazers",
    "statuses",
    "subscribers",
    "subscription",
    "tags",
    "teams",
    "trees",
]


def repository(owner: str = "octo", name: str = "hello") -> dict[str, Any]:
    url = f"{API}/repos/{owner}/{name}"
    return {
        "id": 7,
        "node_id": "R_7",
        "name": name,
        "full_name": f"{owner}/{name}",
        "owner": user(owner),
        "private": False,
        "fork": False,
        "description": None,
        "url": url,
        "html_url": f"https://github.com/{owner}/{name}",
        **{f"{field}_url": f"{url}/{field}{{/id}}" for field in REPO_URL_FIELDS},
        "clone_url": f"https://github.com/{owner}/{name}.git",
        "git_url": f"git://github.com/{owner}/{name}.git",
        "ssh_url": f"git@github.com:{owner}/{name}.git",
        "svn_url": f"https://github.com/{owner}/{name}",
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "license": None,
        "default_branch": "main",
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "open_issues": 0,
        "open_issues_count": 0,
        "size": 0,
        "has_downloads": True,
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "archived": False,
        "disabled": False,
        "pushed_at": WHEN,
        "created_at": WHEN,
        "updated_at": WHEN,
    }


def pull_request(number: int = 12) -> dict[str, Any]:
    url = f"{API}/repos/octo/hello/pulls/{number}"
    issue = f"{API}/repos/octo/hello/issues/{number}"
    html = f"https://github.com/octo/hello/pull/{number}"
    links = {
        "self": url,
        "html": html,
        "issue": issue,
        "comments": f"{issue}/comments",
        "review_comments": f"{url}/comments",
        "review_comment": f"{API}/repos/octo/hello/pulls/comments{{/number}}",
        "commits": f"{url}/commits",
        "statuses": f"{API}/repos/octo/hello/statuses/{SHA}",
    }

    def branch(ref: str) -> dict[str, Any]:
        return {
            "label": f"octo:{ref}",
            "ref": ref,
            "sha": SHA,
            "user": user(),
            "repo": repository(),
        }

    return {
        "url": url,
        "id": 100 + number,
        "node_id": f"PR_{number}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "number": number,
        "state": "open",
        "locked": False,
        "title": "Phase 2: parser",
        "user": user(),
        "body": None,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": WHEN,
        "updated_at": WHEN,
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "head": branch("phase-2"),
        "base": branch("main"),
        "_links": {name: {"href": href} for name, href in links.items()},
        "author_association": "OWNER",
        "auto_merge": None,
        "draft": True,
        "merged": False,
        "mergeable": None,
        "mergeable_state": "unknown",
        "merged_by": None,
        "maintainer_can_modify": False,
        "comments": 0,
        "review_comments": 0,
        "commits": 1,
        "additions": 3,
        "deletions": 0,
        "changed_files": 1,
    }


def issue_comment() -> dict[str, Any]:
    return {
        "id": 55,
        "node_id": "IC_55",
        "url": f"{API}/repos/octo/hello/issues/comments/55",
        "html_url": "https://github.com/octo/hello/issues/3#issuecomment-55",
        "issue_url": f"{API}/repos/octo/hello/issues/3",
        "body": "/porch run",
        "user": user(),
        "author_association": "OWNER",
        "created_at": WHEN,
        "updated_at": WHEN,
    }


def check_run() -> dict[str, Any]:
    url = f"{API}/repos/octo/hello/check-runs/9"
    return {
        "id": 9,
        "node_id": "CR_9",
        "head_sha": SHA,
        "name": "phase 2",
        "external_id": "run-1/phase-2",
        "url": url,
        "html_url": "https://github.com/octo/hello/runs/9",
        "details_url": None,
        "status": "in_progress",
        "conclusion": None,
        "started_at": WHEN,
        "completed_at": None,
        "output": {
            "title": "Running",
            "summary": "Phase 2 is running.",
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{url}/annotations",
        },
        "check_suite": {"id": 4},
        "app": None,
        "pull_requests": [],
    }


def git_ref(ref: str = "refs/heads/phase-2") -> dict[str, Any]:
    url = f"{API}/repos/octo/hello/git/{ref}"
    commit = f"{API}/repos/octo/hello/git/commits/{SHA}"
    return {
        "ref": ref,
        "node_id": "REF_1",
        "url": url,
        "object": {"type": "commit", "sha": SHA, "url": commit},
    }


MERGE_CONFLICT = {
    "message": "Merge conflict",
    "documentation_url": "https://docs.github.com/rest/branches/branches#merge-a-branch",
}


# -- good bodies pass -------------------------------------------------------------------------

GOOD_RESPONSES = [
    ("GET", "/repos/octo/hello/pulls/12", 200, pull_request()),
    ("GET", "/repos/octo/hello/pulls", 200, [pull_request(12), pull_request(13)]),
    ("PATCH", "/repos/octo/hello/pulls/12", 200, {**pull_request(), "draft": False}),
    ("POST", "/repos/octo/hello/issues/3/comments", 201, issue_comment()),
    ("PATCH", "/repos/octo/hello/issues/comments/55", 200, {**issue_comment(), "user": None}),
    ("POST", "/repos/octo/hello/check-runs", 201, check_run()),
    ("PATCH", "/repos/octo/hello/check-runs/9", 200, {**check_run(), "conclusion": "success"}),
    ("GET", "/repos/octo/hello/git/ref/heads/phase-2", 200, git_ref()),
    ("GET", "/repos/octo/hello/git/ref/heads/team/phase-2", 200, git_ref("refs/heads/team/a")),
    ("POST", "/repos/octo/hello/git/refs", 201, git_ref()),
    ("GET", "/repos/octo/hello/git/matching-refs/heads/phase-", 200, [git_ref()]),
    ("POST", "/repos/octo/hello/merges", 409, MERGE_CONFLICT),
    ("POST", "/repos/octo/hello/merges", 204, None),
    ("DELETE", "/repos/octo/hello/git/refs/heads/phase-2", 204, None),
    # Injected faults: statuses GitHub may answer anywhere, with its error shape.
    (
        "GET",
        "/repos/octo/hello/pulls/12",
        502,
        {"message": "Server Error", "documentation_url": API},
    ),
    (
        "POST",
        "/repos/octo/hello/check-runs",
        403,
        {"message": "API rate limit exceeded", "documentation_url": API},
    ),
]


@pytest.mark.parametrize(("method", "path", "status", "body"), GOOD_RESPONSES)
def test_good_response_has_no_problems(
    conformance: OpenAPIConformance, method: str, path: str, status: int, body: object
) -> None:
    assert conformance.check_response(method, path, status, body) == []


GOOD_REQUESTS = [
    (
        "POST",
        "/repos/octo/hello/pulls",
        {"title": "Phase 2", "head": "phase-2", "base": "main", "draft": True},
    ),
    ("POST", "/repos/octo/hello/pulls/12/reviews", {"event": "APPROVE", "body": "looks right"}),
    ("POST", "/repos/octo/hello/issues/3/comments", {"body": "/porch run"}),
    ("POST", "/repos/octo/hello/merges", {"base": "main", "head": "phase-2"}),
    ("PATCH", "/repos/octo/hello/git/refs/heads/phase-2", {"sha": SHA, "force": False}),
    (
        "POST",
        "/repos/octo/hello/check-runs",
        {
            "name": "phase 2",
            "head_sha": SHA,
            "external_id": "run-1/phase-2",
            "status": "in_progress",
            "output": {"title": "Running", "summary": "Phase 2 is running."},
            "actions": [
                {"label": "Retry", "description": "Run phase 2 again", "identifier": "retry"}
            ],
        },
    ),
    ("GET", "/repos/octo/hello/pulls/12", None),
    # Label bodies the description allows in prose only (fakehub.conformance.allowances).
    ("POST", "/repos/octo/hello/issues/3/labels", {"labels": ["porch"]}),
    ("POST", "/repos/octo/hello/issues/3/labels", ["porch"]),
    ("PUT", "/repos/octo/hello/issues/3/labels", []),
    ("PUT", "/repos/octo/hello/issues/3/labels", "porch"),
]


@pytest.mark.parametrize(("method", "path", "body"), GOOD_REQUESTS)
def test_good_request_has_no_problems(
    conformance: OpenAPIConformance, method: str, path: str, body: object
) -> None:
    assert conformance.check_request(method, path, body) == []


# -- bad bodies fail, naming the field --------------------------------------------------------


def _without(body: dict[str, Any], *pointer: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    node = body
    for key in pointer[:-1]:
        node = node[key]
    del node[pointer[-1]]
    return body


BAD_RESPONSES = [
    (
        "GET",
        "/repos/octo/hello/pulls/12",
        200,
        _without(pull_request(), "head", "sha"),
        "GET /repos/octo/hello/pulls/12 200: /head: 'sha' is a required property",
    ),
    (
        "GET",
        "/repos/octo/hello/pulls/12",
        200,
        {**pull_request(), "number": "12"},
        "GET /repos/octo/hello/pulls/12 200: /number: '12' is not of type 'integer'",
    ),
    (
        "GET",
        "/repos/octo/hello/pulls",
        200,
        [pull_request(), {**pull_request(13), "draft": "yes"}],
        "GET /repos/octo/hello/pulls 200: /1/draft: 'yes' is not of type 'boolean'",
    ),
    (
        "POST",
        "/repos/octo/hello/issues/3/comments",
        201,
        {**issue_comment(), "created_at": "2026-11-28 09:00:00"},
        "POST /repos/octo/hello/issues/3/comments 201: /created_at: "
        "'2026-11-28 09:00:00' is not a 'date-time'",
    ),
    (
        "POST",
        "/repos/octo/hello/issues/3/comments",
        201,
        {**issue_comment(), "user": {"login": "octo"}},
        "POST /repos/octo/hello/issues/3/comments 201: /user: 'id' is a required property",
    ),
    (
        "POST",
        "/repos/octo/hello/check-runs",
        201,
        {**check_run(), "conclusion": "passed"},
        "POST /repos/octo/hello/check-runs 201: /conclusion: 'passed' is not one of",
    ),
    (
        "POST",
        "/repos/octo/hello/check-runs",
        201,
        _without(check_run(), "external_id"),
        "POST /repos/octo/hello/check-runs 201: /: 'external_id' is a required property",
    ),
    (
        "GET",
        "/repos/octo/hello/git/ref/heads/phase-2",
        200,
        {**git_ref(), "object": {"type": "commit", "sha": SHA[:7], "url": API}},
        f"GET /repos/octo/hello/git/ref/heads/phase-2 200: /object/sha: '{SHA[:7]}' is too short",
    ),
    (
        "POST",
        "/repos/octo/hello/merges",
        409,
        {"message": "Merge conflict"},
        "POST /repos/octo/hello/merges 409: /: 'documentation_url' is a required property",
    ),
    (
        "POST",
        "/repos/octo/hello/merges",
        409,
        {**MERGE_CONFLICT, "message": 409},
        "POST /repos/octo/hello/merges 409: /message: 409 is not of type 'string'",
    ),
    (
        "POST",
        "/repos/octo/hello/merges",
        204,
        {},
        "POST /repos/octo/hello/merges 204: a 204 response has no body",
    ),
    (
        "POST",
        "/repos/octo/hello/merges",
        201,
        None,
        "POST /repos/octo/hello/merges 201: no body, GitHub sends JSON here",
    ),
    (
        "GET",
        "/repos/octo/hello/pulls/12",
        502,
        {"error": "bad gateway"},
        "GET /repos/octo/hello/pulls/12 502: /: 'message' is a required property",
    ),
]


@pytest.mark.parametrize(("method", "path", "status", "body", "expected"), BAD_RESPONSES)
def test_bad_response_names_the_field(
    conformance: OpenAPIConformance,
    method: str,
    path: str,
    status: int,
    body: object,
    expected: str,
) -> None:
    found = conformance.check_response(method, path, status, body)
    assert any(problem.startswith(expected) for problem in found), found


BAD_REQUESTS = [
    (
        "POST",
        "/repos/octo/hello/pulls",
        {"title": "Phase 2", "head": "phase-2"},
        "POST /repos/octo/hello/pulls request: /: 'base' is a required property",
    ),
    (
        "POST",
        "/repos/octo/hello/check-runs",
        {
            "name": "p",
            "head_sha": SHA,
            "actions": [{"label": "a", "description": "b", "identifier": "c"}] * 4,
        },
        "POST /repos/octo/hello/check-runs request: /actions: ",
    ),
    (
        "POST",
        "/repos/octo/hello/check-runs",
        {
            "name": "p",
            "head_sha": SHA,
            "actions": [{"label": "a" * 21, "description": "b", "identifier": "c"}],
        },
        "POST /repos/octo/hello/check-runs request: /actions/0/label: ",
    ),
    (
        "PATCH",
        "/repos/octo/hello/git/refs/heads/phase-2",
        {"force": True},
        "PATCH /repos/octo/hello/git/refs/heads/phase-2 request: /: 'sha' is a required property",
    ),
    (
        "POST",
        "/repos/octo/hello/merges",
        None,
        "POST /repos/octo/hello/merges request: a body is required",
    ),
    (
        "GET",
        "/repos/octo/hello/pulls/12",
        {"state": "open"},
        "GET /repos/octo/hello/pulls/12 request: GitHub's API takes no body",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), BAD_REQUESTS)
def test_bad_request_names_the_field(
    conformance: OpenAPIConformance, method: str, path: str, body: object, expected: str
) -> None:
    found = conformance.check_request(method, path, body)
    assert any(problem.startswith(expected) for problem in found), found


def test_every_bad_field_is_reported_once(conformance: OpenAPIConformance) -> None:
    body = {**issue_comment(), "id": "55", "created_at": "yesterday"}
    found = conformance.check_response("GET", "/repos/octo/hello/issues/comments/55", 200, body)
    where = "GET /repos/octo/hello/issues/comments/55 200"
    assert found == [
        f"{where}: /created_at: 'yesterday' is not a 'date-time'",
        f"{where}: /id: '55' is not of type 'integer'",
    ]


# -- paths, methods, statuses -----------------------------------------------------------------

PATHS = [
    ("GET", "/app", "/app"),
    ("GET", "/repos/octo/hello", "/repos/{owner}/{repo}"),
    ("GET", "/repos/octo/hello/installation", "/repos/{owner}/{repo}/installation"),
    (
        "POST",
        "/app/installations/3/access_tokens",
        "/app/installations/{installation_id}/access_tokens",
    ),
    (
        "GET",
        "/repos/octo/hello/pulls/12/reviews",
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    ),
    ("GET", "/repos/octo/hello/pulls/comments", "/repos/{owner}/{repo}/pulls/comments"),
    ("GET", "/repos/octo/hello/pulls/12/files", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    (
        "POST",
        "/repos/octo/hello/pulls/12/requested_reviewers",
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    ),
    (
        "POST",
        "/repos/octo/hello/issues/comments/55/reactions",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    ),
    (
        "POST",
        "/repos/octo/hello/issues/3/labels",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
    ),
    (
        "GET",
        "/repos/octo/hello/collaborators/mona/permission",
        "/repos/{owner}/{repo}/collaborators/{username}/permission",
    ),
    # Git refs, branches and paths may hold slashes; the description marks them multi-segment.
    ("GET", "/repos/octo/hello/git/ref/heads/team/phase-2", "/repos/{owner}/{repo}/git/ref/{ref}"),
    (
        "PATCH",
        "/repos/octo/hello/git/refs/heads/team/phase-2",
        "/repos/{owner}/{repo}/git/refs/{ref}",
    ),
    ("DELETE", "/repos/octo/hello/git/refs/tags/v1", "/repos/{owner}/{repo}/git/refs/{ref}"),
    (
        "GET",
        "/repos/octo/hello/git/matching-refs/heads/team/",
        "/repos/{owner}/{repo}/git/matching-refs/{ref}",
    ),
    (
        "GET",
        "/repos/octo/hello/contents/docs/plans/0001.md",
        "/repos/{owner}/{repo}/contents/{path}",
    ),
    (
        "GET",
        "/repos/octo/hello/compare/main...team/phase-2",
        "/repos/{owner}/{repo}/compare/{basehead}",
    ),
    ("GET", "/repos/octo/hello/branches/team/phase-2", "/repos/{owner}/{repo}/branches/{branch}"),
    (
        "GET",
        "/repos/octo/hello/branches/main/protection",
        "/repos/{owner}/{repo}/branches/{branch}/protection",
    ),
    ("GET", "/repos/octo/hello/commits/team/phase-2", "/repos/{owner}/{repo}/commits/{ref}"),
    # A literal segment after a multi-segment ref wins over the ref swallowing it.
    (
        "GET",
        "/repos/octo/hello/commits/team/x/check-runs",
        "/repos/{owner}/{repo}/commits/{ref}/check-runs",
    ),
    ("GET", "/repos/octo/hello/commits/abc/status", "/repos/{owner}/{repo}/commits/{ref}/status"),
    ("PATCH", "/repos/octo/hello/check-runs/9", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
]


@pytest.mark.parametrize(("method", "path", "template"), PATHS)
def test_path_matches_the_most_specific_template(
    conformance: OpenAPIConformance, method: str, path: str, template: str
) -> None:
    assert conformance.operation(method, path) == f"{method} {template}"


UNKNOWN = [
    ("GET", "/foo", "not in GitHub's API: GET /foo"),
    (
        "GET",
        "/repos/octo/hello/issues/three",
        "not in GitHub's API: GET /repos/octo/hello/issues/three",
    ),
    # Single refs are read from `git/ref/`, not `git/refs/`, which only updates and deletes.
    (
        "GET",
        "/repos/octo/hello/git/refs/heads/main",
        "not in GitHub's API: GET /repos/octo/hello/git/refs/heads/main (the path exists for "
        "DELETE /repos/{owner}/{repo}/git/refs/{ref}; PATCH /repos/{owner}/{repo}/git/refs/{ref})",
    ),
    (
        "PUT",
        "/repos/octo/hello/pulls/12",
        "not in GitHub's API: PUT /repos/octo/hello/pulls/12 (the path exists for "
        "GET /repos/{owner}/{repo}/pulls/{pull_number}; "
        "PATCH /repos/{owner}/{repo}/pulls/{pull_number})",
    ),
    ("GET", "/api/v3/repos/octo/hello", "not in GitHub's API: GET /api/v3/repos/octo/hello"),
]


@pytest.mark.parametrize(("method", "path", "expected"), UNKNOWN)
def test_unknown_path_or_method_is_a_problem(
    conformance: OpenAPIConformance, method: str, path: str, expected: str
) -> None:
    assert conformance.check_request(method, path, None) == [expected]
    assert conformance.check_response(method, path, 200, {}) == [expected]


def test_undeclared_status_is_a_problem(conformance: OpenAPIConformance) -> None:
    found = conformance.check_response("POST", "/repos/octo/hello/merges", 200, {})
    assert found == [
        "POST /repos/octo/hello/merges 200: status not declared for "
        "POST /repos/{owner}/{repo}/merges (201, 204, 403, 404, 409, 422)"
    ]


def test_problem_lists_are_capped(conformance: OpenAPIConformance) -> None:
    found = conformance.check_response("GET", "/repos/octo/hello/pulls/12", 200, {})
    assert len(found) == 21
    assert found[-1].startswith("GET /repos/octo/hello/pulls/12 200: and ")


# -- webhooks ---------------------------------------------------------------------------------


def test_unknown_webhook_event_or_action_is_a_problem(conformance: OpenAPIConformance) -> None:
    assert conformance.check_webhook("pull_requests", {"action": "opened"}) == [
        "webhook pull_requests.opened: not in GitHub's webhooks"
    ]
    found = conformance.check_webhook("check_run", {"action": "started"})
    assert found[0].startswith(
        "webhook check_run.started: action not in GitHub's webhooks (completed, "
    )


def test_webhook_payload_fields_are_checked(conformance: OpenAPIConformance) -> None:
    payload = {"action": "created", "comment": {**issue_comment(), "id": "55"}}
    found = conformance.check_webhook("issue_comment", payload)
    assert "webhook issue_comment.created: /comment/id: '55' is not of type 'integer'" in found
    assert "webhook issue_comment.created: /: 'issue' is a required property" in found


def test_checker_satisfies_the_protocol(conformance: OpenAPIConformance) -> None:
    checker: Conformance = conformance
    assert checker.check_webhook("ping", {"zen": "Keep it logically awesome."}) == []
    assert checker.check_webhook("ping", {"hook_id": "7"}) == [
        "webhook ping: /hook_id: '7' is not of type 'integer'"
    ]
