"""What survives what, on real processes: Redis killed with answered deliveries in its queue,
Redis restarted while a builder works, a builder worker killed mid-build, and a command whose
webhook never arrived.

The local stack runs the embedded redis-server, the local GitHub, the web app, one events
worker and builder workers; the test plays the part of `porch-parallel up`'s supervisor by
starting the embedded Redis again after killing it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from rq import Worker

from bot.adapters.redis_server import EmbeddedServer, ensure_embedded_server
from bot.adapters.store import RunStore
from bot.core.state import PhaseStatus, RunState, RunStatus
from porch_localstack.demo import SAMPLE_PLAN, SCRIPTED_BUILDER
from porch_localstack.localstack import LocalStack, free_port
from workers.registry import plan_job

pytestmark = pytest.mark.e2e

MAINTAINER = "maria"
DELIVERIES = 300
ISSUES = 30  # ten comments each: the bot's look-before-post reads one page of comments
ONE_PHASE = "# Plan: alone\n\n### Phase 1: Alone\n\n**Dependencies**: None\n"


def _wait(condition: Callable[[], bool], what: str, timeout: float, interval: float = 0.1) -> float:
    """Wait for `condition`, asking every `interval` seconds; the time it first held."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return time.time()
        except (redis.RedisError, OSError):
            pass  # Redis being away is part of these tests
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(interval)


def _kill_redis(stack: LocalStack) -> int:
    server = EmbeddedServer(stack.root / "porch")
    pid = int(server.pid_path.read_text())
    os.kill(pid, signal.SIGKILL)
    _wait(lambda: not _alive(pid), "redis-server to die", 10)
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child has not been reaped yet: it is dead all the same.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _config(command: str, retries: int = 0) -> str:
    # Unsandboxed, as the other local-stack runs: the scripted builder runs on the test's own
    # virtualenv, which a sandbox does not mount; the sandbox has tests of its own.
    return (
        f"builder:\n  command: {json.dumps(command)}\n  timeout_minutes: 5\n"
        f"  retries: {retries}\n  sandbox: none\nmax_parallel_builders: 4\n"
    )


def _builder(sleep: float) -> str:
    return (
        f"SCRIPTED_BUILDER_SLEEP={sleep} "
        f"{shlex.quote(sys.executable)} {shlex.quote(str(SCRIPTED_BUILDER))}"
    )


def _store(stack: LocalStack) -> RunStore:
    return RunStore(redis.Redis.from_url(stack.redis_url), plan_job)


def _start(stack: LocalStack, repo: str, config: str, plan: str) -> int:
    stack.control.create_repo(repo, files={"README.md": "# r\n", ".github/porch.yml": config})
    stack.control.add_collaborator(repo, MAINTAINER, "write")
    issue = int(stack.control.open_issue(repo, MAINTAINER, "Durable", plan)["number"])
    stack.control.comment(repo, issue, MAINTAINER, "/porch parallel")
    return issue


def _state(stack: LocalStack, repo: str, issue: int) -> RunState | None:
    return _store(stack).current(repo, issue)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with LocalStack(tmp_path, workers=2) as running:
        yield running


