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
    MergeHeads,
    OpenIntegration,
    PreparePhase,
    RunBuilder,
    StartTimer,
    UpdateCheckRun,
    UpdateStatusComment,
)
from bot.core.events import (
    BuilderStarted,
    Event,
    HeadsMerged,
    IntegrationFailed,
    IntegrationOpened,
    MergeEscalated,
    MergeFailed,
    MergeNeedsPerson,
    PhaseBuildFailed,
    PhaseBuilt,
    PhaseOverdue,
    PhasePrepared,
    PhasePrepareFailed,
    ResolutionVerified,
    StatusRequested,
    TimerFired,
)
from bot.core.history import log_entry
from bot.core.reducer import reduce
from bot.core.state import PhaseState, PhaseStatus, RunSettings, RunState, RunStatus, new_run
from bot.core.transitions import allowed
from bot.plan.model import Phase, Plan

T0 = 1_764_320_000.0  # 2025-11-28 08:53:20 UTC

DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}

P = PhaseStatus
# Statuses a phase reaches only once its draft PR and check run exist.
_PREPARED = (P.QUEUED, P.BUILDING, P.DONE, P.FAILED)
# Statuses a phase reaches only once a builder has started work on it.
_STARTED = (P.BUILDING, P.DONE, P.FAILED)
_UNDISPATCHED = (P.PENDING, P.BLOCKED)
# Statuses a phase reaches only once every dependency is done.
_AFTER_DEPENDENCIES = (P.MERGING, P.PREPARING, P.QUEUED, P.BUILDING, P.DONE)


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

    A dispatched phase left pending at T0 + 5. Queued, building, done and failed phases have
    a branch, a PR and a check run, as PhasePrepared would have given them; building, done
    and failed ones, and queued retries, had a builder start at T0 + 10. Cancelled ones are
    taken as cancelled before their PR existed.
    """
    state = run_of(deps, **settings)
    for pid, (status, attempt) in (phases or {}).items():
        phase = dataclasses.replace(state.phases[pid], status=status, attempt=attempt)
        if status not in _UNDISPATCHED and attempt >= 1:
            phase = dataclasses.replace(phase, dispatched_at=T0 + 5)
        if status in _PREPARED:
            phase = dataclasses.replace(
                phase,
                branch=state.branch_for(pid),
                base_branch="main",
                pr_number=100 + len(pid),
                check_run_id=check_run_id(pid),
                head_sha=f"{pid}-head",
            )
        if status in _STARTED or (status is P.QUEUED and attempt > 1):
            phase = dataclasses.replace(phase, started_at=T0 + 10)
        state = state.with_phase(phase)
    return dataclasses.replace(state, status=run, version=version)


def merged(
    state: RunState, pid: str, attempt: int = 1, at: float = T0 + 30, *, iteration: int = 1
) -> HeadsMerged:
    return HeadsMerged(
        at=at,
        phase_id=pid,
        attempt=attempt,
        iteration=iteration,
        branch=state.merge_branch_for(pid),
        sha=f"{pid}-merge",
    )


def merge_failed(
    pid: str, attempt: int = 1, at: float = T0 + 30, *, iteration: int = 1
) -> MergeFailed:
    return MergeFailed(
        at=at, phase_id=pid, attempt=attempt, iteration=iteration, error="app/db.py conflicts"
    )


def escalated(pid: str, attempt: int = 1, at: float = T0 + 30, *, iteration: int = 1) -> Event:
    return MergeEscalated(
        at=at,
        phase_id=pid,
        attempt=attempt,
        iteration=iteration,
        rungs=(f"github: {pid}'s heads conflict",),
    )


def needs_person(
    state: RunState, pid: str, attempt: int = 1, at: float = T0 + 40, *, iteration: int = 1
) -> Event:
    return MergeNeedsPerson(
        at=at,
        phase_id=pid,
        attempt=attempt,
        iteration=iteration,
        rungs=("github: conflict", "local: conflict in NOTES.md", "person: asked"),
        resolve_branch=state.resolve_branch_for(pid),
        files=("NOTES.md",),
        hunks="--- NOTES.md\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> c",
    )


def verified(
    state: RunState, pid: str, attempt: int = 1, at: float = T0 + 50, *, iteration: int = 1
) -> Event:
    return ResolutionVerified(
        at=at,
        phase_id=pid,
        attempt=attempt,
        iteration=iteration,
        branch=state.resolve_branch_for(pid),
        sha=f"{pid}-resolved",
        by="maria",
    )


def prepared(
    state: RunState, pid: str, attempt: int = 1, at: float = T0 + 60, *, iteration: int = 1
) -> PhasePrepared:
    return PhasePrepared(
        at=at,
        phase_id=pid,
        attempt=attempt,
        iteration=iteration,
        branch=state.branch_for(pid),
        base_branch="main",
        pr_number=100 + len(pid),
        check_run_id=check_run_id(pid),
        base_sha=f"{pid}-start",
    )


def prepare_failed(
    pid: str, attempt: int = 1, at: float = T0 + 60, *, iteration: int = 1
) -> PhasePrepareFailed:
    return PhasePrepareFailed(
        at=at, phase_id=pid, attempt=attempt, iteration=iteration, error="no permission"
    )


def started(
    pid: str, attempt: int = 1, at: float = T0 + 90, *, iteration: int = 1
) -> BuilderStarted:
    return BuilderStarted(at=at, phase_id=pid, attempt=attempt, iteration=iteration)


def built(pid: str, attempt: int = 1, at: float = T0 + 300, *, iteration: int = 1) -> PhaseBuilt:
    return PhaseBuilt(
        at=at,
        phase_id=pid,
        attempt=attempt,
        iteration=iteration,
        head_sha=f"{pid}-{attempt}",
        log_tail="ok",
    )


def build_failed(
    pid: str, attempt: int = 1, at: float = T0 + 300, *, iteration: int = 1
) -> PhaseBuildFailed:
    return PhaseBuildFailed(
        at=at, phase_id=pid, attempt=attempt, iteration=iteration, error="exit 1", log_tail="boom"
    )


def deadline(pid: str, attempt: int = 1, *, iteration: int = 1) -> str:
    """The name of the deadline timer a builder start sets (bot.core.reducer.building)."""
    return f"deadline:{iteration}:{attempt}:{pid}"


def timer_fired(
    pid: str, attempt: int = 1, *, late: float = 1.0, iteration: int = 1, due: float = T0 + 5000
) -> TimerFired:
    """A deadline timer due at `due`, delivered `late` seconds after it (negative: early)."""
    return TimerFired(at=due + late, name=deadline(pid, attempt, iteration=iteration), due_at=due)


def heads_of(deps: Mapping[str, Sequence[str]], pid: str) -> list[str]:
    """The dependencies whose heads a phase starts from, when none is skipped: a dependency
    another one already builds on is covered by that one's head."""

    def ancestors(p: str) -> set[str]:
        found = set(deps[p])
        for d in deps[p]:
            found |= ancestors(d)
        return found

    direct = list(dict.fromkeys(deps[pid]))
    covered = {a for d in direct for a in ancestors(d)}
    return [d for d in direct if d not in covered]


