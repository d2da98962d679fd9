"""Consultations through the local GitHub: batches, who counts, review rounds, approvals.

Builders and consultants are real processes (small Python scripts); reviews are submitted
on the stand-in as people would, and reach the bot as `pull_request_review` webhooks.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from rq import Queue, SimpleWorker

from bot.adapters.metrics import collect_histograms
from bot.adapters.queues import BUILDERS_QUEUE, builders_queue, events_queue
from bot.core.state import PhaseStatus, RunState
from bot.settings import Settings
from fakehub.webhooks import sign
from tests.integration.conftest import MAINTAINER, REPO, Porch, porch_config
from workers.reconcile import reconcile_run
from workers.registry import plan_job
from workers.runtime import Runtime

P = PhaseStatus
RITA = "rita"  # a reviewer with write access
ROB = "rob"  # read access only

# It keeps each prompt in the work tree (so on the branch): the sandbox lets it write nowhere else.
BUILDER = """\
import os, pathlib, shutil
phase, i = os.environ["PORCH_PHASE_ID"], os.environ["PORCH_ITERATION"]
record = pathlib.Path("prompts")
record.mkdir(exist_ok=True)
shutil.copy(os.environ["PORCH_PROMPT_FILE"], record / f"{phase}-i{i}.md")
pathlib.Path("app").mkdir(exist_ok=True)
pathlib.Path(f"app/{phase}_round{i}.py").write_text(f"ROUND = {i}\\n")
if i != "1":
    rebuttal = pathlib.Path(os.environ["PORCH_REBUTTAL_FILE"])
    rebuttal.write_text("I kept the name: it matches the plan.")
