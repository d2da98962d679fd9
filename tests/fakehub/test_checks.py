"""Check runs through PyGithub; Re-run and action buttons pressed through the control API."""

from __future__ import annotations

import pytest
from github import GithubException
from github.Repository import Repository

from fakehub.testing import RunningFakeHub

ACTIONS = [
    {"label": "Retry", "description": "Build the phase again", "identifier": "retry"},
    {"label": "Skip", "description": "Mark the phase done", "identifier": "skip"},
    {"label": "Cancel", "description": "Stop the run", "identifier": "cancel"},
]


def test_check_run_lifecycle(repo: Repository) -> None:
    sha = repo.get_branch("main").commit.sha
    run = repo.create_check_run(
        "porch: phase 1",
        sha,
        status="queued",
        external_id="run-7:phase_1",
        output={"title": "Queued", "summary": "waiting for a builder"},
        actions=ACTIONS,
    )
    assert run.status == "queued" and run.conclusion is None
    run.edit(status="in_progress", output={"title": "Building", "summary": "…", "text": "log"})
    run.edit(status="completed", conclusion="success")
    got = repo.get_check_run(run.id)
    assert (got.status, got.conclusion, got.external_id) == (
        "completed",
        "success",
        "run-7:phase_1",
    )
    assert got.output.title == "Building" and got.output.text == "log"
    assert got.started_at is not None and got.completed_at is not None
    listed = repo.get_commit(sha).get_check_runs()
    assert [r.id for r in listed] == [run.id]
    assert listed.totalCount == 1
    assert [r.id for r in repo.get_commit("main").get_check_runs(check_name="other")] == []


@pytest.mark.fakehub_allow_violations  # four actions break the request schema: the point here
def test_at_most_three_actions(repo: Repository) -> None:
    sha = repo.get_branch("main").commit.sha
    too_many = [*ACTIONS, {"label": "More", "description": "one too many", "identifier": "more"}]
    with pytest.raises(GithubException) as raised:
        repo.create_check_run("x", sha, actions=too_many)
    assert raised.value.status == 422


def test_people_cannot_create_check_runs(fakehub: RunningFakeHub, repo_name: str) -> None:
    token = fakehub.control.add_collaborator(repo_name, "carol", "admin")
    as_carol = fakehub.github(token).get_repo(repo_name)
    with pytest.raises(GithubException) as raised:
        as_carol.create_check_run("x", as_carol.get_branch("main").commit.sha)
    assert raised.value.status == 403


def test_rerun_and_action_buttons_send_check_run_events(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    sha = repo.get_branch("main").commit.sha
    run = repo.create_check_run(
        "porch: phase 1", sha, status="completed", conclusion="failure", actions=ACTIONS[:1]
    )
    fakehub.control.rerun_check("octo/app", run.id, "alice")
    fakehub.control.press_action("octo/app", run.id, "retry", "alice")
    fakehub.flush()
    events = [(d.event, d.action) for d in fakehub.deliveries if d.event == "check_run"]
    assert events == [
        ("check_run", "created"),
        ("check_run", "completed"),
        ("check_run", "rerequested"),
        ("check_run", "requested_action"),
    ]
    pressed = fakehub.deliveries[-1].payload
    assert pressed["requested_action"] == {"identifier": "retry"}
    assert pressed["sender"]["login"] == "alice"
    assert pressed["check_run"]["id"] == run.id


def test_check_run_times_given_by_the_app_are_kept(repo: Repository) -> None:
    from datetime import UTC, datetime

    sha = repo.get_branch("main").commit.sha
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    done = datetime(2026, 1, 2, 3, 9, 5, tzinfo=UTC)
    run = repo.create_check_run("timed", sha, status="in_progress", started_at=started)
    run.edit(status="completed", conclusion="success", completed_at=done)
    got = repo.get_check_run(run.id)
    assert (got.started_at, got.completed_at) == (started, done)


# GitHub answers 422 here, though its description declares only 201.
@pytest.mark.fakehub_allow_violations
def test_output_is_limited_in_bytes(repo: Repository) -> None:
    """GitHub documents 65535 characters but counts UTF-8 bytes: 30,000 `✓` are too many."""
    sha = repo.get_branch("main").commit.sha
    for field in ("summary", "text"):
        output = {"title": "Built", "summary": "ok", field: "✓" * 30_000}
        with pytest.raises(GithubException) as raised:
            repo.create_check_run("porch: phase 1", sha, output=output)
        assert raised.value.status == 422
        assert raised.value.data["errors"] == [
            {
                "resource": "CheckRun",
                "code": "custom",
                "field": field,
                "message": f"{field} exceeds a maximum bytesize of 65535",
            }
        ]
    run = repo.create_check_run("porch: phase 1", sha, output={"title": "t", "summary": "s"})
    with pytest.raises(GithubException) as raised:
        run.edit(output={"title": "t", "summary": "s", "text": "é" * 40_000})
    assert raised.value.status == 422
    run.edit(output={"title": "t", "summary": "s", "text": "e" * 65_535})


def test_listing_shows_the_latest_run_of_each_name_unless_asked_for_all(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    sha = repo.get_branch("main").commit.sha
    first = repo.create_check_run("porch: phase 1", sha, external_id="run-1:phase_1")
    other = repo.create_check_run("porch: phase 2", sha, external_id="run-1:phase_2")
    second = repo.create_check_run("porch: phase 1", sha, external_id="run-2:phase_1")
    commit = repo.get_commit(sha)
    assert [r.id for r in commit.get_check_runs()] == [second.id, other.id]
    assert [r.external_id for r in commit.get_check_runs(check_name="porch: phase 1")] == [
        "run-2:phase_1"
    ]
    every = commit.get_check_runs(check_name="porch: phase 1", filter="all")
    assert [r.id for r in every] == [second.id, first.id]
