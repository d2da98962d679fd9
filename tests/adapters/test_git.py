"""The git adapter against real git repositories on disk."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.adapters import git as gitops
from bot.adapters.git import GitAuth, GitError, Identity

BOT = Identity("porch-parallel[bot]", "1+porch-parallel[bot]@users.noreply.github.com")


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare repository with one commit on main."""
    seed = tmp_path / "seed"
    seed.mkdir()
    gitops.git(["init", "--quiet", "--initial-branch=main"], seed)
    (seed / "README.md").write_text("hello\n")
    gitops.commit_all(seed, "initial", BOT)
    bare = tmp_path / "origin.git"
    gitops.git(["clone", "--quiet", "--bare", str(seed), str(bare)], tmp_path)
    return bare


def test_clone_commit_push_moves_the_branch(origin: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    gitops.clone(origin.as_uri(), work, "main", auth=None)
    (work / "app.py").write_text("print('hi')\n")
    assert gitops.commit_all(work, "Add app", BOT) is True
    gitops.push(work, "porch/1-x/phase_1", auth=None)

    pushed = gitops.git(["rev-parse", "refs/heads/porch/1-x/phase_1"], origin).stdout.strip()
    assert pushed == gitops.head(work)
    author = gitops.git(["log", "-1", "--format=%an <%ae>"], work).stdout.strip()
    assert author == f"{BOT.name} <{BOT.email}>"
    changed = gitops.git(["diff", "--name-only", "origin/main...HEAD"], work).stdout.split()
    assert changed == ["app.py"]


def test_commit_all_reports_nothing_to_commit(origin: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    gitops.clone(origin.as_uri(), work, "main", auth=None)
    assert gitops.commit_all(work, "nothing", BOT) is False


def test_failure_names_the_command_and_hides_the_token(tmp_path: Path) -> None:
    auth = GitAuth(token="ghs_" + "a" * 36)
    with pytest.raises(GitError) as caught:
        gitops.clone(
            f"http://x-access-token:{auth.token}@127.0.0.1:9/o/r.git",
            tmp_path / "w",
            "main",
            auth=auth,
        )
    assert "git clone failed" in str(caught.value)
    assert auth.token not in str(caught.value)


def test_token_travels_in_the_environment_not_the_config(origin: Path, tmp_path: Path) -> None:
    auth = GitAuth(token="ghs_" + "b" * 36)
    work = tmp_path / "work"
    gitops.clone(origin.as_uri(), work, "main", auth=auth)
    config = (work / ".git" / "config").read_text()
    assert auth.token not in config
    assert "extraHeader" not in config
    listed = subprocess.run(["git", "config", "--list"], cwd=work, capture_output=True, text=True)
    assert auth.token not in listed.stdout
