"""Running a builder (a coding-agent command from the repository config) in a work tree.

The command runs in its own process group so that a timeout ends the agent and everything it
started; its output goes to a file so a chatty agent cannot fill our memory, and only the tail
travels on (to the check run, the status comment and the event).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.git import env_for_child
from bot.adapters.sandbox import Sandbox, sandbox_env
from bot.core.redact import leaks, redact

TAIL_LINES = 60
TAIL_CHARS = 6000
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class CommandResult:
    command: str
    exit_code: int | None
    timed_out: bool
    log_tail: str
    stopped: bool = False  # asked to stop (the run was cancelled) before it finished
    # A known secret still showed in the tail after redaction: the tail is withheld.
    leaked: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.stopped and not self.leaked


def _argv(command: str | Sequence[str]) -> list[str]:
    # A string is a shell line, as people write it in YAML; a list runs without a shell.
    if isinstance(command, str):
        return ["/bin/sh", "-c", command]
    return list(command)


def _describe(command: str | Sequence[str]) -> str:
    return command if isinstance(command, str) else " ".join(command)


def tail(text: str, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    kept = "\n".join(text.rstrip("\n").splitlines()[-lines:])
    return kept[-chars:]


def run_command(
    command: str | Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str],
    timeout_s: float,
    log_path: Path,
    secrets: Sequence[str] = (),
    should_stop: Callable[[], bool] = lambda: False,
    sandbox: Sandbox | None = None,
) -> CommandResult:
    """Run one command to completion, timeout or `should_stop()`, appending its output to
    `log_path`. However this function is left (an exception, RQ's job timeout, a signal), the
    command's whole process group is stopped: an agent never outlives its job.

    With a sandbox (the default for every command a repository configures), the command runs
    in bubblewrap with exactly `env` plus PATH, LANG and a private HOME and TMPDIR; without
    one, as the worker's user (`builder.sandbox: none`)."""
    child_env = env_for_child(env)
    argv = _argv(command)
    if sandbox is not None and sandbox.enabled:
        child_env = sandbox_env(child_env)
        argv = sandbox.wrap(argv, cwd)
    with log_path.open("ab") as log:
        log.write(f"$ {_describe(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            exit_code, timed_out, stopped = _wait(process, timeout_s, should_stop)
        finally:
            if process.poll() is None:
                _kill_group(process)
    text = log_path.read_text(errors="replace")
    if timed_out:
        text += f"\n[porch-parallel] timed out after {timeout_s:.0f}s; stopped.\n"
    if stopped:
        text += "\n[porch-parallel] the run was cancelled; stopped.\n"
    # Redacted whole, then cut: a cut through a secret would leave a piece no form matches.
    shown = tail(redact(text, secrets))
    leaked = leaks(shown, secrets)
    if leaked:
        shown = (
            "[porch-parallel] the output held a secret of this job in a form redaction did not "
            "remove; it is withheld, and the attempt fails.\n"
        )
    return CommandResult(
        command=_describe(command),
        exit_code=exit_code,
        timed_out=timed_out,
        log_tail=shown,
        stopped=stopped,
        leaked=leaked,
    )


def _wait(
    process: subprocess.Popen[bytes], timeout_s: float, should_stop: Callable[[], bool]
) -> tuple[int | None, bool, bool]:
    """(exit code, timed out, stopped); the process is left running in the last two cases."""
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, True, False
        try:
            return process.wait(timeout=min(POLL_SECONDS, remaining)), False, False
        except subprocess.TimeoutExpired:
            if should_stop():
                return None, False, True


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait()
