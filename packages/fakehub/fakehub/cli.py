"""The `fakehub` command line: `fakehub serve ...`, and acting as people on a running stand-in."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from fakehub import envfile
from fakehub.hub import CREDENTIALS_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fakehub", description="A local GitHub stand-in.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the REST API, git and webhooks")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--state", type=Path, required=True, help="directory for repos and keys")
    serve.add_argument("--webhook-url", default=None, help="where the App's webhooks go")
    serve.add_argument(
        "--env-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="write porch-parallel's settings for this stand-in there (mode 0600), "
        "to load with `set -a; . PATH; set +a`",
    )
    serve.add_argument(
        "--repo",
        action="append",
        default=[],
        metavar="OWNER/NAME=DIR",
        help="create a repository from a local directory at start (repeatable)",
    )
    _add_actions(commands)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return _act(args)


def _serve(args: argparse.Namespace) -> int:
    from fakehub.server import FakeHubServer

    # Webhook failures and unexpected API calls are logged as warnings: show them.
    logging.basicConfig(level=logging.INFO, format="fakehub %(levelname)s %(name)s: %(message)s")
    # Absolute, so the key path in the credentials (and the env file) holds from anywhere.
    args.state = args.state.resolve()
    args.state.mkdir(parents=True, exist_ok=True)
    server = FakeHubServer(args.state, port=args.port, host=args.host, webhook_url=args.webhook_url)
    for spec in args.repo:
        full_name, _, directory = spec.partition("=")
        owner, _, name = full_name.partition("/")
        server.hub.create_repo(owner, name, source=Path(directory) if directory else None)
    creds = args.state / CREDENTIALS_FILE
    print(f"fakehub: API {server.hub.urls.api}", file=sys.stderr)
    print(f"fakehub: git {server.hub.urls.web}/OWNER/REPO.git", file=sys.stderr)
    print(f"fakehub: control {server.hub.urls.web}/_fakehub", file=sys.stderr)
    if args.env_file is not None:
        _write_env_file(args.env_file, server.hub.credentials(), server.hub.urls.web)
    print(f"fakehub: App credentials in {creds}", file=sys.stderr, flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.hub.webhooks.close()
    return 0


def _write_env_file(path: Path, credentials: dict[str, Any], web_url: str) -> None:
    environment = envfile.bot_environment(credentials)
    # `.` looks a bare name up in PATH, so a relative path is shown as one.
    shown = str(path) if path.is_absolute() else f"./{path}"
    load = f"set -a; . {shlex.quote(shown)}; set +a"
    header = f"porch-parallel's settings for the local GitHub at {web_url}.\nLoad with: {load}"
    envfile.write(path, environment, header)
    # The names only: the webhook secret is in the file, and never on the terminal.
    print(f"fakehub: porch-parallel's settings in {path} (mode 0600):")
    for name in environment:
        print(f"fakehub:   {name}")
    print(f"fakehub: load them with: {load}", flush=True)


# -- acting as people on a running stand-in (a thin shell over the control API) ---------------

URL_HELP = "the stand-in, like http://127.0.0.1:8765 (default: $FAKEHUB_URL)"


def _add_actions(commands: Any) -> None:
    def action(
        name: str, help_: str, *arguments: str, user: bool = True
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(name, help=help_)
        sub.add_argument("--url", default=os.environ.get("FAKEHUB_URL"), help=URL_HELP)
        if user:
            sub.add_argument("--user", required=True, help="login of the person acting")
        for argument in arguments:
            sub.add_argument(argument)
        return sub

    action("create-repo", "a repository from a local directory", "repo", "source", user=False)
    action(
        "add-collaborator",
        "give a person a role; prints their token",
        "repo",
        "login",
        "permission",
        user=False,
    )
    action("open-issue", "open an issue", "repo", "title").add_argument("--body", default="")
    action("comment", "comment on an issue or pull", "repo", "number", "body")
    action("close-issue", "close an issue", "repo", "number")
    action("add-sub-issue", "make issue CHILD a sub-issue of PARENT", "repo", "parent", "child")
    action("block", "mark issue NUMBER as blocked by issue BLOCKER", "repo", "number", "blocker")
    action(
        "review", "review a pull: APPROVE, REQUEST_CHANGES or COMMENT", "repo", "number", "event"
    ).add_argument("--body", default="")
    action("merge", "merge a pull", "repo", "number")
    action("rerun", "press a check run's Re-run button", "repo", "run_id")
    action("deliveries", "list the webhooks sent so far", user=False)


def _act(args: argparse.Namespace) -> int:
    from fakehub.client import FakeHubControl

    if not args.url:
        print("fakehub: give --url or set FAKEHUB_URL", file=sys.stderr)
        return 2
    control = FakeHubControl(args.url)
    result: Any
    match args.command:
        case "create-repo":
            result = control.create_repo(args.repo, source=Path(args.source).resolve())
            result = {"full_name": result["full_name"], "clone_url": result["clone_url"]}
        case "add-collaborator":
            result = {"token": control.add_collaborator(args.repo, args.login, args.permission)}
        case "open-issue":
            result = control.open_issue(args.repo, args.user, args.title, args.body)
            result = {"number": result["number"], "html_url": result["html_url"]}
        case "comment":
            result = {
                "id": control.comment(args.repo, int(args.number), args.user, args.body)["id"]
            }
        case "close-issue":
            found = control.update_issue(args.repo, int(args.number), args.user, state="closed")
            result = {"number": found["number"], "state": found["state"]}
        case "add-sub-issue":
            control.add_sub_issue(args.repo, int(args.parent), int(args.child), args.user)
            result = {"parent": int(args.parent), "sub_issue": int(args.child)}
        case "block":
            control.add_blocked_by(args.repo, int(args.number), int(args.blocker), args.user)
            result = {"number": int(args.number), "blocked_by": int(args.blocker)}
        case "review":
            found = control.review(args.repo, int(args.number), args.user, args.event, args.body)
            result = {"id": found["id"], "state": found["state"]}
        case "merge":
            result = {"sha": control.merge_pull(args.repo, int(args.number), args.user)}
        case "rerun":
            control.rerun_check(args.repo, int(args.run_id), args.user)
            result = {"rerequested": int(args.run_id)}
        case _:
            result = [
                {k: d[k] for k in ("guid", "event", "action", "status_code", "error")}
                for d in control.deliveries()
            ]
    control.close()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
