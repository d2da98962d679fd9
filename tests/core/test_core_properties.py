"""Property tests: random DAGs, driven by a simulated adapter that performs effects in random
interleavings, loses builder jobs, fires deadline timers early and late, redelivers events,
and sometimes cancels, while the invariants (the transition table among them) are checked
after every event."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.effects import PreparePhase, UpdateStatusComment
from bot.core.events import CancelRequested, RunStarted, StatusRequested
from bot.core.state import FailurePolicy, PhaseStatus, RunSettings, RunStatus
from tests.core.core_support import Driver, heads_of, overdue, run_of


@st.composite
def dags(draw: st.DrawFn, max_phases: int = 7) -> dict[str, list[str]]:
    """Acyclic by construction: a phase may only depend on phases listed before it."""
    n = draw(st.integers(1, max_phases))
    ids = [f"phase_{i + 1}" for i in range(n)]
    return {
        pid: [ids[j] for j in range(i) if draw(st.booleans())] if i else []
        for i, pid in enumerate(ids)
    }


run_settings = st.builds(
    RunSettings,
    max_parallel=st.integers(1, 4),
    retries=st.integers(0, 2),
    failure_policy=st.sampled_from(FailurePolicy),
    builder_deadline_seconds=st.integers(60, 4 * 3600),
)


def transitive_dependents(deps: dict[str, list[str]], roots: set[str]) -> set[str]:
    found: set[str] = set()
    for pid, ds in deps.items():  # dependencies precede dependents
        if any(d in roots or d in found for d in ds):
            found.add(pid)
    return found


def fire_a_timer(driver: Driver, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(driver.timers) - 1))
    early = data.draw(st.booleans())
    before = driver.state
    driver.fire(driver.timers[index], early)
    if early:
        # A timer delivered before it is due changes nothing; the scheduler tries again.
        assert driver.state is before
    else:
        driver.timers.pop(index)


def check_dispatches(driver: Driver, deps: dict[str, list[str]]) -> None:
    """Every dispatch happened once per phase and attempt; retries go through the builder."""
    assert all(n == 1 for n in driver.dispatched.values())
    assert all(attempt == 1 for kind, _, attempt in driver.dispatched if kind != "build")
    for pid, phase in driver.state.phases.items():
        if phase.attempt >= 1:
            # Several heads are merged before the phase is prepared; one is prepared at directly.
            first = "merge" if len(heads_of(deps, pid)) > 1 else "prepare"
            assert driver.dispatched[(first, pid, 1)] == 1
        # A retry is a new builder run: every attempt after the first was dispatched once.
        assert all(driver.dispatched[("build", pid, a)] == 1 for a in range(2, phase.attempt + 1))
        if phase.status is PhaseStatus.DONE:
            assert driver.dispatched[("prepare", pid, 1)] == 1
            assert driver.dispatched[("build", pid, phase.attempt)] == 1
        if phase.status in (PhaseStatus.PENDING, PhaseStatus.BLOCKED):
            assert not any(key[1] == pid for key in driver.dispatched)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deps=dags(), run=run_settings, data=st.data())
def test_random_runs_keep_every_invariant(
    deps: dict[str, list[str]], run: RunSettings, data: st.DataObject
) -> None:
    state = run_of(
        deps,
        max_parallel=run.max_parallel,
        retries=run.retries,
        failure_policy=run.failure_policy,
        builder_deadline_seconds=run.builder_deadline_seconds,
    )
    driver = Driver(state=state, deps=deps)
    driver.deliver(RunStarted(at=driver.tick()))
    cancelled_by_user = False
    # Some runs fail often, others rarely, so that late phases (joins among them) get dispatched.
    one_failure_in = data.draw(st.sampled_from([4, 12, 40]))

    while driver.outstanding:
        choice = data.draw(
            st.sampled_from(["perform"] * 8 + ["duplicate", "status", "cancel", "timer", "overdue"])
        )
        if choice == "duplicate" and driver.delivered:
            event = data.draw(st.sampled_from(driver.delivered))
            before = driver.state
            effects = driver.deliver(event)
            # A redelivered event changes nothing (only a status request answers again).
            assert driver.state is before
            assert all(isinstance(e, UpdateStatusComment) for e in effects)
        elif choice == "status":
            driver.deliver(StatusRequested(at=driver.tick()))
        elif choice == "cancel" and data.draw(st.integers(0, 9)) == 0:
            cancelled_by_user = True
            driver.deliver(CancelRequested(at=driver.tick(), by="octocat"))
        elif choice == "timer" and driver.timers:
            fire_a_timer(driver, data)
        elif choice == "overdue" and data.draw(st.integers(0, 3)) == 0:
            # The reconciler saw a phase past its state's bound (or a stale report of that).
            phases = list(driver.state.phases.values())
            driver.deliver(overdue(data.draw(st.sampled_from(phases)), driver.tick()))
        else:
            index = data.draw(st.integers(0, len(driver.outstanding) - 1))
            work = driver.outstanding.pop(index)
            succeed = data.draw(st.integers(0, one_failure_in - 1)) > 0
            driver.perform(work, succeed)

    final = driver.state
    check_dispatches(driver, deps)
    # With nothing left to perform, the run has ended.
    assert final.status.finished
    assert all(p.status.finished for p in final.phases.values())
    if cancelled_by_user:
        return
    failed = {pid for pid, p in final.phases.items() if p.status is PhaseStatus.FAILED}
    blocked = {pid for pid, p in final.phases.items() if p.status is PhaseStatus.BLOCKED}
    if run.failure_policy is FailurePolicy.CONTINUE:
        assert blocked == transitive_dependents(deps, failed)
        assert not any(p.status is PhaseStatus.CANCELLED for p in final.phases.values())
    else:
        assert blocked <= transitive_dependents(deps, failed)
    integration_failed = bool(final.integration_error)
    assert (final.status is RunStatus.FAILED) == (bool(failed) or integration_failed)
    assert (final.status is RunStatus.DONE) == (not failed and not integration_failed)


@settings(max_examples=100, deadline=None)
@given(deps=dags(), max_parallel=st.integers(1, 4), data=st.data())
def test_without_failures_every_run_is_done_and_parallel_where_it_can_be(
    deps: dict[str, list[str]], max_parallel: int, data: st.DataObject
) -> None:
    driver = Driver(state=run_of(deps, max_parallel=max_parallel), deps=deps)
    started = driver.deliver(RunStarted(at=driver.tick()))
    while driver.outstanding:
        # Finish everything in flight, in a random order, before anything new is performed.
        batch = data.draw(st.permutations(driver.outstanding))
        driver.outstanding.clear()
        for work in batch:
            driver.perform(work, succeed=True)
    assert driver.state.status is RunStatus.DONE
    assert all(p.attempt == 1 for p in driver.state.phases.values())
    # RunStarted prepares the independent phases together, as many as the slots allow.
    roots = [pid for pid, ds in deps.items() if not ds]
    first = [e.phase_id for e in started if isinstance(e, PreparePhase)]
    assert first == roots[:max_parallel]
