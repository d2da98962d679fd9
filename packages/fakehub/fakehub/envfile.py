"""porch-parallel's settings for a running stand-in, as a file a shell can source.

`fakehub serve --env-file hub.env` writes it; `set -a; . ./hub.env; set +a` then gives
`porch-parallel serve` and `porch-parallel worker` everything they need to talk to this
stand-in instead of GitHub. The local stack builds its processes' environment from the same
function, so the two never disagree.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def bot_environment(credentials: Mapping[str, Any]) -> dict[str, str]:
    """The settings porch-parallel reads, from the stand-in's App credentials."""
    return {
        "GITHUB_API_URL": str(credentials["api_url"]),
        "GITHUB_APP_ID": str(credentials["app_id"]),
        "GITHUB_PRIVATE_KEY_PATH": str(Path(credentials["private_key_path"]).resolve()),
        "GITHUB_WEBHOOK_SECRET": str(credentials["webhook_secret"]),
        # A local stand-in needs none of the pacing github.com asks of integrations.
        "PORCH_GITHUB_REQUEST_INTERVAL": "0",
        "PORCH_GITHUB_WRITE_INTERVAL": "0",
    }


def render(environment: Mapping[str, str], header: str) -> str:
    """`NAME='value'` lines, each value quoted for a POSIX shell whatever it holds."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"{name}={shlex.quote(value)}" for name, value in environment.items()]
    return "\n".join(lines) + "\n"


def write(path: Path, environment: Mapping[str, str], header: str) -> None:
    """Write the file readable by its owner only, replacing any earlier one in one step."""
    temporary = path.with_name(f".{path.name}.tmp")
    # Created 0600 rather than chmod-ed after: the secret is never readable by others.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an earlier file of that name kept its own mode
        handle.write(render(environment, header))
    os.replace(temporary, path)
