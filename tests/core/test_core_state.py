"""Run state: construction from a plan, names, and the JSON round trip of state, events and
effects."""

from __future__ import annotations

import json
import re
import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import names
from bot.core.effects import (
    EFFECT_TYPES,
    CancelBuilder,
    Effect,
    PreparePhase,
    RunBuilder,
    StartPoint,
    UpdateCheckRun,
    UpdateStatusComment,
    effect_from_dict,
    effect_to_dict,
    job_id,
)
from bot.core.events import (
    EVENT_TYPES,
    CancelRequested,
    Event,
    PhaseBuildFailed,
    PhaseBuilt,
    PhasePrepared,
    PhasePrepareFailed,
    RunStarted,
    StatusRequested,
    event_from_dict,
    event_to_dict,
)
from bot.core.state import (
    FailurePolicy,
    PhaseState,
    PhaseStatus,
    RunSettings,
    RunState,
    RunStatus,
    new_run,
)
from bot.plan.model import Diagnostic, Phase, Plan
from tests.core.core_support import DIAMOND, T0, plan_of, run_of, setup

JOB_ID = re.compile(r"[A-Za-z0-9_-]+")


def test_new_run_starts_every_phase_pending_in_plan_order() -> None:
    state = run_of(DIAMOND, max_parallel=2, retries=1)
    assert list(state.phases) == ["a", "b", "c", "d"]
    assert all(p == PhaseState(phase_id=p.phase_id) for p in state.phases.values())
    assert state.deps == {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c")}
    assert state.titles["d"] == "Title of d"
    assert state.status is RunStatus.PENDING
    assert (state.version, state.created_at) == (0, T0)
    assert state.settings == RunSettings(max_parallel=2, retries=1)
    assert state.slug == "add-login"
    assert state.branch_for("d") == "porch/42-add-login/d"


def test_new_run_puts_dependencies_first_and_keeps_plan_order_otherwise() -> None:
    state = run_of({"x": ["z"], "y": [], "z": []})
    assert list(state.phases) == ["y", "z", "x"]


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (Plan(phases=()), "no phases"),
        (Plan(phases=plan_of({"a": []}).phases, errors=(Diagnostic("bad", 3),)), "errors"),
        (plan_of({"a": ["b"], "b": ["a"]}), "cycle"),
        (plan_of({"a": ["nope"]}), "unknown"),
        (Plan(phases=(Phase("a", "1", "A", 1), Phase("a", "2", "A", 2))), "duplicate"),
    ],
)
def test_new_run_refuses_invalid_plans(plan: Plan, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        new_run(
            plan,
            run_id="r",
            repo="o/r",
            installation_id=1,
            issue_number=1,
            issue_title="t",
            base_branch="main",
            base_sha="s",
            created_at=0.0,
        )


def test_new_run_refuses_a_run_id_unfit_for_job_ids() -> None:
    with pytest.raises(ValueError, match="run id"):
        new_run(
            plan_of({"a": []}),
            run_id="o/r#1",
            repo="o/r",
            installation_id=1,
            issue_number=1,
            issue_title="t",
            base_branch="main",
            base_sha="s",
            created_at=0.0,
        )


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"max_parallel": 0}, "max_parallel"), ({"retries": -1}, "retries")],
)
def test_settings_are_checked(settings: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunSettings(**settings)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Add OAuth2 login (GitHub)", "add-oauth2-login-github"),
        ("  Fix: the ÜBER bug!!  ", "fix-the-ber-bug"),
        ("", "run"),
        ("🚀🚀", "run"),
        ("a" * 60, "a" * 40),
        (
            "Parallel builders for every phase of a long implementation plan",
            "parallel-builders-for-every-phase-of-a",
        ),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert names.slugify(title) == slug


@given(st.text())
def test_slugs_are_short_lowercase_and_ref_safe(title: str) -> None:
    slug = names.slugify(title)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= names.SLUG_MAX


@pytest.mark.parametrize(
    ("prefix", "phase_id", "branch"),
    [
        ("porch", "phase_2", "porch/42-add-login/phase_2"),
        ("bots/porch/", "phase 2a", "bots/porch/42-add-login/phase-2a"),
        ("", "x..y", "porch/42-add-login/x-y"),
        ("porch", "a.lock", "porch/42-add-login/a"),
        ("porch", ".hidden", "porch/42-add-login/hidden"),
    ],
)
def test_phase_branch_names(prefix: str, phase_id: str, branch: str) -> None:
    assert names.phase_branch(prefix, 42, "add-login", phase_id) == branch


def test_merge_base_branch_sits_beside_the_phase_branch() -> None:
    assert names.merge_base_branch("porch", 4, "s", "phase_4") == "porch/4-s/phase_4-base"


@given(st.text(min_size=1))
def test_key_parts_are_job_id_safe(text: str) -> None:
    assert JOB_ID.fullmatch(names.key_part(text))


# --- JSON round trips -------------------------------------------------------------------------

ids = st.text(string.ascii_lowercase + string.digits + "_", min_size=1, max_size=8)
texts = st.text(max_size=30)
times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
opt = st.none().__or__


@st.composite
def phase_states(draw: st.DrawFn, phase_id: str) -> PhaseState:
    return PhaseState(
        phase_id=phase_id,
        status=draw(st.sampled_from(PhaseStatus)),
        attempt=draw(st.integers(0, 5)),
        branch=draw(opt(texts)),
        base_branch=draw(opt(texts)),
        pr_number=draw(opt(st.integers(1, 10**6))),
        check_run_id=draw(opt(st.integers(1, 10**12))),
        head_sha=draw(opt(st.text(string.hexdigits, min_size=40, max_size=40))),
        started_at=draw(opt(times)),
        finished_at=draw(opt(times)),
        log_tail=draw(texts),
        error=draw(texts),
    )


@st.composite
def run_states(draw: st.DrawFn) -> RunState:
    phase_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    deps = {
        pid: tuple(d for d in phase_ids[:i] if draw(st.booleans()))
        for i, pid in enumerate(phase_ids)
    }
    return RunState(
        run_id=draw(st.text(string.ascii_letters + "-_", min_size=1, max_size=10)),
        repo="octo/app",
        installation_id=draw(st.integers(1, 10**9)),
        issue_number=draw(st.integers(1, 10**6)),
        base_branch=draw(texts),
        base_sha=draw(texts),
        branch_prefix="porch",
        slug=draw(texts),
        phases={pid: draw(phase_states(pid)) for pid in phase_ids},
        deps=deps,
        titles={pid: draw(texts) for pid in phase_ids},
        settings=RunSettings(
            max_parallel=draw(st.integers(1, 8)),
            retries=draw(st.integers(0, 3)),
            failure_policy=draw(st.sampled_from(FailurePolicy)),
        ),
        status=draw(st.sampled_from(RunStatus)),
        version=draw(st.integers(0, 10**6)),
        created_at=draw(times),
        finished_at=draw(opt(times)),
        plan_text=draw(texts),
        plan_source=draw(texts),
    )


@given(run_states())
def test_run_state_round_trips_through_json(state: RunState) -> None:
    data = json.loads(json.dumps(state.to_dict()))
    assert RunState.from_dict(data) == state
    assert list(RunState.from_dict(data).phases) == list(state.phases)


def test_enums_serialise_as_their_values() -> None:
    data = run_of(DIAMOND, failure_policy=FailurePolicy.CANCEL).to_dict()
    assert data["status"] == "pending"
    assert data["phases"]["a"]["status"] == "pending"
    assert data["settings"]["failure_policy"] == "cancel"
    assert data["deps"]["d"] == ["b", "c"]


def test_from_dict_refuses_unknown_fields_and_bad_values() -> None:
    data = run_of(DIAMOND).to_dict()
    with pytest.raises(ValueError, match="unknown"):
        RunState.from_dict({**data, "surprise": 1})
    with pytest.raises(ValueError):
        RunState.from_dict({**data, "status": "sleeping"})
    with pytest.raises(ValueError):
        RunState.from_dict({**data, "version": "7"})


events: st.SearchStrategy[Event] = st.one_of(
    st.builds(RunStarted, at=times),
    st.builds(
        PhasePrepared,
        at=times,
        phase_id=ids,
        attempt=st.integers(1, 5),
        branch=texts,
        base_branch=texts,
        pr_number=st.integers(1, 10**6),
        check_run_id=st.integers(1, 10**12),
        base_sha=texts,
    ),
    st.builds(PhasePrepareFailed, at=times, phase_id=ids, attempt=st.integers(1, 5), error=texts),
    st.builds(
        PhaseBuilt,
        at=times,
        phase_id=ids,
        attempt=st.integers(1, 5),
        head_sha=texts,
        log_tail=texts,
        check_run_id=opt(st.integers(1, 10**12)),
    ),
    st.builds(
        PhaseBuildFailed,
        at=times,
        phase_id=ids,
        attempt=st.integers(1, 5),
        error=texts,
        log_tail=texts,
    ),
    st.builds(StatusRequested, at=times, by=texts),
    st.builds(CancelRequested, at=times, by=texts),
)


@given(events)
def test_events_round_trip_through_json(event: Event) -> None:
    data = json.loads(json.dumps(event_to_dict(event)))
    assert data["type"] == type(event).__name__
    assert event_from_dict(data) == event


def test_every_event_type_is_registered() -> None:
    assert set(EVENT_TYPES) == {
        "RunStarted",
        "PhasePrepared",
        "PhasePrepareFailed",
        "PhaseBuilt",
        "PhaseBuildFailed",
        "StatusRequested",
        "CancelRequested",
    }


@pytest.mark.parametrize(
    "data",
    [{"type": "Nope", "at": 1.0}, {"at": 1.0}, {"type": "PhaseBuilt", "at": 1.0}],
    ids=["unknown type", "no type", "missing fields"],
)
def test_malformed_events_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        event_from_dict(data)


effects: st.SearchStrategy[Effect] = st.one_of(
    st.builds(
        PreparePhase,
        phase_id=ids,
        attempt=st.integers(1, 5),
        branch=texts,
        base_branch=texts,
        start=st.lists(
            st.builds(StartPoint, ref=texts, sha=texts, phase_id=opt(ids)), max_size=3
        ).map(tuple),
    ),
    st.builds(RunBuilder, phase_id=ids, attempt=st.integers(1, 5), branch=texts),
    st.builds(CancelBuilder, phase_id=ids, attempt=st.integers(1, 5)),
    st.builds(UpdateCheckRun, phase_id=ids, version=st.integers(0, 10**6)),
    st.builds(UpdateStatusComment, version=st.integers(0, 10**6), requested_at=opt(times)),
)


@given(effects)
def test_effects_round_trip_through_json_and_have_job_id_keys(effect: Effect) -> None:
    data = json.loads(json.dumps(effect_to_dict(effect)))
    assert effect_from_dict(data) == effect
    assert JOB_ID.fullmatch(effect.key)
    assert JOB_ID.fullmatch(job_id("run-1", effect))


def test_effect_keys_name_the_phase_and_attempt() -> None:
    assert set(EFFECT_TYPES) == {
        "PreparePhase",
        "RunBuilder",
        "CancelBuilder",
        "UpdateCheckRun",
        "UpdateStatusComment",
    }
    prepare = PreparePhase(phase_id="phase_2", attempt=1, branch="b", base_branch="m", start=())
    assert prepare.key == "prepare-phase_2-1"
    assert RunBuilder(phase_id="phase_2", attempt=3, branch="b").key == "build-phase_2-3"
    assert CancelBuilder(phase_id="phase_2", attempt=3).key == "cancel-phase_2-3"
    assert UpdateCheckRun(phase_id="phase_2", version=9).key == "check-phase_2-v9"
    assert UpdateStatusComment(version=9).key == "status-v9"
    assert job_id("r1", UpdateStatusComment(version=9)) == "r1-status-v9"
    assert (
        CancelBuilder(phase_id="a.b", attempt=1).key != CancelBuilder(phase_id="a_b", attempt=1).key
    )
    with pytest.raises(ValueError):
        job_id("run:1", UpdateStatusComment(version=1))


def test_awaiting_tells_a_current_event_from_a_stale_one() -> None:
    state = setup(DIAMOND, {"a": (PhaseStatus.BUILDING, 2)}, retries=1)
    assert state.awaiting("a", 2, PhaseStatus.BUILDING) is state.phases["a"]
    assert state.awaiting("a", 1, PhaseStatus.BUILDING) is None
    assert state.awaiting("a", 2, PhaseStatus.PREPARING) is None
    assert state.awaiting("zz", 1, PhaseStatus.BUILDING) is None
