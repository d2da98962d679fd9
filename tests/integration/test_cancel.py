"""`/porch cancel` while a builder works: the agent is stopped, and the run ends cancelled."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from rq import Queue, SimpleWorker
from rq.job import JobStatus

from bot.core.state import PhaseStatus, RunStatus
from bot.queues import BUILDERS_QUEUE, events_queue
from tests.integration.conftest import MAINTAINER, REPO, Porch, porch_config

DIAMOND = (Path(__file__).resolve().parents[2] / "examples" / "diamond.md").read_text()


def _orchestrate(porch: Porch) -> None:
    porch.hub.flush()
    SimpleWorker([events_queue(porch.redis)], connection=porch.redis).work(burst=True)


def test_cancel_stops_a_running_agent(porch: Porch, tmp_path: Path) -> None:
    finished = tmp_path / "agent-finished"
    porch.repo(config=porch_config(f"sleep 30; touch {finished}"))
    issue = porch.hub.control.open_issue(REPO, MAINTAINER, "Task board", DIAMOND)["number"]
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch parallel")
    builders = Queue(BUILDERS_QUEUE, connection=porch.redis)
    for _ in range(20):
        _orchestrate(porch)
        if builders.count:
            break
    [job] = builders.get_jobs()
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker", "--burst"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while job.get_status() != JobStatus.STARTED:
            assert time.monotonic() < deadline, "the builder never started"
            time.sleep(0.05)
        porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch cancel")
        cancelled_at = time.monotonic()
        _orchestrate(porch)
        worker.wait(timeout=20)  # the job stops its agent and returns well before 30 s
        assert time.monotonic() - cancelled_at < 15
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    porch.settle()
    assert not finished.exists()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.CANCELLED
    phase = state.phase("phase_1")
    assert phase.status is PhaseStatus.CANCELLED
    assert phase.check_run_id is not None
    run = porch.hub.github().get_repo(REPO).get_check_run(phase.check_run_id)
    assert (run.status, run.conclusion) == ("completed", "cancelled")
