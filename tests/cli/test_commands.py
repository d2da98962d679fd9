"""The process commands' command line: roles are required, `redis status|stop` find the
embedded server of the state directory, and each role loads only its own jobs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.queues import Role
from bot.adapters.redis_server import EmbeddedServer, embedded_server_pid, ensure_embedded_server
from bot.cli.commands import ROLES
from bot.cli.main import main


def test_a_worker_needs_a_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker"]) == 2
    assert "the following arguments are required: --role" in capsys.readouterr().err


def test_the_command_line_offers_every_role() -> None:
    assert tuple(role.value for role in Role) == ROLES


def test_an_unknown_role_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--role", "everything"]) == 2
    assert "invalid choice: 'everything'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("role", "absent"),
    [
        (Role.BUILDERS, ("workers.intake", "bot.handlers", "gidgethub")),
        (Role.EVENTS, ("flask", "gunicorn", "bot.web")),
    ],
)
def test_a_worker_loads_only_its_own_jobs(role: Role, absent: tuple[str, ...]) -> None:
    # A fresh interpreter: this one has imported everything already.
    probe = (
        "import sys; from bot.adapters.queues import Role; from bot.cli.processes import preload; "
        f"preload(Role({role.value!r})); "
        f"print(' '.join(m for m in {absent!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert loaded == []


@pytest.fixture
def porch_env(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PORCH_STATE_DIR", str(state_dir))
    monkeypatch.delenv("REDIS_URL", raising=False)
    return state_dir


def test_redis_status_and_stop(porch_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = EmbeddedServer(porch_env)
    assert main(["redis", "status"]) == 1
    assert "no embedded redis-server runs" in capsys.readouterr().out

    ensure_embedded_server(porch_env)
    pid = embedded_server_pid(porch_env)
    assert main(["redis", "status"]) == 0
    shown = capsys.readouterr().out
    assert f"runs: pid {pid}" in shown
    assert str(server.socket_path) in shown and str(porch_env.resolve()) in shown

    assert main(["redis", "stop"]) == 0
    assert f"stopped the embedded redis-server (pid {pid})" in capsys.readouterr().out
    assert embedded_server_pid(porch_env) is None

    assert main(["redis", "stop"]) == 0
    assert "nothing to stop" in capsys.readouterr().out
    assert main(["redis", "status"]) == 1


def test_redis_status_mentions_redis_url(
    porch_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    assert main(["redis", "status"]) == 1
    assert "REDIS_URL is set" in capsys.readouterr().out
