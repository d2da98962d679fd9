"""Run state: construction from a plan, names, and the JSON round trip of state, events and
effects."""

from __future__ import annotations

import dataclasses
import json
import re
import string
import types
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import names
from bot.core.effects import (
    EFFECT_TYPES,
    CancelBuilder,
    Effect,
    MergeHeads,
    PreparePhase,
    RunBuilder,
    StartPoint,
    StartTimer,
    UpdateCheckRun,
    UpdateStatusComment,
    effect_from_dict,
    effect_to_dict,
    job_id,
)
from bot.core.events import EVENT_TYPES, PhaseBuilt, event_from_dict, event_to_dict
from bot.core.state import (
    FailurePolicy,
    PhaseState,
    PhaseStatus,
    RunSettings,
    RunState,
    RunStatus,
    Verdict,
    new_run,
)
from bot.inputs import config
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
        ("porch", "2a", "porch/42-add-login/2a"),
        ("bots/porch/", "phase 2a", r"bots/porch/42-add-login/phase-2a--[0-9a-f]{12}"),
        ("", "x..y", r"porch/42-add-login/x\.y--[0-9a-f]{12}"),
        ("porch", "a.lock", r"porch/42-add-login/a\.lock--[0-9a-f]{12}"),
        ("porch", ".hidden", r"porch/42-add-login/hidden--[0-9a-f]{12}"),
        ("porch", "../../x", r"porch/42-add-login/x--[0-9a-f]{12}"),
        ("porch", "$(touch /tmp/p)", r"porch/42-add-login/touch-tmp-p--[0-9a-f]{12}"),
        ("porch", "`id`;ls", r"porch/42-add-login/id-ls--[0-9a-f]{12}"),
        ("porch", "ph\u0430se_1", r"porch/42-add-login/ph-se_1--[0-9a-f]{12}"),  # Cyrillic a
    ],
)
def test_phase_branch_names(prefix: str, phase_id: str, branch: str) -> None:
    assert re.fullmatch(branch, names.phase_branch(prefix, 42, "add-login", phase_id))


@given(st.text(min_size=0, max_size=80))
def test_safe_names_use_a_safe_alphabet(text: str) -> None:
    name = names.safe_name(text)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", name)
    assert ".." not in name and not name.startswith((".", "-")) and not name.endswith(".")


@given(st.text(max_size=30), st.text(max_size=30))
def test_safe_names_never_collapse_two_ids(one: str, other: str) -> None:
    if one != other:
        assert names.safe_name(one) != names.safe_name(other)


def test_merge_base_branch_sits_beside_the_phase_branch() -> None:
    assert names.merge_base_branch("porch", 4, "s", "phase_4") == "porch/4-s/phase_4-base"


@given(st.text(min_size=1))
def test_key_parts_are_job_id_safe(text: str) -> None:
    assert JOB_ID.fullmatch(names.key_part(text))


def test_new_run_keeps_the_plan_as_parsed_once() -> None:
    plan = Plan(
        phases=(
            Phase("b", "2", "B", 9, depends_on=("a",), section="### Phase 2\n\nDo B."),
            Phase("a", "1", "A", 3, touches=("app/db.py", "app/models.py"), section="Do A."),
        ),
        overview="A small shop.",
    )
    state = new_run(
        plan,
        run_id="r",
        repo="o/r",
        installation_id=1,
        issue_number=1,
        issue_title="t",
        base_branch="main",
        base_sha="s",
        created_at=0.0,
        plan_source="the issue body",
    )
    # Builder prompts and PR bodies read these; the issue may be edited meanwhile.
    assert state.overview == "A small shop."
    assert state.sections == {"a": "Do A.", "b": "### Phase 2\n\nDo B."}
    assert list(state.sections) == ["a", "b"]  # plan order, dependencies first
    assert state.touches == {"a": ("app/db.py", "app/models.py"), "b": ()}
    assert state.plan_source == "the issue body"
    assert RunState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_a_later_run_of_the_same_issue_gets_branches_of_its_own() -> None:
    state = new_run(
        plan_of({"a": []}),
        run_id="r",
        repo="o/r",
        installation_id=1,
        issue_number=42,
        issue_title="Add login",
        base_branch="main",
        base_sha="s",
        created_at=0.0,
        run_number=2,
    )
    assert state.branch_for("a") == "porch/42-add-login-run2/a"
    assert state.merge_branch_for("a") == "porch/42-add-login-run2/a-base"


