"""Runs over real plans, parsed by the plan engine: the diamond step by step (its join merged,
or failing to merge), and every valid plan of the shared corpus driven to the end."""

from __future__ import annotations

from pathlib import Path

from bot.core.effects import MergeHeads, OpenIntegration, PreparePhase, RunBuilder, StartPoint
from bot.core.events import (
    BuilderStarted,
    HeadsMerged,
    IntegrationOpened,
    MergeFailed,
    PhaseBuilt,
    PhasePrepared,
    RunStarted,
)
from bot.core.reducer import reduce
from bot.core.render import status_comment
from bot.core.state import PhaseStatus, RunSettings, RunState, RunStatus, new_run
from bot.plan.model import Plan
from bot.plan.parse import parse_plan
from tests.core.core_support import T0, Driver, heads_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def start(plan: Plan, **settings: int) -> RunState:
    return new_run(
        plan,
        run_id="diamond-1",
        repo="octo/app",
        installation_id=1,
        issue_number=4,
        issue_title="Parallel phases: the diamond",
        base_branch="main",
        base_sha="base0",
        created_at=T0,
        settings=RunSettings(**settings),
    )


def report_prepared(state: RunState, effect: PreparePhase, at: float) -> PhasePrepared:
    return PhasePrepared(
        at=at,
        phase_id=effect.phase_id,
        attempt=effect.attempt,
        branch=effect.branch,
        base_branch=effect.base_branch,
        pr_number=10 + len(state.phases) + list(state.phases).index(effect.phase_id),
        check_run_id=500 + list(state.phases).index(effect.phase_id),
        base_sha=f"start-{effect.phase_id}",
    )


def builder_started(effect: RunBuilder, at: float) -> BuilderStarted:
    return BuilderStarted(at=at, phase_id=effect.phase_id, attempt=effect.attempt)


def the_diamond() -> RunState:
    return start(parse_plan((EXAMPLES / "diamond.md").read_text(encoding="utf-8")))


def test_the_diamond_runs_2_and_3_together_and_4_from_both() -> None:
    state = the_diamond()
    assert list(state.phases) == ["phase_1", "phase_2", "phase_3", "phase_4"]

    state, effects = reduce(state, RunStarted(at=T0))
    (prepare_1,) = [e for e in effects if isinstance(e, PreparePhase)]
    assert prepare_1.branch == "porch/4-parallel-phases-the-diamond/phase_1"
    assert prepare_1.start == StartPoint(ref="main", sha="base0")

    state, effects = reduce(state, report_prepared(state, prepare_1, T0 + 5))
    build_1 = RunBuilder(phase_id="phase_1", attempt=1, branch=prepare_1.branch)
    assert build_1 in effects
    assert state.phases["phase_1"].status is PhaseStatus.QUEUED
    state, _ = reduce(state, builder_started(build_1, T0 + 10))
    state, effects = reduce(
        state, PhaseBuilt(at=T0 + 600, phase_id="phase_1", attempt=1, head_sha="h1")
    )
    prepares = {e.phase_id: e for e in effects if isinstance(e, PreparePhase)}
    assert sorted(prepares) == ["phase_2", "phase_3"]  # at the same time
    for effect in prepares.values():
        assert effect.start == StartPoint(ref=prepare_1.branch, sha="h1", phase_id="phase_1")
        assert effect.base_branch == prepare_1.branch
        state, effects = reduce(state, report_prepared(state, effect, T0 + 605))
        (build,) = [e for e in effects if isinstance(e, RunBuilder)]
        state, _ = reduce(state, builder_started(build, T0 + 610))
    assert state.count(PhaseStatus.BUILDING) == 2

    state, effects = reduce(
        state, PhaseBuilt(at=T0 + 1200, phase_id="phase_3", attempt=1, head_sha="h3")
    )
    assert not [e for e in effects if isinstance(e, PreparePhase | MergeHeads)]  # 4 waits for 2
    state, effects = reduce(
        state, PhaseBuilt(at=T0 + 1500, phase_id="phase_2", attempt=1, head_sha="h2")
    )
    # A join first merges the heads of both branches on a `-base` branch of its own...
    assert not [e for e in effects if isinstance(e, PreparePhase)]
    (merge_4,) = [e for e in effects if isinstance(e, MergeHeads)]
    assert state.phases["phase_4"].status is PhaseStatus.MERGING
    assert [(p.phase_id, p.sha) for p in merge_4.heads] == [("phase_2", "h2"), ("phase_3", "h3")]
    merge_branch = "porch/4-parallel-phases-the-diamond/phase_4-base"
    assert merge_4.branch == merge_branch

    # ...and is prepared at the merge, its PR targeting the merge branch.
    state, effects = reduce(
        state,
        HeadsMerged(at=T0 + 1502, phase_id="phase_4", attempt=1, branch=merge_branch, sha="m4"),
    )
    (prepare_4,) = [e for e in effects if isinstance(e, PreparePhase)]
    assert state.phases["phase_4"].status is PhaseStatus.PREPARING
    assert prepare_4.start == StartPoint(ref=merge_branch, sha="m4")
    assert prepare_4.base_branch == merge_branch
    assert prepare_4.branch == "porch/4-parallel-phases-the-diamond/phase_4"

    state, effects = reduce(state, report_prepared(state, prepare_4, T0 + 1505))
    (build_4,) = [e for e in effects if isinstance(e, RunBuilder)]
    state, _ = reduce(state, builder_started(build_4, T0 + 1510))
    state, effects = reduce(
        state, PhaseBuilt(at=T0 + 2100, phase_id="phase_4", attempt=1, head_sha="h4")
    )
    assert state.status is RunStatus.INTEGRATING
    assert OpenIntegration() in effects
    state, _ = reduce(state, IntegrationOpened(at=T0 + 2100, pr_number=9, sha="i"))
    assert state.status is RunStatus.DONE
    body = status_comment(state)
    assert "**4 of 4 phases done** · run done after 35m 00s" in body
    # "Took" counts from its builder's start, not from when it was queued.
    assert "| Phase 2: API routes | ✅ done | #15 | 09:03:30 | 14m 50s |" in body


