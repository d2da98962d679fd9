"""The bubblewrap sandbox, with real processes: what a command in it can and cannot reach."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.adapters.process import run_command
from bot.adapters.sandbox import Sandbox, sandbox_problem


@pytest.fixture(autouse=True)
def needs_bwrap() -> None:
    if shutil.which("bwrap") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("bubblewrap (bwrap) is missing in CI: .ci/run installs it")
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")


def _run(tmp_path: Path, script: str, **sandbox: object) -> str:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    result = run_command(
        script,
        work,
        env={"PORCH_PHASE_ID": "p"},
        timeout_s=30,
        log_path=tmp_path / "log",
        sandbox=Sandbox(writable=work, **sandbox),  # type: ignore[arg-type]
    )
    return result.log_tail


def test_the_clone_is_writable_and_the_system_is_not(tmp_path: Path) -> None:
    tail = _run(tmp_path, "echo hi > here && echo wrote; touch /usr/x 2>/dev/null || echo ro")
    assert "wrote" in tail and "ro" in tail
    assert (tmp_path / "work" / "here").read_text() == "hi\n"


def test_the_worker_is_out_of_sight(tmp_path: Path) -> None:
    secret_dir = tmp_path / "state"
    secret_dir.mkdir()
    (secret_dir / "key.pem").write_text("secret")
    script = (
        f"cat {secret_dir}/key.pem 2>/dev/null || echo no-key; "
        "cat /proc/$PPID/environ 2>/dev/null | tr '\\0' '\\n' | grep -c GITHUB_ || true; "
        "ls /proc | grep -c '^[0-9]' ; env | sort; ls /etc/shadow 2>/dev/null || echo no-shadow"
    )
    tail = _run(tmp_path, script)
    assert "no-key" in tail and "no-shadow" in tail
    assert "HOME=/tmp/home" in tail and "PORCH_PHASE_ID=p" in tail
    assert "GITHUB_WEBHOOK_SECRET" not in tail


def test_no_network_when_asked(tmp_path: Path) -> None:
    tail = _run(tmp_path, "cat /proc/net/dev | tail -n +3 | cut -d: -f1", network=False)
    interfaces = [line.strip() for line in tail.splitlines()[1:] if line.strip()]
    assert interfaces == ["lo"]


def test_this_machine_can_sandbox() -> None:
    assert sandbox_problem() is None


def test_without_bwrap_the_fix_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH holding no bwrap
    problem = sandbox_problem()
    assert problem is not None
    assert "apt-get install bubblewrap" in problem and "builder.sandbox: none" in problem
