"""git as a subprocess: clone, commit, merge and push in a directory of the caller's choosing.

The installation token reaches git through the environment (GIT_CONFIG_* variables), never the
command line or a remote URL, so it shows up neither in `ps`, nor in `.git/config`, nor in an
error message quoting the command.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.redact import redact

DEFAULT_TIMEOUT = 300.0


class GitError(RuntimeError):
    """A git command failed; the message holds its (redacted) stderr."""


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


@dataclass(frozen=True)
class GitAuth:
    """Basic credentials for git over HTTPS, as GitHub expects for installation tokens."""

    token: str
    user: str = "x-access-token"

    def env(self) -> dict[str, str]:
        basic = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        return {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
        }


def _base_env() -> dict[str, str]:
    # A builder's own git settings must not leak into ours (and vice versa): no global config,
    # no prompts for credentials that would hang a job.
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return keep | {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }


def git(
    args: Sequence[str],
    cwd: Path,
    *,
    auth: GitAuth | None = None,
    identity: Identity | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    env = _base_env()
    if auth is not None:
        env |= auth.env()
    if identity is not None:
        env |= {
            "GIT_AUTHOR_NAME": identity.name,
            "GIT_AUTHOR_EMAIL": identity.email,
            "GIT_COMMITTER_NAME": identity.name,
            "GIT_COMMITTER_EMAIL": identity.email,
        }
    secrets = [auth.token] if auth else []
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {timeout:.0f}s") from exc
    if check and done.returncode != 0:
        detail = redact(done.stderr.strip() or done.stdout.strip(), secrets)
        raise GitError(f"git {args[0]} failed ({done.returncode}): {detail}")
    return done


def clone(url: str, dest: Path, branch: str, auth: GitAuth | None) -> None:
    """A partial clone (blobs fetched on demand) of one branch, ready to commit on."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    git(
        ["clone", "--quiet", "--filter=blob:none", "--branch", branch, "--", url, str(dest)],
        dest.parent,
        auth=auth,
    )


def head(cwd: Path) -> str:
    return git(["rev-parse", "HEAD"], cwd).stdout.strip()


def commit_all(cwd: Path, message: str, identity: Identity) -> bool:
    """Commit every change in the work tree; False when there was nothing to commit."""
    git(["add", "--all"], cwd)
    if not git(["status", "--porcelain"], cwd).stdout.strip():
        return False
    git(["commit", "--quiet", "--no-verify", "-m", message], cwd, identity=identity)
    return True


def push(cwd: Path, branch: str, auth: GitAuth | None) -> None:
    git(["push", "--quiet", "origin", f"HEAD:refs/heads/{branch}"], cwd, auth=auth)


def env_for_child(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment a builder runs in: ours without secrets, plus what it is told."""
    return _base_env() | dict(extra)
