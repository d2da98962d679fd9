"""App authentication: JWTs checked as GitHub checks them; installation tokens that expire."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import GithubException

from fakehub.testing import RunningFakeHub


def test_app_endpoints_through_github_integration(fakehub: RunningFakeHub, repo_name: str) -> None:
    integration = fakehub.integration()
    app = integration.get_app()
    assert app.id == fakehub.app_id
    installation = integration.get_repo_installation("octo", "app")
    assert installation.id == fakehub.installation_id
    token = integration.get_access_token(installation.id)
    assert token.token.startswith("ghs_")
    assert 3500 < (token.expires_at.timestamp() - time.time()) <= 3600
    repo = fakehub.github(token.token).get_repo(repo_name)
    assert repo.full_name == repo_name


def _jwt(fakehub: RunningFakeHub, key: str | None = None, **claims: object) -> str:
    now = int(time.time())
    payload: dict[str, object] = {"iat": now - 60, "exp": now + 540, "iss": str(fakehub.app_id)}
    payload.update(claims)
    return jwt.encode(payload, key or fakehub.private_key, algorithm="RS256")


def _get_app(fakehub: RunningFakeHub, token: str) -> requests.Response:
    return requests.get(
        f"{fakehub.api_url}/app", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_valid_jwt(fakehub: RunningFakeHub) -> None:
    assert _get_app(fakehub, _jwt(fakehub)).status_code == 200


def _other_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@pytest.mark.parametrize(
    "case",
    ["wrong key", "expired", "exp too far ahead", "issued in the future", "other app"],
)
def test_bad_jwt_is_401(fakehub: RunningFakeHub, case: str) -> None:
    now = int(time.time())
    token = {
        "wrong key": lambda: _jwt(fakehub, key=_other_key()),
        "expired": lambda: _jwt(fakehub, iat=now - 700, exp=now - 60),
        "exp too far ahead": lambda: _jwt(fakehub, iat=now, exp=now + 3600),
        "issued in the future": lambda: _jwt(fakehub, iat=now + 300, exp=now + 600),
        "other app": lambda: _jwt(fakehub, iss="1"),
    }[case]()
    response = _get_app(fakehub, token)
    assert response.status_code == 401
    assert response.json()["documentation_url"]


def test_bad_jwt_through_pygithub(fakehub: RunningFakeHub) -> None:
    from github import Auth, GithubIntegration

    integration = GithubIntegration(
        base_url=fakehub.api_url, auth=Auth.AppAuth(fakehub.app_id, _other_key())
    )
    with pytest.raises(GithubException) as raised:
        integration.get_app()
    assert raised.value.status == 401


def test_installation_token_is_refused_on_app_endpoints(fakehub: RunningFakeHub) -> None:
    response = requests.get(
        f"{fakehub.api_url}/app",
        headers={"Authorization": f"token {fakehub.installation_token()}"},
        timeout=10,
    )
    assert response.status_code == 401


def test_installation_token_expires_after_an_hour(fakehub: RunningFakeHub, repo_name: str) -> None:
    token = fakehub.installation_token()
    client = fakehub.github(token)
    assert client.get_repo(repo_name).name == "app"
    fakehub.control.advance_clock(3601)
    with pytest.raises(GithubException) as raised:
        fakehub.github(token).get_repo(repo_name)
    assert raised.value.status == 401
    assert raised.value.data["message"] == "Bad credentials"


def test_missing_or_unknown_token(fakehub: RunningFakeHub, repo_name: str) -> None:
    url = f"{fakehub.api_url}/repos/{repo_name}"
    assert requests.get(url, timeout=10).status_code == 401
    bad = requests.get(url, headers={"Authorization": "token ghs_nope"}, timeout=10)
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
