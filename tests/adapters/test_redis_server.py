"""The embedded redis-server: shared by processes, outliving the one that started it, and
losing at most a second of writes when it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from bot.adapters.redis_server import (
    EmbeddedServer,
    connect,
    embedded_server_pid,
    ensure_embedded_server,
    restart_if_gone,
    stop_embedded_server,
)
from bot.settings import Settings

# A separate interpreter, as `serve` and `worker` are: it connects through the state directory,
# writes, and exits.
CHILD = """
import sys
from pathlib import Path
import redis
from bot.adapters.redis_server import ensure_embedded_server
server = ensure_embedded_server(Path(sys.argv[1]))
client = redis.Redis.from_url(server.url)
client.rpush("visitors", sys.argv[2])
print(client.info("server")["process_id"])
"""


def _run_child(state_dir: Path, name: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(state_dir), name],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(result.stdout.strip())


def test_two_processes_share_one_server_that_outlives_them(state_dir: Path) -> None:
    first_pid = _run_child(state_dir, "serve")
    # The process that started the server has exited: the server must still answer.
    second_pid = _run_child(state_dir, "worker")
    assert first_pid == second_pid
    client = redis.Redis.from_url(EmbeddedServer(state_dir).url)
    assert client.lrange("visitors", 0, -1) == [b"serve", b"worker"]
    assert EmbeddedServer(state_dir).socket_path.parent == state_dir.resolve() / "redis"
    client.close()


def test_connect_uses_embedded_server_without_redis_url(state_dir: Path) -> None:
    settings = Settings("1", "key", "secret", state_dir=state_dir)
    client = connect(settings)
    client.set("k", "v")
    assert redis.Redis.from_url(EmbeddedServer(state_dir).url).get("k") == b"v"
    client.close()


def test_connect_prefers_redis_url(redis_url: str, state_dir: Path) -> None:
    settings = Settings("1", "key", "secret", redis_url=redis_url, state_dir=state_dir)
    client = connect(settings)
    assert client.ping()
    assert not state_dir.exists()  # no embedded server was started
    client.close()


def test_restart_after_stop_keeps_data(state_dir: Path) -> None:
    server = ensure_embedded_server(state_dir)
    redis.Redis.from_url(server.url).set("survives", "yes")
    assert stop_embedded_server(state_dir)
    assert not stop_embedded_server(state_dir)
    server = ensure_embedded_server(state_dir)
    assert redis.Redis.from_url(server.url).get("survives") == b"yes"


def test_stale_socket_file_is_replaced(state_dir: Path) -> None:
    server = EmbeddedServer(state_dir)
    server.directory.mkdir(parents=True)
    server.socket_path.write_text("left by a server that died")
    ensure_embedded_server(state_dir)
    assert redis.Redis.from_url(server.url).ping()


def test_deep_state_dir_gets_a_short_socket(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["nested-directory"] * 8)
    server = EmbeddedServer(deep)
    assert len(str(server.socket_path)) <= 100
    assert server.socket_path == EmbeddedServer(deep).socket_path


def test_writes_are_appended_and_synced_every_second(state_dir: Path) -> None:
    server = ensure_embedded_server(state_dir)
    client = redis.Redis.from_url(server.url)
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
    client.set("delivery", "abc123")
    deadline = time.monotonic() + 3
    while b"abc123" not in server.append_only_path.read_bytes():
        assert time.monotonic() < deadline, "the write never reached the append-only file"
        time.sleep(0.05)
    client.close()


def test_a_killed_server_loses_at_most_the_last_second(state_dir: Path) -> None:
    server = ensure_embedded_server(state_dir)
    client = redis.Redis.from_url(server.url)
    client.set("run", "building")
    time.sleep(1.5)  # more than appendfsync's second
    pid = embedded_server_pid(state_dir)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # no shutdown, no final save: a crash
    client.close()
    while embedded_server_pid(state_dir) is not None:
        time.sleep(0.05)
    server = ensure_embedded_server(state_dir)
    assert redis.Redis.from_url(server.url).get("run") == b"building"


def test_every_answered_write_survives_a_kill_of_the_server_alone(state_dir: Path) -> None:
    """Redis writes its append-only file before it replies; a kill of the process (not of
    the machine) keeps what the kernel was given, synced or not."""
    server = ensure_embedded_server(state_dir)
    client = redis.Redis.from_url(server.url)
    for n in range(1000):
        client.rpush("answered", n)  # each one answered before the next is sent
    pid = embedded_server_pid(state_dir)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # at once: no second for appendfsync to pass
    client.close()
    while embedded_server_pid(state_dir) is not None:
        time.sleep(0.05)
    assert restart_if_gone(state_dir)
    assert not restart_if_gone(state_dir)  # running: left alone
    again = redis.Redis.from_url(server.url)
    assert [int(n) for n in again.lrange("answered", 0, -1)] == list(range(1000))
    again.close()


def test_a_client_rides_out_a_restart_of_the_server(state_dir: Path) -> None:
    client = connect(Settings("1", "key", "secret", state_dir=state_dir))
    client.set("before", 1)
    pid = embedded_server_pid(state_dir)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    # What `up` does within a second or two; meanwhile the client retries with backoff.
    starter = subprocess.Popen(
        [sys.executable, "-c", RESTART_LATER, str(state_dir)], stdout=subprocess.DEVNULL
    )
    assert client.incr("after") == 1  # waits for the server, instead of failing
    assert client.get("before") == b"1"
    starter.wait(timeout=30)
    client.close()


RESTART_LATER = """
import sys, time
from pathlib import Path
from bot.adapters.redis_server import restart_if_gone
time.sleep(1.5)
restart_if_gone(Path(sys.argv[1]))
"""


def test_a_snapshot_from_before_append_only_is_loaded_then_appended_to(state_dir: Path) -> None:
    server = ensure_embedded_server(state_dir)
    client = redis.Redis.from_url(server.url)
    client.set("queued", "before the upgrade")
    client.save()
    client.close()
    stop_embedded_server(state_dir)
    server.append_only_path.unlink()  # a state directory that only ever had snapshots
    server = ensure_embedded_server(state_dir)
    client = redis.Redis.from_url(server.url)
    assert client.get("queued") == b"before the upgrade"
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert server.append_only_path.exists()
    assert "appendonly yes" in server.config_path.read_text()
    client.close()


def test_stop_returns_once_the_server_is_gone(state_dir: Path) -> None:
    server = ensure_embedded_server(state_dir)
    assert embedded_server_pid(state_dir) is not None
    assert stop_embedded_server(state_dir)
    assert embedded_server_pid(state_dir) is None
    assert not server.pid_path.exists()
    assert not stop_embedded_server(state_dir)
