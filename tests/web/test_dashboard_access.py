"""Who sees the dashboard: a run's signed link, the operator's token, and nobody else; and the
JSON log lines, which never hold a credential."""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import redis
from flask.testing import FlaskClient

from bot.adapters import keys, logs
from bot.core import access
from bot.settings import Settings
from bot.web import create_app
from tests.core.core_support import DIAMOND, run_of

TOKEN = "operator-token-0123456789"


def _client(settings: Settings, redis_client: redis.Redis) -> FlaskClient:
    with_token = dataclasses.replace(settings, dashboard_token=TOKEN)
    return create_app(with_token, redis_client).test_client()


def _store_run(redis_client: redis.Redis) -> str:
    state = run_of(DIAMOND)
    redis_client.set(keys.run(state.run_id), json.dumps(state.to_dict()))
    redis_client.zadd(keys.RUNS_INDEX, {state.run_id: state.created_at})
    return state.run_id


def test_a_signed_link_opens_its_run_only(settings: Settings, redis_client: redis.Redis) -> None:
    client = _client(settings, redis_client)
    run_id = _store_run(redis_client)
    key = access.link_key(settings.github_webhook_secret)
    query = access.signed_query(key, run_id, time.time())
    page = client.get(f"/runs/{run_id}?{query}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert client.get(f"/runs/{run_id}").status_code == 404
    assert client.get(f"/runs?{query}").status_code == 404
    assert client.get(f"/runs/nope?{query}").status_code == 404


def test_the_operator_token_opens_everything_and_moves_into_a_cookie(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client = _client(settings, redis_client)
    run_id = _store_run(redis_client)
    assert client.get("/runs").status_code == 404
    assert client.get("/metrics").status_code == 404
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/runs", headers=bearer).status_code == 200
    assert client.get("/metrics", headers=bearer).status_code == 200
    answer = client.get(f"/runs/{run_id}?token={TOKEN}")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/runs/{run_id}"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    listing = client.get("/runs")
    assert listing.status_code == 200 and run_id in listing.get_data(as_text=True)
    assert client.get("/runs?token=wrong").status_code == 404


def test_without_a_token_configured_only_signed_links_work(
    settings: Settings, redis_client: redis.Redis
) -> None:
    client = create_app(settings, redis_client).test_client()
    _store_run(redis_client)
    assert client.get("/runs", headers={"Authorization": "Bearer "}).status_code == 404
    assert client.get("/runs?token=").status_code == 404
    # /metrics holds counts only: open when no operator token is set.
    assert client.get("/metrics").status_code == 200


def test_a_json_line_carries_the_ids_and_no_credential() -> None:
    formatter = logs.JsonFormatter("web", secrets=["the-webhook-secret"])
    with logs.ids(run_id="r1-2-1", phase_id="phase_2", attempt=2, delivery_id=None):
        record = logging.LogRecord(
            "x",
            logging.INFO,
            __file__,
            1,
            "GET /runs?token=%s&x=1 /runs/r?exp=1&sig=abc ghs_%s the-webhook-secret",
            ("tok-123", "A" * 36),
            None,
        )
        line = json.loads(formatter.format(record))
    assert line["run_id"] == "r1-2-1" and line["phase_id"] == "phase_2" and line["attempt"] == 2
    assert "delivery_id" not in line
    for secret in ("tok-123", "abc", "ghs_A", "the-webhook-secret"):
        assert secret not in line["message"]
    assert logs.current() == {}
