"""App JWTs and cached installation tokens, against a real HTTP server speaking GitHub's API."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bot.errors import GitHubAuthError
from bot.github.auth import REFRESH_MARGIN_SECONDS, TOKEN_KEY, AppAuth
from bot.settings import Settings

APP_ID = "4242"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pem(private_key: rsa.RSAPrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class TokenServer:
    """Just the two endpoints this module needs, answering as GitHub does.

    It checks each JWT against the App's public key, so a wrongly signed token is refused here
    exactly as GitHub would refuse it.
    """

    public_key: Any
    lifetime_seconds: int = 3600
    status: int = 201
    minted: list[tuple[int, str]] = field(default_factory=list)
    seen_authorizations: list[str] = field(default_factory=list)
    base_url: str = ""
    _serial: Iterator[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        urls = Map(
            [
                Rule("/api/v3/app/installations/<int:iid>/access_tokens", endpoint="mint"),
                Rule("/api/v3/repos/<owner>/<name>", endpoint="repo"),
            ]
        ).bind_to_environ(environ)
        endpoint, args = urls.match()
        authorization = request.headers.get("Authorization", "")
        with self._lock:
            self.seen_authorizations.append(authorization)
        if endpoint == "mint":
            response = self._mint(args["iid"], authorization)
        else:
            response = self._repo(args["owner"], args["name"], authorization)
        return response(environ, start_response)

    def _mint(self, installation_id: int, authorization: str) -> Response:
        claims = jwt.decode(
            authorization.removeprefix("Bearer "),
            self.public_key,
            algorithms=["RS256"],
            # The tests move their clock forward; signature and issuer are what matter here.
            options={"verify_exp": False, "verify_iat": False},
        )
        assert claims["iss"] == APP_ID
        if self.status != 201:
            return Response('{"message": "Bad credentials"}', self.status, mimetype="text/json")
        with self._lock:
            token = f"ghs_test{installation_id}x{next(self._serial):030d}"
            self.minted.append((installation_id, token))
        expires = datetime.fromtimestamp(time.time() + self.lifetime_seconds, UTC)
        body = f'{{"token": "{token}", "expires_at": "{expires:%Y-%m-%dT%H:%M:%SZ}"}}'
        return Response(body, 201, mimetype="application/json")

    def _repo(self, owner: str, name: str, authorization: str) -> Response:
        known = {token for _, token in self.minted}
        if authorization.removeprefix("token ") not in known:
            return Response('{"message": "Bad credentials"}', 401, mimetype="application/json")
        body = (
            f'{{"id": 1, "name": "{name}", "full_name": "{owner}/{name}", '
            f'"url": "{self.base_url}/repos/{owner}/{name}"}}'
        )
        return Response(body, 200, mimetype="application/json")


@pytest.fixture
def token_server(private_key: rsa.RSAPrivateKey) -> Iterator[TokenServer]:
    server = TokenServer(private_key.public_key())
    http = make_server("127.0.0.1", 0, server.wsgi, threaded=True)
    server.base_url = f"http://127.0.0.1:{http.server_port}/api/v3"
    thread = threading.Thread(target=http.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    http.shutdown()
    thread.join(timeout=5)


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def settings(pem: str, token_server: TokenServer) -> Settings:
    return Settings(
        github_app_id=APP_ID,
        github_private_key=pem,
        github_webhook_secret="unused",
        github_api_url=token_server.base_url,
    )


def test_jwt_claims(settings: Settings, private_key: rsa.RSAPrivateKey) -> None:
    clock = Clock()
    auth = AppAuth(settings, redis.Redis(), clock=clock)
    token = auth.jwt()
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, private_key.public_key(), algorithms=["RS256"])
    now = int(clock())
    assert claims["iss"] == APP_ID
    assert now - 62 <= claims["iat"] <= now - 58
    assert claims["exp"] - now < 10 * 60  # GitHub refuses an exp further ahead
    assert now + 8 * 60 <= claims["exp"] <= now + 9 * 60 + 1


def test_token_is_cached_per_installation(
    settings: Settings, redis_client: redis.Redis, token_server: TokenServer
) -> None:
    auth = AppAuth(settings, redis_client)
    first = auth.token(7)
    assert auth.token(7) == first
    other = auth.token(8)
    assert other != first
    assert [iid for iid, _ in token_server.minted] == [7, 8]
    # Cached below the token's one-hour life, so Redis forgets it before it is stale.
    ttl = redis_client.ttl(TOKEN_KEY.format(installation_id=7))
    assert 0 < ttl <= 3600 - REFRESH_MARGIN_SECONDS


def test_cache_is_shared_between_processes(
    settings: Settings, redis_client: redis.Redis, redis_url: str, token_server: TokenServer
) -> None:
    token = AppAuth(settings, redis_client).token(7)
    # A second AppAuth with its own connection stands for the worker process.
    elsewhere = redis.Redis.from_url(redis_url)
    assert AppAuth(settings, elsewhere).token(7) == token
    assert len(token_server.minted) == 1


def test_token_is_refreshed_before_it_expires(
    settings: Settings, redis_client: redis.Redis, token_server: TokenServer
) -> None:
    clock = Clock()
    auth = AppAuth(settings, redis_client, clock=clock)
    first = auth.token(7)
    clock.offset = 45 * 60  # fifteen minutes left: still handed out
    assert auth.token(7) == first
    clock.offset = 51 * 60  # nine minutes left: too little for a push
    second = auth.token(7)
    assert second != first
    assert len(token_server.minted) == 2


def test_short_lived_token_is_not_cached(
    settings: Settings, redis_client: redis.Redis, token_server: TokenServer
) -> None:
    token_server.lifetime_seconds = 5 * 60
    auth = AppAuth(settings, redis_client)
    auth.token(7)
    auth.token(7)
    assert len(token_server.minted) == 2
    assert redis_client.get(TOKEN_KEY.format(installation_id=7)) is None


def test_refused_token_request_raises_without_credentials(
    settings: Settings, redis_client: redis.Redis, token_server: TokenServer
) -> None:
    token_server.status = 401
    auth = AppAuth(settings, redis_client)
    with pytest.raises(GitHubAuthError) as raised:
        auth.token(7)
    assert raised.value.status == 401
    assert "Bad credentials" in str(raised.value)
    assert "Bearer" not in str(raised.value)


def test_client_renews_its_token_during_a_long_job(
    settings: Settings, redis_client: redis.Redis, token_server: TokenServer
) -> None:
    clock = Clock()
    gh = AppAuth(settings, redis_client, clock=clock).github_for_installation(7)
    assert gh.get_repo("octo/diamond").full_name == "octo/diamond"
    clock.offset = 55 * 60
    assert gh.get_repo("octo/diamond").full_name == "octo/diamond"
    used = [a for a in token_server.seen_authorizations if a.startswith("token ")]
    assert used == [f"token {token}" for _, token in token_server.minted]
    assert len(used) == 2


def test_no_token_or_key_in_logs(
    settings: Settings,
    redis_client: redis.Redis,
    token_server: TokenServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = AppAuth(settings, redis_client)
    gh = auth.github_for_installation(7)
    gh.get_repo("octo/diamond")
    logging.getLogger("test").info("auth in use: %r", auth)
    assert token_server.minted
    for _, token in token_server.minted:
        assert token not in caplog.text
    assert "PRIVATE KEY" not in caplog.text
    assert "minted installation token" in caplog.text
