"""Fault injection, the request log, rate-limit headers and the catch-all 404."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException, RateLimitExceededException
from github.Repository import Repository

from fakehub.testing import RunningFakeHub


def test_error_before_the_write(fakehub: RunningFakeHub, repo: Repository) -> None:
    fakehub.control.add_fault("error", "POST", "/repos/*/issues", status=500)
    with pytest.raises(GithubException) as raised:
        repo.create_issue("lost")
    assert raised.value.status == 500
    assert list(repo.get_issues(state="all")) == []
    assert repo.create_issue("second try").number == 1  # the fault was used up


def test_502_after_the_write_happened(fakehub: RunningFakeHub, repo: Repository) -> None:
    fakehub.control.add_fault(
        "error_after", "POST", "/repos/octo/app/issues/*/comments", status=502
    )
    issue = repo.create_issue("plan")
    with pytest.raises(GithubException) as raised:
        issue.create_comment("status")
    assert raised.value.status == 502
    # GitHub sometimes does the work and still answers 502: the comment is there.
    assert [c.body for c in issue.get_comments()] == ["status"]
    logged = [r for r in fakehub.requests if r.method == "POST" and r.path.endswith("/comments")]
    assert [(r.status, r.fault) for r in logged] == [(502, "error_after")]


def test_primary_rate_limit(fakehub: RunningFakeHub, repo: Repository) -> None:
    fakehub.control.add_fault("primary_rate_limit", "GET", "/repos/octo/app/issues")
    with pytest.raises(RateLimitExceededException) as raised:
        list(repo.get_issues())
    assert raised.value.status == 403
    assert raised.value.headers is not None
    assert raised.value.headers["x-ratelimit-remaining"] == "0"


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit(fakehub: RunningFakeHub, repo_name: str, status: int) -> None:
    fakehub.control.add_fault(
        "secondary_rate_limit", "GET", f"/repos/{repo_name}", status=status, retry_after=7
    )
    response = requests.get(
        f"{fakehub.api_url}/repos/{repo_name}",
        headers={"Authorization": f"token {fakehub.installation_token()}"},
        timeout=10,
    )
    assert response.status_code == status
    assert response.headers["retry-after"] == "7"
    assert "secondary rate limit" in response.json()["message"]


def test_delay_and_times(fakehub: RunningFakeHub, repo: Repository) -> None:
    fakehub.control.add_fault("delay", "GET", "/repos/octo/app/branches/*", delay=0.3, times=2)
    started = time.monotonic()
    repo.get_branch("main")
    repo.get_branch("main")
    repo.get_branch("main")
    assert 0.6 <= time.monotonic() - started < 2
    assert fakehub.control.add_fault("error", times=None)["times"] is None
    fakehub.control.clear_faults()
    assert repo.get_branch("main").name == "main"


def test_request_log_and_rate_limit_headers(fakehub: RunningFakeHub, repo_name: str) -> None:
    token = fakehub.installation_token()
    response = requests.get(
        f"{fakehub.api_url}/repos/{repo_name}",
        headers={"Authorization": f"token {token}"},
        timeout=10,
    )
    assert response.headers["x-ratelimit-limit"] == "5000"
    assert int(response.headers["x-ratelimit-remaining"]) < 5000
    assert response.headers["x-ratelimit-resource"] == "core"
    (logged,) = [r for r in fakehub.requests if r.area == "rest"]
    assert (logged.method, logged.path, logged.status) == ("GET", f"/repos/{repo_name}", 200)
    assert logged.principal == fakehub.bot_login
    assert [r["path"] for r in fakehub.control.requests()] == [f"/repos/{repo_name}"]


@pytest.mark.fakehub_allow_unexpected
def test_unknown_route_is_github_404_and_logged(fakehub: RunningFakeHub, repo_name: str) -> None:
    token = fakehub.installation_token()
    response = requests.post(
        f"{fakehub.api_url}/repos/{repo_name}/deployments",
        headers={"Authorization": f"token {token}"},
        json={"ref": "main"},
        timeout=10,
    )
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"
    assert response.json()["documentation_url"].startswith("https://docs.github.com/")
    (unexpected,) = fakehub.unexpected_requests
    assert (unexpected.method, unexpected.path) == ("POST", f"/repos/{repo_name}/deployments")
