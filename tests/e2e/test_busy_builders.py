"""Commands are answered while every builder worker is busy, on real processes.

Redis, the local GitHub, the web app, one events worker and two builder workers; a plan of two
independent phases whose builders take 30 s. With both builder workers busy, `/porch status`
must edit the status comment within 2 s, and `/porch cancel` must end the run, show it, and
leave no builder process behind within 5 s: the product's promise, since events have workers
of their own and never queue behind a builder.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from rq import Queue, Worker

from bot.adapters.queues import BUILDERS_QUEUE, EVENTS_QUEUE
from bot.adapters.store import RunStore
from bot.core.state import PhaseStatus, RunState, RunStatus
from porch_localstack.demo import SCRIPTED_BUILDER
from porch_localstack.localstack import LocalStack
from workers.registry import plan_job

pytestmark = pytest.mark.e2e

REPO = "demo/busy"
MAINTAINER = "maria"
BUILDER_SECONDS = 30
BUILDER_WORKERS = 2
STATUS_PROMISE = 2.0
CANCEL_PROMISE = 5.0
# Long enough to see a command wait for a builder, which is what the promises rule out.
PATIENCE = BUILDER_SECONDS + 15
STATUS_MARKER = "porch-parallel:status"

TWO_AT_ONCE = """# Plan: two at once

### Phase 1: Left

**Dependencies**: None

### Phase 2: Right

**Dependencies**: None
"""


def _config(pgids: Path) -> str:
    command = (
        f"SCRIPTED_BUILDER_SLEEP={BUILDER_SECONDS} "
        f"SCRIPTED_BUILDER_PGIDS={shlex.quote(str(pgids))} "
        f"{shlex.quote(sys.executable)} {shlex.quote(str(SCRIPTED_BUILDER))}"
    )
    # A JSON string is a YAML double-quoted scalar: the shell line survives as written.
    # Unsandboxed: the agents report their process groups as the worker's machine sees them,
    # which in a sandbox's own PID namespace they cannot.
    return (
        f"builder:\n  command: {json.dumps(command)}\n  timeout_minutes: 5\n  retries: 0\n"
        "  sandbox: none\nmax_parallel_builders: 4\n"
    )


def _wait(condition: Callable[[], bool], what: str, timeout: float = PATIENCE) -> float:
    """Wait for `condition`; return the wall-clock time it first held."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.05)
    return time.time()


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


class BusyRun:
    """A run whose two builders are both at work, and ways to look at it."""

    def __init__(self, stack: LocalStack, pgids: Path) -> None:
        self.stack = stack
        self.pgids = pgids
        self.redis = redis.Redis.from_url(stack.redis_url)
        self.store = RunStore(self.redis, plan_job)
        self.issue = 0

    def start(self) -> None:
        control = self.stack.control
        control.create_repo(
            REPO, files={"README.md": "# busy\n", ".github/porch.yml": _config(self.pgids)}
        )
        control.add_collaborator(REPO, MAINTAINER, "write")
        self.issue = control.open_issue(REPO, MAINTAINER, "Two at once", TWO_AT_ONCE)["number"]
        control.comment(REPO, self.issue, MAINTAINER, "/porch parallel")
        _wait(self.every_builder_worker_busy, "both builders to be at work")

    def state(self) -> RunState | None:
        return self.store.current(REPO, self.issue)

    def builder_groups(self) -> list[int]:
        if not self.pgids.exists():
            return []
        return [int(line.split()[1]) for line in self.pgids.read_text().splitlines()]

    def every_builder_worker_busy(self) -> bool:
        state = self.state()
        workers = Worker.all(queue=Queue(BUILDERS_QUEUE, connection=self.redis))
        return (
            state is not None
            and all(p.status is PhaseStatus.BUILDING for p in state.phases.values())
            and len(self.builder_groups()) == BUILDER_WORKERS
            and len(workers) == BUILDER_WORKERS
            and all(w.get_state() == "busy" for w in workers)
        )

    def events_idle(self) -> bool:
        queue = Queue(EVENTS_QUEUE, connection=self.redis)
        return queue.count == 0 and queue.started_job_registry.count == 0

    def status_comment(self) -> tuple[int, str]:
        issue = self.stack.github().get_repo(REPO).get_issue(self.issue)
        [comment] = [c for c in issue.get_comments() if STATUS_MARKER in c.body]
        return comment.id, comment.body

    def comment_edits(self, comment_id: int, since: float) -> list[float]:
        """When the stand-in answered an edit of the comment, epoch seconds, from `since` on."""
        path = f"/repos/{REPO}/issues/comments/{comment_id}"
        return [
            entry["time"]
            for entry in self.stack.control.requests()
            if entry["method"] == "PATCH"
            and entry["path"] == path
            and entry["status"] == 200
            and entry["time"] >= since
        ]


@pytest.fixture
def busy(tmp_path: Path) -> Iterator[BusyRun]:
    with LocalStack(tmp_path / "stack", workers=BUILDER_WORKERS) as stack:
        run = BusyRun(stack, tmp_path / "builder-pgids.txt")
        run.start()
        try:
            yield run
        finally:
            # Whatever the outcome, no builder outlives the test.
            for pgid in run.builder_groups():
                if not _group_gone(pgid):
                    os.killpg(pgid, signal.SIGKILL)


def test_status_and_cancel_are_answered_while_every_builder_works(
    busy: BusyRun, record_property: Callable[[str, object], None]
) -> None:
    # Nothing else may be on its way to the status comment, so that the edit we see is ours.
    _wait(busy.events_idle, "the events queue to be idle")
    comment_id, _ = busy.status_comment()
    time.sleep(0.5)
    assert not busy.comment_edits(comment_id, time.time() - 0.5), "the comment is still moving"

    asked = time.time()
    busy.stack.control.comment(REPO, busy.issue, MAINTAINER, "/porch status")
    _wait(lambda: bool(busy.comment_edits(comment_id, asked)), "the status comment to be edited")
    status_seconds = busy.comment_edits(comment_id, asked)[0] - asked
    record_property("status comment edited after /porch status (s)", round(status_seconds, 2))
    assert status_seconds <= STATUS_PROMISE, (
        f"/porch status edited the comment after {status_seconds:.2f}s"
    )
    assert busy.every_builder_worker_busy(), "the builders stopped before the command was timed"

    asked = time.time()
    busy.stack.control.comment(REPO, busy.issue, MAINTAINER, "/porch cancel")
    groups = busy.builder_groups()
    cancelled_at = _wait(
        lambda: (s := busy.state()) is not None and s.status is RunStatus.CANCELLED,
        "the run to be cancelled",
    )
    shown_at = _wait(
        lambda: "### porch parallel: cancelled" in busy.status_comment()[1],
        "the status comment to show the cancellation",
    )
    gone_at = _wait(
        lambda: all(_group_gone(pgid) for pgid in groups), "every builder's process group to end"
    )
    figures = {
        "run cancelled in Redis": cancelled_at - asked,
        "status comment shows it": shown_at - asked,
        "every builder's process group gone": gone_at - asked,
    }
    for name, seconds in figures.items():
        record_property(f"{name} after /porch cancel (s)", round(seconds, 2))
    measured = ", ".join(f"{name} after {seconds:.2f}s" for name, seconds in figures.items())
    assert max(figures.values()) <= CANCEL_PROMISE, f"/porch cancel: {measured}"
