"""The bubblewrap sandbox that builders, checks, consultants and resolvers run in.

An agent follows a prompt built from issue text, so it is treated as untrusted code. In the
sandbox it has its own PID namespace (no `/proc` of the worker), a cleared environment, the
clone as its only writable place besides a private tmpfs home, the system read-only, and of
`/etc` only what programs need to run and resolve names (never shadow files, SSH host keys or
anything the worker's secrets may live in). The state directory, the Redis socket, the App's
key and the worker's own files are simply not mounted.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.inputs.config import BuilderConfig
from bot.inputs.config import Sandbox as SandboxMode

SANDBOX_HOME = "/tmp/home"
SANDBOX_TMP = "/tmp"
# Where the operator lets the sandbox read more (an agent installed under /opt, a virtualenv):
# colon-separated paths, bound read-only. Set on the builder worker, never by a repository.
EXTRA_PATHS_VARIABLE = "PORCH_SANDBOX_PATHS"

# The system, read-only; merged-/usr systems have these as symlinks into /usr, kept as such.
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Of /etc, only what programs need to start, find users and names, and check TLS peers. An
# allow-list: /etc also holds shadow files, SSH host keys, and whatever an operator put there.
_ETC = (
    "alternatives",
    "ca-certificates",
    "ca-certificates.conf",
    "gai.conf",
    "group",
    "host.conf",
    "hosts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "passwd",
    "protocols",
    "resolv.conf",
    "services",
    "ssl",
    "pki",
    "python3",
    "timezone",
)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is not installed, or cannot create namespaces on this machine."""


@dataclass(frozen=True)
class Sandbox:
    """How one command runs: in bubblewrap (the default), or as the worker's user (`none`)."""

    enabled: bool = True
    network: bool = True
    writable: Path | None = None  # the clone
    readable: tuple[Path, ...] = ()  # the prompt file and other inputs, read-only
    extra_paths: tuple[Path, ...] = field(default_factory=tuple)

    def wrap(self, argv: Sequence[str], cwd: Path) -> list[str]:
        """`argv` as run inside the sandbox; unchanged when disabled.

        The command inherits bubblewrap's environment, which the caller sets to exactly what
        the command may see: values travel there rather than as `--setenv` arguments, which
        any process on the machine could read from bubblewrap's command line.
        """
        if not self.enabled:
            return list(argv)
        bwrap = bwrap_path()
        if bwrap is None:
            raise SandboxUnavailable(missing_message())
        args = [
            bwrap,
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "porch-sandbox",
        ]
        if not self.network:
            args.append("--unshare-net")
        if os.geteuid() == 0:
            # As root, bubblewrap would keep root's capabilities inside; the agent needs none.
            args += ["--cap-drop", "ALL"]
        args += _system_binds()
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", SANDBOX_TMP]
        args += ["--dir", SANDBOX_HOME]
        for path in self.extra_paths:
            if path.exists():
                args += ["--ro-bind", str(path), str(path)]
        for path in self.readable:
            args += ["--ro-bind", str(path), str(path)]
        if self.writable is not None:
            args += ["--bind", str(self.writable), str(self.writable)]
        args += ["--chdir", str(cwd)]
        return [*args, "--", *argv]


def sandbox_env(base: Mapping[str, str]) -> dict[str, str]:
    """What a sandboxed command sees besides what it is told: a private home and temp dir."""
    return dict(base) | {"HOME": SANDBOX_HOME, "TMPDIR": SANDBOX_TMP}


def _system_binds() -> list[str]:
    args: list[str] = []
    for path in _SYSTEM:
        p = Path(path)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), path]
        elif p.exists():
            args += ["--ro-bind", path, path]
    args += ["--dir", "/etc"]
    for name in _ETC:
        p = Path("/etc") / name
        if p.exists():
            args += ["--ro-bind", str(p), str(p)]
    return args


def extra_paths_from_env(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """The operator's extra read-only paths (PORCH_SANDBOX_PATHS), absolute ones only."""
    raw = environ.get(EXTRA_PATHS_VARIABLE, "")
    return tuple(Path(p) for p in raw.split(":") if p.strip() and Path(p).is_absolute())


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def sandbox_problem() -> str | None:
    """Why builders cannot be sandboxed on this machine; None when they can.

    bubblewrap may be installed and still unable to create namespaces (a container that
    forbids user namespaces, a kernel with them disabled): a trial run finds out before an
    agent's first command would fail with bubblewrap's own terse error.
    """
    bwrap = bwrap_path()
    if bwrap is None:
        return missing_message()
    probe = Sandbox(network=False).wrap(["true"], Path("/"))
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not be run on this builder worker: {exc}"
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()[-300:]
        return (
            f"bubblewrap cannot create its sandbox on this builder worker ({detail}). Allow "
            "user namespaces (sysctl kernel.unprivileged_userns_clone=1, or a container "
            "runtime that permits them), run the builder worker as root in its container, or "
            "opt out explicitly with `builder.sandbox: none` in .github/porch.yml."
        )
    return None


def missing_message() -> str:
    return (
        "bubblewrap is not installed on this builder worker, and builders run in its sandbox "
        "by default. Install it (Debian/Ubuntu: `apt-get install bubblewrap`), or opt out "
        "explicitly with `builder.sandbox: none` in .github/porch.yml."
    )


def read_untrusted(path: Path, limit: int = 256_000) -> str:
    """A file written by whatever ran in the sandbox, read outside it: "" unless it is a
    regular file, never through a symlink (one could point at the worker's own files)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return ""
        return handle.read(limit).decode(errors="replace")


def for_repository(builder: BuilderConfig, work: Path, readable: Sequence[Path] = ()) -> Sandbox:
    """The sandbox of every command a repository configures (builder, checks, consultants,
    resolver), as its `builder` section asks, with the operator's extra readable paths."""
    return Sandbox(
        enabled=builder.sandbox is SandboxMode.BUBBLEWRAP,
        network=builder.network,
        writable=work,
        readable=tuple(readable),
        extra_paths=extra_paths_from_env(os.environ),
    )
