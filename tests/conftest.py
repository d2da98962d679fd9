"""Shared fixtures: a real Redis server and the path to the shared reference data; measured
figures printed at the end of the run."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.adapters.redis_server import EmbeddedServer, ensure_embedded_server, stop_embedded_server

# The local GitHub (a `fakehub` fixture per test, checked against GitHub's API descriptions)
# and the conformance checker itself.
pytest_plugins = ["fakehub.pytest_plugin", "fakehub.pytest_conformance"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared reference data; tests that need it skip, saying why, where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"reference data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """One real redis-server per test process: the embedded server `serve` and `worker` use."""
    state_dir = tmp_path_factory.mktemp("porch-state")
    server = ensure_embedded_server(state_dir)
    yield server
    stop_embedded_server(state_dir)


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A state directory of its own; its embedded server, if a test started one, is stopped."""
    # Not tmp_path: its depth would push the socket path past the unix limit on some runners,
    # and these tests want the socket inside the state directory.
    with tempfile.TemporaryDirectory(prefix="porch-") as directory:
        path = Path(directory) / "state"
        yield path
        stop_embedded_server(path)


@pytest.fixture
def redis_url(redis_server: EmbeddedServer) -> str:
    return redis_server.url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A plain redis-py client on an empty database."""
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Figures a test measured (`record_property`), shown whether it passed or not.

    A latency the product promises is worth reading when it holds, not only when it breaks;
    properties travel back from xdist's workers with each report.
    """
    reports = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    measured = [r for r in reports if r.when == "call" and r.user_properties]
    if not measured:
        return
    terminalreporter.section("measured")
    for report in measured:
        terminalreporter.write_line(report.nodeid)
        for name, value in report.user_properties:
            terminalreporter.write_line(f"  {name}: {value}")
