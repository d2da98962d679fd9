"""`fakehub serve` as a user runs it: credentials written, REST and git served."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fakehub.client import FakeHubControl


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(tmp_path: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    """`fakehub serve` with one repository, returned once it is ready."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "plan.md").write_text("# Plan\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakehub.cli",
            "serve",
            "--port",
            str(port),
            "--state",
            str(tmp_path / "state"),
            "--webhook-url",
            "http://127.0.0.1:9/hooks",
            "--repo",
            f"octo/demo={source}",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stderr is not None
    # The last line printed once the server is ready names the credentials file.
    for line in proc.stderr:
        if "App credentials" in line:
            break
    return proc


def _stop(proc: subprocess.Popen[str]) -> str:
    """Stop the server; what it printed on stdout."""
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    return out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = _free_port()
    proc = _serve(tmp_path, port)
    try:
        yield port, tmp_path / "state"
    finally:
        _stop(proc)


def test_serve_writes_credentials_and_answers(served: tuple[int, Path]) -> None:
    port, state = served
    creds = json.loads((state / "fakehub-app.json").read_text())
    assert set(creds) >= {"app_id", "installation_id", "webhook_secret", "private_key_path"}
    key = Path(creds["private_key_path"]).read_text()
    assert key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert os.stat(creds["private_key_path"]).st_mode & 0o077 == 0
    assert os.stat(state / "fakehub-app.json").st_mode & 0o077 == 0
    assert creds["api_url"] == f"http://127.0.0.1:{port}/api/v3"

    control = FakeHubControl(f"http://127.0.0.1:{port}")
    token = control.add_collaborator("octo/demo", "alice", "admin")
    started = time.monotonic()
    response = requests.get(
        f"{creds['api_url']}/repos/octo/demo/contents/plan.md",
        headers={"Authorization": f"token {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert time.monotonic() - started < 5
    assert response.json()["name"] == "plan.md"
    control.close()


def test_acting_as_people_from_the_shell(served: tuple[int, Path]) -> None:
    port, _state = served
    env = {**os.environ, "FAKEHUB_URL": f"http://127.0.0.1:{port}"}

    def fakehub(*args: str) -> object:
        out = subprocess.run(
            [sys.executable, "-m", "fakehub.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return json.loads(out)

    issue = fakehub("open-issue", "octo/demo", "Plan", "--user", "maria", "--body", "## Phase 1")
    assert isinstance(issue, dict) and issue["number"] == 1
    fakehub("comment", "octo/demo", "1", "/porch parallel", "--user", "maria")
    for title in ("Model", "API"):
        fakehub("open-issue", "octo/demo", title, "--user", "maria")
    assert fakehub("add-sub-issue", "octo/demo", "1", "2", "--user", "maria") == {
        "parent": 1,
        "sub_issue": 2,
    }
    fakehub("add-sub-issue", "octo/demo", "1", "3", "--user", "maria")
    assert fakehub("block", "octo/demo", "3", "2", "--user", "maria") == {
        "number": 3,
        "blocked_by": 2,
    }
    assert fakehub("close-issue", "octo/demo", "2", "--user", "maria") == {
        "number": 2,
        "state": "closed",
    }
    sent = fakehub("deliveries")
    assert isinstance(sent, list)
    assert [d["event"] for d in sent] == [
        "issues",
        "issue_comment",
        "issues",
        "issues",
        *["sub_issues"] * 4,
        *["issue_dependencies"] * 2,
        "issues",
    ]


def test_help_lists_serve() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "fakehub.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "serve" in out


def test_fixture_exposes_credentials_like_serve(tmp_path: Path) -> None:
    from fakehub.testing import RunningFakeHub

    running = RunningFakeHub(tmp_path / "state")
    try:
        creds = json.loads(running.credentials_file.read_text())
        assert creds["app_id"] == running.app_id
        assert creds["installation_id"] == running.installation_id
        assert running.private_key_path.read_text() == running.private_key
        assert running.control.app()["webhook_secret"] == running.webhook_secret
    finally:
        running.stop()


BOT_SETTINGS = (
    "GITHUB_API_URL",
    "GITHUB_APP_ID",
    "GITHUB_PRIVATE_KEY_PATH",
    "GITHUB_WEBHOOK_SECRET",
    "PORCH_GITHUB_REQUEST_INTERVAL",
    "PORCH_GITHUB_WRITE_INTERVAL",
)
# Prints the variables named on its command line, as JSON.
PRINT_SETTINGS = "import json, os, sys; print(json.dumps({n: os.environ[n] for n in sys.argv[1:]}))"


def test_serve_writes_the_bots_settings_to_an_env_file(tmp_path: Path) -> None:
    port = _free_port()
    proc = _serve(tmp_path, port, "--env-file", "hub.env")
    try:
        env_file = tmp_path / "hub.env"
        assert env_file.stat().st_mode & 0o777 == 0o600
        # Loaded as the README says, in a plain POSIX shell, from where serve ran.
        load = 'set -a; . ./hub.env; set +a; exec "$PYTHON" -c "$PRINT" "$@"'
        shown = subprocess.run(
            ["sh", "-c", load, "sh", *BOT_SETTINGS],
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "PYTHON": sys.executable, "PRINT": PRINT_SETTINGS},
            capture_output=True,
            text=True,
            check=True,
        )
        loaded = json.loads(shown.stdout)
    finally:
        out = _stop(proc)
    creds = json.loads((tmp_path / "state" / "fakehub-app.json").read_text())
    assert loaded == {
        "GITHUB_API_URL": f"http://127.0.0.1:{port}/api/v3",
        "GITHUB_APP_ID": str(creds["app_id"]),
        "GITHUB_PRIVATE_KEY_PATH": str(tmp_path / "state" / "fakehub-app.pem"),
        "GITHUB_WEBHOOK_SECRET": creds["webhook_secret"],
        "PORCH_GITHUB_REQUEST_INTERVAL": "0",
        "PORCH_GITHUB_WRITE_INTERVAL": "0",
    }
    assert Path(loaded["GITHUB_PRIVATE_KEY_PATH"]).is_absolute()
    # The terminal shows where the settings are and their names, never the secret.
    assert "hub.env" in out and "set -a; . ./hub.env; set +a" in out
    assert all(name in out for name in BOT_SETTINGS)
    assert creds["webhook_secret"] not in out
