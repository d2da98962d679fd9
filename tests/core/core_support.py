"""Builders shared by the core tests: plans from dependency dicts, states set up directly, and
the events an adapter would report."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from bot.core.events import PhaseBuildFailed, PhaseBuilt, PhasePrepared, PhasePrepareFailed
from bot.core.state import PhaseStatus, RunSettings, RunState, RunStatus, new_run
from bot.plan.model import Phase, Plan

T0 = 1_764_320_000.0  # 2025-11-28 08:53:20 UTC

DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def plan_of(deps: Mapping[str, Sequence[str]]) -> Plan:
    phases = tuple(
        Phase(
            id=pid,
            label=pid,
            title=f"Title of {pid}",
            line=i + 1,
            depends_on=tuple(d),
        )
        for i, (pid, d) in enumerate(deps.items())
    )
    return Plan(phases=phases)


def run_of(deps: Mapping[str, Sequence[str]], **settings: object) -> RunState:
    return new_run(
        plan_of(deps),
        run_id="run1",
        repo="octo/app",
        installation_id=7,
        issue_number=42,
        issue_title="Add login",
        base_branch="main",
        base_sha="base0",
        created_at=T0,
        settings=RunSettings(**settings),  # type: ignore[arg-type]
    )


def check_run_id(phase_id: str) -> int:
    return 1000 + sum(map(ord, phase_id))


def setup(
    deps: Mapping[str, Sequence[str]],
    phases: Mapping[str, tuple[PhaseStatus, int]] | None = None,
    *,
    run: RunStatus = RunStatus.RUNNING,
    version: int = 5,
    **settings: object,
) -> RunState:
    """A state as if the run had reached `phases` (status, attempt) by events.

    Building, done and failed phases get a branch, a PR and a check run, as PhasePrepared
    would have given them; cancelled ones are taken as cancelled before their PR existed.
    """
    state = run_of(deps, **settings)
    for pid, (status, attempt) in (phases or {}).items():
        phase = dataclasses.replace(
            state.phases[pid], status=status, attempt=attempt, started_at=T0 + 10
        )
        if status in (PhaseStatus.BUILDING, PhaseStatus.DONE, PhaseStatus.FAILED):
            phase = dataclasses.replace(
                phase,
                branch=state.branch_for(pid),
                base_branch="main",
                pr_number=100 + len(pid),
                check_run_id=check_run_id(pid),
                head_sha=f"{pid}-head",
            )
        if status is PhaseStatus.PENDING or status is PhaseStatus.BLOCKED:
            phase = dataclasses.replace(phase, started_at=None)
        state = state.with_phase(phase)
    return dataclasses.replace(state, status=run, version=version)


def prepared(state: RunState, pid: str, attempt: int = 1, at: float = T0 + 60) -> PhasePrepared:
    return PhasePrepared(
        at=at,
        phase_id=pid,
        attempt=attempt,
        branch=state.branch_for(pid),
        base_branch="main",
        pr_number=100 + len(pid),
        check_run_id=check_run_id(pid),
        base_sha=f"{pid}-start",
    )


def prepare_failed(pid: str, attempt: int = 1, at: float = T0 + 60) -> PhasePrepareFailed:
    return PhasePrepareFailed(at=at, phase_id=pid, attempt=attempt, error="merge conflict")


def built(pid: str, attempt: int = 1, at: float = T0 + 300) -> PhaseBuilt:
    return PhaseBuilt(
        at=at, phase_id=pid, attempt=attempt, head_sha=f"{pid}-{attempt}", log_tail="ok"
    )


def build_failed(pid: str, attempt: int = 1, at: float = T0 + 300) -> PhaseBuildFailed:
    return PhaseBuildFailed(at=at, phase_id=pid, attempt=attempt, error="exit 1", log_tail="boom")
