"""Builders shared by the core tests: plans from dependency dicts, states set up directly,
the events an adapter would report, and a driver that plays the adapters."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.effects import (
    CancelBuilder,
    Effect,
    PreparePhase,
    RunBuilder,
    UpdateCheckRun,
    UpdateStatusComment,
)
from bot.core.events import (
    Event,
    PhaseBuildFailed,
    PhaseBuilt,
    PhasePrepared,
    PhasePrepareFailed,
    StatusRequested,
)
from bot.core.reducer import reduce
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


@dataclass
class Driver:
    """Stands in for the adapters: performs effects, reports events, checks invariants."""

    state: RunState
    deps: dict[str, list[str]]
    outstanding: list[PreparePhase | RunBuilder] = field(default_factory=list)
    delivered: list[Event] = field(default_factory=list)
    dispatched: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    cancelled_builders: set[tuple[str, int]] = field(default_factory=set)
    clock: float = T0

    def tick(self) -> float:
        self.clock += 1.0
        return self.clock

    def deliver(self, event: Event) -> list[Effect]:
        before = self.state
        after, effects = reduce(before, event)
        self.check_step(before, after, event, effects)
        self.state = after
        self.delivered.append(event)
        for effect in effects:
            if isinstance(effect, PreparePhase | RunBuilder):
                kind = "prepare" if isinstance(effect, PreparePhase) else "build"
                self.dispatched[(kind, effect.phase_id, effect.attempt)] += 1
                self.outstanding.append(effect)
            elif isinstance(effect, CancelBuilder):
                self.cancelled_builders.add((effect.phase_id, effect.attempt))
        return effects

    def perform(self, effect: PreparePhase | RunBuilder, succeed: bool) -> Event:
        at = self.tick()
        pid, attempt = effect.phase_id, effect.attempt
        if isinstance(effect, PreparePhase):
            if succeed:
                return PhasePrepared(
                    at=at,
                    phase_id=pid,
                    attempt=attempt,
                    branch=effect.branch,
                    base_branch=effect.base_branch,
                    pr_number=len(self.delivered) + 1,
                    check_run_id=len(self.delivered) + 1000,
                    base_sha=f"{pid}-start",
                )
            return PhasePrepareFailed(at=at, phase_id=pid, attempt=attempt, error="conflict")
        if succeed:
            return PhaseBuilt(at=at, phase_id=pid, attempt=attempt, head_sha=f"{pid}-{attempt}")
        return PhaseBuildFailed(at=at, phase_id=pid, attempt=attempt, error="exit 1")

    def check_step(
        self, before: RunState, after: RunState, event: Event, effects: list[Effect]
    ) -> None:
        changed = after is not before
        if not changed:
            expected = (
                [UpdateStatusComment(version=before.version, requested_at=event.at)]
                if isinstance(event, StatusRequested)
                else []
            )
            assert effects == expected
            return
        assert after != before
        assert after.version == before.version + 1
        statuses = [e for e in effects if isinstance(e, UpdateStatusComment)]
        assert statuses == [UpdateStatusComment(version=after.version)]
        checks = {e.phase_id for e in effects if isinstance(e, UpdateCheckRun)}
        assert checks == {
            pid
            for pid, p in after.phases.items()
            if p != before.phases[pid] and p.check_run_id is not None
        }
        for effect in effects:
            if isinstance(effect, PreparePhase):
                # No phase starts before every dependency is done.
                assert all(
                    after.phases[d].status is PhaseStatus.DONE for d in self.deps[effect.phase_id]
                )
                assert after.phases[effect.phase_id].status is PhaseStatus.PREPARING
        self.check_state(after)

    def check_state(self, state: RunState) -> None:
        active = [p for p in state.phases.values() if p.status.active]
        assert len(active) <= state.settings.max_parallel
        for pid, phase in state.phases.items():
            if phase.status in (PhaseStatus.PREPARING, PhaseStatus.BUILDING, PhaseStatus.DONE):
                assert all(state.phases[d].status is PhaseStatus.DONE for d in self.deps[pid])
            assert phase.attempt <= 1 + state.settings.retries
        all_done = all(p.status is PhaseStatus.DONE for p in state.phases.values())
        assert (state.status is RunStatus.DONE) == all_done
        if state.status.finished:
            assert not active
        # The state survives the trip through JSON that the store gives it.
        assert RunState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
