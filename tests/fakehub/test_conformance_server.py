"""The stand-in's traffic, driven through PyGithub, fits GitHub's official API descriptions.

A recording wrapper around the checker proves each operation and webhook was in fact checked,
so a route that slipped past the checks would fail here rather than pass unseen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gidgethub.sansio import Event
from github.Repository import Repository

from fakehub.conformance import OpenAPIConformance
from fakehub.pytest_conformance import load_conformance
from fakehub.receiver import WebhookReceiver
from fakehub.testing import RunningFakeHub, commit_file, git

REPO = "octo/app"
FILES = {"README.md": "# app\n", "docs/plan.md": "# Plan\n\n## Phase 1: Data layer\n"}


class RecordingConformance:
    """The checker, noting which documented operations and webhook actions it was shown."""

    def __init__(self, inner: OpenAPIConformance) -> None:
        self.inner = inner
        self.responses: set[tuple[str, int]] = set()
        self.requests: set[str] = set()
        self.webhooks: set[str] = set()
        self._lock = threading.Lock()

    def check_request(self, method: str, path: str, body: object) -> list[str]:
        with self._lock:
            self.requests.add(self.inner.operation(method, path) or f"{method} {path}")
        return self.inner.check_request(method, path, body)

    def check_response(self, method: str, path: str, status: int, body: object) -> list[str]:
        with self._lock:
            self.responses.add((self.inner.operation(method, path) or f"{method} {path}", status))
        return self.inner.check_response(method, path, status, body)

    def check_webhook(self, event: str, payload: dict[str, Any]) -> list[str]:
        action = payload.get("action")
        with self._lock:
            self.webhooks.add(f"{event}.{action}" if action else event)
        return self.inner.check_webhook(event, payload)


@pytest.fixture
def recording(shared_dir: Path) -> RecordingConformance:
    return RecordingConformance(load_conformance(shared_dir))


@pytest.fixture
def hub(
    tmp_path_factory: pytest.TempPathFactory, recording: RecordingConformance
) -> Iterator[RunningFakeHub]:
    running = RunningFakeHub(tmp_path_factory.mktemp("fakehub"), conformance=recording)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    started = WebhookReceiver().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def repo(hub: RunningFakeHub) -> Repository:
    hub.control.create_repo(REPO, files=FILES)
    return hub.github().get_repo(REPO)


def push_branch(hub: RunningFakeHub, workdir: Path, branch: str, path: str) -> str:
    git("clone", "--quiet", hub.clone_url(REPO, hub.installation_token()), str(workdir))
    git("checkout", "--quiet", "-b", branch, cwd=workdir)
    sha = commit_file(workdir, path, f"{branch}\n", f"{branch}: {path}")
    git("push", "--quiet", "origin", branch, cwd=workdir)
    return sha


def exercise_app(hub: RunningFakeHub) -> None:
    integration = hub.integration()
    integration.get_app()
    installation = integration.get_repo_installation("octo", "app")
    integration.get_access_token(installation.id)


def exercise_git_data(repo: Repository) -> None:
    main = repo.get_branch("main")
    repo.get_contents("docs/plan.md", ref="main")
    repo.get_git_ref("heads/main")
    list(repo.get_git_matching_refs("heads/"))
    tree = repo.get_git_tree(main.commit.sha)
    commit = repo.create_git_commit("empty step", tree, [repo.get_git_commit(main.commit.sha)])
    ref = repo.create_git_ref("refs/heads/team/step", commit.sha)
    repo.get_branch("team/step")
    repo.get_commit("team/step")
    repo.compare("main", "team/step")
    repo.merge("main", "team/step", "merge the step")
    repo.merge("main", "team/step")  # nothing left to merge: 204
    ref.edit(main.commit.sha, force=True)
    ref.delete()


def exercise_issues(hub: RunningFakeHub, repo: Repository) -> None:
    hub.control.add_collaborator(REPO, "alice", "write")
    repo.create_label("porch", "0e8a16", "runs phases")
    list(repo.get_labels())
    issue = repo.create_issue("Plan 1", "the plan")
    issue.add_to_labels("porch")
    comment = issue.create_comment("/porch run")
    comment.edit("/porch run --dry")
    comment.create_reaction("eyes")
    list(issue.get_comments())
    hub.control.comment(REPO, issue.number, "alice", "/porch status")
    repo.get_collaborator_permission("alice")
    issue.edit(state="closed")


def exercise_pulls(hub: RunningFakeHub, repo: Repository, workdir: Path) -> None:
    alice = hub.control.add_collaborator(REPO, "alice", "write")
    head = push_branch(hub, workdir, "phase-1", "src/data.py")
    pull = repo.create_pull(
        title="Phase 1", body="data layer", head="phase-1", base="main", draft=True
    )
    repo.get_pull(pull.number)
    list(repo.get_pulls(state="open", head="octo:phase-1", base="main"))
    list(pull.get_files())
    pull.edit(body="data layer, done")
    pull.create_review_request(reviewers=["alice"])
    users, _teams = pull.get_review_requests()  # lazy lists: reading one makes the call
    list(users)
    pull.create_review(event="COMMENT", body="phase 1 finished")
    hub.github(alice).get_repo(REPO).get_pull(pull.number).create_review(event="APPROVE")
    list(pull.get_reviews())

    run = repo.create_check_run(
        name="phase 1",
        head_sha=head,
        external_id="run-1/phase-1",
        status="in_progress",
        output={"title": "Running", "summary": "Phase 1 is running."},
        actions=[{"label": "Retry", "description": "Run phase 1 again", "identifier": "retry"}],
    )
    repo.get_check_run(run.id)
    list(repo.get_commit(head).get_check_runs())
    run.edit(status="completed", conclusion="success", output={"title": "Done", "summary": "ok"})
    hub.control.rerun_check(REPO, run.id, "alice")
    hub.control.press_action(REPO, run.id, "retry", "alice")

    hub.control.ready_for_review(REPO, pull.number, "alice")
    pull.merge(merge_method="merge")


# The operations the bot uses, each of which must have been checked at least once.
EXPECTED_RESPONSES = {
    ("GET /app", 200),
    ("GET /repos/{owner}/{repo}/installation", 200),
    ("POST /app/installations/{installation_id}/access_tokens", 201),
    ("GET /repos/{owner}/{repo}", 200),
    ("GET /repos/{owner}/{repo}/contents/{path}", 200),
    ("GET /repos/{owner}/{repo}/git/ref/{ref}", 200),
    ("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", 200),
    ("POST /repos/{owner}/{repo}/git/refs", 201),
    ("PATCH /repos/{owner}/{repo}/git/refs/{ref}", 200),
    ("DELETE /repos/{owner}/{repo}/git/refs/{ref}", 204),
    ("GET /repos/{owner}/{repo}/branches/{branch}", 200),
    ("GET /repos/{owner}/{repo}/commits/{ref}", 200),
    ("GET /repos/{owner}/{repo}/compare/{basehead}", 200),
    ("POST /repos/{owner}/{repo}/merges", 201),
    ("POST /repos/{owner}/{repo}/merges", 204),
    ("POST /repos/{owner}/{repo}/issues", 201),
    ("PATCH /repos/{owner}/{repo}/issues/{issue_number}", 200),
    ("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", 201),
    ("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", 200),
    ("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", 200),
    ("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", 201),
    ("POST /repos/{owner}/{repo}/labels", 201),
    ("GET /repos/{owner}/{repo}/labels", 200),
    ("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", 200),
    ("GET /repos/{owner}/{repo}/collaborators/{username}/permission", 200),
    ("POST /repos/{owner}/{repo}/pulls", 201),
    ("GET /repos/{owner}/{repo}/pulls/{pull_number}", 200),
    ("GET /repos/{owner}/{repo}/pulls", 200),
    ("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", 200),
    ("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", 200),
    ("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", 201),
    ("GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", 200),
    ("POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews", 200),
    ("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", 200),
    ("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge", 200),
    ("POST /repos/{owner}/{repo}/check-runs", 201),
    ("GET /repos/{owner}/{repo}/check-runs/{check_run_id}", 200),
    ("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", 200),
    ("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", 200),
}
EXPECTED_WEBHOOKS = {
    "issues.opened",
    "issues.labeled",
    "issues.closed",
    "issue_comment.created",
    "issue_comment.edited",
    "pull_request.opened",
    "pull_request.edited",
    "pull_request.review_requested",
    "pull_request.ready_for_review",
    "pull_request.closed",
    "pull_request_review.submitted",
    "check_run.created",
    "check_run.completed",
    "check_run.rerequested",
    "check_run.requested_action",
    "push",
}


def test_bot_operations_fit_githubs_description(
    hub: RunningFakeHub,
    repo: Repository,
    recording: RecordingConformance,
    receiver: WebhookReceiver,
    tmp_path: Path,
) -> None:
    hub.set_webhook_url(receiver.url)
    exercise_app(hub)
    exercise_git_data(repo)
    exercise_issues(hub, repo)
    exercise_pulls(hub, repo, tmp_path / "clone")
    hub.flush()

    assert hub.violations == []
    assert EXPECTED_RESPONSES - recording.responses == set()
    assert EXPECTED_WEBHOOKS - recording.webhooks == set()
    assert hub.unexpected_requests == []

    # The stand-in's own deliveries pass the signed parse path the bot uses.
    for received in receiver.received:
        event = Event.from_http(received.headers, received.body, secret=hub.webhook_secret)
        assert (event.event, event.delivery_id) == (received.event, received.guid)


def test_a_request_github_would_refuse_is_reported(hub: RunningFakeHub, repo: Repository) -> None:
    """A control case: the checks are live, so a bad request body shows up as a violation."""
    token = hub.installation_token()
    response = requests.post(
        f"{hub.api_url}/repos/{REPO}/pulls",
        json={"title": "no head, no base"},
        headers={"Authorization": f"token {token}"},
        timeout=10,
    )
    assert response.status_code == 422
    assert any(
        "POST /repos/octo/app/pulls request: /: 'head' is a required property" in v
        for v in hub.violations
    ), hub.violations
