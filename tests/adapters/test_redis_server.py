"""The embedded redis-server: shared by processes, outliving the one that started it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.adapters.redis_server import (
    EmbeddedServer,
    connect,
    ensure_embedded_server,
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


@pytest.fixture
def state_dir() -> Iterator[Path]:
    # Not tmp_path: its depth would push the socket path past the unix limit on some runners,
    # and this test wants the socket inside the state directory.
    with tempfile.TemporaryDirectory(prefix="porch-") as directory:
        path = Path(directory) / "state"
        yield path
        stop_embedded_server(path)


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
