"""GitHub's limits, met by the whole bot: a primary limit whose reset is far away makes the
job wait its turn instead of failing the phase; the stand-in's secondary limits are never
hit, because the shared budget keeps every job under them."""

from __future__ import annotations

import json

import pytest
from rq import Queue

from bot.adapters import keys
from bot.adapters.queues import EVENTS_QUEUE
from bot.core.state import PhaseStatus, RunStatus
from tests.integration.conftest import Porch


def test_a_primary_limit_reset_ten_minutes_away_waits_and_the_run_completes(
    porch: Porch,
) -> None:
    porch.repo()
    porch.hub.control.add_fault(
        "primary_rate_limit", "POST", "/repos/*/check-runs", times=1, reset_after=600
    )
    issue = porch.open_and_comment()
    porch.orchestrate()
    porch.orchestrate()
    state = porch.run(issue)
    assert state is not None
    # The first phase's prepare job met the limit: it is scheduled for the reset, not failed.
    assert state.phase("phase_1").status is PhaseStatus.PREPARING
    scheduled = Queue(EVENTS_QUEUE, connection=porch.redis).scheduled_job_registry
    # Every job that wanted GitHub meanwhile waits with it (here: the status comment's too).
    waiting = [j for j in scheduled.get_job_ids() if j.endswith("-w1")]
    [prepare] = [j for j in waiting if "prepare-phase_1" in j]
    due = scheduled.get_scheduled_time(prepare).timestamp()
    pause = float(porch.redis.get(keys.github_pause(state.installation_id)) or 0)
    assert due >= pause >= porch.hub.control.advance_clock(0) + 590
    # Ten minutes pass: Redis forgets the pause when it ends, as its expiry would have it.
    porch.redis.delete(keys.github_pause(state.installation_id))
    porch.settle()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    assert {p.status for p in state.phases.values()} == {PhaseStatus.DONE}


def _plan(n: int) -> str:
    phases = [
        {"id": f"p{i}", "title": f"Phase {i}", "depends_on": [f"p{(i - 1) // 2}"] if i else []}
        for i in range(n)
    ]
    return f"# Plan\n\n```json\n{json.dumps({'phases': phases})}\n```\n"


def test_a_wide_plan_under_secondary_limits_never_meets_them(
    porch: Porch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stand-in allows 40 writes a minute here and the bot's budget takes 35: the same
    # headroom as GitHub's 80 against the default 70, so that a short plan meets the limit.
    monkeypatch.setenv("PORCH_GITHUB_WRITES_PER_MINUTE", "35")
    porch.repo()
    porch.hub.control.set_limits(per_minute=40, per_hour=500)
    issue = porch.start(body=_plan(8))
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    writes = [
        r
        for r in porch.hub.requests
        if r.area == "rest"
        and r.method in ("POST", "PATCH", "PUT", "DELETE")
        and not r.path.endswith("/access_tokens")
    ]
    assert not [r for r in porch.hub.requests if r.fault == "secondary_rate_limit"]
    assert len(writes) > 40  # the limit was there to meet
    assert _peak_per_minute([r.time for r in writes]) <= 40


def _peak_per_minute(times: list[float]) -> int:
    """The most writes in any sixty seconds, over a sliding window."""
    times = sorted(times)
    start, peak = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 60:
            start += 1
        peak = max(peak, end - start + 1)
    return peak
