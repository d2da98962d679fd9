"""Which RQ job performs each effect: queue, function, arguments, id and timeout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.adapters.queues import BUILDERS_QUEUE, EVENTS_QUEUE
from bot.core.effects import (
    CancelBuilder,
    Effect,
    PreparePhase,
    RunBuilder,
    UpdateCheckRun,
    UpdateStatusComment,
    effect_to_dict,
    job_id,
)
from bot.core.state import RunState

SHORT_JOB_TIMEOUT = 300
REPORT_LOST_JOB = "workers.failures.report_lost_job"
PREPARE_RETRY_SECONDS = (10, 30, 90)
# A builder job also clones, runs the checks and pushes; its own timeout covers the agent.
BUILDER_JOB_MARGIN = 30 * 60


@dataclass(frozen=True)
class JobSpec:
    """How one effect becomes one RQ job."""

    queue: str
    func: str  # dotted path: the enqueuer never imports the job's module
    args: tuple[Any, ...]
    job_id: str
    timeout: int
    # Called by RQ when the job dies without reporting: its worker was killed, or its machine
    # went away and another worker found the job abandoned.
    on_failure: str | None = None
    # Seconds to wait before each retry RQ makes of a job that raised; none: never retried.
    retry_intervals: tuple[int, ...] = ()


_EVENT_JOBS: dict[type[Any], str] = {
    PreparePhase: "workers.effects.prepare_phase",
    CancelBuilder: "workers.effects.cancel_builder",
    UpdateCheckRun: "workers.effects.update_check_run",
    UpdateStatusComment: "workers.effects.update_status_comment",
}


def builder_job_id(run_id: str, phase_id: str, attempt: int) -> str:
    return job_id(run_id, RunBuilder(phase_id=phase_id, attempt=attempt, branch=""))


def stop_flag_key(job_id: str) -> str:
    """Set to ask a running builder job to stop its agent (see workers.effects.cancel_builder)."""
    return f"porch:stop:{job_id}"


def plan_job(state: RunState, effect: Effect, config: Mapping[str, Any]) -> JobSpec:
    args = (state.run_id, effect_to_dict(effect))
    if isinstance(effect, RunBuilder):
        builder = config.get("builder", {})
        minutes = int(builder.get("timeout_minutes", 60))
        return JobSpec(
            queue=BUILDERS_QUEUE,
            func="workers.builders.run_builder",
            args=args,
            job_id=job_id(state.run_id, effect),
            timeout=minutes * 60 * (1 + len(config.get("checks", ()))) + BUILDER_JOB_MARGIN,
            on_failure=REPORT_LOST_JOB,
        )
    return JobSpec(
        queue=EVENTS_QUEUE,
        func=_EVENT_JOBS[type(effect)],
        args=args,
        job_id=job_id(state.run_id, effect),
        timeout=SHORT_JOB_TIMEOUT,
        on_failure=REPORT_LOST_JOB if isinstance(effect, PreparePhase) else None,
        # Preparing raises on a passing GitHub failure: it is tried again later, and only
        # after the last try does the phase fail (through REPORT_LOST_JOB).
        retry_intervals=PREPARE_RETRY_SECONDS if isinstance(effect, PreparePhase) else (),
    )