"""


def config(tmp_path: Path, consultation: str) -> str:
    script = tmp_path / "scripts" / "builder.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(BUILDER)
    builder = porch_config(f"python3 {script}")
    return builder + consultation


def prompt_of(porch: Porch, state: RunState, pid: str, iteration: int) -> str:
    """The prompt the builder of `pid` read in round `iteration`, as it kept it on the branch."""
    branch = state.phase(pid).branch
    repo = porch.hub.github().get_repo(REPO)
    found = repo.get_contents(f"prompts/{pid}-i{iteration}.md", ref=branch)
    assert not isinstance(found, list)
    return found.decoded_content.decode()


def gate(reviewers: str = "[rita]", window: int = 120, **extra: Any) -> str:
    lines = ["consultation:", f"  reviewers: {reviewers}", f"  batch_window_seconds: {window}"]
    lines += [f"  {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def setup(porch: Porch, tmp_path: Path, consultation: str) -> None:
    # The sandbox may read the test's scripts, as an operator lets it read an installed agent.
    paths = os.environ.get("PORCH_SANDBOX_PATHS", "")
    os.environ["PORCH_SANDBOX_PATHS"] = f"{paths}:{tmp_path / 'scripts'}".strip(":")
    porch.repo(config=config(tmp_path, consultation))
    porch.hub.control.add_collaborator(REPO, RITA, "write")
    porch.hub.control.add_collaborator(REPO, ROB, "read")


def run(porch: Porch, issue: int) -> RunState:
    state = porch.run(issue)
    assert state is not None
    return state


def statuses(state: RunState) -> dict[str, P]:
    return {pid: phase.status for pid, phase in state.phases.items()}


def pr(state: RunState, pid: str) -> int:
    number = state.phase(pid).pr_number
    assert number is not None
    return number


def review(porch: Porch, state: RunState, pid: str, event: str, **kw: Any) -> dict[str, Any]:
    body = kw.pop("body", "" if event == "APPROVE" else "please change")
    user = kw.pop("user", RITA)
    found = porch.hub.control.review(REPO, pr(state, pid), user, event, body, **kw)
    porch.settle()
    return found


def consultation_comments(porch: Porch, issue: int) -> list[str]:
    return [c.body for c in porch.comments(issue) if "porch-parallel:consultation" in c.body]


def status_comment(porch: Porch, issue: int) -> str:
    [body] = [c.body for c in porch.comments(issue) if "porch-parallel:status" in c.body]
    return body


def requested(porch: Porch, number: int) -> list[str]:
    requests_log = porch.hub.requests
    return [
        r.path
        for r in requests_log
        if r.method == "POST" and r.path.endswith(f"/pulls/{number}/requested_reviewers")
    ]


def work_without_timers(porch: Porch) -> None:
    """Run every queued job, leaving scheduled ones (timers) to come due in their own time."""
    queues = [events_queue(porch.redis), builders_queue(porch.redis)]
    for _ in range(50):
        porch.hub.flush()
        if not any(queue.count for queue in queues):
            return
        SimpleWorker(queues, connection=porch.redis).work(burst=True)
    raise AssertionError("the run did not settle")


# --- Batches, and what counts -----------------------------------------------------------------


def test_siblings_built_together_form_one_batch_and_only_approved_heads_start_dependents(
    porch: Porch, tmp_path: Path
) -> None:
    setup(porch, tmp_path, gate())
    issue = porch.start()
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.CONSULTING
    assert statuses(state)["phase_2"] is P.PENDING  # no dependent before an approval
    [first] = consultation_comments(porch, issue)
    assert f"#{pr(state, 'phase_1')}" in first and "@rita" in first
    assert len(requested(porch, pr(state, "phase_1"))) == 1

    review(porch, state, "phase_1", "APPROVE")
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.DONE
    assert statuses(state)["phase_2"] is P.CONSULTING and statuses(state)["phase_3"] is P.CONSULTING
    assert statuses(state)["phase_4"] is P.PENDING
    comments = consultation_comments(porch, issue)
    assert len(comments) == 2  # phases 2 and 3: one comment for both
    second = comments[1]
    assert f"#{pr(state, 'phase_2')}" in second and f"#{pr(state, 'phase_3')}" in second
    assert "app/phase_2_round1.py" in second and "2 files, +" in second
    for pid in ("phase_2", "phase_3"):
        assert len(requested(porch, pr(state, pid))) == 1
        pull = porch.hub.github().get_repo(REPO).get_pull(pr(state, pid))
        assert [u.login for u in pull.get_review_requests()[0]] == [RITA]

    # An approval of an older head does not count, and the check run says so.
    old = state.phase("phase_2").start_sha
    review(porch, state, "phase_2", "APPROVE", commit_id=old)
    # Nor does an approval by someone with read access only.
    review(porch, state, "phase_3", "APPROVE", user=ROB)
    state = run(porch, issue)
    assert statuses(state)["phase_2"] is P.CONSULTING and statuses(state)["phase_3"] is P.CONSULTING
    check = porch.hub.github().get_repo(REPO).get_check_run(state.phase("phase_2").check_run_id)
    assert "does not count" in check.output.summary
    assert "0 of 1 approvals; waiting for rita" in check.output.summary
    assert check.status == "in_progress"

    review(porch, state, "phase_2", "APPROVE")
    state = run(porch, issue)
    assert statuses(state)["phase_4"] is P.PENDING  # phase_3 is not approved yet
    review(porch, state, "phase_3", "APPROVE")
    state = run(porch, issue)
    assert statuses(state)["phase_4"] is P.CONSULTING
    review(porch, state, "phase_4", "APPROVE")
    state = run(porch, issue)
    assert state.status.value == "done"
    assert "💬 consulting" not in status_comment(porch, issue)  # no phase left consulting


def test_a_sibling_built_after_the_window_gets_a_second_batch(porch: Porch, tmp_path: Path) -> None:
    setup(porch, tmp_path, gate(window=1))
    issue = porch.start()
    state = run(porch, issue)
    review(porch, state, "phase_1", "APPROVE")  # settles: phases 2 and 3 build, are consulted
    # Send both back to their builders, and hold phase_3's builder until the window of
    # phase_2's next batch is over.
    state = run(porch, issue)
    before = len(consultation_comments(porch, issue))
    builders = Queue(BUILDERS_QUEUE, connection=porch.redis)
    porch.hub.control.review(REPO, pr(state, "phase_2"), RITA, "REQUEST_CHANGES", "again")
    porch.hub.control.review(REPO, pr(state, "phase_3"), RITA, "REQUEST_CHANGES", "again")
    porch.hub.flush()
    porch.orchestrate()
    held = [j for j in builders.get_jobs() if "phase_3" in j.id]
    assert len(held) == 1
    builders.remove(held[0])
    work_without_timers(porch)  # phase_2 builds its second round; phase_3 waits for a worker
    assert len(consultation_comments(porch, issue)) == before  # its batch waits for phase_3
    time.sleep(1.2)
    porch.settle()  # the window is over: the timer sends phase_2's batch alone
    assert len(consultation_comments(porch, issue)) == before + 1
    builders.enqueue_job(held[0])
    porch.settle()
    comments = consultation_comments(porch, issue)
    assert len(comments) == before + 2
    state = run(porch, issue)
    alone, late = comments[-2], comments[-1]
    assert f"#{pr(state, 'phase_2')}" in alone and f"#{pr(state, 'phase_3')}" not in alone
    assert f"#{pr(state, 'phase_3')}" in late and f"#{pr(state, 'phase_2')}" not in late


# --- Review rounds -----------------------------------------------------------------------------


def test_changes_requested_send_the_builder_back_with_the_review_and_its_rebuttal_is_posted(
    porch: Porch, tmp_path: Path
) -> None:
    setup(porch, tmp_path, gate())
    issue = porch.start()
    state = run(porch, issue)
    first_head = state.phase("phase_1").head_sha
    review(
        porch,
        state,
        "phase_1",
        "REQUEST_CHANGES",
        body="Rename the module to models.",
        comments=[{"path": "app/phase_1_round1.py", "line": 1, "body": "ROUND is a poor name"}],
    )
    state = run(porch, issue)
    phase = state.phase("phase_1")
    assert (phase.status, phase.iteration) == (P.CONSULTING, 2)
    assert phase.head_sha != first_head
    assert phase.attempt == 1  # a review round spends no build retry
    prompt = prompt_of(porch, state, "phase_1", 2)
    assert "Rename the module to models." in prompt
    assert "app/phase_1_round1.py:1: ROUND is a poor name" in prompt
    assert "PORCH_REBUTTAL_FILE" in prompt
    pull_comments = porch.comments(pr(state, "phase_1"))
    assert [c.body for c in pull_comments if "I kept the name" in c.body]
    assert statuses(state)["phase_2"] is P.PENDING

    review(porch, state, "phase_1", "APPROVE")  # of the new head
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.DONE
    assert statuses(state)["phase_2"] is P.CONSULTING
    # Each round of consultation is measured, by how it ended.
    rounds = {
        sample.labels["outcome"]: sample.value
        for found in collect_histograms(porch.redis)
        if found.name == "porch_consultation_duration_seconds"
        for sample in found.samples
        if sample.name.endswith("_count")
    }
    assert rounds == {"changes_requested": 1, "approved": 1}


def test_after_the_last_round_the_phase_waits_until_a_writer_approves_it(
    porch: Porch, tmp_path: Path
) -> None:
    setup(porch, tmp_path, gate(max_iterations=1))
    issue = porch.start()
    state = run(porch, issue)
    review(porch, state, "phase_1", "REQUEST_CHANGES")
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.CONSULTING and state.phase("phase_1").needs_person
    assert "waiting for a person" in status_comment(porch, issue)
    porch.hub.control.comment(REPO, issue, ROB, "/porch approve phase_1")
    porch.settle()
    assert statuses(run(porch, issue))["phase_1"] is P.CONSULTING  # read access: refused
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch approve Phase 1")
    porch.settle()
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.DONE
    assert state.phase("phase_1").approved_by == MAINTAINER
    assert statuses(state)["phase_2"] is P.CONSULTING


# --- Duplicates and early reviews --------------------------------------------------------------


def test_a_review_delivered_twice_or_while_building_changes_nothing_twice(
    porch: Porch, tmp_path: Path
) -> None:
    setup(porch, tmp_path, gate(reviewers="[rita, sam]", required_approvals=2))
    porch.hub.control.add_collaborator(REPO, "sam", "write")
    issue = porch.open_and_comment()
    porch.orchestrate_until_a_builder_is_queued()
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.QUEUED
    porch.hub.control.review(REPO, pr(state, "phase_1"), RITA, "APPROVE")
    porch.settle()
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.CONSULTING
    assert state.phase("phase_1").reviews == ()  # the review of the unbuilt branch is ignored

    review(porch, state, "phase_1", "APPROVE")
    delivery = [d for d in porch.hub.deliveries if d.event == "pull_request_review"][-1]
    before = run(porch, issue)
    body = json.dumps(delivery.payload).encode()
    url = f"http://127.0.0.1:{porch.server.server_port}/webhooks/github"
    answered = requests.post(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "pull_request_review",
            "X-GitHub-Delivery": "another-guid-for-the-same-review",
            "X-Hub-Signature-256": sign(porch.hub.webhook_secret, body),
        },
        timeout=10,
    )
    assert answered.status_code == 202
    porch.settle()
    after = run(porch, issue)
    assert after.version == before.version
    assert len(after.phase("phase_1").reviews) == 1
    assert statuses(after)["phase_1"] is P.CONSULTING  # one approval of two


def test_a_dismissed_approval_stops_counting(porch: Porch, tmp_path: Path) -> None:
    setup(porch, tmp_path, gate(reviewers="[rita, sam]", required_approvals=2))
    porch.hub.control.add_collaborator(REPO, "sam", "write")
    issue = porch.start()
    state = run(porch, issue)
    found = review(porch, state, "phase_1", "APPROVE")
    porch.hub.control.dismiss_review(REPO, pr(state, "phase_1"), found["id"], MAINTAINER)
    porch.settle()
    review(porch, state, "phase_1", "APPROVE", user="sam")
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.CONSULTING
    review(porch, state, "phase_1", "APPROVE")
    assert statuses(run(porch, issue))["phase_1"] is P.DONE


def test_a_review_whose_webhook_was_lost_is_found_by_the_reconciler(
    porch: Porch, tmp_path: Path
) -> None:
    setup(porch, tmp_path, gate())
    issue = porch.start(body=CHAIN)
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.CONSULTING
    url = porch.hub.hub.webhooks.url
    porch.hub.set_webhook_url(None)  # the reviews' deliveries are lost
    porch.hub.control.review(REPO, pr(state, "phase_1"), ROB, "APPROVE", "")
    approval = porch.hub.control.review(REPO, pr(state, "phase_1"), RITA, "APPROVE", "")
    porch.hub.flush()
    porch.hub.set_webhook_url(url)
    porch.settle()
    assert statuses(run(porch, issue))["phase_1"] is P.CONSULTING

    rt = Runtime(Settings.from_env(os.environ), porch.redis, plan_job)
    # The read-only reviewer's approval does not count here either.
    assert reconcile_run(rt, state.run_id) == [f"phase_1: review {approval['id']} by {RITA}"]
    porch.settle()
    state = run(porch, issue)
    assert statuses(state)["phase_2"] is P.CONSULTING  # started from phase_1's approved head
    assert reconcile_run(rt, state.run_id) == []


@pytest.mark.parametrize("section", ["", "consultation:\n  enabled: false\n"])
def test_without_a_consultation_section_or_with_it_off_runs_finish_as_before(
    porch: Porch, tmp_path: Path, section: str
) -> None:
    setup(porch, tmp_path, section)
    issue = porch.start()
    assert run(porch, issue).status.value == "done"
    assert not consultation_comments(porch, issue)


# --- Automated consultants ---------------------------------------------------------------------

LONG = "The diff does what the section asks; the names are clear and the tests cover it. " * 2
CONSULTANT = f"""\
import os, pathlib, sys, time
kind = sys.argv[1]
diff = pathlib.Path(os.environ["PORCH_DIFF_FILE"]).read_text()
if kind not in ("short", "slow"):
    for line in diff.splitlines():
        if line.startswith("+++ b/"):
            print("reviewed", line[6:])
