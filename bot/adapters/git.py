"""git as a subprocess: clone, commit, merge and push in a directory of the caller's choosing.

Builders, checks, resolvers and consultants run in our clones and can write anything there,
`.git` included: hooks, `core.fsmonitor`, filter drivers, `include.path`, a `commondir` file.
Any of those would run their code outside the sandbox, with a token in the environment, the
next time we ran git in that clone. So a clone's repository lives beside its work tree
(`<work>.git`, where the sandbox cannot reach), every git command of ours names it with
`--git-dir`, and the work tree gets a copy of it of its own (`<work>/.git`) for the builder to
commit in. The builder's commits stay in its copy; its files reach ours through `add --all`.

The installation token reaches git through the environment (GIT_CONFIG_* variables), never the
command line or a remote URL, so it shows up neither in `ps`, nor in `.git/config`, nor in an
error message quoting the command.
"""

from __future__ import annotations

import base64
import os
import shutil
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
    trusted = trusted_git_dir(cwd)
    where = ["--git-dir", str(trusted), "--work-tree", str(cwd)] if trusted.is_dir() else []
    try:
        done = subprocess.run(
            ["git", *where, *args],
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


def trusted_git_dir(work: Path) -> Path:
    """Where the repository of the clone at `work` lives, out of the work tree's reach."""
    return work.with_name(work.name + ".git")


def clone(url: str, dest: Path, branch: str, auth: GitAuth | None) -> None:
    """A partial clone (blobs fetched on demand) of one branch, ready to commit on.

    Its repository is `trusted_git_dir(dest)`; `dest/.git` is a copy for whatever runs there.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    trusted = trusted_git_dir(dest)
    git(
        [
            "clone",
            "--quiet",
            "--filter=blob:none",
            f"--separate-git-dir={trusted}",
            "--branch",
            branch,
            "--",
            url,
            str(dest),
        ],
        dest.parent,
        auth=auth,
    )
    (dest / ".git").unlink()  # the pointer to ours: replaced by a copy
    shutil.copytree(trusted, dest / ".git", symlinks=True)


def head(cwd: Path) -> str:
    return git(["rev-parse", "HEAD"], cwd).stdout.strip()


def commit_all(cwd: Path, message: str, identity: Identity) -> bool:
    """Commit every change in the work tree; False when there was nothing to commit."""
    git(["add", "--all"], cwd)
    if not git(["status", "--porcelain"], cwd).stdout.strip():
        return False
    git(["commit", "--quiet", "--no-verify", "-m", message], cwd, identity=identity)
    return True


def push(cwd: Path, branch: str, auth: GitAuth | None, commit: str = "HEAD") -> None:
    git(["push", "--quiet", "origin", f"{commit}:refs/heads/{branch}"], cwd, auth=auth)


def fetch(cwd: Path, branches: Sequence[str], auth: GitAuth | None) -> None:
    """Fetch branches from origin, each to `refs/remotes/origin/<branch>`."""
    specs = [f"+refs/heads/{b}:refs/remotes/origin/{b}" for b in branches]
    git(["fetch", "--quiet", "--filter=blob:none", "origin", *specs], cwd, auth=auth)


# The driver behind `merge.ours_merge`: keep the current side's file (exit 0 = merged).
OURS_DRIVER = "porch-ours"


def set_merge_strategies(cwd: Path, union: Sequence[str], ours: Sequence[str]) -> None:
    """Per-path merge drivers for this clone only: `info/attributes`, never committed.

    `union` is git's own driver (both sides' lines); the ours driver keeps the current side.
    """
    lines = [f"{pattern} merge=union" for pattern in union]
    lines += [f"{pattern} merge={OURS_DRIVER}" for pattern in ours]
    info = Path(git(["rev-parse", "--git-path", "info"], cwd).stdout.strip())
    info = info if info.is_absolute() else cwd / info
    info.mkdir(parents=True, exist_ok=True)
    (info / "attributes").write_text("".join(f"{line}\n" for line in lines))
    git(["config", f"merge.{OURS_DRIVER}.name", "keep the first side"], cwd)
    git(["config", f"merge.{OURS_DRIVER}.driver", "true"], cwd)


def merge(
    cwd: Path, commit: str, message: str, identity: Identity, auth: GitAuth | None
) -> tuple[str, ...]:
    """Merge `commit` into HEAD; the files left in conflict (markers in place), () if clean.

    `auth` lets a partial clone fetch the blobs the merge reads.
    """
    done = git(
        ["merge", "--no-ff", "--no-edit", "-m", message, commit],
        cwd,
        auth=auth,
        identity=identity,
        check=False,
    )
    if done.returncode == 0:
        return ()
    files = tuple(unmerged_files(cwd))
    if not files:
        raise GitError(f"git merge failed ({done.returncode}): {done.stderr.strip()}")
    return files


def merge_tree_conflicts(
    cwd: Path, ours: str, theirs: str, auth: GitAuth | None
) -> tuple[str, ...]:
    """The files where merging `theirs` into `ours` would conflict, () if it merges cleanly.

    `git merge-tree` merges in the object store only: the work tree and index are untouched.
    The clone's merge strategies (`set_merge_strategies`) apply, as in the merge itself.
    """
    done = git(
        ["merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs],
        cwd,
        auth=auth,
        check=False,
    )
    if done.returncode == 0:
        return ()
    if done.returncode != 1:
        raise GitError(f"git merge-tree failed ({done.returncode}): {done.stderr.strip()}")
    # The first line is the merged tree; the conflicted files follow, one per line.
    return tuple(sorted({name for name in done.stdout.splitlines()[1:] if name}))


def unmerged_files(cwd: Path) -> list[str]:
    out = git(["diff", "--name-only", "--diff-filter=U", "-z"], cwd).stdout
    return sorted({name for name in out.split("\0") if name})


def is_ancestor(cwd: Path, ancestor: str, descendant: str = "HEAD") -> bool:
    return (
        git(["merge-base", "--is-ancestor", ancestor, descendant], cwd, check=False).returncode == 0
    )


def env_for_child(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment a builder runs in: ours without secrets, plus what it is told."""
    return _base_env() | dict(extra)
