"""The app factory and /healthz: nothing connects or reaches for workers at import."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import redis
from flask.testing import FlaskClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.adapters.redis_server import stop_embedded_server
from bot.settings import Settings
from bot.web import create_app


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200


def test_healthz_reports_redis_down(settings: Settings, tmp_path: Path) -> None:
    unreachable = redis.Redis(
        unix_socket_path=str(tmp_path / "nothing.sock"), retry=Retry(NoBackoff(), 0)
    )
    assert create_app(settings, unreachable).test_client().get("/healthz").status_code == 503


def test_importing_the_web_app_loads_no_worker_and_no_github_client() -> None:
    # The request path must stay thin: no workers (they run git and builders), no PyGithub.
    code = (
        "import sys, bot.web\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('workers', 'github', 'git')]\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={}
    )
    assert result.stdout.strip() == "[]"


def test_app_uses_the_embedded_redis_without_redis_url(settings: Settings) -> None:
    with tempfile.TemporaryDirectory(prefix="porch-") as directory:
        state = Path(directory)
        embedded = Settings(
            settings.github_app_id,
            settings.github_private_key,
            settings.github_webhook_secret,
            state_dir=state,
        )
        try:
            assert create_app(embedded).test_client().get("/healthz").status_code == 200
        finally:
            stop_embedded_server(state)
