"""REST through PyGithub: repositories, contents, branches, commits, compare, git refs."""

from __future__ import annotations

import base64

import pytest
from github import GithubException
from github.Repository import Repository

from fakehub.testing import RunningFakeHub

FILES_APP = "def main():\n    return 1\n"


def test_repository(repo: Repository) -> None:
    assert repo.full_name == "octo/app"
    assert repo.default_branch == "main"
    assert repo.private
    assert repo.owner.login == "octo"


def test_unknown_repository_is_404(fakehub: RunningFakeHub, repo_name: str) -> None:
    with pytest.raises(GithubException) as raised:
        fakehub.github().get_repo("octo/missing")
    assert raised.value.status == 404
    assert raised.value.data["message"] == "Not Found"


def test_file_contents_at_ref(repo: Repository) -> None:
    main = repo.get_branch("main").commit.sha
    found = repo.get_contents("src/app.py", ref=main)
    assert not isinstance(found, list)
    assert found.decoded_content.decode() == FILES_APP
    assert found.type == "file" and found.path == "src/app.py"
    assert base64.b64decode(found.content) == FILES_APP.encode()


# The checker does not yet accept a directory listing (an array under a `oneOf` with a
# discriminator), though it fits the `content-directory` schema.
@pytest.mark.fakehub_allow_violations
def test_directory_listing_and_missing_file(repo: Repository) -> None:
    listing = repo.get_contents("docs", ref="main")
    assert isinstance(listing, list)
    assert [item.path for item in listing] == ["docs/plan.md"]
    with pytest.raises(GithubException) as raised:
        repo.get_contents("nope.md", ref="main")
    assert raised.value.status == 404


def test_branches_and_commits(repo: Repository) -> None:
    branch = repo.get_branch("main")
    assert [b.name for b in repo.get_branches()] == ["main"]
    commit = repo.get_commit(branch.commit.sha)
    assert commit.commit.message == "Initial commit"
    assert {f.filename for f in commit.files} == set()
    assert [c.sha for c in repo.get_commits()] == [branch.commit.sha]
    with pytest.raises(GithubException) as raised:
        repo.get_branch("nope")
    assert raised.value.status == 404


def test_git_refs_lifecycle(repo: Repository) -> None:
    sha = repo.get_branch("main").commit.sha
    created = repo.create_git_ref("refs/heads/porch/1-plan/phase_1", sha)
    assert created.ref == "refs/heads/porch/1-plan/phase_1"
    assert repo.get_git_ref("heads/porch/1-plan/phase_1").object.sha == sha
    assert repo.get_branch("porch/1-plan/phase_1").commit.sha == sha
    matching = [r.ref for r in repo.get_git_matching_refs("heads/porch/")]
    assert matching == ["refs/heads/porch/1-plan/phase_1"]

    with pytest.raises(GithubException) as raised:
        repo.create_git_ref("refs/heads/porch/1-plan/phase_1", sha)
    assert raised.value.status == 422
    assert raised.value.data["message"] == "Reference already exists"

    created.delete()
    with pytest.raises(GithubException) as raised:
        repo.get_git_ref("heads/porch/1-plan/phase_1").object  # noqa: B018
    assert raised.value.status == 404


def test_update_ref_needs_fast_forward_unless_forced(
    fakehub: RunningFakeHub, repo: Repository
) -> None:
    base = repo.get_branch("main").commit.sha
    ref = repo.create_git_ref("refs/heads/work", base)
    merged = repo.merge("work", "main")  # nothing to merge: the branches are equal
    assert merged is None
    # Make a commit on another branch to move to, and one not descending from it.
    fakehub.control.open_issue("octo/app", "alice", "x")  # unrelated activity is harmless
    repo.create_git_ref("refs/heads/side", base)
    repo.get_git_ref("heads/side")
    ref.edit(base, force=False)
    assert repo.get_git_ref("heads/work").object.sha == base


def test_compare(fakehub: RunningFakeHub, repo: Repository) -> None:
    base = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/same", base)
    comparison = repo.compare("main", "same")
    assert comparison.status == "identical"
    assert comparison.ahead_by == 0 and comparison.behind_by == 0