def test_the_failure_policy_is_the_config_s_and_settings_have_a_builder_deadline() -> None:
    # One enum for the config file and the run: a value read from porch.yml is a run setting.
    assert FailurePolicy is config.FailurePolicy
    assert RunSettings().builder_deadline_seconds == 3 * 3600
    assert RunSettings(builder_deadline_seconds=60).builder_deadline_seconds == 60


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
        iteration=draw(st.integers(1, 5)),
        branch=draw(opt(texts)),
        base_branch=draw(opt(texts)),
        pr_number=draw(opt(st.integers(1, 10**6))),
        check_run_id=draw(opt(st.integers(1, 10**12))),
        head_sha=draw(opt(st.text(string.hexdigits, min_size=40, max_size=40))),
        dispatched_at=draw(opt(times)),
        started_at=draw(opt(times)),
        finished_at=draw(opt(times)),
        log_tail=draw(texts),
        error=draw(texts),
        merge_rungs=tuple(draw(st.lists(texts, max_size=2))),
        resolve_branch=draw(opt(texts)),
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
        labels={pid: draw(texts) for pid in phase_ids},
        settings=RunSettings(
            max_parallel=draw(st.integers(1, 8)),
            retries=draw(st.integers(0, 3)),
            failure_policy=draw(st.sampled_from(FailurePolicy)),
            builder_deadline_seconds=draw(st.integers(1, 10**6)),
        ),
        status=draw(st.sampled_from(RunStatus)),
        version=draw(st.integers(0, 10**6)),
        created_at=draw(times),
        finished_at=draw(opt(times)),
        plan_source=draw(texts),
        overview=draw(texts),
        sections={pid: draw(texts) for pid in phase_ids},
        touches={pid: tuple(draw(st.lists(texts, max_size=3))) for pid in phase_ids},
        phase_issues={pid: draw(st.integers(1, 10**6)) for pid in phase_ids[:1]},
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
    # A state stored before the plan was kept parsed is refused, not half read.
    with pytest.raises(ValueError, match="plan_text"):
        RunState.from_dict({**data, "plan_text": "# Plan"})


# Values for the fields of events and effects, by type; a field of a type not listed here
# fails the round-trip tests below, so a new kind of field gets a strategy before it ships.
FIELD_VALUES: dict[object, st.SearchStrategy[Any]] = {
    str: texts,
    int: st.integers(0, 10**12),
    float: times,
    bool: st.booleans(),
    Verdict: st.sampled_from(Verdict),
}