def test_answered_deliveries_survive_redis_killed_and_run_exactly_once(
    stack: LocalStack, record_property: Callable[[str, object], None]
) -> None:
    repo = "durable/answers"
    stack.control.create_repo(repo, files={"README.md": "# r\n"})
    stack.control.add_collaborator(repo, MAINTAINER, "write")
    # Recorded by the local GitHub but not sent yet, so that all arrive at once below.
    stack.control.set_webhook_url(None)
    for n in range(ISSUES):
        issue = stack.control.open_issue(repo, MAINTAINER, f"Question {n}", "")["number"]
        for _ in range(DELIVERIES // ISSUES):
            stack.control.comment(repo, issue, MAINTAINER, "/porch help")
    comments = stack.control.deliveries("issue_comment")
    assert len(comments) == DELIVERIES
    stack.control.set_webhook_url(f"{stack.web_url}/webhooks/github")
    for delivery in comments:
        stack.control.redeliver(delivery["guid"])

    def answered_202() -> bool:
        sent = [d for d in stack.control.deliveries("issue_comment") if d["redelivery"]]
        return len(sent) == DELIVERIES and all(d["status_code"] for d in sent)

    _wait(answered_202, "every delivery to be answered", 60, 0.2)
    _kill_redis(stack)
    codes = Counter(
        d["status_code"] for d in stack.control.deliveries("issue_comment") if d["redelivery"]
    )
    assert codes == {202: DELIVERIES}
    ensure_embedded_server(stack.root / "porch")  # as `up` does when its Redis dies
    restarted = time.time()

    github = stack.github().get_repo(repo)
    markers = re.compile(r"porch-parallel:answer comment=(\d+) kind=help")

    def answers() -> Counter[int]:
        found: Counter[int] = Counter()
        for issue in github.get_issues(state="all"):
            for comment in issue.get_comments():
                if comment.user.type == "Bot":
                    found.update(int(m) for m in markers.findall(comment.body))
        return found

    asked = {d["payload"]["comment"]["id"] for d in comments}
    done = _wait(lambda: set(answers()) == asked, "every comment to be answered", 300, 2.0)
    counts = answers()
    assert set(counts) == asked
    assert set(counts.values()) == {1}, "a comment was answered more than once"
    record_property("deliveries answered 202 before Redis was SIGKILLed", DELIVERIES)
    record_property("seconds from Redis's restart to the last answer", round(done - restarted, 1))


def test_a_build_rides_out_a_redis_restart_and_the_run_goes_on(stack: LocalStack) -> None:
    repo = "durable/restart"
    issue = _start(stack, repo, _config(_builder(8)), SAMPLE_PLAN.read_text())

    def building() -> bool:
        state = _state(stack, repo, issue)
        return state is not None and state.phase("phase_1").status is PhaseStatus.BUILDING

    _wait(building, "phase_1 to build", 60)
    _kill_redis(stack)
    time.sleep(3)  # the builder goes on meanwhile; the workers wait for Redis
    ensure_embedded_server(stack.root / "porch")

    _wait(
        lambda: (s := _state(stack, repo, issue)) is not None and s.status.finished,
        "the run to finish",
        180,
    )
    state = _state(stack, repo, issue)
    assert state is not None and state.status is RunStatus.DONE, stack.logs
    assert {p.attempt for p in state.phases.values()} == {1}  # nothing had to be built again


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def test_a_killed_builder_worker_is_noticed_and_its_phase_retried_within_two_minutes(
    stack: LocalStack, record_property: Callable[[str, object], None]
) -> None:
    repo = "durable/killed"
    hangs_once = f'[ "$PORCH_ATTEMPT" = 1 ] && sleep 600; {_builder(0)}'
    issue = _start(stack, repo, _config(hangs_once, retries=1), ONE_PHASE)

    def building() -> bool:
        state = _state(stack, repo, issue)
        return state is not None and state.phase("phase_1").status is PhaseStatus.BUILDING

    _wait(building, "phase_1 to build", 60)
    connection = redis.Redis.from_url(stack.redis_url)
    [busy] = [w for w in Worker.all(connection) if "-build-" in (w.get_current_job_id() or "")]
    # The machine goes away: the worker, its work horse and the agent, all at once.
    for pid in [busy.pid, *_descendants(busy.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
    killed = time.time()

    def retried() -> bool:
        state = _state(stack, repo, issue)
        return state is not None and state.phase("phase_1").attempt == 2

    noticed = _wait(retried, "phase_1 to be retried", 150)
    record_property(
        "seconds from a builder worker's SIGKILL to its phase's retry", round(noticed - killed, 1)
    )
    assert noticed - killed < 120
    _wait(
        lambda: (s := _state(stack, repo, issue)) is not None and s.status.finished,
        "the run to finish",
        60,
    )
    state = _state(stack, repo, issue)
    assert state is not None and state.status is RunStatus.DONE


def test_a_command_whose_webhook_never_arrived_is_asked_for_again_and_run(
    stack: LocalStack, record_property: Callable[[str, object], None]
) -> None:
    repo = "durable/missed"
    # The web app is away when the maintainer comments: GitHub records a failed delivery and,
    # as GitHub does, never sends it again by itself.
    stack.control.set_webhook_url(f"http://127.0.0.1:{free_port()}/webhooks/github")
    issue = _start(stack, repo, _config(_builder(0)), ONE_PHASE)
    stack.control.flush()
    missed = time.time()
    stack.control.set_webhook_url(f"{stack.web_url}/webhooks/github")

    # The events worker's reconciler compares GitHub's deliveries with ours once a minute.
    done = _wait(
        lambda: (s := _state(stack, repo, issue)) is not None and s.status.finished,
        "the run to start from the redelivered command and finish",
        180,
        0.5,
    )
    state = _state(stack, repo, issue)
    assert state is not None and state.status is RunStatus.DONE
    record_property("seconds from a missed command to its run's end", round(done - missed, 1))
