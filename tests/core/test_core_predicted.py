"""Conflicts predicted before the merge that would hit them: from the plan at the start, from
git each time a phase is pushed; in the status comment, the batch comment and the prompts."""

from __future__ import annotations

from dataclasses import replace

from bot.core.consultation import FileStat, predicted_conflicts
from bot.core.prompt import PromptInput, build_prompt, conflict_notes
from bot.core.reducer import reduce
from bot.core.render import status_comment
from bot.core.state import PhaseStatus, PredictedConflict, new_run
from bot.plan.model import Phase, Plan
from tests.core.core_support import T0, built, run_of, setup


def _touching() -> Plan:
    return Plan(
        phases=(
            Phase(id="a", label="1", title="Data", line=1, touches=("app/db.py",)),
            Phase(id="b", label="2", title="API", line=2, depends_on=("a",), touches=("app/",)),
            Phase(id="c", label="3", title="UI", line=3, depends_on=("a",), touches=("app/x.py",)),
        )
    )


def test_the_plan_predicts_conflicts_between_phases_beside_each_other_only() -> None:
    state = new_run(
        _touching(),
        run_id="r1",
        repo="o/r",
        installation_id=1,
        issue_number=1,
        issue_title="t",
        base_branch="main",
        base_sha="s",
        created_at=T0,
    )
    # `a` and `b` both touch app/db.py, but b builds on a: only b and c run beside each other.
    assert state.predicted == (
        PredictedConflict(phases=("b", "c"), paths=("app/ ~ app/x.py",), source="plan"),
    )
    assert state.concurrent("b") == ("c",) and state.concurrent("a") == ()


def _git(a: str, b: str, *paths: str) -> PredictedConflict:
    return PredictedConflict(phases=(a, b), paths=paths, source="git")


def test_what_git_finds_on_a_push_replaces_what_it_found_before_for_that_phase() -> None:
    state = setup({"a": [], "b": [], "c": []}, {p: (PhaseStatus.BUILDING, 1) for p in "abc"})
    state, _ = reduce(state, replace(built("a"), conflicts=(_git("a", "b", "x.py"),)))
    assert state.predicted == (_git("a", "b", "x.py"),)
    # b pushed a head that no longer conflicts with a, but does with c.
    state, _ = reduce(state, replace(built("b"), conflicts=(_git("b", "c", "y.py"),)))
    assert state.predicted == (_git("b", "c", "y.py"),)
    # A late report of an earlier attempt changes nothing.
    again, _ = reduce(state, replace(built("b"), conflicts=(_git("b", "c", "z.py"),)))
    assert again.predicted == state.predicted


def test_the_status_comment_batch_comment_and_prompt_show_them() -> None:
    state = replace(
        run_of({"a": [], "b": [], "c": []}),
        predicted=(
            PredictedConflict(phases=("a", "c"), paths=("docs/",), source="plan"),
            _git("a", "b", "app/shared.py"),
        ),
    )
    comment = status_comment(state)
    section = comment.split("**Predicted conflicts**", 1)[1]
    # git's findings first: they are certain, the plan's are a guess.
    assert section.index("app/shared.py") < section.index("docs/")
    assert "git found their pushed work conflicts: `app/shared.py`" in section
    assert "the plan says both touch: `docs/`" in section
    batch = predicted_conflicts(state, ["b"], {"b": [FileStat("app/shared.py", 1, 0)]})
    assert batch == "git finds a and b conflict in `app/shared.py`"
    notes = conflict_notes(state, "a")
    assert notes == [
        "Title of c (c): `docs/` (planned)",
        "Title of b (b): `app/shared.py` (git found their pushed work conflicts)",
    ]
    prompt = build_prompt(PromptInput("r", "a", "A", "Do a.", "", 1, conflicts=notes))
    assert "## Conflicts predicted with phases beside this one" in prompt
    assert "- Title of b (b): `app/shared.py`" in prompt


def test_many_predictions_are_capped_and_counted() -> None:
    state = replace(
        run_of({f"p{i}": [] for i in range(30)}),
        predicted=tuple(_git("p0", f"p{i}", "f.py") for i in range(1, 30)),
    )
    section = status_comment(state).split("**Predicted conflicts**", 1)[1]
    assert section.count("git found") == 20
    assert "and 9 more pairs" in section
