"""`porch-parallel up`: a whole small installation on one machine, kept running as children.

Redis (embedded unless REDIS_URL is set), the web app, events workers and builder workers:
each a `porch-parallel serve` or `porch-parallel worker` process of its own, exactly what runs
when each role is started by hand. A child that dies unexpectedly is started again, after a
pause that grows while it keeps dying. SIGINT and SIGTERM are passed on to every child, and
once all of them have exited, the embedded Redis this command started is stopped.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TextIO

from bot.adapters.redis_server import (
    describe,
    restart_if_gone,
    start_embedded_server,
    stop_embedded_server,
)
from bot.cli.processes import configure_logging
from bot.settings import Settings

log = logging.getLogger(__name__)

FIRST_RESTART_SECONDS = 1.0
MAX_RESTART_SECONDS = 30.0
# A child that ran this long before it died was not crash-looping: restart it quickly again.
STEADY_SECONDS = 60.0
POLL_SECONDS = 0.2
# How often `up` looks whether the embedded Redis still runs (a unix-socket ping).
KEEPER_SECONDS = 1.0
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class ChildSpec:
    """One process to keep running: its name in logs, and its `porch-parallel` arguments."""

    name: str
    args: tuple[str, ...]


def installation(
    event_workers: int, builder_workers: int, web_workers: int | None
) -> list[ChildSpec]:
    """The children of `up`: the web app, then the events workers, then the builder workers."""
    serve = ("serve",) if web_workers is None else ("serve", "--workers", str(web_workers))
    children = [ChildSpec("web", serve)]
    children += [
        ChildSpec(f"events-{n}", ("worker", "--role", "events"))
        for n in range(1, event_workers + 1)
    ]
    children += [
        ChildSpec(f"builders-{n}", ("worker", "--role", "builders"))
        for n in range(1, builder_workers + 1)
    ]
    return children


# What only the web app and events workers need: a builder worker gets its tokens minted.
APP_SECRET_VARIABLES = ("GITHUB_WEBHOOK_SECRET", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH")


def child_env(spec: ChildSpec, env: Mapping[str, str]) -> dict[str, str]:
    """A child's environment: builder workers' without the App's key and webhook secret."""
    if "builders" in spec.args:
        return {k: v for k, v in env.items() if k not in APP_SECRET_VARIABLES}
    return dict(env)


def restart_delay(failures: int) -> float:
    """Seconds to wait before starting a child again after its `failures`-th death in a row."""
    return min(MAX_RESTART_SECONDS, FIRST_RESTART_SECONDS * 2 ** max(failures - 1, 0))


