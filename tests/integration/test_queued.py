"""A phase whose builder waits for a free builder worker is queued, not building."""

from __future__ import annotations

from datetime import UTC, datetime

from rq import Queue, SimpleWorker

from bot.adapters.queues import BUILDERS_QUEUE
from bot.core.state import PhaseStatus
from tests.integration.conftest import REPO, Porch


def test_a_phase_waiting_for_a_builder_worker_is_queued_until_one_starts_it(porch: Porch) -> None:
    porch.repo()
    issue = porch.open_and_comment()
    porch.orchestrate_until_a_builder_is_queued()
    porch.orchestrate()  # the status comment and check run catch up

    state = porch.run(issue)
    assert state is not None
    phase = state.phase("phase_1")
    assert phase.status is PhaseStatus.QUEUED
    assert phase.started_at is None and phase.dispatched_at is not None
    [comment] = [c for c in porch.comments(issue) if "porch-parallel:status" in c.body]
    assert "🕒 queued" in comment.body and "🔨 building" not in comment.body
    assert phase.check_run_id is not None
    check = porch.hub.github().get_repo(REPO).get_check_run(phase.check_run_id)
    assert check.status == "queued"

    builders = Queue(BUILDERS_QUEUE, connection=porch.redis)
    before_start = datetime.now(tz=UTC).timestamp()
    SimpleWorker([builders], connection=porch.redis).work(burst=True)
    porch.settle()

    phase = porch.store.load(state.run_id).phase("phase_1")  # type: ignore[union-attr]
    assert phase.status is PhaseStatus.DONE
    # "Took" counts from the builder's start, not from when the phase was dispatched.
    assert phase.started_at is not None and phase.started_at >= before_start
    assert phase.dispatched_at is not None and phase.dispatched_at < before_start
    # The Checks view shows the same start as the status comment.
    assert phase.check_run_id is not None
    final = porch.hub.github().get_repo(REPO).get_check_run(phase.check_run_id)
    assert abs(final.started_at.timestamp() - phase.started_at) < 1
    log = porch.store.history(state.run_id)
    moves = [(m.source, m.target) for e in log for m in e.moves if m.phase_id == "phase_1"]
    assert moves[:4] == [
        (PhaseStatus.PENDING, PhaseStatus.PREPARING),
        (PhaseStatus.PREPARING, PhaseStatus.QUEUED),
        (PhaseStatus.QUEUED, PhaseStatus.BUILDING),
        (PhaseStatus.BUILDING, PhaseStatus.DONE),
    ]