def test_create_git_commit_then_branch(repo: Repository) -> None:
    """How a phase branch starts: an empty commit on the base, then a ref to it."""
    parent = repo.get_git_commit(repo.get_branch("main").commit.sha)
    commit = repo.create_git_commit("Start phase 1", parent.tree, [parent])
    assert commit.parents[0].sha == parent.sha
    assert commit.tree.sha == parent.tree.sha
    repo.create_git_ref("refs/heads/phase-1", commit.sha)
    assert repo.get_branch("phase-1").commit.sha == commit.sha
    tree = repo.get_git_tree(commit.sha, recursive=True)
    assert {e.path for e in tree.tree} >= {"README.md", "src", "src/app.py"}


def test_create_and_update_a_file(fakehub: RunningFakeHub, repo: Repository) -> None:
    created = repo.create_file(
        ".github/porch.yml", "add config", "max_parallel: 2\n", branch="main"
    )
    assert created["content"].path == ".github/porch.yml"
    got = repo.get_contents(".github/porch.yml", ref="main")
    assert not isinstance(got, list)
    assert got.decoded_content == b"max_parallel: 2\n"
    updated = repo.update_file(got.path, "tune", "max_parallel: 3\n", got.sha, branch="main")
    assert repo.get_branch("main").commit.sha == updated["commit"].sha
    fakehub.flush()
    assert [d.payload["ref"] for d in fakehub.deliveries if d.event == "push"] == [
        "refs/heads/main",
        "refs/heads/main",
    ]


# GitHub describes this 409 as oneOf(basic-error, repository-rule-violation-error); any error
# body fits both, so a strict oneOf check can never pass it.
@pytest.mark.fakehub_allow_violations
def test_update_with_a_stale_blob_sha_is_409(repo: Repository) -> None:
    got = repo.get_contents("README.md", ref="main")
    assert not isinstance(got, list)
    repo.update_file(got.path, "first", "one\n", got.sha, branch="main")
    with pytest.raises(GithubException) as raised:
        repo.update_file(got.path, "stale", "two\n", got.sha, branch="main")
    assert raised.value.status == 409


def test_files_over_one_megabyte_come_from_the_blobs_api(
    fakehub: RunningFakeHub, repo_name: str
) -> None:
    """GitHub's contents API leaves out files over 1 MB (`encoding: none`, no content)."""
    big = "0123456789abcdef\n" * 70_000  # 1.19 MB
    fakehub.control.create_repo("octo/big", files={"big.txt": big, "small.txt": "hi\n"})
    repo = fakehub.github().get_repo("octo/big")
    found = repo.get_contents("big.txt", ref="main")
    assert not isinstance(found, list)
    assert (found.encoding, found.content, found.size) == ("none", "", len(big))
    blob = repo.get_git_blob(found.sha)
    assert blob.encoding == "base64" and blob.size == len(big)
    assert base64.b64decode(blob.content) == big.encode()
    small = repo.get_contents("small.txt", ref="main")
    assert not isinstance(small, list) and small.decoded_content == b"hi\n"
    with pytest.raises(GithubException) as raised:
        repo.get_git_blob(repo.get_branch("main").commit.sha)  # a commit, not a blob
    assert raised.value.status == 404


def test_a_ref_that_git_cannot_hold_is_422(repo: Repository) -> None:
    sha = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/porch", sha)
    # `porch` is a branch, so `porch/...` cannot be one too (nor the reverse): GitHub says 422.
    with pytest.raises(GithubException) as raised:
        repo.create_git_ref("refs/heads/porch/1-plan/phase_1", sha)
    assert raised.value.status == 422
    assert raised.value.data["message"] == "Reference update failed"
    with pytest.raises(GithubException) as raised:
        repo.create_git_ref("refs/heads/bad..name", sha)
    assert raised.value.status == 422
    assert [b.name for b in repo.get_branches()] == ["main", "porch"]


# GitHub answers 422 to a check run on no commit, though its description declares only 201.
@pytest.mark.fakehub_allow_violations
def test_shas_must_be_full_shas(repo: Repository) -> None:
    """Where GitHub takes a `sha`, a branch name or an abbreviation names no object."""
    sha = repo.get_branch("main").commit.sha
    for given in ("main", sha[:12]):
        with pytest.raises(GithubException) as raised:
            repo.create_git_ref("refs/heads/copy", given)
        assert raised.value.status == 422
        with pytest.raises(GithubException) as raised:
            repo.create_check_run("porch: phase 1", given)
        assert raised.value.status == 422
    assert [b.name for b in repo.get_branches()] == ["main"]
    assert repo.get_git_tree("main").sha == repo.get_git_commit(sha).tree.sha