if kind == "approve":
    print({LONG!r})
    print("**VERDICT: APPROVE**")
elif kind == "changes":
    print({LONG!r})
    print("Rename ROUND.")
    print("VERDICT: REQUEST_CHANGES")
elif kind == "silent":
    print({LONG!r})
elif kind == "short":
    print("VERDICT: APPROVE")
elif kind == "crash":
    print({LONG!r})
    sys.exit(3)
elif kind == "slow":
    time.sleep(30)
"""


def consultants(tmp_path: Path, kinds: list[str], **extra: Any) -> str:
    script = tmp_path / "scripts" / "consultant.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(CONSULTANT)
    lines = ["  consultants:"]
    for kind in kinds:
        command = json.dumps(f"python3 {script} {kind}")
        lines += [f"    - name: {kind}", f"      command: {command}", "      timeout_seconds: 2"]
    return gate(reviewers="[]", **extra) + "\n".join(lines) + "\n"


def test_consultants_verdicts_are_posted_once_each_and_summarised(
    porch: Porch, tmp_path: Path
) -> None:
    kinds = ["approve", "changes", "silent", "short", "crash", "slow"]
    setup(porch, tmp_path, consultants(tmp_path, kinds, max_iterations=1, required_approvals=1))
    issue = porch.start(body=CHAIN)
    state = run(porch, issue)
    phase = state.phase("phase_1")
    # REQUEST_CHANGES from two of them, but one round only: it waits for a person.
    assert phase.status is P.CONSULTING and phase.needs_person
    verdicts = {r.reviewer: (r.verdict.value, r.body) for r in phase.reviews}
    assert {k: v[0] for k, v in verdicts.items()} == {
        "approve": "APPROVE",
        "changes": "REQUEST_CHANGES",
        "silent": "COMMENT",
        "short": "REQUEST_CHANGES",
        "crash": "COMMENT",
        "slow": "COMMENT",
    }
    pull = porch.hub.github().get_repo(REPO).get_pull(pr(state, "phase_1"))
    posted = [r.body for r in pull.get_reviews()]
    for kind in kinds:
        assert len([b for b in posted if b.startswith(f"### {kind}: ")]) == 1
    assert "### crash: COMMENT (failed with exit status 3)" in "\n".join(posted)
    assert "### slow: COMMENT (timed out after 2s)" in "\n".join(posted)
    assert "### silent: COMMENT (no VERDICT line)" in "\n".join(posted)
    assert "### short: REQUEST_CHANGES (output under 50 characters)" in "\n".join(posted)
    [comment] = consultation_comments(porch, issue)
    for kind in kinds:
        assert f"**{kind}**" in comment
    # The diff is the phase's own work against its own start.
    assert "reviewed app/phase_1_round1.py" in verdicts["approve"][1]
    assert "reviewed README.md" not in verdicts["approve"][1]

    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch approve phase_1")
    porch.settle()
    state = run(porch, issue)
    assert statuses(state)["phase_1"] is P.DONE
    assert statuses(state)["phase_2"] is P.CONSULTING  # built from phase_1's approved head
    # Asked once per round: nothing was posted twice meanwhile.
    assert len(list(pull.get_reviews())) == len(kinds)


def test_a_consultant_requesting_changes_sends_the_builder_back_and_sees_the_rebuttal(
    porch: Porch, tmp_path: Path
) -> None:
    setup(
        porch, tmp_path, consultants(tmp_path, ["changes"], required_approvals=0, max_iterations=2)
    )
    issue = porch.start(body=CHAIN)
    state = run(porch, issue)
    phase = state.phase("phase_1")
    assert phase.iteration == 2 and phase.needs_person  # round 2 asked for changes again
    prompt = prompt_of(porch, state, "phase_1", 2)
    assert "consultant changes: REQUEST_CHANGES" in prompt and "Rename ROUND." in prompt
    # Round 2's diff is still the phase's own: both rounds' files, nothing from before.
    second = [r.body for r in phase.reviews if r.iteration == 2][-1]
    assert "reviewed app/phase_1_round2.py" in second and "reviewed README.md" not in second
    assert len(consultation_comments(porch, issue)) == 2


CHAIN = """\
# Plan

## Phase 1: First

Make the first part.

## Phase 2: Second

**Dependencies**: Phase 1

Make the second part.
"""
