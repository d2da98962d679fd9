"""Real git over HTTP with token auth; the merges API against `git merge`."""

from __future__ import annotations

from pathlib import Path

import pytest
from github import GithubException
from github.Repository import Repository

from fakehub.testing import RunningFakeHub, commit_file, git


def test_clone_commit_push_and_open_pull(
    fakehub: RunningFakeHub, repo: Repository, clone: Path
) -> None:
    assert (clone / "README.md").read_text() == "# app\n"
    git("checkout", "--quiet", "-b", "porch/1-plan/phase_1", cwd=clone)
    sha = commit_file(clone, "src/data.py", "DATA = {}\n", "Phase 1: data layer")
    git("push", "--quiet", "origin", "porch/1-plan/phase_1", cwd=clone)
    assert repo.get_branch("porch/1-plan/phase_1").commit.sha == sha
    pull = repo.create_pull(
        title="Phase 1", body="", head="porch/1-plan/phase_1", base="main", draft=True
    )
    assert [f.filename for f in pull.get_files()] == ["src/data.py"]
    fakehub.flush()
    pushes = [d.payload for d in fakehub.deliveries if d.event == "push"]
    assert pushes[-1]["ref"] == "refs/heads/porch/1-plan/phase_1"
    assert pushes[-1]["after"] == sha and pushes[-1]["created"]
    assert pushes[-1]["head_commit"]["added"] == ["src/data.py"]


def test_push_to_pull_head_sends_synchronize(
    fakehub: RunningFakeHub, repo: Repository, clone: Path
) -> None:
    git("checkout", "--quiet", "-b", "phase", cwd=clone)
    before = commit_file(clone, "a.txt", "1\n", "one")
    git("push", "--quiet", "origin", "phase", cwd=clone)
    pull = repo.create_pull(title="p", body="", head="phase", base="main")
    after = commit_file(clone, "a.txt", "2\n", "two")
    git("push", "--quiet", "origin", "phase", cwd=clone)
    fakehub.flush()
    sync = [d.payload for d in fakehub.deliveries if d.action == "synchronize"]
    assert [(s["number"], s["before"], s["after"]) for s in sync] == [(pull.number, before, after)]
    assert repo.get_pull(pull.number).head.sha == after


def test_partial_clone(fakehub: RunningFakeHub, repo_name: str, tmp_path: Path) -> None:
    url = fakehub.clone_url(repo_name, fakehub.installation_token())
    git("clone", "--quiet", "--filter=blob:none", url, str(tmp_path / "partial"))
    assert (tmp_path / "partial" / "src" / "app.py").is_file()


@pytest.mark.parametrize("which", ["wrong", "expired", "none"])
def test_push_with_bad_token_is_refused(
    fakehub: RunningFakeHub, repo: Repository, clone: Path, which: str
) -> None:
    git("checkout", "--quiet", "-b", "sneaky", cwd=clone)
    commit_file(clone, "x.txt", "x\n", "x")
    if which == "expired":
        token = fakehub.installation_token()
        fakehub.control.advance_clock(3601)
        url = fakehub.clone_url("octo/app", token)
    elif which == "wrong":
        url = fakehub.clone_url("octo/app", "ghs_not-a-token")
    else:
        url = fakehub.clone_url("octo/app")
    pushed = git("push", url, "sneaky", cwd=clone, check=False)
    assert pushed.returncode != 0
    assert [r.status for r in fakehub.requests if r.area == "git"][-1] == 401
    fresh = fakehub.github().get_repo("octo/app")  # the old token may have expired too
    assert "sneaky" not in {b.name for b in fresh.get_branches()}


def _branches_that_touch(clone: Path, left: dict[str, str], right: dict[str, str]) -> None:
    git("checkout", "--quiet", "-b", "left", "origin/main", cwd=clone)
    for path, text in left.items():
        commit_file(clone, path, text, f"left: {path}")
    git("checkout", "--quiet", "-b", "right", "origin/main", cwd=clone)
    for path, text in right.items():
        commit_file(clone, path, text, f"right: {path}")
    git("push", "--quiet", "origin", "left", "right", cwd=clone)


def test_merges_api_equals_git_merge(repo: Repository, clone: Path) -> None:
    _branches_that_touch(clone, {"api.py": "routes\n"}, {"ui.py": "components\n"})
    repo.create_git_ref("refs/heads/integration", repo.get_branch("left").commit.sha)
    merged = repo.merge("integration", "right", "Merge right into integration")
    assert merged is not None
    assert len(merged.parents) == 2
    git("checkout", "--quiet", "-b", "local", "origin/left", cwd=clone)
    git("merge", "--quiet", "--no-edit", "origin/right", cwd=clone)
    local_tree = git("rev-parse", "HEAD^{tree}", cwd=clone).stdout.strip()
    assert merged.commit.tree.sha == local_tree
    assert repo.get_branch("integration").commit.sha == merged.sha
    assert repo.merge("integration", "right") is None  # 204: nothing left to merge


