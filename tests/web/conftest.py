"""The web app on a real Redis, a signed-delivery helper, and the app under a real HTTP server."""

from __future__ import annotations

import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from bot.settings import Settings
from bot.web import create_app

SECRET = "webhook-secret-d41d8cd98f00b204"
# Never parsed on the request path; a placeholder keeps Settings complete.
UNUSED_KEY = "-----BEGIN PRIVATE KEY-----\nunused\n-----END PRIVATE KEY-----\n"


@dataclass(frozen=True)
class Delivery:
    """A webhook request as GitHub sends it: body bytes and headers."""

    body: bytes
    headers: dict[str, str]


def sign(body: bytes, secret: str = SECRET, digest: str = "sha256") -> str:
    return f"{digest}=" + hmac.new(secret.encode(), body, digest).hexdigest()


def delivery(
    event: str = "issue_comment",
    payload: Any = None,
    *,
    delivery_id: str | None = None,
    secret: str = SECRET,
) -> Delivery:
    payload = (
        {"action": "created", "comment": {"body": "/porch parallel"}}
        if payload is None
        else payload
    )
    body = json.dumps(payload).encode()
    return Delivery(
        body=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(body, secret),
            "User-Agent": "GitHub-Hookshot/test",
        },
    )


@pytest.fixture
def settings() -> Settings:
    return Settings(github_app_id="1", github_private_key=UNUSED_KEY, github_webhook_secret=SECRET)


@pytest.fixture
def app(settings: Settings, redis_client: redis.Redis) -> Flask:
    return create_app(settings, redis_client)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app under werkzeug's threaded server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class Signer:
    """Builds signed deliveries; a fixture so test modules need not import this conftest."""

    secret = SECRET
    sign = staticmethod(sign)
    delivery = staticmethod(delivery)


@pytest.fixture
def signer() -> Signer:
    return Signer()
