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


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, state = _free_port(), tmp_path / "state"
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
            str(state),
            "--webhook-url",
            "http://127.0.0.1:9/hooks",
            "--repo",
            f"octo/demo={source}",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        # The last line printed once the server is ready names the credentials file.
        for line in proc.stderr:
            if "App credentials" in line:
                break
        yield port, state
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_serve_writes_credentials_and_answers(served: tuple[int, Path]) -> None:
    port, state = served
    creds = json.loads((state / "fakehub-app.json").read_text())
    assert set(creds) >= {"app_id", "installation_id", "webhook_secret", "private_key_path"}
    key = Path(creds["private_key_path"]).read_text()
    assert key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert os.stat(creds["private_key_path"]).st_mode & 0o077 == 0
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
    sent = fakehub("deliveries")
    assert isinstance(sent, list)
    assert [d["event"] for d in sent] == ["issues", "issue_comment"]


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