@dataclass
class Child:
    """A child as it runs: its process, and how often in a row it died soon after starting."""

    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0  # deaths in a row, each soon after its start
    restart_at: float | None = None  # set while it waits to be started again

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Starts the children, restarts any that die, and passes stop signals on to them all."""

    def __init__(
        self,
        specs: Sequence[ChildSpec],
        env: Mapping[str, str],
        clock: Callable[[], float] = time.monotonic,
        keep: Callable[[], None] | None = None,
    ) -> None:
        self.children = [Child(spec) for spec in specs]
        self._env = dict(env)
        self._clock = clock
        self._received: list[int] = []
        # Called every KEEPER_SECONDS while running: keeps what the children share (Redis) up.
        self._keep = keep
        self._kept_at = 0.0

    def run(self, announce: Callable[[Sequence[Child]], None]) -> None:
        """Start every child, `announce` them, and return once a signal has stopped them all."""
        with self._signals_caught():
            for child in self.children:
                self._start(child)
            announce(self.children)
            self._supervise()

    @contextmanager
    def _signals_caught(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in FORWARDED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only noted here: the loop below acts on it, outside the signal handler.
        self._received.append(signum)

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *child.spec.args],
            env=child_env(child.spec, self._env),
            stdin=subprocess.DEVNULL,
            # Their own process group: a Ctrl+C in the terminal reaches this process only, and
            # each child hears it once, from us, rather than twice.
            process_group=0,
        )
        child.started_at = self._clock()
        child.restart_at = None

    def _supervise(self) -> None:
        stopping = False
        while True:
            while self._received:
                signum = self._received.pop(0)
                self._forward(signum, again=stopping)
                stopping = True
            if stopping:
                if not any(child.running for child in self.children):
                    return
            else:
                self._keep_shared()
                self._restart_the_dead()
            time.sleep(POLL_SECONDS)

    def _keep_shared(self) -> None:
        now = self._clock()
        if self._keep is None or now - self._kept_at < KEEPER_SECONDS:
            return
        self._kept_at = now
        try:
            self._keep()
        except Exception:
            # Never the end of `up`: the children ride out Redis being away, and we try again.
            log.exception("could not restart the embedded redis-server; trying again")

    def _forward(self, signum: int, again: bool) -> None:
        running = [child for child in self.children if child.running]
        name = signal.Signals(signum).name
        if again:
            log.warning("%s again: passed on to %d processes", name, len(running))
        else:
            log.info(
                "%s: passed on to %d processes; a builder worker finishes the job it is running "
                "first, a second signal stops it at once",
                name,
                len(running),
            )
        for child in running:
            assert child.process is not None
            child.process.send_signal(signum)

    def _restart_the_dead(self) -> None:
        now = self._clock()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._start(child)
                    assert child.process is not None
                    log.info("%s started again (pid %s)", child.spec.name, child.process.pid)
                continue
            assert child.process is not None
            status = child.process.poll()
            if status is None:
                continue
            ran = now - child.started_at
            child.failures = 1 if ran >= STEADY_SECONDS else child.failures + 1
            delay = restart_delay(child.failures)
            child.restart_at = now + delay
            log.warning(
                "%s (pid %s) %s after %.0fs; starting it again in %.0fs",
                child.spec.name,
                child.process.pid,
                _ended(status),
                ran,
                delay,
            )


def _ended(status: int) -> str:
    if status < 0:
        return f"was killed by {signal.Signals(-status).name}"
    return f"exited with status {status}"


def _embedded_redis_keeper(settings: Settings) -> Callable[[], None]:
    """Start the embedded Redis again when it dies: it loads its append-only file and the
    children reconnect, so nothing answered before the death is lost."""

    def keep() -> None:
        if restart_if_gone(settings.state_dir):
            log.warning("the embedded redis-server had died; started it again")

    return keep


def up(
    settings: Settings,
    out: TextIO,
    *,
    event_workers: int = 1,
    builder_workers: int = 2,
    web_workers: int | None = None,
) -> int:
    """Run the web app and the workers on this machine until SIGINT or SIGTERM."""
    configure_logging(settings, "up")
    env = dict(os.environ)
    # Absolute, so every child finds the same embedded server whatever its directory.
    env["PORCH_STATE_DIR"] = str(settings.state_dir.resolve())
    started_redis = False
    if not settings.redis_url:
        _, started_redis = start_embedded_server(settings.state_dir)
    keep = None if settings.redis_url else _embedded_redis_keeper(settings)
    supervisor = Supervisor(
        installation(event_workers, builder_workers, web_workers), env, keep=keep
    )

    def announce(children: Sequence[Child]) -> None:
        if settings.redis_url:
            note = ""
        elif started_redis:
            note = ", started (stopped again when all have exited)"
        else:
            note = ", already running (left running)"
        print(f"Redis: {describe(settings)}{note}", file=out)
        for child in children:
            assert child.process is not None
            shown = " ".join(child.spec.args)
            print(f"  {child.spec.name:<12} pid {child.process.pid:<8} {shown}", file=out)
        web = f"http://{settings.host}:{settings.port}"
        print(f"Webhook URL: {web}/webhooks/github (health: {web}/healthz)", file=out)
        print("Ctrl+C or SIGTERM stops them all.", file=out, flush=True)

    try:
        supervisor.run(announce)
    finally:
        if started_redis:
            stop_embedded_server(settings.state_dir)
            print("Stopped the embedded redis-server.", file=out, flush=True)
    return 0
