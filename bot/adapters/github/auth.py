"""GitHub App authentication: the App's JWT, and installation tokens cached in Redis.

An installation token lives one hour. We cache it in Redis (shared by every process) and hand
it out only while more than REFRESH_MARGIN remains, so a builder job that asks again after
fifty minutes gets a fresh token instead of one that dies halfway through a push.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import github
import jwt
import redis
import requests
from github.Auth import Auth

from bot.adapters import keys
from bot.adapters.github import observe, transport
from bot.adapters.github.budget import Budget, Limits
from bot.adapters.github.retry import NoBlindPostRetry
from bot.errors import GitHubAuthError
from bot.settings import Settings

log = logging.getLogger(__name__)

# GitHub rejects an `iat` in its future; backdating absorbs clock drift between us and it.
JWT_BACKDATE_SECONDS = 60
# GitHub refuses an `exp` more than ten minutes ahead; nine leaves room for drift.
JWT_LIFETIME_SECONDS = 9 * 60
REFRESH_MARGIN_SECONDS = 10 * 60
API_VERSION = "2022-11-28"
HTTP_TIMEOUT_SECONDS = 30
# GitHub's token endpoint fails now and then with a 5xx; it is tried again after these waits.
TOKEN_RETRY_SECONDS = (1.0, 3.0)


class AppAuth:
    """Mints App JWTs and installation tokens for one GitHub App."""

    def __init__(
        self,
        settings: Settings,
        redis_client: redis.Redis,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app_id = settings.github_app_id
        self._private_key = settings.github_private_key
        self._api_url = settings.github_api_url
        self._request_interval = settings.github_request_interval
        self._write_interval = settings.github_write_interval
        self._redis = redis_client
        self._session = session or requests.Session()
        self._clock = clock
        self._limits = Limits(
            per_minute=settings.github_writes_per_minute,
            per_hour=settings.github_writes_per_hour,
            max_wait=settings.github_max_wait,
        )

    def __repr__(self) -> str:
        return f"AppAuth(app_id={self._app_id!r}, api_url={self._api_url!r})"

    @property
    def has_key(self) -> bool:
        """Whether this process holds the App's private key (builder workers do not)."""
        return bool(self._private_key)

    def jwt(self) -> str:
        """A JWT that authenticates as the App itself (RS256, valid for nine minutes)."""
        if not self._private_key:
            raise GitHubAuthError(
                "this process holds no App private key (builder workers never do); "
                "tokens for builders are minted by an events worker"
            )
        now = int(self._clock())
        claims = {
            "iat": now - JWT_BACKDATE_SECONDS,
            "exp": now + JWT_LIFETIME_SECONDS,
            "iss": self._app_id,
        }
        return jwt.encode(claims, self._private_key, algorithm="RS256")

    def token(self, installation_id: int) -> str:
        """An installation token with at least REFRESH_MARGIN_SECONDS of life left."""
        key = keys.installation_token(installation_id)
        try:
            cached = self._redis.get(key)
        except redis.RedisError:
            # The cache is a saving, not a need: a builder pushing while Redis restarts mints.
            log.warning("installation token cache unavailable; minting a token")
            cached = None
        if cached is not None:
            entry = json.loads(cached)
            if entry["expires_at"] - self._clock() > REFRESH_MARGIN_SECONDS:
                return str(entry["token"])
        token, expires_at = self._mint(installation_id)
        # Redis drops the entry when it is no longer worth handing out; the check above covers
        # a clock that runs ahead of Redis's.
        keep = int(expires_at - self._clock() - REFRESH_MARGIN_SECONDS)
        if keep > 0:
            entry = json.dumps({"token": token, "expires_at": expires_at})
            with contextlib.suppress(redis.RedisError):
                self._redis.set(key, entry, ex=keep)
        return token

    def github_for_installation(self, installation_id: int) -> github.Github:
        """A PyGithub client acting as the installation; its token renews itself as it ages,
        and every request it makes draws on the installation's shared budget."""
        transport.install()
        retry = NoBlindPostRetry()
        retry.budget = Budget(self._redis, installation_id, self._limits)
        return github.Github(
            auth=_InstallationAuth(self, installation_id),
            base_url=self._api_url,
            timeout=HTTP_TIMEOUT_SECONDS,
            seconds_between_requests=self._request_interval,
            seconds_between_writes=self._write_interval,
            retry=retry,
        )

    def as_app(self, method: str, path: str, **options: Any) -> requests.Response:
        """A request to one of GitHub's `/app/...` endpoints, authenticated as the App."""
        return self._session.request(
            method,
            f"{self._api_url}{path}",
            headers={
                "Authorization": f"Bearer {self.jwt()}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            timeout=HTTP_TIMEOUT_SECONDS,
            **options,
        )

    def scoped_token(
        self, installation_id: int, repo: str, permissions: Mapping[str, str]
    ) -> ScopedToken:
        """A token for one repository (`owner/name`) with only `permissions`; never cached.

        Whoever gets it can do that and nothing else, and it is revoked when its job ends.
        """
        name = repo.split("/", 1)[1]
        token, expires_at = self._mint(
            installation_id, {"repositories": [name], "permissions": dict(permissions)}
        )
        return ScopedToken(token, expires_at, repo, dict(permissions))

    def _mint(
        self, installation_id: int, scope: Mapping[str, object] | None = None
    ) -> tuple[str, float]:
        """A new installation token; a 5xx or a dropped connection is tried again, since
        minting twice only makes a second token that nobody uses."""
        for pause in (*TOKEN_RETRY_SECONDS, None):
            try:
                return self._mint_once(installation_id, scope)
            except GitHubAuthError as exc:
                if pause is None or not (exc.status is None or exc.status >= 500):
                    raise
                log.warning("installation %s: token request failed; again", installation_id)
                time.sleep(pause)
        raise AssertionError("unreachable")

    def budget(self, installation_id: int) -> Budget:
        """The installation's shared budget of writes, for requests made outside PyGithub."""
        return Budget(self._redis, installation_id, self._limits)

    def _mint_once(
        self, installation_id: int, scope: Mapping[str, object] | None = None
    ) -> tuple[str, float]:
        url = f"{self._api_url}/app/installations/{installation_id}/access_tokens"
        # A narrowed token is minted per builder job: a write like any other, so it draws on
        # the budget (the installation's own cached token is minted once an hour).
        budget = self.budget(installation_id) if scope else None
        if budget is not None:
            budget.before("POST")
        try:
            response = self._session.post(
                url,
                json=dict(scope) if scope else None,
                headers={
                    "Authorization": f"Bearer {self.jwt()}",
                    "Accept": "application/vnd.github+json",
                    "X-GitHub-Api-Version": API_VERSION,
                },
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise GitHubAuthError(
                f"installation {installation_id}: token request failed: {type(exc).__name__}"
            ) from None
        # Made with requests, not PyGithub: counted here rather than by its logger.
        observe.record_response(
            self._redis, "POST", url, response.status_code, dict(response.headers)
        )
        if budget is not None:
            budget.after(response.status_code, dict(response.headers))
        if response.status_code != 201:
            raise GitHubAuthError(
                f"installation {installation_id}: GitHub answered {response.status_code} "
                f"to the token request: {_error_message(response)}",
                status=response.status_code,
            )
        body = response.json()
        expires_at = _parse_timestamp(body["expires_at"])
        log.info(
            "minted installation token",
            extra={"installation_id": installation_id, "expires_at": body["expires_at"]},
        )
        return str(body["token"]), expires_at


@dataclass(frozen=True, repr=False)
class ScopedToken:
    """An installation token narrowed to one repository and a few permissions."""

    token: str
    expires_at: float
    repo: str
    permissions: dict[str, str]

    def __repr__(self) -> str:
        return f"ScopedToken(repo={self.repo!r}, permissions={self.permissions!r})"


def revoke(api_url: str, token: str, session: requests.Session | None = None) -> bool:
    """Revoke an installation token with itself (`DELETE /installation/token`); True when done.

    Needs no App key, so a builder worker revokes the tokens it was given.
    """
    try:
        response = (session or requests.Session()).delete(
            f"{api_url}/installation/token",
            headers={
                "Authorization": f"token {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        log.warning("could not revoke a token: %s", type(exc).__name__)
        return False
    # 401: expired or revoked already, which is what we wanted.
    return response.status_code in (204, 401)


def github_for_token(settings: Settings, token: str) -> github.Github:
    """A PyGithub client acting with one fixed token (a scoped token of a builder job)."""
    return github.Github(
        auth=github.Auth.Token(token),
        base_url=settings.github_api_url,
        timeout=HTTP_TIMEOUT_SECONDS,
        seconds_between_requests=settings.github_request_interval,
        seconds_between_writes=settings.github_write_interval,
        retry=NoBlindPostRetry(),
    )


class _InstallationAuth(Auth):
    """PyGithub asks for `token` on every request, so each request gets a live token."""

    def __init__(self, app_auth: AppAuth, installation_id: int) -> None:
        self._app_auth = app_auth
        self._installation_id = installation_id

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._app_auth.token(self._installation_id)

    @property
    def _masked_token(self) -> str:
        return "token (installation token removed)"


def _parse_timestamp(value: str) -> float:
    # GitHub writes "2016-07-11T22:14:10Z"; fromisoformat accepts "Z" from Python 3.11 on.
    return datetime.fromisoformat(value).timestamp()


def _error_message(response: requests.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return "(no JSON body)"
    return str(body.get("message", "(no message)")) if isinstance(body, dict) else "(no message)"
