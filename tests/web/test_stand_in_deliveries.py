"""Deliveries signed and sent by the local GitHub stand-in, as GitHub sends them."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis
from rq import Queue
from werkzeug.serving import make_server

from bot.adapters.queues import EVENTS_QUEUE, HANDLE_DELIVERY_JOB, delivery_job_id
from bot.settings import Settings
from bot.web import create_app

# The stand-in's fixtures, imported because `pytest_plugins` belongs to the root conftest only.
from fakehub.testing import RunningFakeHub

REPO = "octo/diamond"


@pytest.fixture
def webhook_url(fakehub: RunningFakeHub, redis_client: redis.Redis) -> Iterator[str]:
    """Our app, with the stand-in App's secret, under a real server the stand-in posts to."""
    settings = Settings(
        github_app_id=str(fakehub.app_id),
        github_private_key=fakehub.private_key,
        github_webhook_secret=fakehub.webhook_secret,
        github_api_url=fakehub.api_url,
    )
    server = make_server("127.0.0.1", 0, create_app(settings, redis_client), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/webhooks/github"
    fakehub.control.set_webhook_url(url)
    yield url
    fakehub.control.set_webhook_url(None)
    server.shutdown()
    thread.join(timeout=5)


def test_comment_delivery_is_enqueued_and_redelivery_dropped(
    fakehub: RunningFakeHub, webhook_url: str, redis_client: redis.Redis
) -> None:
    fakehub.control.create_repo(REPO, files={"README.md": "# diamond\n"})
    fakehub.control.add_collaborator(REPO, "alice", "write")
    issue = fakehub.control.open_issue(REPO, "alice", "Diamond", "### Phase 1: Data layer\n")
    fakehub.control.comment(REPO, issue["number"], "alice", "/porch parallel")
    fakehub.control.flush()

    [delivery] = fakehub.control.deliveries("issue_comment")
    assert delivery["status_code"] == 202
    queue = Queue(EVENTS_QUEUE, connection=redis_client)
    job = queue.fetch_job(delivery_job_id(delivery["guid"]))
    assert job is not None
    assert job.func_name == HANDLE_DELIVERY_JOB
    event_name, delivery_id, payload = job.args
    assert (event_name, delivery_id) == ("issue_comment", delivery["guid"])
    assert payload["comment"]["body"] == "/porch parallel"

    # GitHub's "Redeliver" sends the same delivery id again.
    fakehub.control.redeliver(delivery["guid"])
    fakehub.control.flush()
    redelivered = [d for d in fakehub.control.deliveries("issue_comment") if d["redelivery"]]
    assert [d["status_code"] for d in redelivered] == [200]
    assert job.id in queue.get_job_ids()
    assert queue.get_job_ids().count(job.id) == 1
