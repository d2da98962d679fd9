"""Input that tries to steer paths or shells, and branches or PRs left where ours would go."""

from __future__ import annotations

import json
import re
from pathlib import Path

from github import InputGitAuthor

from bot.core.state import PhaseStatus, RunState, RunStatus
from tests.integration.conftest import DIAMOND, MAINTAINER, REPO, Porch, porch_config

PWNED = Path("/tmp/porch-hostile-input-pwned")
HOSTILE = [
    ("$(touch /tmp/porch-hostile-input-pwned)", "`touch /tmp/porch-hostile-input-pwned`"),
    ("a/b", "x; rm -rf / ;"),
    ("..", "../../etc/passwd"),
    ("line\nbreak", "title\nwith a newline"),
    ("ph\u0430se_1", "look-alike of phase_1"),  # a Cyrillic a
    ("phase_1", "the real phase_1"),
]


def _plan() -> str:
    phases = [
        {"id": pid, "title": title, "depends_on": [HOSTILE[i - 1][0]] if i else []}
        for i, (pid, title) in enumerate(HOSTILE)
    ]
    return f"# Hostile\n\n```json\n{json.dumps({'phases': phases})}\n```\n"


def test_hostile_phase_ids_and_titles_make_safe_names_and_the_run_works(porch: Porch) -> None:
    PWNED.unlink(missing_ok=True)
    porch.repo()
    issue = porch.start(_plan())
    state = porch.run(issue)
    assert state is not None
    assert state.status is RunStatus.DONE, {p: s.error for p, s in state.phases.items()}
    branches = [state.phase(pid).branch for pid, _ in HOSTILE]
    assert len(set(branches)) == len(HOSTILE)  # no two ids share a branch
    for branch in branches:
        assert branch is not None
        assert re.fullmatch(r"[A-Za-z0-9._/-]+", branch) and ".." not in branch, branch
    assert not PWNED.exists()
    # The originals are kept for people: the PR titles show them.
    titles = [p.title for p in porch.hub.github().get_repo(REPO).get_pulls(state="open")]
    assert any("look-alike of phase_1" in t for t in titles)


def test_a_plan_path_outside_the_repository_is_refused(porch: Porch) -> None:
    porch.repo()
    for n, path in enumerate(["../../x", "/etc/passwd", "a/%2e%2e/b", "a/./b", "https://x/y"]):
        issue = porch.start(text=f"/porch parallel {path}")
        [*_, answer] = porch.comments(issue)
        assert f"`{path}`" in answer.body and "found no plan" in answer.body, (n, answer.body)
        assert porch.run(issue) is None
    requested = [r.path for r in porch.hub.requests if r.method == "GET"]
    # Nothing was read outside the repository's contents (`../../x` would be /repos/octo/x).
    assert not any(p.startswith("/repos/octo/x") for p in requested)
    assert not any("%2e" in p.lower() or "/etc/" in p for p in requested)


def _foreign_commit(porch: Porch, message: str, parent: str | None = None) -> str:
    """A commit by someone else, on top of `parent` (main), that no ref points to yet."""
    repo = porch.hub.github().get_repo(REPO)
    base = repo.get_git_commit(parent or repo.get_branch("main").commit.sha)
    mallory = InputGitAuthor("mallory", "mallory@example.com")
    return repo.create_git_commit(message, base.tree, [base], author=mallory, committer=mallory).sha


def _issue(porch: Porch) -> int:
    return int(porch.hub.control.open_issue(REPO, MAINTAINER, "Task board", DIAMOND)["number"])


def _start(porch: Porch, issue: int) -> RunState:
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch parallel")
    porch.settle()
    state = porch.run(issue)
    assert state is not None
    return state