@dataclass(frozen=True)
class Running:
    """A builder that started work and has yet to say how its build went."""

    effect: RunBuilder


Work = MergeHeads | PreparePhase | RunBuilder | Running | OpenIntegration


def overdue(phase: PhaseState, at: float) -> PhaseOverdue:
    """What the reconciler reports for a phase past its state's bound."""
    return PhaseOverdue(
        at=at,
        phase_id=phase.phase_id,
        attempt=phase.attempt,
        iteration=phase.iteration,
        status=phase.status.value,
        seconds=7200,
    )


@dataclass
class Driver:
    """Stands in for the adapters: performs effects, reports events, checks invariants.

    A builder job reports BuilderStarted when it takes its job and only then builds; a job
    that fails to start is lost, and reports PhaseBuildFailed while its phase is queued.
    """

    state: RunState
    deps: dict[str, list[str]]
    outstanding: list[Work] = field(default_factory=list)
    timers: list[StartTimer] = field(default_factory=list)
    delivered: list[Event] = field(default_factory=list)
    dispatched: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    cancelled_builders: set[tuple[str, int]] = field(default_factory=set)
    integrations: int = 0
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
            self._note(effect)
        return effects

    def _note(self, effect: Effect) -> None:
        kinds = {MergeHeads: "merge", PreparePhase: "prepare", RunBuilder: "build"}
        if isinstance(effect, MergeHeads | PreparePhase | RunBuilder):
            self.dispatched[(kinds[type(effect)], effect.phase_id, effect.attempt)] += 1
            self.outstanding.append(effect)
        elif isinstance(effect, CancelBuilder):
            self.cancelled_builders.add((effect.phase_id, effect.attempt))
        elif isinstance(effect, StartTimer):
            self.timers.append(effect)
        elif isinstance(effect, OpenIntegration):
            # One integration PR per run, however the last phases' reports interleave.
            self.integrations += 1
            assert self.integrations == 1
            self.outstanding.append(effect)

    def perform(self, work: Work, succeed: bool) -> list[Effect]:
        """Do `work` as its adapter would and deliver what it reports."""
        if isinstance(work, RunBuilder):
            return self._start_builder(work, succeed)
        if isinstance(work, OpenIntegration):
            at = self.tick()
            if succeed:
                return self.deliver(IntegrationOpened(at=at, pr_number=999, sha="integrated"))
            return self.deliver(IntegrationFailed(at=at, error="checks failed"))
        return self.deliver(self.report(work, succeed))

    def report(self, work: MergeHeads | PreparePhase | Running, succeed: bool) -> Event:
        at = self.tick()
        if isinstance(work, Running):
            b = work.effect
            if succeed:
                return PhaseBuilt(
                    at=at,
                    phase_id=b.phase_id,
                    attempt=b.attempt,
                    iteration=b.iteration,
                    head_sha=f"{b.phase_id}-{b.attempt}",
                )
            return PhaseBuildFailed(
                at=at, phase_id=b.phase_id, attempt=b.attempt, iteration=b.iteration, error="exit 1"
            )
        pid, attempt, iteration = work.phase_id, work.attempt, work.iteration
        if isinstance(work, MergeHeads):
            if succeed:
                return HeadsMerged(
                    at=at,
                    phase_id=pid,
                    attempt=attempt,
                    iteration=iteration,
                    branch=work.branch,
                    sha=f"{pid}-m",
                )
            return MergeFailed(
                at=at, phase_id=pid, attempt=attempt, iteration=iteration, error="conflict"
            )
        if succeed:
            return PhasePrepared(
                at=at,
                phase_id=pid,
                attempt=attempt,
                iteration=iteration,
                branch=work.branch,
                base_branch=work.base_branch,
                pr_number=len(self.delivered) + 1,
                check_run_id=len(self.delivered) + 1000,
                base_sha=f"{pid}-start",
            )
        return PhasePrepareFailed(
            at=at, phase_id=pid, attempt=attempt, iteration=iteration, error="no permission"
        )

    def _start_builder(self, effect: RunBuilder, starts: bool) -> list[Effect]:
        pid, attempt, iteration = effect.phase_id, effect.attempt, effect.iteration
        if not starts:  # the job was lost before a builder worker took it
            return self.deliver(
                PhaseBuildFailed(
                    at=self.tick(),
                    phase_id=pid,
                    attempt=attempt,
                    iteration=iteration,
                    error="job lost",
                )
            )
        effects = self.deliver(
            BuilderStarted(at=self.tick(), phase_id=pid, attempt=attempt, iteration=iteration)
        )
        # As workers/builders.py does: build only if the run still wants this attempt.
        if self.state.awaiting(pid, attempt, P.BUILDING, iteration=iteration):
            self.outstanding.append(Running(effect))
        return effects

    def fire(self, timer: StartTimer, early: bool) -> list[Effect]:
        """Deliver a timer: late means at or after its due time, as a scheduler would."""
        if early:
            at = min(self.tick(), timer.due_at - 1)
        else:
            self.clock = max(self.clock, timer.due_at)
            at = self.tick()
        return self.deliver(TimerFired(at=at, name=timer.name, due_at=timer.due_at))

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
        # A check run made just now already shows its phase's new state.
        shown = None
        if isinstance(event, PhasePrepared) and after.phases[event.phase_id].status is P.QUEUED:
            shown = event.phase_id
        if (
            isinstance(event, PhaseBuilt)
            and event.check_run_id is not None
            and after.phases[event.phase_id].status is P.DONE
            and after.phases[event.phase_id].check_run_id == event.check_run_id
        ):
            shown = event.phase_id
        assert checks == {
            pid
            for pid, p in after.phases.items()
            if p != before.phases[pid]
            and pid != shown
            and (p.check_run_id is not None or p.status in (P.FAILED, P.BLOCKED))
        }
        self.check_moves(before, after, event)
        self.check_starts(before, after, event, effects)
        self.check_builders(before, after, event, effects)
        self.check_state(after)

    def check_moves(self, before: RunState, after: RunState, event: Event) -> None:
        """Every status change is a move the transition table holds, and the log lists it."""
        moved: set[tuple[str, PhaseStatus, PhaseStatus, int]] = set()
        for pid, phase in after.phases.items():
            old = before.phases[pid]
            assert allowed(old.status, phase.status), f"{pid}: {old.status} -> {phase.status}"
            if (old.status, old.attempt, old.iteration) != (
                phase.status,
                phase.attempt,
                phase.iteration,
            ):
                moved.add((pid, old.status, phase.status, phase.attempt))
            # "Took" counts from the first start of work: once set, it never changes.
            if old.started_at is not None:
                assert phase.started_at == old.started_at
            if old.status is P.PENDING and phase.status is not P.PENDING and phase.attempt:
                assert phase.dispatched_at == event.at
        entry = log_entry(before, after, event)
        assert entry.version == after.version
        assert {(m.phase_id, m.source, m.target, m.attempt) for m in entry.moves} == moved

    def check_starts(
        self, before: RunState, after: RunState, event: Event, effects: list[Effect]
    ) -> None:
        """A phase starts once every dependency is done: merged first when it has several
        heads, prepared at its one head (or at the merge) otherwise."""
        for effect in effects:
            if isinstance(effect, MergeHeads):
                pid = effect.phase_id
                assert all(after.phases[d].status is P.DONE for d in self.deps[pid])
                assert after.phases[pid].status is P.MERGING
                assert [h.phase_id for h in effect.heads] == heads_of(self.deps, pid)
                assert [h.sha for h in effect.heads] == [
                    after.phases[h].head_sha for h in heads_of(self.deps, pid)
                ]
                assert effect.branch == after.merge_branch_for(pid)
            elif isinstance(effect, PreparePhase):
                pid = effect.phase_id
                assert all(after.phases[d].status is P.DONE for d in self.deps[pid])
                assert after.phases[pid].status is P.PREPARING
                assert effect.base_branch == effect.start.ref
                if before.phases[pid].status is P.MERGING:
                    assert isinstance(event, HeadsMerged)
                    assert (effect.start.ref, effect.start.sha) == (event.branch, event.sha)
                else:
                    heads = heads_of(self.deps, pid)
                    assert len(heads) <= 1
                    assert effect.start.phase_id == (heads[0] if heads else None)
                    start_sha = after.phases[heads[0]].head_sha if heads else after.base_sha
                    assert effect.start.sha == start_sha

    def check_builders(
        self, before: RunState, after: RunState, event: Event, effects: list[Effect]
    ) -> None:
        """Builders run for queued phases, time out counting from their start, and are
        stopped when their phase is cancelled while queued or building."""
        for effect in effects:
            if isinstance(effect, RunBuilder):
                phase = after.phases[effect.phase_id]
                assert (phase.status, phase.attempt) == (P.QUEUED, effect.attempt)
            elif isinstance(effect, StartTimer) and effect.name.startswith("deadline:"):
                assert isinstance(event, BuilderStarted)
                assert after.phases[event.phase_id].status is P.BUILDING
                assert effect.due_at > event.at + after.settings.builder_deadline_seconds
        cancels = {(e.phase_id, e.attempt) for e in effects if isinstance(e, CancelBuilder)}
        stopped = {
            (pid, p.attempt)
            for pid, p in after.phases.items()
            if p.status is P.CANCELLED and before.phases[pid].status in (P.QUEUED, P.BUILDING)
        }
        # A deadline that fails an attempt also stops that attempt's builder, in case it was
        # only slow.
        for pid, phase in before.phases.items():
            moved = after.phases[pid]
            if (
                isinstance(event, TimerFired)
                and phase.status is P.BUILDING
                and (moved.status, moved.attempt) != (phase.status, phase.attempt)
            ):
                stopped.add((pid, phase.attempt))
            # So does a queued phase past its bound: its job may yet be taken.
            if (
                isinstance(event, PhaseOverdue)
                and phase.status is P.QUEUED
                and moved.status is P.FAILED
            ):
                stopped.add((pid, phase.attempt))
        assert cancels == stopped
        for pid, phase in after.phases.items():
            if phase.status is P.CANCELLED and before.phases[pid].status is not P.CANCELLED:
                assert phase.error.startswith("cancelled")
                # A phase whose builder never started did not run: no finishing time.
                assert (phase.finished_at is None) == (phase.started_at is None)

    def check_state(self, state: RunState) -> None:
        active = [p for p in state.phases.values() if p.status.active]
        assert len(active) <= state.settings.max_parallel
        for pid, phase in state.phases.items():
            if phase.status in _AFTER_DEPENDENCIES:
                assert all(state.phases[d].status is P.DONE for d in self.deps[pid])
            if phase.status in (P.BUILDING, P.DONE):
                assert phase.started_at is not None
            assert (phase.dispatched_at is not None) == (phase.attempt >= 1)
            assert phase.attempt - phase.first_attempt < 1 + state.settings.retries
        all_done = all(p.status is P.DONE for p in state.phases.values())
        # Every phase done: the run integrates, and is done once its integration PR exists.
        if state.status in (RunStatus.INTEGRATING, RunStatus.DONE):
            assert all_done
        if state.status is RunStatus.DONE:
            assert state.integration_pr is not None
        if all_done and state.status is RunStatus.RUNNING:
            raise AssertionError("every phase is done but the run does not integrate")
        if state.status.finished:
            assert not active
        # The state survives the trip through JSON that the store gives it.
        assert RunState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
