"""Webhooks: signed, verifiable the way the bot verifies them, redeliverable, never blocking."""

from __future__ import annotations

import time

from gidgethub import sansio
from github.Repository import Repository

from fakehub.receiver import WebhookReceiver
from fakehub.testing import RunningFakeHub


def _parse(fakehub: RunningFakeHub, receiver: WebhookReceiver, count: int) -> list[sansio.Event]:
    return [
        sansio.Event.from_http(item.headers, item.body, secret=fakehub.webhook_secret)
        for item in receiver.wait_for(count)
    ]


def test_comment_by_a_person_arrives_signed(
    fakehub: RunningFakeHub, repo_name: str, webhook_receiver: WebhookReceiver
) -> None:
    fakehub.set_webhook_url(webhook_receiver.url)
    issue = fakehub.control.open_issue(repo_name, "alice", "Plan", "## Phase 1")
    fakehub.control.comment(repo_name, issue["number"], "alice", "/porch parallel")
    opened, commented = _parse(fakehub, webhook_receiver, 2)
    assert (opened.event, opened.data["action"]) == ("issues", "opened")
    assert commented.event == "issue_comment"
    assert commented.data["action"] == "created"
    assert commented.data["comment"]["body"] == "/porch parallel"
    assert commented.data["sender"]["login"] == "alice"
    assert commented.data["issue"]["number"] == issue["number"]
    assert commented.data["installation"]["id"] == fakehub.installation_id
    assert commented.data["repository"]["full_name"] == repo_name
    headers = webhook_receiver.received[1].headers
    assert headers["x-hub-signature-256"].startswith("sha256=")
    assert commented.delivery_id == headers["x-github-delivery"]


def test_edited_comment_carries_the_old_body(
    fakehub: RunningFakeHub, repo_name: str, webhook_receiver: WebhookReceiver
) -> None:
    issue = fakehub.control.open_issue(repo_name, "alice", "Plan")
    made = fakehub.control.comment(repo_name, issue["number"], "alice", "/porch parallel")
    # The creation's delivery goes nowhere: sent before the receiver is named, not after.
    fakehub.flush()
    fakehub.set_webhook_url(webhook_receiver.url)
    fakehub.control.edit_comment(repo_name, made["id"], "/porch cancel")
    (edited,) = _parse(fakehub, webhook_receiver, 1)
    assert edited.data["action"] == "edited"
    assert edited.data["changes"] == {"body": {"from": "/porch parallel"}}
    assert edited.data["comment"]["body"] == "/porch cancel"


def test_events_the_app_causes_have_the_app_as_sender(
    fakehub: RunningFakeHub, repo: Repository, webhook_receiver: WebhookReceiver
) -> None:
    fakehub.set_webhook_url(webhook_receiver.url)
    repo.create_issue("x").create_comment("status: running")
    _, commented = _parse(fakehub, webhook_receiver, 2)
    assert commented.data["sender"]["login"] == fakehub.bot_login
    assert commented.data["sender"]["type"] == "Bot"
    assert commented.data["comment"]["user"]["type"] == "Bot"


def test_redelivery_keeps_the_guid(
    fakehub: RunningFakeHub, repo_name: str, webhook_receiver: WebhookReceiver
) -> None:
    fakehub.set_webhook_url(webhook_receiver.url)
    fakehub.control.open_issue(repo_name, "alice", "Plan")
    (first,) = _parse(fakehub, webhook_receiver, 1)
    again = fakehub.control.redeliver(first.delivery_id)
    assert again["guid"] == first.delivery_id and again["redelivery"]
    _, second = _parse(fakehub, webhook_receiver, 2)
    assert second.delivery_id == first.delivery_id
    assert second.data == first.data


def test_delivery_does_not_hold_up_the_api(
    fakehub: RunningFakeHub, repo: Repository, webhook_receiver: WebhookReceiver
) -> None:
    fakehub.set_webhook_url(webhook_receiver.url)
    webhook_receiver.hold()
    started = time.monotonic()
    repo.create_issue("slow receiver")
    assert time.monotonic() - started < 2
    assert fakehub.deliveries[-1].status_code is None  # still waiting on the receiver
    webhook_receiver.release()
    fakehub.flush()
    assert fakehub.deliveries[-1].status_code == 202


def test_delivery_log_records_failures(fakehub: RunningFakeHub, repo_name: str) -> None:
    fakehub.set_webhook_url("http://127.0.0.1:9/nothing-listens-here")
    fakehub.control.open_issue(repo_name, "alice", "Plan")
    fakehub.control.flush()
    (logged,) = fakehub.control.deliveries("issues")
    assert logged["status_code"] is None and logged["error"]
    assert logged["payload"]["issue"]["title"] == "Plan"


def test_installation_event(
    fakehub: RunningFakeHub, repo_name: str, webhook_receiver: WebhookReceiver
) -> None:
    fakehub.set_webhook_url(webhook_receiver.url)
    fakehub.control.send_installation_event("created")
    (installed,) = _parse(fakehub, webhook_receiver, 1)
    assert installed.event == "installation"
    assert installed.data["installation"]["id"] == fakehub.installation_id


def test_every_pull_request_action_fits_githubs_payloads(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    """Each action once; the conformance check at teardown judges the payloads."""
    parent = repo.get_git_commit(repo.get_branch("main").commit.sha)
    start = repo.create_git_commit("start", parent.tree, [parent])
    repo.create_git_ref("refs/heads/phase", start.sha)
    pull = repo.create_pull(title="p", body="", head="phase", base="main", draft=True)
    fakehub.control.ready_for_review("octo/app", pull.number, "alice")
    pull.create_review_request(reviewers=["alice"])
    pull.delete_review_request(reviewers=["alice"])
    pull.edit(title="p2")
    pull.edit(state="closed")
    pull.edit(state="open")
    fakehub.control.review("octo/app", pull.number, "alice", "APPROVE")
    fakehub.control.merge_pull("octo/app", pull.number, "alice")
    fakehub.flush()
    actions = [d.action for d in fakehub.deliveries if d.event == "pull_request"]
    assert actions == [
        "opened",
        "ready_for_review",
        "review_requested",
        "review_request_removed",
        "edited",
        "closed",
        "reopened",
        "closed",
    ]
    closed = [d.payload for d in fakehub.deliveries if d.action == "closed"][-1]
    assert closed["pull_request"]["merged"] is True


def test_issue_and_comment_actions_fit_githubs_payloads(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    issue = repo.create_issue("plan", labels=["porch"])
    issue.edit(body="new body")
    comment = issue.create_comment("hello")
    comment.delete()
    issue.edit(state="closed")
    fakehub.flush()
    seen = [(d.event, d.action) for d in fakehub.deliveries]
    assert seen == [
        ("issues", "opened"),
        ("issues", "edited"),
        ("issue_comment", "created"),
        ("issue_comment", "deleted"),
        ("issues", "closed"),
    ]


def test_ping(fakehub: RunningFakeHub, webhook_receiver: WebhookReceiver) -> None:
    fakehub.set_webhook_url(webhook_receiver.url)
    fakehub.control.ping()
    (ping,) = _parse(fakehub, webhook_receiver, 1)
    assert ping.event == "ping"
    assert ping.data["hook"]["app_id"] == fakehub.app_id
