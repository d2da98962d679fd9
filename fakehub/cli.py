"""The `fakehub` command line: `fakehub serve --port P --state DIR --webhook-url URL`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

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
        "--repo",
        action="append",
        default=[],
        metavar="OWNER/NAME=DIR",
        help="create a repository from a local directory at start (repeatable)",
    )
    args = parser.parse_args(argv)
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from fakehub.server import FakeHubServer

    # Webhook failures and unexpected API calls are logged as warnings: show them.
    logging.basicConfig(level=logging.INFO, format="fakehub %(levelname)s %(name)s: %(message)s")
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


if __name__ == "__main__":
    sys.exit(main())