def test_the_diamond_fails_when_the_heads_of_2_and_3_conflict() -> None:
    state = the_diamond()
    driver = Driver(state=state, deps={pid: list(d) for pid, d in state.deps.items()})
    driver.deliver(RunStarted(at=driver.tick()))
    # Phases 1 to 3 build; the driver stops at the first merge, phase 4's.
    while not isinstance(driver.outstanding[0], MergeHeads):
        driver.perform(driver.outstanding.pop(0), succeed=True)
    (merge_4,) = driver.outstanding
    assert isinstance(merge_4, MergeHeads)
    assert [p.phase_id for p in merge_4.heads] == ["phase_2", "phase_3"]
    assert driver.state.phases["phase_4"].status is PhaseStatus.MERGING

    driver.deliver(
        MergeFailed(at=T0 + 999, phase_id="phase_4", attempt=1, error="app/main.py conflicts")
    )
    phase_4 = driver.state.phases["phase_4"]
    assert (phase_4.status, phase_4.finished_at) == (PhaseStatus.FAILED, T0 + 999)
    assert driver.state.status is RunStatus.FAILED
    assert "- **Phase 4: Integration**: app/main.py conflicts" in status_comment(driver.state)


def test_every_valid_corpus_plan_runs_to_done(shared_dir: Path) -> None:
    plans = [
        parse_plan(path.read_text(encoding="utf-8"))
        for path in sorted((shared_dir / "plans-corpus").glob("*.md"))
    ]
    valid = [plan for plan in plans if plan.phases and not plan.errors]
    assert valid, "no corpus plan parsed"
    for plan in valid:
        state = start(plan, max_parallel=3)
        deps = {pid: list(d) for pid, d in state.deps.items()}
        driver = Driver(state=state, deps=deps)
        driver.deliver(RunStarted(at=driver.tick()))
        while driver.outstanding:
            driver.perform(driver.outstanding.pop(0), succeed=True)
        assert driver.state.status is RunStatus.DONE
        # One preparation and one builder run per phase, no more, and one merge per join.
        joins = sum(1 for pid in deps if len(heads_of(deps, pid)) > 1)
        assert sorted(driver.dispatched.values()) == [1] * (2 * len(plan.phases) + joins)
        assert sum(1 for kind, _, _ in driver.dispatched if kind == "merge") == joins
        assert status_comment(driver.state).count("✅ done") == len(plan.phases)
