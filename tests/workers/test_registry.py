"""The effect registry: one row per kind of effect, and the job specs derived from it."""

from __future__ import annotations

import pytest

from bot.adapters.queues import BUILDERS_QUEUE, EVENTS_QUEUE
from bot.core.effects import (
    EFFECT_TYPES,
    CancelBuilder,
    PreparePhase,
    RunBuilder,
    StartPoint,
    StartTimer,
    UpdateStatusComment,
)
from bot.core.state import new_run
from bot.inputs.config import RepoConfig
from bot.plan.model import Phase, Plan
from workers.registry import KINDS, REPORT_LOST_JOB, plan_job

STATE = new_run(
    Plan(phases=(Phase(id="p1", label="1", title="One", line=1),)),
    run_id="r1-1-1",
    repo="octo/app",
    installation_id=1,
    issue_number=1,
    issue_title="App",
    base_branch="main",
    base_sha="a" * 40,
    created_at=0.0,
)
CONFIG = RepoConfig.model_validate(
    {"builder": {"command": "true", "timeout_minutes": 7}, "checks": ["make lint"]}
)


def test_every_kind_of_effect_has_exactly_one_row() -> None:
    assert set(KINDS) == set(EFFECT_TYPES.values())


def test_builders_go_to_their_own_queue_with_the_configured_timeout() -> None:
    spec = plan_job(STATE, CONFIG, RunBuilder(phase_id="p1", attempt=2, branch="b"))
    assert spec.queue == BUILDERS_QUEUE
    assert spec.job_id == "r1-1-1-build-p1-i1-a2"
    # The builder and one check, each under the configured timeout, plus clone and push.
    assert spec.timeout >= 2 * 7 * 60
    assert spec.on_failure == REPORT_LOST_JOB


@pytest.mark.parametrize(
    "effect",
    [
        PreparePhase(
            phase_id="p1",
            attempt=1,
            branch="b",
            base_branch="main",
            start=StartPoint(ref="main", sha="a" * 40),
        ),
        CancelBuilder(phase_id="p1", attempt=1),
        UpdateStatusComment(version=3),
    ],
    ids=lambda e: type(e).__name__,
)
def test_everything_else_runs_on_the_events_queue_now(effect: object) -> None:
    spec = plan_job(STATE, CONFIG, effect)  # type: ignore[arg-type]
    assert spec.queue == EVENTS_QUEUE
    assert spec.due_at is None
    assert spec.timeout < 3600


def test_a_timer_is_scheduled_for_its_due_time() -> None:
    spec = plan_job(STATE, CONFIG, StartTimer(name="deadline:1:1:p1", due_at=12345.0))
    assert spec.due_at == 12345.0
    assert spec.queue == EVENTS_QUEUE
