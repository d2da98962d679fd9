"""POST /webhooks/github: signatures, repeats, ping, size limit, and the job it enqueues."""

from __future__ import annotations

import inspect
import json
import logging
import socket
import threading
import urllib.parse
import uuid
from typing import Any

import pytest
import redis
import requests
from flask.testing import FlaskClient
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from rq.utils import import_attribute

from bot.adapters import keys
from bot.adapters.queues import EVENTS_QUEUE, HANDLE_DELIVERY_JOB
from bot.settings import Settings
from bot.web import create_app
from bot.web.webhooks import MAX_BODY_BYTES

URL = "/webhooks/github"


def queued(redis_client: redis.Redis) -> list[str]:
    return Queue(EVENTS_QUEUE, connection=redis_client).get_job_ids()


def post(client: FlaskClient, delivery: Any) -> Any:
    return client.post(URL, data=delivery.body, headers=delivery.headers)


def test_signed_delivery_is_enqueued_by_name(
    client: FlaskClient, redis_client: redis.Redis, signer: Any
) -> None:
    payload = {"action": "created", "comment": {"body": "/porch parallel"}, "n": 1}
    delivery = signer.delivery("issue_comment", payload, delivery_id="72d3162e-cc78-11e3")
    response = post(client, delivery)
    assert response.status_code == 202
    assert queued(redis_client) == ["delivery-72d3162e-cc78-11e3"]
    job = Queue(EVENTS_QUEUE, connection=redis_client).fetch_job("delivery-72d3162e-cc78-11e3")
    assert job is not None
    assert job.func_name == HANDLE_DELIVERY_JOB
    assert job.args == ("issue_comment", "72d3162e-cc78-11e3", payload)
    assert job.kwargs == {}
    assert len(job.description or "") < 100  # not the repr of the whole payload


def test_form_encoded_delivery_is_accepted(
    client: FlaskClient, redis_client: redis.Redis, signer: Any
) -> None:
    body = urllib.parse.urlencode({"payload": json.dumps({"action": "created"})}).encode()
    delivery = signer.delivery("issue_comment", {})
    headers = {
        **delivery.headers,
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Hub-Signature-256": signer.sign(body),
    }
    assert client.post(URL, data=body, headers=headers).status_code == 202
    assert len(queued(redis_client)) == 1


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in headers.items() if key != name}


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda d, s: {**d.headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}, id="bad"
        ),
        pytest.param(
            lambda d, s: {**d.headers, "X-Hub-Signature-256": s.sign(d.body, "other-secret")},
            id="other-secret",
        ),
        pytest.param(lambda d, s: _without(d.headers, "X-Hub-Signature-256"), id="missing"),
        pytest.param(
            lambda d, s: {
                **_without(d.headers, "X-Hub-Signature-256"),
                "X-Hub-Signature": s.sign(d.body, digest="sha1"),
            },
            id="sha1-only",
        ),
        pytest.param(
            lambda d, s: {**d.headers, "X-Hub-Signature-256": s.sign(d.body, digest="sha1")},
            id="sha1-in-sha256-header",
        ),
        pytest.param(lambda d, s: {**d.headers, "X-Hub-Signature-256": ""}, id="empty"),
    ],
)
def test_unsigned_or_badly_signed_delivery_is_refused(
    client: FlaskClient, redis_client: redis.Redis, signer: Any, tamper: Any
) -> None:
    delivery = signer.delivery()
    response = client.post(URL, data=delivery.body, headers=tamper(delivery, signer))
    assert response.status_code == 401
    assert queued(redis_client) == []
    # A refused delivery must not burn its id: the genuine one may still arrive.
    assert redis_client.keys("porch:delivery:*") == []


def test_tampered_body_is_refused(
    client: FlaskClient, redis_client: redis.Redis, signer: Any
) -> None:
    delivery = signer.delivery()
    body = delivery.body.replace(b"parallel", b"cancel")
    assert client.post(URL, data=body, headers=delivery.headers).status_code == 401
    assert queued(redis_client) == []


def test_ping_is_answered_and_not_enqueued(
    client: FlaskClient, redis_client: redis.Redis, signer: Any
) -> None:
    response = post(client, signer.delivery("ping", {"zen": "Keep it logically awesome."}))
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == "pong"
    assert queued(redis_client) == []


def test_repeated_delivery_is_dropped(
    client: FlaskClient, redis_client: redis.Redis, signer: Any
) -> None:
    delivery = signer.delivery(delivery_id="5f2b-repeat")
    assert post(client, delivery).status_code == 202
    again = post(client, delivery)
    assert again.status_code == 200
    assert again.get_data(as_text=True).strip() == "duplicate"
    assert queued(redis_client) == ["delivery-5f2b-repeat"]
    ttl = redis_client.ttl(keys.delivery("5f2b-repeat"))
    assert 0 < ttl <= 3 * 24 * 3600


