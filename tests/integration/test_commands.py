"""Commands from comments: who may give them, what is ignored, and bad input answered once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import requests
from rq.job import Job

from bot.adapters.queues import delivery_job_id
from fakehub.testing import commit_file, git
from fakehub.webhooks import sign
from tests.integration.conftest import DIAMOND, MAINTAINER, REPO, Porch, porch_config


def _branches(porch: Porch) -> list[str]:
    return [b.name for b in porch.hub.github().get_repo(REPO).get_branches()]


def _pulls(porch: Porch) -> list[int]:
    return [p.number for p in porch.hub.github().get_repo(REPO).get_pulls(state="all")]


def _bot_comments(porch: Porch, issue: int) -> list[str]:
    return [c.body for c in porch.comments(issue) if c.user.login == porch.hub.bot_login]


def _nothing_created(porch: Porch, issue: int) -> None:
    assert _branches(porch) == ["main"]
    assert _pulls(porch) == []
    assert porch.run(issue) is None


def test_a_read_only_commenter_gets_one_refusal_and_nothing_is_created(porch: Porch) -> None:
    porch.repo()
    porch.hub.control.add_collaborator(REPO, "rita", "read")
    issue = porch.start(user="rita", text="/porch parallel\n/porch cancel")
    comments = _bot_comments(porch, issue)
    assert len(comments) == 1
    assert "Only people with write access" in comments[0]
    _nothing_created(porch, issue)


def test_triage_is_not_enough_but_maintain_is(porch: Porch) -> None:
    porch.repo()
    porch.hub.control.add_collaborator(REPO, "tom", "triage")
    porch.hub.control.add_collaborator(REPO, "mo", "maintain")
    refused = porch.start(user="tom")
    assert porch.run(refused) is None
    accepted = porch.start(user="mo")
    state = porch.run(accepted)
    assert state is not None and state.status.value == "done"


def test_edited_comments_and_bot_comments_are_ignored(porch: Porch) -> None:
    porch.repo()
    issue = porch.hub.control.open_issue(REPO, MAINTAINER, "Task board", DIAMOND)["number"]
    comment = porch.hub.control.comment(REPO, issue, MAINTAINER, "thinking about it")
    porch.hub.control.edit_comment(REPO, comment["id"], "/porch parallel", user=MAINTAINER)
    porch.hub.github().get_repo(REPO).get_issue(issue).create_comment("/porch parallel")
    porch.settle()
    assert porch.hub.deliveries  # the events did arrive, and were ignored
    _nothing_created(porch, issue)
    assert _bot_comments(porch, issue) == ["/porch parallel"]  # only the bot's own


def test_the_same_delivery_five_times_at_once_makes_one_run(porch: Porch) -> None:
    porch.repo()
    url = f"http://127.0.0.1:{porch.server.server_port}/webhooks/github"
    porch.hub.set_webhook_url(None)
    issue = porch.hub.control.open_issue(REPO, MAINTAINER, "Task board", DIAMOND)["number"]
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch parallel")
    delivery = [d for d in porch.hub.deliveries if d.event == "issue_comment"][-1]
    body = json.dumps(delivery.payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issue_comment",
        "X-GitHub-Delivery": delivery.guid,
        "X-Hub-Signature-256": sign(porch.hub.webhook_secret, body),
    }
    barrier = threading.Barrier(5)
    statuses: list[int] = []

    def send() -> None:
        barrier.wait()
        statuses.append(requests.post(url, data=body, headers=headers, timeout=10).status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 200, 202]
    porch.hub.set_webhook_url(url)
    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.status.value == "done"
    assert len(_pulls(porch)) == 5  # four phases and the integration PR


def test_config_changed_only_on_a_pr_branch_is_not_used(porch: Porch, tmp_path: Path) -> None:
    marker = tmp_path / "evil-ran"
    porch.repo()
    work = tmp_path / "work"
    git("clone", "--quiet", porch.hub.clone_url(REPO, porch.hub.installation_token()), str(work))
    git("checkout", "--quiet", "-b", "evil", cwd=work)
    commit_file(work, ".github/porch.yml", porch_config(command=f"touch {marker}"), "builder")
    git("push", "--quiet", "origin", "evil", cwd=work)
    pull = porch.hub.control.open_pull(REPO, MAINTAINER, "Plan", head="evil", body=DIAMOND)
    porch.hub.control.comment(REPO, pull["number"], MAINTAINER, "/porch parallel")
    porch.settle()
    assert not marker.exists()
    state = porch.run(pull["number"])
    assert state is not None and state.status.value == "done"


def test_an_invalid_plan_gets_one_comment_naming_the_lines(porch: Porch) -> None:
    porch.repo()
    cyclic = (
        "### Phase 1: A\n\n**Dependencies**: Phase 2\n\n"
        "### Phase 2: B\n\n**Dependencies**: Phase 1\n"
    )
    issue = porch.start(body=cyclic)
    comments = _bot_comments(porch, issue)
    assert len(comments) == 1
    assert "not valid" in comments[0] and "line " in comments[0]
    assert "phase_1" in comments[0] and "phase_2" in comments[0]
    _nothing_created(porch, issue)


def test_a_missing_plan_gets_one_comment(porch: Porch) -> None:
    porch.repo()
    issue = porch.start(body="Let's make the board faster. See codev/plans/0042-speed.md")
    comments = _bot_comments(porch, issue)
    assert len(comments) == 1
    assert "codev/plans/0042-speed.md" in comments[0] and "found no plan" in comments[0]
    _nothing_created(porch, issue)


def test_a_plan_file_named_in_the_issue_is_read_from_the_default_branch(porch: Porch) -> None:
    porch.repo(files={"codev/plans/0042-board.md": DIAMOND})
    issue = porch.start(body="Build the board: codev/plans/0042-board.md")
    state = porch.run(issue)
    assert state is not None and state.status.value == "done"
    assert state.plan_source == "`codev/plans/0042-board.md`"


def test_a_bad_config_gets_one_comment_naming_the_key(porch: Porch) -> None:
    porch.repo(config="builder:\n  command: make\n  timeout_minutes: -3\nparallel: 2\n")
    issue = porch.start()
    comments = _bot_comments(porch, issue)
    assert len(comments) == 1
    assert "builder.timeout_minutes" in comments[0] and "parallel" in comments[0]
    _nothing_created(porch, issue)


def test_no_builder_configured_gets_one_comment(porch: Porch) -> None:
    porch.repo(config="max_parallel_builders: 2\n")
    issue = porch.start()
    comments = _bot_comments(porch, issue)
    assert len(comments) == 1 and "builder.command" in comments[0]
    _nothing_created(porch, issue)


def test_an_unknown_command_gets_the_help(porch: Porch) -> None:
    porch.repo()
    issue = porch.start(text="/porch paralel")
    comments = _bot_comments(porch, issue)
    assert len(comments) == 1
    assert "`/porch paralel`" in comments[0] and "/porch parallel [plan-path]" in comments[0]
    _nothing_created(porch, issue)


def test_status_and_cancel_without_a_run_say_so_once(porch: Porch) -> None:
    porch.repo()
    issue = porch.start(text="/porch status")
    assert len(_bot_comments(porch, issue)) == 1
    assert "no run" in _bot_comments(porch, issue)[0]
    _nothing_created(porch, issue)


def test_a_plan_in_the_body_of_an_outsiders_issue_is_not_run(porch: Porch) -> None:
    porch.repo()
    porch.hub.control.add_collaborator(REPO, "otto", "read")
    issue = porch.hub.control.open_issue(REPO, "otto", "Task board", DIAMOND)["number"]
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch parallel")
    porch.settle()
    comments = _bot_comments(porch, issue)
    assert len(comments) == 1
    assert "@otto" in comments[0] and "does not have write access" in comments[0]
    _nothing_created(porch, issue)


def test_a_plan_file_named_in_an_outsiders_issue_is_run(porch: Porch) -> None:
    porch.repo(files={"codev/plans/0042-board.md": DIAMOND})
    porch.hub.control.add_collaborator(REPO, "otto", "read")
    body = "Please build codev/plans/0042-board.md"
    issue = porch.hub.control.open_issue(REPO, "otto", "Task board", body)["number"]
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch parallel")
    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.status.value == "done"


def test_github_failing_on_a_command_is_answered_once_and_starts_nothing(porch: Porch) -> None:
    porch.repo()
    porch.hub.control.add_fault(
        "error", method="GET", path=f"/repos/{REPO}/contents/*", status=500, times=None
    )
    issue = porch.start()
    comments = _bot_comments(porch, issue)
    assert len(comments) == 1
    assert "server errors" in comments[0] and "Nothing was started" in comments[0]
    # The bot answered only once RQ had delivered the event for the last time.
    guid = next(d.guid for d in porch.hub.deliveries if d.event == "issue_comment")
    job = Job.fetch(delivery_job_id(guid), connection=porch.redis)
    assert job.retries_left == 0
    _nothing_created(porch, issue)


def test_a_command_delivered_again_under_a_new_guid_is_carried_out_once(porch: Porch) -> None:
    """GitHub's Redeliver (or a captured request replayed) brings the same comment under a new
    GUID: after the run it started is done, it must not start, and supersede, another."""
    porch.repo()
    issue = porch.start()
    first = porch.run(issue)
    assert first is not None and first.status.finished
    delivery = next(d for d in porch.hub.deliveries if d.event == "issue_comment")
    body = json.dumps(delivery.payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issue_comment",
        "X-GitHub-Delivery": f"{delivery.guid}-again",
        "X-Hub-Signature-256": sign(porch.hub.webhook_secret, body),
    }
    url = f"http://127.0.0.1:{porch.server.server_port}/webhooks/github"
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 202
    porch.settle()
    again = porch.run(issue)
    assert again is not None and again.run_id == first.run_id
    assert not [b for b in _bot_comments(porch, issue) if "superseded" in b]
