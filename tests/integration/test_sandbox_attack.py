"""A hostile builder, on real processes: a builder worker without the App's secrets, an events
worker that mints its tokens, bubblewrap, Redis and the stand-in over HTTP."""

from __future__ import annotations

import base64
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.redis_server import EmbeddedServer
from bot.cli.supervisor import APP_SECRET_VARIABLES
from bot.core.state import PhaseStatus, RunStatus
from fakehub.testing import RunningFakeHub
from tests.integration.conftest import REPO, Porch, porch_config, wait_for

ATTACKER = Path(__file__).with_name("attacker.py").resolve()
OTHER = "octo/secret"
ONE_PHASE = (
    "# Attack\n\n```json\n"
    '{"phases": [{"id": "phase_1", "title": "Take everything", "depends_on": []}]}\n```\n'
)


def needs_bwrap() -> None:
    """Fail in CI, where the sandbox must be tested; elsewhere skip, saying why."""
    import shutil

    if shutil.which("bwrap") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("bubblewrap (bwrap) is missing in CI: .ci/run installs it")
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")


def _attack_config(
    fakehub: RunningFakeHub, server: EmbeddedServer, given: str = "", sandbox: str = ""
) -> str:
    args = {
        "state_dir": str(server.state_dir.resolve()),
        "socket": str(server.socket_path),
        "password": str(server.password_path),
        "key": str(fakehub.private_key_path),
        "api": fakehub.api_url,
        "other": OTHER,
        "given": given,
    }
    command = f"python3 {ATTACKER} {shlex.quote(json.dumps(args))}"
    return porch_config(command, builder=f"sandbox: {sandbox}" if sandbox else "")


def _report(porch: Porch, state_branch: str) -> dict[str, object]:
    content = porch.hub.github().get_repo(REPO).get_contents("attack.json", ref=state_branch)
    assert not isinstance(content, list)
    return dict(json.loads(content.decoded_content))


def _worker(role: str, env: dict[str, str], burst: bool) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "bot", "worker", "--role", role] + (["--burst"] if burst else [])
    return subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


@pytest.fixture
def sandbox_paths(porch: Porch, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox may read the attacker script, as it reads the scripted builder."""
    monkeypatch.setenv(
        "PORCH_SANDBOX_PATHS", f"{os.environ['PORCH_SANDBOX_PATHS']}:{ATTACKER.parent}"
    )


@pytest.mark.usefixtures("sandbox_paths")
def test_a_hostile_builder_in_the_sandbox_gets_nothing_of_value(
    porch: Porch, redis_server: EmbeddedServer
) -> None:
    needs_bwrap()
    porch.repo(config=_attack_config(porch.hub, redis_server))
    porch.hub.control.create_repo(OTHER, files={"secret.txt": "the other repository\n"})
    issue = porch.open_and_comment(ONE_PHASE)
    porch.orchestrate_until_a_builder_is_queued()

    # As deployed: the builder worker has neither the key nor the webhook secret; an events
    # worker mints its tokens and hands them over through Redis.
    builder_env = {k: v for k, v in os.environ.items() if k not in APP_SECRET_VARIABLES}
    events = _worker("events", dict(os.environ), burst=False)
    try:
        builder = _worker("builders", builder_env, burst=True)
        wait_for(lambda: builder.poll() is not None, "the builder worker", timeout=120)
        assert builder.returncode == 0
    finally:
        os.killpg(events.pid, signal.SIGTERM)
        events.wait(timeout=30)
    porch.settle()

    state = porch.run(issue)
    assert state is not None
    assert state.status is RunStatus.DONE, (
        state.phase("phase_1").error,
        state.phase("phase_1").log_tail,
    )
    report = _report(porch, state.branch_for("phase_1"))
    assert report["secret_in_environ"] is False
    # Its own PID namespace: bubblewrap, the shell and itself, never the worker or pytest.
    programs = {Path(p).name for p in report["processes"]}  # type: ignore[attr-defined]
    assert programs <= {"bwrap", "sh", "python3"}, programs
    assert report["key"] is None
    assert report["password"] is None
    assert str(report["redis"]).startswith("error")
    assert all(str(entry).startswith("error") for entry in report["state_dir"])  # type: ignore[attr-defined]
    assert report["tokens"] == 0 and report["other_repo"] == {}

    # Its tokens were narrowed to the repository and are revoked now.
    with porch.hub.hub.store.lock:
        scoped = [t for t in porch.hub.hub.store.tokens.values() if t.repository_ids]
    assert scoped == []
    revokes = [r for r in porch.hub.requests if r.method == "DELETE"]
    assert len([r for r in revokes if r.path == "/installation/token"]) == 2


def _forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, secret[::-1], base64.b64encode(raw).decode(), raw.hex()]


@pytest.mark.usefixtures("sandbox_paths")
def test_secrets_printed_reversed_or_encoded_are_never_posted(
    porch: Porch, redis_server: EmbeddedServer
) -> None:
    """Without the sandbox the builder can read the key; whatever it prints never leaves."""
    secret = porch.hub.webhook_secret
    server = redis_server
    porch.repo(config=_attack_config(porch.hub, server, given=secret, sandbox="none"))
    porch.hub.control.create_repo(OTHER, files={"secret.txt": "the other repository\n"})
    issue = porch.start(ONE_PHASE)

    state = porch.run(issue)
    assert state is not None
    phase = state.phase("phase_1")
    repo = porch.hub.github().get_repo(REPO)
    texts = [phase.log_tail, *(c.body for c in porch.comments(issue))]
    if phase.head_sha:
        checks = repo.get_commit(phase.head_sha).get_check_runs()
        texts += [r.output.text or "" for r in checks]
    log = porch.redis.lrange(f"porch:run:{state.run_id}:log", 0, -1)
    texts += [entry.decode(errors="replace") for entry in log]
    posted = "\n".join(texts)
    # Redacted and posted, or withheld and failed: never shown.
    assert "***" in phase.log_tail or phase.status is PhaseStatus.FAILED
    for form in _forms(secret):
        assert form not in posted
    for line in porch.hub.private_key.splitlines():
        if "-----" not in line:
            assert line not in posted and line[::-1] not in posted
