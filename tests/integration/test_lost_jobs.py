"""A builder whose worker dies mid-job: RQ finds the job abandoned and the phase is retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rq import Queue, SimpleWorker
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from bot.core.state import PhaseStatus, RunStatus
from bot.queues import BUILDERS_QUEUE, events_queue
from tests.integration.conftest import BUILDER, MAINTAINER, REPO, Porch, porch_config

DIAMOND = (Path(__file__).resolve().parents[2] / "examples" / "diamond.md").read_text()
# Phase 1's first attempt hangs long enough to be killed; everything else builds at once.
HANGS_ONCE = f'[ "$PORCH_PHASE_ID-$PORCH_ITERATION" = phase_1-1 ] && sleep 20; python3 {BUILDER}'


def _wait_for(condition: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_builder_whose_worker_dies_is_noticed_and_its_phase_retried(porch: Porch) -> None:
    porch.repo(config=porch_config(HANGS_ONCE))
    issue = porch.hub.control.open_issue(REPO, MAINTAINER, "Task board", DIAMOND)["number"]
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch parallel")
    builders = Queue(BUILDERS_QUEUE, connection=porch.redis)
    for _ in range(20):  # orchestration only, until phase 1's builder is queued
        porch.hub.flush()
        SimpleWorker([events_queue(porch.redis)], connection=porch.redis).work(burst=True)
        if builders.count:
            break
    [job] = builders.get_jobs()

    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker", "--burst"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: job.get_status() == JobStatus.STARTED, "the builder to start")
        os.killpg(worker.pid, signal.SIGKILL)  # the machine goes away, worker and work horse
        worker.wait()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert job.get_status() == JobStatus.STARTED  # nobody is left to say otherwise

    # Once the dead worker's heartbeat has lapsed, any worker's maintenance finds the job.
    StartedJobRegistry(queue=builders).cleanup(timestamp=time.time() + 3600)

    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    phase = state.phase("phase_1")
    assert phase.status is PhaseStatus.DONE
    assert phase.attempt == 2  # the lost attempt counted as a failure; the retry built it
