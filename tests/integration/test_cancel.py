"""`/porch cancel` while a builder works: the agent is stopped, and the run ends cancelled."""

from __future__ import annotations

import time
from pathlib import Path

from rq.job import JobStatus

from bot.adapters.queues import Role
from bot.core.state import PhaseStatus, RunStatus
from tests.integration.conftest import MAINTAINER, REPO, Porch, porch_config, start_worker, wait_for


def test_cancel_stops_a_running_agent(porch: Porch, tmp_path: Path) -> None:
    finished = tmp_path / "agent-finished"
    porch.repo(config=porch_config(f"sleep 30; touch {finished}"))
    issue = porch.open_and_comment()
    job = porch.orchestrate_until_a_builder_is_queued()
    worker = start_worker(Role.BUILDERS)
    try:
        wait_for(lambda: job.get_status() == JobStatus.STARTED, "the builder to start")
        porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch cancel")
        cancelled_at = time.monotonic()
        porch.orchestrate()
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
