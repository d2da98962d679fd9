"""App JWTs and cached installation tokens, against the local GitHub stand-in over real HTTP."""

from __future__ import annotations

import logging
import time

import jwt
import pytest
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.adapters import keys
from bot.adapters.github.auth import REFRESH_MARGIN_SECONDS, AppAuth
from bot.errors import GitHubAuthError
from bot.settings import Settings

# The stand-in's fixtures, imported because `pytest_plugins` belongs to the root conftest only.
from fakehub.testing import RunningFakeHub

REPO = "octo/diamond"
TOKENS_PATH = "/app/installations/{}/access_tokens"


class Clock:
    """Our side's clock; moved forward in step with the stand-in's to age tokens."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def advance(hub: RunningFakeHub, clock: Clock, seconds: float) -> None:
    hub.hub.clock.advance(seconds)
    clock.offset += seconds


@pytest.fixture
def settings(fakehub: RunningFakeHub) -> Settings:
    return Settings(
        github_app_id=str(fakehub.app_id),
        github_private_key=fakehub.private_key,
        github_webhook_secret=fakehub.webhook_secret,
        github_api_url=fakehub.api_url,
        github_request_interval=0,
        github_write_interval=0,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(settings: Settings, redis_client: redis.Redis, clock: Clock) -> AppAuth:
    return AppAuth(settings, redis_client, clock=clock)


def minted(hub: RunningFakeHub) -> list[int]:
    """Statuses of the token requests the stand-in answered."""
    path = TOKENS_PATH.format(hub.installation_id)
    return [r.status for r in hub.requests if r.method == "POST" and r.path == path]


def test_jwt_claims(auth: AppAuth, settings: Settings, clock: Clock) -> None:
    token = auth.jwt()
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    public_key = serialization.load_pem_private_key(
        settings.github_private_key.encode(), password=None
    ).public_key()
    claims = jwt.decode(token, public_key, algorithms=["RS256"])
    now = int(clock())
    assert claims["iss"] == settings.github_app_id
    assert now - 62 <= claims["iat"] <= now - 58  # backdated for clock drift
    assert now + 8 * 60 <= claims["exp"] <= now + 9 * 60 + 1
    assert claims["exp"] - now < 10 * 60  # GitHub refuses an exp further ahead


def test_token_is_minted_once_and_cached(
    auth: AppAuth, fakehub: RunningFakeHub, redis_client: redis.Redis
) -> None:
    token = auth.token(fakehub.installation_id)
    assert auth.token(fakehub.installation_id) == token
    assert minted(fakehub) == [201]
    # Kept below the token's one-hour life, so Redis forgets it before it is stale.
    ttl = redis_client.ttl(keys.installation_token(fakehub.installation_id))
    assert 0 < ttl <= 3600 - REFRESH_MARGIN_SECONDS


def test_cache_is_shared_between_processes(
    auth: AppAuth, settings: Settings, fakehub: RunningFakeHub, redis_url: str
) -> None:
    token = auth.token(fakehub.installation_id)
    # Its own connection and its own AppAuth: what a worker process has.
    elsewhere = AppAuth(settings, redis.Redis.from_url(redis_url))
    assert elsewhere.token(fakehub.installation_id) == token
    assert minted(fakehub) == [201]


def test_token_is_refreshed_before_it_expires(
    auth: AppAuth, fakehub: RunningFakeHub, clock: Clock
) -> None:
    first = auth.token(fakehub.installation_id)
    advance(fakehub, clock, 45 * 60)  # fifteen minutes left: still handed out
    assert auth.token(fakehub.installation_id) == first
    advance(fakehub, clock, 6 * 60)  # nine minutes left: too little for a long push
    second = auth.token(fakehub.installation_id)
    assert second != first
    assert minted(fakehub) == [201, 201]


def test_client_keeps_working_through_a_long_job(
    auth: AppAuth, fakehub: RunningFakeHub, clock: Clock
) -> None:
    fakehub.control.create_repo(REPO, files={"README.md": "# diamond\n"})
    gh = auth.github_for_installation(fakehub.installation_id)
    assert gh.get_repo(REPO).full_name == REPO
    # Past the first token's hour: the stand-in now refuses it, so the client must renew.
    advance(fakehub, clock, 61 * 60)
    assert gh.get_repo(REPO).full_name == REPO
    assert minted(fakehub) == [201, 201]
    assert not fakehub.unexpected_requests
    assert all(r.status < 400 for r in fakehub.requests)


def test_wrong_key_is_refused_without_leaking_credentials(
    settings: Settings, fakehub: RunningFakeHub, redis_client: redis.Redis
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    impostor = Settings(
        settings.github_app_id,
        pem,
        settings.github_webhook_secret,
        github_api_url=settings.github_api_url,
    )
    with pytest.raises(GitHubAuthError) as raised:
        AppAuth(impostor, redis_client).token(fakehub.installation_id)
    assert raised.value.status == 401
    assert "Bearer" not in str(raised.value)
    assert "eyJ" not in str(raised.value)  # no JWT in the message
    assert redis_client.keys("porch:installation-token:*") == []


def test_no_token_or_key_in_logs(
    auth: AppAuth, fakehub: RunningFakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fakehub.control.create_repo(REPO, files={"README.md": "# diamond\n"})
    token = auth.token(fakehub.installation_id)
    auth.github_for_installation(fakehub.installation_id).get_repo(REPO)
    logging.getLogger("test").info("auth in use: %r", auth)
    assert token not in caplog.text
    assert "PRIVATE KEY" not in caplog.text
    assert "minted installation token" in caplog.text
