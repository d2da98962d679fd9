"""The whole system on one machine, as real processes: Redis, the local GitHub, web, workers.

Used by `porch-parallel demo` and by the end-to-end tests and benchmarks, so that all three
exercise exactly what a deployment runs: `porch-parallel serve`, `porch-parallel worker` and
an embedded redis-server, talking to the `fakehub` stand-in over HTTP and git.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import github
import requests

from bot.adapters.redis_server import ensure_embedded_server, stop_embedded_server
from bot.cli.supervisor import APP_SECRET_VARIABLES
from fakehub.client import FakeHubControl
from fakehub.envfile import bot_environment
from fakehub.hub import CREDENTIALS_FILE

START_TIMEOUT = 30.0
WORKER = [sys.executable, "-m", "bot", "worker"]


@functools.cache
def worker_commands(builders: int) -> list[tuple[str, list[str]]]:
    """(name, argv) of each worker: one for events and effects, `builders` for builders."""
    return [
        ("worker-events", [*WORKER, "--role", "events"]),
        *(
            (f"worker-builders-{index}", [*WORKER, "--role", "builders"])
            for index in range(1, builders + 1)
        ),
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until(ready: Any, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (requests.RequestException, OSError, ValueError):
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not come up within {timeout:.0f}s")


class LocalStack:
    """Start with `with LocalStack(root) as stack:`; logs go to `root/logs/`.

    `workers` builders run at once (plus a worker for events where workers take roles).
    """

    def __init__(self, root: Path, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.workers = workers
        self.extra_env = dict(env or {})
        self.logs = root / "logs"
        self.web_port = free_port()
        self.hub_port = free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self._processes: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []
        self.credentials: dict[str, Any] = {}
        self.env: dict[str, str] = {}
        self.redis_url = ""

    def github(self) -> github.Github:
        """A PyGithub client acting as the App's installation, to look at what the bot did."""
        integration = github.GithubIntegration(
            base_url=self.credentials["api_url"],
            auth=github.Auth.AppAuth(self.credentials["app_id"], self.credentials["private_key"]),
        )
        token = integration.get_access_token(self.credentials["installation_id"]).token
        return github.Github(
            base_url=self.credentials["api_url"],
            auth=github.Auth.Token(token),
            seconds_between_requests=0,
            seconds_between_writes=0,
        )

    @property
    def control(self) -> FakeHubControl:
        return FakeHubControl(f"http://127.0.0.1:{self.hub_port}")

    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.redis_url = ensure_embedded_server(self.root / "porch").url
        hub_state = self.root / "fakehub"
        self._spawn(
            "fakehub",
            [
                sys.executable,
                "-m",
                "fakehub.cli",
                "serve",
                "--port",
                str(self.hub_port),
                "--state",
                str(hub_state),
                "--webhook-url",
                f"{self.web_url}/webhooks/github",
            ],
            os.environ.copy(),
        )
        creds_path = hub_state / CREDENTIALS_FILE
        _wait_until(lambda: creds_path.is_file() and self.control.app(), "the local GitHub")
        self.credentials = json.loads(creds_path.read_text())
        self.env = {
            **os.environ,
            # What `fakehub serve --env-file` writes for people running the stack by hand.
            **bot_environment(self.credentials),
            "REDIS_URL": self.redis_url,
            "PORT": str(self.web_port),
            "PORCH_STATE_DIR": str(self.root / "porch"),
            # The dashboard's own address, for the links in status comments.
            "PORCH_PUBLIC_URL": self.web_url,
            **self.extra_env,
        }
        self._spawn("web", [sys.executable, "-m", "bot", "serve"], self.env)
        _wait_until(
            lambda: requests.get(f"{self.web_url}/healthz", timeout=1).ok, "the web process"
        )
        # As deployed: one events worker, and `workers` builder workers beside it.
        for name, command in worker_commands(self.workers):
            env = self.env
            if "builders" in command:
                # As deployed: builder workers hold neither the App's key nor its webhook secret.
                env = {k: v for k, v in env.items() if k not in APP_SECRET_VARIABLES}
            self._spawn(name, command, env)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._processes.append((name, process, log))

    def log_text(self) -> str:
        """Everything every process wrote, for checks such as "no token was logged"."""
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.logs.glob("*.log"))
        )

    def stop(self) -> None:
        for _, process, _ in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
        for _, process, log in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        self._processes.clear()
        stop_embedded_server(self.root / "porch")