def values_for(hint: object) -> st.SearchStrategy[Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of(*(values_for(a) for a in args))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(values_for(args[0]), max_size=3).map(tuple)
    if origin is tuple:
        return st.tuples(*(values_for(a) for a in args))
    if hint is type(None):
        return st.none()
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return instances_of(hint)
    return FIELD_VALUES[hint]


def instances_of(cls: type) -> st.SearchStrategy[Any]:
    """Any instance of the frozen dataclass `cls`, every field drawn from its type hint."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: values_for(hints[f.name]) for f in dataclasses.fields(cls) if f.init}
    return st.builds(cls, **fields)


def test_every_event_type_is_registered() -> None:
    assert set(EVENT_TYPES) == {
        "RunStarted",
        "HeadsMerged",
        "MergeEscalated",
        "MergeNeedsPerson",
        "ResolutionVerified",
        "MergeFailed",
        "PhasePrepared",
        "PhasePrepareFailed",
        "BuilderStarted",
        "PhaseBuilt",
        "PhaseBuildFailed",
        "PhaseOverdue",
        "TimerFired",
        "IntegrationOpened",
        "IntegrationFailed",
        "IntegrationNeedsPerson",
        "IntegrationResolved",
        "StatusRequested",
        "CancelRequested",
        "ReviewSubmitted",
        "ReviewDismissed",
        "ApprovedByCommand",
        "ConsultRequested",
        "ConsultantsFinished",
        "RetryRequested",
        "SkipRequested",
        "CheckRunOpened",
    }
    # The abstract bases are not kinds of events: nothing is ever sent as one.
    assert "Event" not in EVENT_TYPES and "PhaseEvent" not in EVENT_TYPES
    assert "PhaseReviewEvent" not in EVENT_TYPES
    assert all(not cls.abstract for cls in EVENT_TYPES.values())


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@given(data=st.data())
def test_every_event_type_round_trips_through_json(name: str, data: st.DataObject) -> None:
    event = data.draw(instances_of(EVENT_TYPES[name]))
    encoded = json.loads(json.dumps(event_to_dict(event)))
    assert encoded["type"] == name
    assert event_from_dict(encoded) == event


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Nope", "at": 1.0},
        {"at": 1.0},
        {"type": "PhaseBuilt", "at": 1.0},
        {"type": "Event", "at": 1.0},
        {"type": "PhaseEvent", "at": 1.0, "phase_id": "a", "attempt": 1},
        {"type": "BuilderStarted", "at": 1.0, "phase_id": "a", "attempt": "1"},
    ],
    ids=["unknown type", "no type", "missing fields", "base", "abstract", "bad value"],
)
def test_malformed_events_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        event_from_dict(data)


def test_a_phase_event_belongs_to_the_first_iteration_unless_it_says_otherwise() -> None:
    # Reports from jobs that predate iterations still count as the first review round.
    event = event_from_dict(
        {"type": "PhaseBuilt", "at": 1.0, "phase_id": "a", "attempt": 2, "head_sha": "h"}
    )
    assert event == PhaseBuilt(at=1.0, phase_id="a", attempt=2, iteration=1, head_sha="h")


def test_every_effect_type_is_registered() -> None:
    assert set(EFFECT_TYPES) == {
        "MergeHeads",
        "ResolveMerge",
        "AskForResolution",
        "AskToResolveIntegration",
        "OpenIntegration",
        "PreparePhase",
        "RunBuilder",
        "CancelBuilder",
        "StartTimer",
        "UpdateCheckRun",
        "UpdateStatusComment",
        "RequestConsultation",
        "SummariseConsultation",
        "RunConsultants",
    }
    assert "Effect" not in EFFECT_TYPES and "PhaseEffect" not in EFFECT_TYPES


@pytest.mark.parametrize("name", sorted(EFFECT_TYPES))
@given(data=st.data())
def test_every_effect_type_round_trips_through_json_and_has_a_job_id_key(
    name: str, data: st.DataObject
) -> None:
    effect: Effect = data.draw(instances_of(EFFECT_TYPES[name]))
    encoded = json.loads(json.dumps(effect_to_dict(effect)))
    assert encoded["type"] == name
    assert effect_from_dict(encoded) == effect
    assert JOB_ID.fullmatch(effect.key)
    assert JOB_ID.fullmatch(job_id("run-1", effect))


@pytest.mark.parametrize(
    ("effect", "key"),
    [
        (
            MergeHeads(phase_id="phase_4", attempt=1, branch="b", heads=()),
            "merge-phase_4-i1-a1",
        ),
        (
            PreparePhase(
                phase_id="phase_2",
                attempt=1,
                branch="b",
                base_branch="m",
                start=StartPoint(ref="m", sha="s"),
            ),
            "prepare-phase_2-i1-a1",
        ),
        (RunBuilder(phase_id="phase_2", attempt=3, branch="b"), "build-phase_2-i1-a3"),
        (RunBuilder(phase_id="phase_2", attempt=1, iteration=2, branch="b"), "build-phase_2-i2-a1"),
        (CancelBuilder(phase_id="phase_2", attempt=3), "cancel-phase_2-i1-a3"),
        (CancelBuilder(phase_id="phase_2", attempt=3, iteration=4), "cancel-phase_2-i4-a3"),
        (
            StartTimer(name="deadline:1:2:phase_2", due_at=1200.4),
            "timer-deadline_x3a_1_x3a_2_x3a_phase_2-1200",
        ),
        (UpdateCheckRun(phase_id="phase_2", version=9), "check-phase_2-v9"),
        (UpdateStatusComment(version=9), "status-v9"),
        (UpdateStatusComment(version=9, requested_at=1.5), "status-v9-r1500"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_effect_keys_name_the_phase_iteration_and_attempt(effect: Effect, key: str) -> None:
    assert effect.key == key
    assert job_id("r1", effect) == f"r1-{key}"


def test_effect_keys_tell_apart_what_must_not_be_deduplicated() -> None:
    assert (
        CancelBuilder(phase_id="a.b", attempt=1).key != CancelBuilder(phase_id="a_b", attempt=1).key
    )
    # A builder of a new review round is a new job, even at the same attempt number.
    assert (
        RunBuilder(phase_id="a", attempt=1, iteration=1, branch="b").key
        != RunBuilder(phase_id="a", attempt=1, iteration=2, branch="b").key
    )
    # A deadline moved to a later time is a new timer.
    assert (
        StartTimer(name="deadline:1:1:a", due_at=100).key
        != StartTimer(name="deadline:1:1:a", due_at=200).key
    )
    with pytest.raises(ValueError):
        job_id("run:1", UpdateStatusComment(version=1))


def test_awaiting_tells_a_current_event_from_a_stale_one() -> None:
    state = setup(DIAMOND, {"a": (PhaseStatus.BUILDING, 2)}, retries=1)
    assert state.awaiting("a", 2, PhaseStatus.BUILDING) is state.phases["a"]
    assert state.awaiting("a", 1, PhaseStatus.BUILDING) is None
    assert state.awaiting("a", 2, PhaseStatus.PREPARING) is None
    assert state.awaiting("zz", 1, PhaseStatus.BUILDING) is None
    # Any of several statuses will do.
    assert state.awaiting("a", 2, PhaseStatus.QUEUED, PhaseStatus.BUILDING) is state.phases["a"]
    assert state.awaiting("a", 2) is None
    # Another iteration is stale, whichever way round.
    assert state.awaiting("a", 2, PhaseStatus.BUILDING, iteration=2) is None
    second = state.with_phase(dataclasses.replace(state.phases["a"], iteration=2))
    assert second.awaiting("a", 2, PhaseStatus.BUILDING) is None
    assert second.awaiting("a", 2, PhaseStatus.BUILDING, iteration=2) is second.phases["a"]


@pytest.mark.parametrize(
    ("status", "active", "finished"),
    [
        (PhaseStatus.PENDING, False, False),
        (PhaseStatus.MERGING, True, False),
        (PhaseStatus.PREPARING, True, False),
        (PhaseStatus.QUEUED, True, False),
        (PhaseStatus.BUILDING, True, False),
        (PhaseStatus.DONE, False, True),
        (PhaseStatus.FAILED, False, True),
        (PhaseStatus.BLOCKED, False, True),
        (PhaseStatus.CANCELLED, False, True),
        (PhaseStatus.SKIPPED, False, True),
    ],
)
def test_which_statuses_take_a_slot_and_which_are_over(
    status: PhaseStatus, active: bool, finished: bool
) -> None:
    assert (status.active, status.finished) == (active, finished)
