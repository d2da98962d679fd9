"""GitHub's secondary limits, enforced only when switched on, answered as GitHub does."""

from __future__ import annotations

import requests
from github.Repository import Repository

from fakehub.testing import RunningFakeHub


def _post_issue(fakehub: RunningFakeHub, repo: Repository, title: str) -> requests.Response:
    return requests.post(
        f"{fakehub.api_url}/repos/{repo.full_name}/issues",
        json={"title": title},
        headers={"Authorization": f"token {fakehub.installation_token()}"},
        timeout=10,
    )


def test_limits_are_off_by_default(fakehub: RunningFakeHub, repo: Repository) -> None:
    assert fakehub.control.limits()["enabled"] is False
    for n in range(5):
        assert _post_issue(fakehub, repo, f"issue {n}").status_code == 201


def test_writes_past_the_minute_budget_get_githubs_answer(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    fakehub.control.set_limits(per_minute=3, per_hour=10)
    assert [_post_issue(fakehub, repo, f"i{n}").status_code for n in range(3)] == [201] * 3
    refused = _post_issue(fakehub, repo, "one too many")
    assert refused.status_code == 403
    assert refused.headers["retry-after"] == "60"
    body = refused.json()
    assert body["message"].startswith("You have exceeded a secondary rate limit.")
    assert "secondary-rate-limits" in body["documentation_url"]
    # Reads are not content: they go on.
    assert len(list(repo.get_issues())) == 3
    logged = [r for r in fakehub.requests if r.method == "POST" and r.path.endswith("/issues")]
    assert [r.fault for r in logged] == [None, None, None, "secondary_rate_limit"]
    # A minute later (the stand-in's clock), the window has room again.
    fakehub.control.advance_clock(61)
    assert _post_issue(fakehub, repo, "after a minute").status_code == 201


def test_the_hour_budget_and_429(fakehub: RunningFakeHub, repo: Repository) -> None:
    fakehub.control.set_limits(per_minute=100, per_hour=2, status=429)
    assert [_post_issue(fakehub, repo, f"i{n}").status_code for n in range(2)] == [201] * 2
    fakehub.control.advance_clock(120)
    assert _post_issue(fakehub, repo, "still this hour").status_code == 429
    fakehub.control.set_limits(enabled=False)
    assert _post_issue(fakehub, repo, "switched off").status_code == 201
