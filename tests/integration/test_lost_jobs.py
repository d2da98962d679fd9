"""A builder whose worker dies mid-job: RQ finds the job abandoned and the phase is retried."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from rq import Queue
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from bot.adapters.queues import BUILDERS_QUEUE, Role
from bot.core.state import PhaseStatus, RunStatus
from tests.integration.conftest import BUILDER, Porch, porch_config, start_worker, wait_for

# Phase 1's first attempt hangs long enough to be killed; everything else builds at once.
HANGS_ONCE = f'[ "$PORCH_PHASE_ID-$PORCH_ITERATION" = phase_1-1 ] && sleep 20; python3 {BUILDER}'


def _kill_session(session: int) -> None:
    """SIGKILL every process of the worker's session: RQ puts each work horse in a process
    group of its own, so killing the worker's group alone leaves the horse building (and
    pushing) on its own, racing the retry."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # after the name: state, ppid, pgrp, session
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


def test_a_builder_whose_worker_dies_is_noticed_and_its_phase_retried(porch: Porch) -> None:
    # Unsandboxed: sandboxed, the retry's push meets a concurrent update of the phase branch
    # ("cannot lock ref") after the worker is killed this way; see the README's known limits.
    porch.repo(config=porch_config(HANGS_ONCE, builder="sandbox: none"))
    issue = porch.open_and_comment()
    job = porch.orchestrate_until_a_builder_is_queued()

    worker = start_worker(Role.BUILDERS, start_new_session=True)
    try:
        wait_for(lambda: job.get_status() == JobStatus.STARTED, "the builder to start")
        _kill_session(worker.pid)  # the machine goes away, worker and work horse
        worker.wait()
    finally:
        if worker.poll() is None:
            _kill_session(worker.pid)
    assert job.get_status() == JobStatus.STARTED  # nobody is left to say otherwise

    # Once the dead worker's heartbeat has lapsed, any worker's maintenance finds the job.
    StartedJobRegistry(queue=Queue(BUILDERS_QUEUE, connection=porch.redis)).cleanup(
        timestamp=time.time() + 3600
    )

    porch.settle()
    state = porch.run(issue)
    assert state is not None
    assert state.status is RunStatus.DONE, state.phase("phase_1").error
    phase = state.phase("phase_1")
    assert phase.status is PhaseStatus.DONE
    assert phase.attempt == 2  # the lost attempt counted as a failure; the retry built it