def test_conflicting_merge_is_409_and_changes_nothing(repo: Repository, clone: Path) -> None:
    _branches_that_touch(clone, {"README.md": "left\n"}, {"README.md": "right\n"})
    before = {b.name: b.commit.sha for b in repo.get_branches()}
    with pytest.raises(GithubException) as raised:
        repo.merge("left", "right")
    assert raised.value.status == 409
    assert raised.value.data["message"] == "Merge conflict"
    assert {b.name: b.commit.sha for b in repo.get_branches()} == before


def test_merge_of_missing_branch_is_404(repo: Repository) -> None:
    with pytest.raises(GithubException) as raised:
        repo.merge("main", "no-such-branch")
    assert raised.value.status == 404


def test_roles_limit_what_a_person_may_push(
    fakehub: RunningFakeHub, repo: Repository, tmp_path: Path
) -> None:
    reader = fakehub.control.add_collaborator("octo/app", "rita", "read")
    writer = fakehub.control.add_collaborator("octo/app", "wes", "write")
    stranger = fakehub.control.add_user("sam")
    work = tmp_path / "work"
    git("clone", "--quiet", fakehub.clone_url("octo/app", reader), str(work))
    assert (
        git(
            "clone", fakehub.clone_url("octo/app", stranger), str(tmp_path / "no"), check=False
        ).returncode
        != 0
    )
    git("checkout", "--quiet", "-b", "from-rita", cwd=work)
    commit_file(work, "r.txt", "r\n", "r")
    refused = git("push", fakehub.clone_url("octo/app", reader), "from-rita", cwd=work, check=False)
    assert refused.returncode != 0
    git("push", "--quiet", fakehub.clone_url("octo/app", writer), "from-rita", cwd=work)
    assert repo.get_branch("from-rita").name == "from-rita"


def test_roles_limit_what_a_person_may_write_through_rest(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    reader = fakehub.github(fakehub.control.add_collaborator("octo/app", "rita", "read"))
    as_rita = reader.get_repo("octo/app")
    sha = as_rita.get_branch("main").commit.sha
    assert as_rita.create_issue("readers may open issues").user.login == "rita"
    with pytest.raises(GithubException) as raised:
        as_rita.create_git_ref("refs/heads/nope", sha)
    assert raised.value.status == 403
    stranger = fakehub.github(fakehub.control.add_user("sam"))
    with pytest.raises(GithubException) as raised:
        stranger.get_repo("octo/app")
    assert raised.value.status == 404


def test_the_app_may_not_push_workflow_files(
    fakehub: RunningFakeHub, repo: Repository, clone: Path
) -> None:
    """GitHub refuses a push by an App without the `workflows` permission (ours has none)
    whose commits create, change or delete a file under `.github/workflows/`."""
    git("checkout", "--quiet", "-b", "phase-ci", cwd=clone)
    commit_file(clone, "src/ci.py", "CI = 1\n", "ordinary work")
    commit_file(clone, ".github/workflows/ci.yml", "on: push\n", "add CI")
    fakehub.flush()
    pushes_before = len([d for d in fakehub.deliveries if d.event == "push"])
    refused = git("push", "origin", "phase-ci", cwd=clone, check=False)
    assert refused.returncode != 0
    assert (
        "refusing to allow a GitHub App to create or update workflow "
        "`.github/workflows/ci.yml` without `workflows` permission"
    ) in refused.stderr
    assert "phase-ci" not in {b.name for b in repo.get_branches()}
    # The commit before it is fine on its own; a person may push the workflow.
    git("push", "--quiet", "origin", "HEAD~1:refs/heads/phase-ci", cwd=clone)
    assert (
        repo.get_branch("phase-ci").commit.sha
        == git("rev-parse", "HEAD~1", cwd=clone).stdout.strip()
    )
    alice = fakehub.control.add_collaborator("octo/app", "alice", "write")
    git("push", "--quiet", fakehub.clone_url("octo/app", alice), "phase-ci", cwd=clone)
    assert (
        repo.get_branch("phase-ci").commit.sha == git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    )
    fakehub.flush()
    assert len([d for d in fakehub.deliveries if d.event == "push"]) == pushes_before + 2
