"""The bot against the local GitHub over real HTTP and a real Redis, jobs run in this process.

`porch.settle()` plays the part of the worker fleet: it waits for the stand-in's webhooks to
reach the web app, then runs every queued job (webhook deliveries, effects, builders) with an
RQ SimpleWorker until nothing is left to do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from werkzeug.serving import BaseWSGIServer, make_server

from bot.adapters.queues import BUILDERS_QUEUE, Role, builders_queue, events_queue
from bot.adapters.store import RunStore
from bot.core.state import RunState
from bot.settings import Settings
from bot.web import create_app
from fakehub.testing import RunningFakeHub
from porch_localstack.demo import SAMPLE_PLAN, SCRIPTED_BUILDER
from workers.registry import plan_job

REPO = "octo/board"
DIAMOND = SAMPLE_PLAN.read_text()
MAINTAINER = "maria"
BUILDER = SCRIPTED_BUILDER


# Builders run in bubblewrap, as by default. Where it is missing, the runs of these tests opt
# out, except in CI, where a missing bwrap must fail the tests rather than hide the sandbox.
SANDBOXED = shutil.which("bwrap") is not None or os.environ.get("CI") == "true"


def porch_config(command: str | None = None, *, builder: str = "", **extra: Any) -> str:
    # A JSON string is a YAML double-quoted scalar: any shell line survives as written.
    quoted = json.dumps(command or f"python3 {BUILDER}")
    lines = ["builder:", f"  command: {quoted}", "  timeout_minutes: 2"]
    if not SANDBOXED:
        lines.append("  sandbox: none")
    lines += [f"  {line}" for line in builder.splitlines() if line.strip()]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


class Porch:
    """The bot wired to a stand-in: the web app on real HTTP, the queues on a real Redis."""

    def __init__(self, hub: RunningFakeHub, connection: redis.Redis, server: BaseWSGIServer):
        self.hub = hub
        self.redis = connection
        self.server = server
        self.store = RunStore(connection, plan_job)

    def settle(self, rounds: int = 50) -> None:
        for _ in range(rounds):
            self.hub.flush()
            queues = [events_queue(self.redis), builders_queue(self.redis)]
            for queue in queues:
                _run_scheduled_now(queue)
            if not any(queue.count for queue in queues):
                return
            SimpleWorker(queues, connection=self.redis).work(burst=True)
        raise AssertionError("the run did not settle")

    def repo(self, files: dict[str, str] | None = None, config: str | None = None) -> str:
        contents = {"README.md": "# board\n", **(files or {})}
        contents[".github/porch.yml"] = config if config is not None else porch_config()
        self.hub.control.create_repo(REPO, files=contents)
        self.hub.control.add_collaborator(REPO, MAINTAINER, "write")
        return REPO

    def start(
        self, body: str = DIAMOND, user: str = MAINTAINER, text: str = "/porch parallel"
    ) -> int:
        """Open an issue holding `body`, comment `text` as `user`, and let the bot finish."""
        issue = self.open_and_comment(body, user, text)
        self.settle()
        return issue

    def open_and_comment(
        self, body: str = DIAMOND, user: str = MAINTAINER, text: str = "/porch parallel"
    ) -> int:
        issue = self.hub.control.open_issue(REPO, MAINTAINER, "Task board", body)["number"]
        self.hub.control.comment(REPO, issue, user, text)
        return int(issue)

    def orchestrate(self) -> None:
        """Deliver the webhooks and run the orchestration jobs queued so far, no builder."""
        self.hub.flush()
        SimpleWorker([events_queue(self.redis)], connection=self.redis).work(burst=True)

    def orchestrate_until_a_builder_is_queued(self) -> Job:
        """Run orchestration jobs only until a builder job waits; return it."""
        builders = Queue(BUILDERS_QUEUE, connection=self.redis)
        for _ in range(20):
            self.orchestrate()
            if builders.count:
                break
        [job] = builders.get_jobs()
        return job

    def run(self, issue_number: int) -> RunState | None:
        return self.store.current(REPO, issue_number)

    def comments(self, issue_number: int) -> list[Any]:
        return list(self.hub.github().get_repo(REPO).get_issue(issue_number).get_comments())

    def jobs_run(self) -> int:
        return int(self.redis.get("porch:test:jobs") or 0)


def _run_scheduled_now(queue: Queue) -> None:
    """Jobs waiting to be retried later go back to their queue now: time passes in a test."""
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        job = queue.fetch_job(job_id)
        registry.remove(job_id)
        if job is not None:
            queue.enqueue_job(job)


@pytest.fixture
def porch(
    fakehub: RunningFakeHub,
    redis_client: redis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Porch]:
    env = {
        "GITHUB_API_URL": fakehub.api_url,
        "GITHUB_APP_ID": str(fakehub.app_id),
        "GITHUB_PRIVATE_KEY_PATH": str(fakehub.private_key_path),
        "GITHUB_WEBHOOK_SECRET": fakehub.webhook_secret,
        "REDIS_URL": redis_url,
        "PORCH_GITHUB_REQUEST_INTERVAL": "0",
        "PORCH_GITHUB_WRITE_INTERVAL": "0",
        # The scripted builder lives in the local-stack package: the sandbox may read it.
        "PORCH_SANDBOX_PATHS": str(Path(SCRIPTED_BUILDER).resolve().parent),
        # Jobs scheduled for later run at once here: a status edit deferred to respect the
        # minimum interval would find it still too soon, so the interval is off in process.
        "PORCH_STATUS_INTERVAL": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env(os.environ)
    app = create_app(settings, redis=redis_client)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    fakehub.set_webhook_url(f"http://127.0.0.1:{server.server_port}/webhooks/github")
    try:
        yield Porch(fakehub, redis_client, server)
    finally:
        server.shutdown()
        thread.join()


def start_worker(role: Role, **options: object) -> subprocess.Popen[bytes]:
    """A real `porch-parallel worker --role ROLE --burst` on this test's Redis and GitHub."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker", "--role", role.value, "--burst"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **options,  # type: ignore[call-overload]
    )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
