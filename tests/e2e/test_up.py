"""`porch-parallel up` on real processes: it starts Redis, the web app and workers of both roles,
starts a worker (or the embedded Redis) again when it dies, and on SIGTERM stops them all and
then its Redis."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
import requests
from rq import Worker

from bot.adapters.queues import BUILDERS_QUEUE, EVENTS_QUEUE
from bot.adapters.redis_server import EmbeddedServer, embedded_server_pid
from porch_localstack.localstack import free_port

pytestmark = pytest.mark.e2e

# Enough for settings to load; nothing here talks to GitHub.
KEY = "-----BEGIN RSA PRIVATE KEY-----\\nunused\\n-----END RSA PRIVATE KEY-----"


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except (requests.RequestException, redis.RedisError):
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_up_runs_supervises_and_stops_a_whole_installation(state_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env |= {
        "GITHUB_APP_ID": "1",
        "GITHUB_PRIVATE_KEY": KEY,
        "GITHUB_WEBHOOK_SECRET": "unused",
        "PORCH_STATE_DIR": str(state_dir),
        "PORT": str(port),
        "HOME": str(tmp_path),  # gunicorn keeps a control socket under $HOME
    }
    out, err = tmp_path / "up.out", tmp_path / "up.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        up = subprocess.Popen(
            [sys.executable, "-m", "bot", "up", "--builder-workers", "2", "--web-workers", "1"],
            env=env,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
        )
    children: dict[str, int] = {}
    try:
        _wait(lambda: "stops them all" in out.read_text(), "up to start its children")
        announced = out.read_text()
        children = {m[0]: int(m[1]) for m in re.findall(r"^  (\S+) +pid (\d+)", announced, re.M)}
        assert sorted(children) == ["builders-1", "builders-2", "events-1", "web"]
        assert f"http://127.0.0.1:{port}/webhooks/github" in announced

        connection = redis.Redis.from_url(EmbeddedServer(state_dir).url)

        def roles() -> dict[int, list[str]]:
            return {w.pid: w.queue_names() for w in Worker.all(connection) if _alive(w.pid)}

        _wait(lambda: len(roles()) == 3, "three workers to register")
        assert roles() == {
            children["events-1"]: [EVENTS_QUEUE],
            children["builders-1"]: [BUILDERS_QUEUE],
            children["builders-2"]: [BUILDERS_QUEUE],
        }
        _wait(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok, "the web")

        os.kill(children["builders-1"], signal.SIGKILL)
        restarted = re.compile(r"builders-1 started again \(pid (\d+)\)")
        _wait(lambda: restarted.search(err.read_text()) is not None, "builders-1 to be restarted")
        logs = err.read_text()
        assert f"builders-1 (pid {children['builders-1']}) was killed by SIGKILL" in logs
        match = restarted.search(logs)
        assert match is not None
        children["builders-1"] = int(match[1])
        _wait(
            lambda: roles().get(children["builders-1"]) == [BUILDERS_QUEUE],
            "the new builder worker to register",
        )

        # The embedded Redis dies too: `up` starts it again, and the workers carry on with it.
        redis_pid = embedded_server_pid(state_dir)
        assert redis_pid is not None
        os.kill(redis_pid, signal.SIGKILL)
        _wait(
            lambda: embedded_server_pid(state_dir) not in (None, redis_pid),
            "the embedded Redis to be started again",
        )
        # Logged once the new server answers, a moment after its pid file appears.
        _wait(
            lambda: "the embedded redis-server had died; started it again" in err.read_text(),
            "`up` to say it started the embedded Redis again",
        )
        _wait(lambda: len(roles()) == 3, "the three workers to be registered with it")

        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=30) == 0
        assert not [name for name, pid in children.items() if _alive(pid)]
        assert embedded_server_pid(state_dir) is None
        assert "Stopped the embedded redis-server." in out.read_text()
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        for pid in children.values():
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
