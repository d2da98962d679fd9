"""Fixtures for the stand-in's own tests: a stand-in with one repository, and a git helper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github.Repository import Repository

from fakehub.testing import RunningFakeHub, git

REPO = "octo/app"
FILES = {
    "README.md": "# app\n",
    "src/app.py": "def main():\n    return 1\n",
    "docs/plan.md": "# Plan\n\n## Phase 1: Data layer\n",
}


@pytest.fixture
def repo_name(fakehub: RunningFakeHub) -> str:
    """A repository `octo/app` with a first commit on `main`; `alice` may write to it."""
    fakehub.control.create_repo(REPO, files=FILES)
    fakehub.control.add_collaborator(REPO, "alice", "write")
    return REPO


@pytest.fixture
def repo(fakehub: RunningFakeHub, repo_name: str) -> Repository:
    """The repository through PyGithub, as the App's installation."""
    return fakehub.github().get_repo(repo_name)


@pytest.fixture
def clone(fakehub: RunningFakeHub, repo_name: str, tmp_path: Path) -> Iterator[Path]:
    """A clone of the repository over HTTP with an installation token."""
    target = tmp_path / "clone"
    git("clone", "--quiet", fakehub.clone_url(repo_name, fakehub.installation_token()), str(target))
    yield target
