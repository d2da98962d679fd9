"""GitHub App authentication as GitHub does it: RS256 JWTs for the App, expiring tokens after."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fakehub.clock import Clock
from fakehub.store import Store, Token, User

TOKEN_LIFETIME = 3600
# GitHub tolerates some drift between its clock and the App's; past that, `iat` is refused.
CLOCK_SKEW = 60
MAX_JWT_LIFETIME = 600


class AuthError(Exception):
    """Refused credentials; the message is the one GitHub sends with its 401."""


class Kind(StrEnum):
    APP = "app"
    INSTALLATION = "installation"
    USER = "user"


@dataclass(frozen=True)
class Principal:
    kind: Kind
    user: User  # for the App and its installation: the App's bot user
    token: Token | None = None  # the token it authenticated with, with its scope

    def may_see(self, repo_id: int) -> bool:
        """Whether a narrowed installation token covers this repository."""
        scope = self.token.repository_ids if self.token else None
        return scope is None or repo_id in scope

    def may(self, permission: str, level: str) -> bool:
        """Whether the token holds `permission` at `level` (`read` or `write`) or above."""
        granted = self.token.permissions if self.token else None
        if granted is None:
            return True
        if permission == "metadata":  # every installation token can read metadata
            return True
        have = granted.get(permission)
        return have == "write" or (have == "read" and level == "read")


@dataclass
class AppIdentity:
    """The one GitHub App the stand-in hosts, with its key pair made at start."""

    app_id: int
    slug: str
    name: str
    owner: User
    bot: User
    installation_id: int
    webhook_secret: str
    private_key_pem: str
    public_key_pem: str
    created_at: float

    @classmethod
    def generate(cls, store: Store, owner: User, created_at: float) -> AppIdentity:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        public_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        slug = "porch-parallel"
        return cls(
            app_id=store.new_id(),
            slug=slug,
            name="porch-parallel",
            owner=owner,
            bot=store.user(f"{slug}[bot]", "Bot"),
            installation_id=store.new_id(),
            webhook_secret=secrets.token_hex(20),
            private_key_pem=private_pem,
            public_key_pem=public_pem,
            created_at=created_at,
        )


class Authenticator:
    def __init__(self, store: Store, app: AppIdentity, clock: Clock) -> None:
        self.store = store
        self.app = app
        self.clock = clock

    def verify_jwt(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self.app.public_key_pem,
                algorithms=["RS256"],
                # Time claims are checked below against the stand-in's clock, as GitHub words it.
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise AuthError("A JSON web token could not be decoded") from exc
        now = self.clock.now()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int | float) or iat > now + CLOCK_SKEW:
            raise AuthError(
                "'Issued at' claim ('iat') must be an Integer representing the time that the "
                "assertion was issued"
            )
        if not isinstance(exp, int | float) or exp <= now:
            raise AuthError(
                "'Expiration time' claim ('exp') must be a numeric value representing the future "
                "time at which the assertion expires"
            )
        if exp > now + MAX_JWT_LIFETIME + CLOCK_SKEW:
            raise AuthError("'Expiration time' claim ('exp') is too far in the future")
        if str(claims.get("iss")) != str(self.app.app_id):
            raise AuthError("'Issuer' claim ('iss') must be an Integer")
        return Principal(Kind.APP, self.app.bot)

    def issue_installation_token(
        self,
        repository_ids: frozenset[int] | None = None,
        permissions: dict[str, str] | None = None,
    ) -> Token:
        token = Token(
            token="ghs_" + secrets.token_urlsafe(27),
            user=self.app.bot,
            expires_at=self.clock.now() + TOKEN_LIFETIME,
            installation_id=self.app.installation_id,
            repository_ids=repository_ids,
            permissions=permissions,
        )
        with self.store.lock:
            self.store.tokens[token.token] = token
        return token

    def issue_user_token(self, user: User) -> Token:
        token = Token(token="ghp_" + secrets.token_urlsafe(27), user=user, expires_at=None)
        with self.store.lock:
            self.store.tokens[token.token] = token
        return token

    def verify_token(self, token: str) -> Principal:
        with self.store.lock:
            found = self.store.tokens.get(token)
        if found is None:
            raise AuthError("Bad credentials")
        if found.expires_at is not None and found.expires_at <= self.clock.now():
            raise AuthError("Bad credentials")
        kind = Kind.INSTALLATION if found.installation_id is not None else Kind.USER
        return Principal(kind, found.user, found)

    def revoke(self, token: str) -> None:
        with self.store.lock:
            self.store.tokens.pop(token, None)

    def from_header(self, header: str | None) -> Principal | None:
        """The caller named by an Authorization header (None when there is none)."""
        if not header:
            return None
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential.count(".") == 2:
            return self.verify_jwt(credential)
        if scheme.lower() in ("token", "bearer"):
            return self.verify_token(credential)
        raise AuthError("Bad credentials")