def test_five_concurrent_copies_make_one_job(
    live_url: str, redis_client: redis.Redis, signer: Any
) -> None:
    delivery = signer.delivery(delivery_id=str(uuid.uuid4()))
    barrier = threading.Barrier(5)
    statuses: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        with requests.Session() as session:
            barrier.wait(timeout=10)
            response = session.post(
                live_url + URL, data=delivery.body, headers=delivery.headers, timeout=10
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(statuses) == [200, 200, 200, 200, 202]
    assert len(queued(redis_client)) == 1


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2]"),
        ("application/json", b""),
        ("text/plain", b'{"action": "created"}'),
        ("application/x-www-form-urlencoded", b"nopayload=1"),
    ],
)
def test_malformed_payload_is_a_bad_request(
    client: FlaskClient, redis_client: redis.Redis, signer: Any, content_type: str, body: bytes
) -> None:
    headers = {
        **signer.delivery().headers,
        "Content-Type": content_type,
        "X-Hub-Signature-256": signer.sign(body),
    }
    assert client.post(URL, data=body, headers=headers).status_code == 400
    assert queued(redis_client) == []


@pytest.mark.parametrize("header", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_missing_github_headers_are_a_bad_request(
    client: FlaskClient, redis_client: redis.Redis, signer: Any, header: str
) -> None:
    delivery = signer.delivery()
    response = client.post(URL, data=delivery.body, headers=_without(delivery.headers, header))
    assert response.status_code == 400
    assert queued(redis_client) == []


def test_oversize_body_is_refused(
    client: FlaskClient, redis_client: redis.Redis, signer: Any
) -> None:
    body = b"x" * (MAX_BODY_BYTES + 1)
    headers = {**signer.delivery().headers, "X-Hub-Signature-256": signer.sign(body)}
    assert client.post(URL, data=body, headers=headers).status_code == 413
    assert queued(redis_client) == []


def test_oversize_body_is_refused_before_it_is_sent(live_url: str, signer: Any) -> None:
    # Announce 30 MB and send none of it: a server that tried to read the body would hang.
    host, port = urllib.parse.urlsplit(live_url).netloc.split(":")
    headers = {**signer.delivery().headers, "Content-Length": str(30 * 1024 * 1024)}
    head = f"POST {URL} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(head.encode())
        status_line = conn.recv(4096).split(b"\r\n", 1)[0]
    assert b" 413 " in status_line


def test_redis_down_answers_503_and_enqueues_nothing(
    settings: Settings, signer: Any, tmp_path: Any
) -> None:
    unreachable = redis.Redis(
        unix_socket_path=str(tmp_path / "nothing.sock"), retry=Retry(NoBackoff(), 0)
    )
    client = create_app(settings, unreachable).test_client()
    assert post(client, signer.delivery()).status_code == 503


def test_logs_carry_the_delivery_id_and_no_secret(
    client: FlaskClient, signer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = signer.delivery(delivery_id="log-check-1")
    post(client, good)
    post(client, good)
    bad = signer.delivery(delivery_id="log-check-2")
    client.post(URL, data=bad.body, headers={**bad.headers, "X-Hub-Signature-256": "sha256=00"})
    assert signer.secret not in caplog.text
    assert good.headers["X-Hub-Signature-256"] not in caplog.text
    ids = {getattr(record, "delivery_id", None) for record in caplog.records}
    assert {"log-check-1", "log-check-2"} <= ids
    assert "log-check-1" in caplog.text  # in the message too, for plain-text logs


def test_job_name_resolves_to_the_intake_function() -> None:
    # The web process enqueues by name only; this keeps the name and the arguments honest.
    handler = import_attribute(HANDLE_DELIVERY_JOB)
    assert list(inspect.signature(handler).parameters) == ["event_name", "delivery_id", "payload"]


@pytest.mark.parametrize(
    ("event", "action"),
    [("push", None), ("check_run", "created"), ("issue_comment", "edited"), ("issues", "opened")],
)
def test_events_no_handler_acts_on_are_dropped_before_the_queue(
    client: FlaskClient, redis_client: redis.Redis, signer: Any, event: str, action: str | None
) -> None:
    payload = {"action": action} if action else {"ref": "refs/heads/main"}
    response = post(client, signer.delivery(event, payload))
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == "ignored"
    assert queued(redis_client) == []
