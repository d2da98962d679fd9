"""Failure control on GitHub: `/porch retry`, `/porch skip`, a check run's Re-run and its
buttons, by a writer (acted on) and a reader (refused); and the check runs of phases that
stopped before they had a branch."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.core.state import PhaseStatus, RunStatus
from tests.integration.conftest import BUILDER, MAINTAINER, REPO, Porch, porch_config

READER = "rita"
P = PhaseStatus


def _failing_phase_2(porch: Porch, tmp_path: Path) -> tuple[int, Path]:
    """A diamond whose phase 2 fails until the flag file exists: a run that ended failed."""
    flag = tmp_path / "phase_2-may-pass"
    # The builder runs in its sandbox: the flag's folder must be in its (read-only) view.
    os.environ["PORCH_SANDBOX_PATHS"] += f":{tmp_path}"
    command = (
        f'sh -c \'test "$PORCH_PHASE_ID" != phase_2 || test -f {flag} || exit 1; '
        f"exec python3 {BUILDER}'"
    )
    porch.repo(config=porch_config(command))
    porch.hub.control.add_collaborator(REPO, READER, "read")
    issue = porch.start()
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.FAILED
    assert state.phase("phase_2").status is P.FAILED
    assert state.phase("phase_4").status is P.BLOCKED
    return issue, flag


def _press(porch: Porch, issue: int, how: str, user: str) -> None:
    state = porch.run(issue)
    assert state is not None
    check_run_id = state.phase("phase_2").check_run_id
    assert check_run_id is not None
    if how == "comment retry":
        porch.hub.control.comment(REPO, issue, user, "/porch retry 2")
    elif how == "comment skip":
        porch.hub.control.comment(REPO, issue, user, "/porch skip Phase 2")
    elif how == "Re-run":
        porch.hub.control.rerun_check(REPO, check_run_id, user)
    else:
        porch.hub.control.press_action(REPO, check_run_id, how, user)
    porch.settle()


def _comments(porch: Porch, issue: int) -> list[str]:
    return [c.body for c in porch.comments(issue)]


@pytest.mark.parametrize("how", ["comment retry", "Re-run", "retry"])
def test_a_writer_retries_the_failed_phase_on_its_branch_and_pr(
    porch: Porch, tmp_path: Path, how: str
) -> None:
    issue, flag = _failing_phase_2(porch, tmp_path)
    before = porch.run(issue)
    assert before is not None
    flag.write_text("fixed\n")
    _press(porch, issue, how, MAINTAINER)
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    assert {p.status for p in state.phases.values()} == {P.DONE}
    again = state.phase("phase_2")
    assert (again.branch, again.pr_number) == (
        before.phase("phase_2").branch,
        before.phase("phase_2").pr_number,
    )
    assert again.attempt == 3  # two tries before, one now
    gh = porch.hub.github().get_repo(REPO)
    assert again.head_sha is not None and again.check_run_id is not None
    run = gh.get_check_run(again.check_run_id)
    assert (run.status, run.conclusion) == ("completed", "success")
    status = next(b for b in _comments(porch, issue) if "porch-parallel:status" in b)
    assert "porch parallel: done" in status and "4 of 4 phases done" in status


@pytest.mark.parametrize("how", ["comment retry", "Re-run", "retry", "comment skip", "skip"])
def test_a_reader_is_refused_politely_and_nothing_changes(
    porch: Porch, tmp_path: Path, how: str
) -> None:
    issue, flag = _failing_phase_2(porch, tmp_path)
    flag.write_text("fixed\n")
    before = porch.run(issue)
    _press(porch, issue, how, READER)
    assert porch.run(issue) == before
    refusals = [b for b in _comments(porch, issue) if f"@{READER}" in b and "write access" in b]
    assert len(refusals) == 1
    if not how.startswith("comment"):
        # Pressing again answers no more: one refusal per person, check run and button.
        _press(porch, issue, how, READER)
        assert len([b for b in _comments(porch, issue) if f"@{READER}" in b]) == 1


@pytest.mark.parametrize("how", ["comment skip", "skip"])
def test_a_writer_skips_the_failed_phase_and_its_dependent_starts_without_it(
    porch: Porch, tmp_path: Path, how: str
) -> None:
    issue, _flag = _failing_phase_2(porch, tmp_path)
    _press(porch, issue, how, MAINTAINER)
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE
    assert state.phase("phase_2").status is P.SKIPPED
    assert state.phase("phase_4").status is P.DONE
    # Phase 4 started from phase 3 alone (phase 1 is inside it): no merge, a PR into phase 3.
    assert state.phase("phase_4").base_branch == state.phase("phase_3").branch
    status = next(b for b in _comments(porch, issue) if "porch-parallel:status" in b)
    assert "skipped" in status and "4 of 4 phases done" in status


def test_retry_of_a_phase_that_is_done_is_answered_with_why(porch: Porch) -> None:
    porch.repo()
    issue = porch.start()
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch retry phase_1\n/porch skip 9")
    porch.settle()
    bodies = _comments(porch, issue)
    assert any("cannot retry `phase_1`: the run is already done" in b for b in bodies)
    assert any("this run has no phase `9`" in b for b in bodies)
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE


def _plan_with_a_dependent_of_the_join() -> str:
    phases: list[dict[str, Any]] = [
        {"id": "phase_1", "title": "Data layer", "depends_on": []},
        {"id": "phase_2", "title": "API routes", "depends_on": ["phase_1"]},
        {"id": "phase_3", "title": "UI components", "depends_on": ["phase_1"]},
        {"id": "phase_4", "title": "Integration", "depends_on": ["phase_2", "phase_3"]},
        {"id": "phase_5", "title": "Docs", "depends_on": ["phase_4"]},
    ]
    return f"# Plan\n\n```json\n{json.dumps({'phases': phases}, indent=1)}\n```\n"


def test_a_join_that_fails_before_building_has_a_failed_check_run_and_so_do_its_dependents(
    porch: Porch,
) -> None:
    porch.repo()
    # GitHub refuses the join's merge outright (not a conflict, which the ladder would climb).
    porch.hub.control.add_fault("error", "POST", f"/repos/{REPO}/merges", status=403)
    issue = porch.start(body=_plan_with_a_dependent_of_the_join())
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.FAILED
    join, dependent = state.phase("phase_4"), state.phase("phase_5")
    assert (join.status, dependent.status) == (P.FAILED, P.BLOCKED)
    assert join.branch is None and join.pr_number is None  # it never got its own
    gh = porch.hub.github().get_repo(REPO)
    runs = {r.external_id: r for r in gh.get_commit(state.base_sha).get_check_runs()}
    failed = runs[f"{state.run_id}:phase_4"]
    assert (failed.status, failed.conclusion) == ("completed", "failure")
    assert "403" in failed.output.summary
    assert "commit the run started from" in failed.output.summary
    blocked = runs[f"{state.run_id}:phase_5"]
    assert (blocked.status, blocked.conclusion) == ("completed", "neutral")
    assert "phase_4 failed" in blocked.output.summary
    assert (join.check_run_id, dependent.check_run_id) == (failed.id, blocked.id)
    # Exactly one each, however often the phases' check runs were rendered.
    assert len(runs) == 2
