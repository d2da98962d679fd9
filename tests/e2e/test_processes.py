"""The diamond from a `/porch parallel` comment, on real processes: Redis, the local GitHub,
the web app, an events worker, two builder workers and a scripted builder that sleeps and edits
files."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.core.state import PhaseStatus, RunStatus
from porch_localstack.demo import REPO, SAMPLE_PLAN, RunResult, run_plan
from porch_localstack.localstack import LocalStack

pytestmark = pytest.mark.e2e
BUILDER_SECONDS = 1.5


@pytest.fixture(scope="module")
def diamond(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, RunResult]]:
    with LocalStack(tmp_path_factory.mktemp("stack"), workers=2) as stack:
        result = run_plan(stack, SAMPLE_PLAN.read_text(), builder_sleep=BUILDER_SECONDS)
        yield stack, result


def test_every_phase_is_done(diamond: tuple[LocalStack, RunResult]) -> None:
    _, result = diamond
    assert result.state.status is RunStatus.DONE
    assert {p.status for p in result.state.phases.values()} == {PhaseStatus.DONE}


def test_one_draft_pr_per_phase_with_the_right_base_and_diff(
    diamond: tuple[LocalStack, RunResult],
) -> None:
    stack, result = diamond
    repo = stack.github().get_repo(REPO)
    branch = {pid: p.branch for pid, p in result.state.phases.items()}
    expected_base = {
        "phase_1": "main",
        "phase_2": branch["phase_1"],
        "phase_3": branch["phase_1"],
        "phase_4": f"{branch['phase_4']}-base",
    }
    for phase_id, phase in result.state.phases.items():
        assert phase.pr_number is not None
        pull = repo.get_pull(phase.pr_number)
        assert pull.draft
        assert pull.head.ref == branch[phase_id]
        assert pull.base.ref == expected_base[phase_id]
        assert [f.filename for f in pull.get_files()] == [f"app/{phase_id}.py"]
        assert f"#{result.issue_number}" in pull.body


def test_siblings_overlap_and_the_join_waits_for_both(
    diamond: tuple[LocalStack, RunResult],
) -> None:
    _, result = diamond
    spans = result.timeline
    assert sorted(spans) == ["phase_1", "phase_2", "phase_3", "phase_4"]
    (start2, end2), (start3, end3) = spans["phase_2"], spans["phase_3"]
    assert start2 < end3 and start3 < end2, "phases 2 and 3 did not run at the same time"
    assert spans["phase_1"][1] <= min(start2, start3)
    assert spans["phase_4"][0] >= max(end2, end3)


def test_the_join_starts_from_a_branch_holding_both_dependencies(
    diamond: tuple[LocalStack, RunResult],
) -> None:
    stack, result = diamond
    repo = stack.github().get_repo(REPO)
    base = f"{result.state.phase('phase_4').branch}-base"
    for path in ("app/phase_1.py", "app/phase_2.py", "app/phase_3.py"):
        assert repo.get_contents(path, ref=base)


def test_check_runs_complete_successfully(diamond: tuple[LocalStack, RunResult]) -> None:
    stack, result = diamond
    repo = stack.github().get_repo(REPO)
    for phase in result.state.phases.values():
        assert phase.head_sha is not None
        # Check runs are rendered by jobs of their own, which may finish just after the run.
        deadline = time.monotonic() + 30
        while True:
            # The last phase's head is also the integration branch's: its summary check is there.
            runs = [
                r
                for r in repo.get_commit(phase.head_sha).get_check_runs()
                if r.name != "porch: integration"
            ]
            seen = [(r.status, r.conclusion) for r in runs]
            if seen == [("completed", "success")] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert seen == [("completed", "success")]


def test_the_status_comment_ends_with_every_phase_done(
    diamond: tuple[LocalStack, RunResult],
) -> None:
    stack, result = diamond
    issue = stack.github().get_repo(REPO).get_issue(result.issue_number)
    deadline = time.monotonic() + 30
    while True:
        bodies = [c.body for c in issue.get_comments() if "porch-parallel:status" in c.body]
        if bodies and "4 of 4 phases done" in bodies[0]:
            break
        assert time.monotonic() < deadline, f"status comment never showed the end: {bodies}"
        time.sleep(0.2)
    assert len(bodies) == 1, "the status comment is edited in place, never repeated"
    assert "### porch parallel: done" in bodies[0]


SECRET_SHAPES = ("ghs_", "ghp_", "x-access-token:", "PRIVATE KEY")


def test_no_token_appears_in_any_log(diamond: tuple[LocalStack, RunResult]) -> None:
    stack, _ = diamond
    logs = stack.log_text()
    assert "POST /webhooks/github" in logs and "run_builder" in logs  # the logs are real
    for shape in SECRET_SHAPES:
        assert shape not in logs


def test_no_token_appears_in_comments_check_runs_or_prs(
    diamond: tuple[LocalStack, RunResult],
) -> None:
    stack, result = diamond
    repo = stack.github().get_repo(REPO)
    texts = [c.body for c in repo.get_issue(result.issue_number).get_comments()]
    for phase in result.state.phases.values():
        assert phase.head_sha is not None and phase.pr_number is not None
        texts.append(repo.get_pull(phase.pr_number).body)
        for run in repo.get_commit(phase.head_sha).get_check_runs():
            texts += [run.output.title, run.output.summary, run.output.text or ""]
    assert any("building phase_" in text for text in texts)  # the builder's log is there
    for shape in SECRET_SHAPES:
        assert not any(shape in text for text in texts)


def test_the_status_comment_is_unique_per_run(diamond: tuple[LocalStack, RunResult]) -> None:
    stack, result = diamond
    comments = stack.github().get_repo(REPO).get_issue(result.issue_number).get_comments()
    bot = [c for c in comments if c.user.type == "Bot"]
    assert len(bot) == 1


def test_the_run_ends_with_one_integration_pr_into_main(
    diamond: tuple[LocalStack, RunResult],
) -> None:
    stack, result = diamond
    repo = stack.github().get_repo(REPO)
    state = result.state
    assert state.status is RunStatus.DONE and state.integration_pr is not None
    [pull] = [p for p in repo.get_pulls(state="open") if p.base.ref == "main" and not p.draft]
    assert pull.number == state.integration_pr
    assert pull.head.ref == state.integration_branch
    assert sorted(f.filename for f in pull.get_files()) == [
        f"app/phase_{n}.py" for n in range(1, 5)
    ]
    assert f"Closes #{result.issue_number}" in (pull.body or "")
    assert "gantt" in (pull.body or "") and "Makespan" in (pull.body or "")
