"""The `serve`, `worker` and `demo` subcommands of `porch-parallel`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bot.errors import SettingsError


def add_commands(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the webhook endpoint (gunicorn)",
        description="Serve POST /webhooks/github and /healthz. Settings come from the "
        "environment (see the README); Redis from REDIS_URL, else an embedded server.",
    )
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    serve.add_argument("--threads", type=int, default=8, help="threads per worker process")
    serve.set_defaults(handler=run_serve)

    worker = commands.add_parser(
        "worker",
        help="run an RQ worker on the events and builders queues",
        description="Process webhook deliveries, orchestration effects and builders. Start "
        "as many as you like, on as many machines as share the Redis.",
    )
    worker.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    worker.add_argument("--name", default=None, help="worker name (default: RQ's own)")
    worker.set_defaults(handler=run_worker)

    demo = commands.add_parser(
        "demo",
        help="run a whole plan offline: local GitHub, Redis, web and workers",
        description="Start everything on this machine, run the plan with a scripted builder "
        "and narrate the run. Needs the local stack (porch-localstack and fakehub), which is "
        "not part of porch-parallel.",
    )
    demo.add_argument(
        "plan", nargs="?", type=Path, default=None, help="plan file (default: a sample diamond)"
    )
    demo.add_argument(
        "--builder-seconds", type=float, default=2.0, help="how long each scripted builder works"
    )
    demo.add_argument("--workers", type=int, default=2, help="worker processes to start")
    demo.set_defaults(handler=run_demo)


def _settings(err: TextIO) -> Any:
    from bot.settings import Settings

    try:
        return Settings.from_env(os.environ)
    except SettingsError as error:
        print(f"porch-parallel: {error}", file=err)
        return None


def run_serve(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    settings = _settings(err)
    if settings is None:
        return 2
    from bot.cli.processes import serve

    serve(settings, workers=args.workers, threads=args.threads)
    return 0


def run_worker(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    settings = _settings(err)
    if settings is None:
        return 2
    from bot.cli.processes import work

    return 0 if work(settings, burst=args.burst, name=args.name) else 1


# The demo runs on two distributions that come with the source but are not part of the
# product; an install without them says so instead of failing on an import.
LOCAL_STACK_MODULES = ("porch_localstack", "fakehub")
LOCAL_STACK_MISSING = """\
porch-parallel demo: needs porch-localstack and fakehub, which are not installed ({error}).
They are not part of porch-parallel: they come with its source. From a checkout, run
  make demo
or install them beside porch-parallel:
  pip install ./packages/fakehub ./packages/porch-localstack
"""


def run_demo(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    try:
        from porch_localstack.demo import main
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in LOCAL_STACK_MODULES:
            raise
        print(LOCAL_STACK_MISSING.format(error=error), end="", file=err)
        return 2
    if args.plan is not None and not args.plan.is_file():
        print(f"porch-parallel demo: no such plan file: {args.plan}", file=err)
        return 2
    return main(args.plan, builder_sleep=args.builder_seconds, workers=args.workers)
