"""Installation tokens narrowed to repositories and permissions, and revoked, as on GitHub."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from fakehub.testing import RunningFakeHub, git

OTHER = "octo/other"


def _token(fakehub: RunningFakeHub, **scope: object) -> requests.Response:
    jwt = fakehub.integration().auth.token  # type: ignore[attr-defined]
    return requests.post(
        f"{fakehub.api_url}/app/installations/{fakehub.installation_id}/access_tokens",
        json=scope,
        headers={"Authorization": f"Bearer {jwt}", "Accept": "application/vnd.github+json"},
        timeout=10,
    )


def _get(fakehub: RunningFakeHub, token: str, path: str) -> int:
    response = requests.get(
        f"{fakehub.api_url}{path}", headers={"Authorization": f"token {token}"}, timeout=10
    )
    return response.status_code


@pytest.fixture
def narrowed(fakehub: RunningFakeHub, repo_name: str) -> str:
    fakehub.control.create_repo(OTHER, files={"secret.txt": "other\n"})
    response = _token(fakehub, repositories=["app"], permissions={"contents": "write"})
    assert response.status_code == 201
    body = response.json()
    assert body["repository_selection"] == "selected"
    assert [r["full_name"] for r in body["repositories"]] == [repo_name]
    assert body["permissions"] == {"contents": "write"}
    return str(body["token"])


def test_a_narrowed_token_reads_its_repository_only(
    fakehub: RunningFakeHub, repo_name: str, narrowed: str
) -> None:
    assert _get(fakehub, narrowed, f"/repos/{repo_name}/contents/README.md") == 200
    assert _get(fakehub, narrowed, f"/repos/{OTHER}/contents/secret.txt") == 404
    assert _get(fakehub, narrowed, f"/repos/{OTHER}") == 404
    # A permission it was not given: issues.
    assert _get(fakehub, narrowed, f"/repos/{repo_name}/issues") == 403


def test_a_narrowed_token_clones_and_pushes_its_repository_only(
    fakehub: RunningFakeHub, repo_name: str, narrowed: str, tmp_path: Path
) -> None:
    git("clone", "--quiet", fakehub.clone_url(repo_name, narrowed), str(tmp_path / "mine"))
    refused = git("clone", fakehub.clone_url(OTHER, narrowed), str(tmp_path / "other"), check=False)
    assert refused.returncode != 0
    assert not (tmp_path / "other" / "secret.txt").exists()


def test_a_read_only_token_cannot_push(
    fakehub: RunningFakeHub, repo_name: str, tmp_path: Path
) -> None:
    token = _token(
        fakehub, repository_ids=[_repo_id(fakehub, repo_name)], permissions={"contents": "read"}
    )
    assert token.status_code == 201
    read = str(token.json()["token"])
    work = tmp_path / "work"
    git("clone", "--quiet", fakehub.clone_url(repo_name, read), str(work))
    git("checkout", "--quiet", "-b", "sneaky", cwd=work)
    refused = git("push", "origin", "sneaky", cwd=work, check=False)
    assert refused.returncode != 0 and "denied" in refused.stderr


def _repo_id(fakehub: RunningFakeHub, full_name: str) -> int:
    return int(fakehub.github().get_repo(full_name).id)


def test_scopes_the_app_lacks_are_refused(fakehub: RunningFakeHub, repo_name: str) -> None:
    assert _token(fakehub, repositories=["nope"]).status_code == 422
    assert _token(fakehub, permissions={"administration": "write"}).status_code == 422
    assert _token(fakehub, permissions={"metadata": "write"}).status_code == 422


def test_a_token_revokes_itself(fakehub: RunningFakeHub, repo_name: str, narrowed: str) -> None:
    revoked = requests.delete(
        f"{fakehub.api_url}/installation/token",
        headers={"Authorization": f"token {narrowed}"},
        timeout=10,
    )
    assert revoked.status_code == 204
    assert _get(fakehub, narrowed, f"/repos/{repo_name}") == 401