def test_a_branch_at_an_unrelated_commit_fails_its_phase(porch: Porch) -> None:
    porch.repo()
    issue = _issue(porch)
    branch = f"porch/{issue}-task-board/phase_1"
    sha = _foreign_commit(porch, "Delete everything")
    porch.hub.github().get_repo(REPO).create_git_ref(f"refs/heads/{branch}", sha)

    state = _start(porch, issue)
    assert state.status is RunStatus.FAILED
    phase = state.phase("phase_1")
    assert phase.status is PhaseStatus.FAILED
    assert f"`{branch}` exists already at {sha[:7]}" in phase.error
    assert "mallory" in phase.error and "Delete the branch" in phase.error
    assert phase.pr_number is None  # nothing was built on it
    assert {state.phase(p).status for p in ("phase_2", "phase_3", "phase_4")} == {
        PhaseStatus.BLOCKED
    }
    assert porch.hub.github().get_repo(REPO).get_branch(branch).commit.sha == sha
    assert not porch.hub.github().get_repo(REPO).get_pulls(state="open").totalCount


def test_a_stale_base_branch_fails_the_joining_phase(porch: Porch) -> None:
    porch.repo()
    issue = _issue(porch)
    stale = f"porch/{issue}-task-board/phase_4-base"
    sha = _foreign_commit(porch, "An old merge")
    porch.hub.github().get_repo(REPO).create_git_ref(f"refs/heads/{stale}", sha)

    state = _start(porch, issue)
    phase = state.phase("phase_4")
    assert phase.status is PhaseStatus.FAILED
    assert f"`{stale}` exists already at {sha[:7]}" in phase.error
    assert "Delete the branch" in phase.error
    assert phase.pr_number is None
    assert {state.phase(p).status for p in ("phase_1", "phase_2", "phase_3")} == {PhaseStatus.DONE}


def test_a_foreign_pull_request_for_the_phase_branch_fails_the_phase(porch: Porch) -> None:
    porch.repo()
    repo = porch.hub.github().get_repo(REPO)
    first = repo.get_branch("main").commit.sha
    # main moves on, so that a branch at the old main is a base the phase branch is ahead of.
    repo.create_file("NEWS.md", "news", "news\n", branch="main")
    repo.create_git_ref("refs/heads/old", first)
    issue = _issue(porch)
    branch = f"porch/{issue}-task-board/phase_1"
    repo.create_git_ref(f"refs/heads/{branch}", repo.get_branch("main").commit.sha)
    foreign = porch.hub.control.open_pull(REPO, MAINTAINER, "Mine", head=branch, base="old")

    state = _start(porch, issue)
    phase = state.phase("phase_1")
    assert phase.status is PhaseStatus.FAILED
    assert f"#{foreign['number']} into `old`" in phase.error
    assert f"Close #{foreign['number']}" in phase.error
    assert phase.pr_number is None


ONE_PHASE = (
    "# Hooks\n\n```json\n"
    '{"phases": [{"id": "phase_1", "title": "Plant hooks", "depends_on": []}]}\n```\n'
)


def test_hooks_and_config_a_builder_plants_in_its_clone_never_run_outside_it(
    porch: Porch, tmp_path: Path
) -> None:
    """Our commit and push in the builder's clone would run what its `.git` says, outside the
    sandbox and with a token in reach: hooks, `core.hooksPath`, `core.fsmonitor`, a filter."""
    mark = tmp_path / "ran"
    hooks = ["pre-commit", "post-commit", "pre-push", "reference-transaction", "post-checkout"]
    plant = " ".join(
        [
            f"for h in {' '.join(hooks)}; do",
            f"printf '#!/bin/sh\\ntouch {mark}-%s\\n' $h > .git/hooks/$h; chmod +x .git/hooks/$h;",
            "done;",
            f"git config core.fsmonitor 'touch {mark}-fsmonitor';",
            f"git config core.hooksPath {tmp_path};",
            f"git config filter.evil.clean 'touch {mark}-filter; cat';",
            "echo '* filter=evil' > .gitattributes;",
            "mkdir -p app && echo 'x = 1' > app/work.py",
        ]
    )
    porch.repo(config=porch_config(plant))
    issue = porch.start(body=ONE_PHASE)
    state = porch.run(issue)
    assert state is not None and state.status is RunStatus.DONE, state
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("ran")] == []
    # The builder's work still landed, its own `.git` did not.
    repo = porch.hub.github().get_repo(REPO)
    branch = state.branch_for("phase_1")
    assert repo.get_contents("app/work.py", ref=branch).decoded_content == b"x = 1\n"
    assert repo.get_contents(".gitattributes", ref=branch).decoded_content == b"* filter=evil\n"
