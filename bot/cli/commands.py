"""The `serve`, `worker`, `up`, `redis`, `reconcile` and `demo` subcommands of `porch-parallel`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bot.errors import EmbeddedRedisError, SettingsError

# The values of bot.adapters.queues.Role, spelled out: importing it (RQ, redis-py) would slow
# down every command, `plan` included.
ROLES = ("events", "builders")


def add_commands(commands: Any) -> None:
    _add_serve(commands)
    _add_worker(commands)
    _add_up(commands)
    _add_redis(commands)
    _add_reconcile(commands)
    _add_demo(commands)


def _add_serve(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the webhook endpoint (gunicorn)",
        description="Serve POST /webhooks/github and /healthz. Settings come from the "
        "environment (see the README); Redis from REDIS_URL, else an embedded server.",
    )
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    serve.add_argument("--threads", type=int, default=8, help="threads per worker process")
    serve.set_defaults(handler=run_serve)


def _add_worker(commands: Any) -> None:
    worker = commands.add_parser(
        "worker",
        help="run an RQ worker of one role: events or builders",
        description="--role events: webhook deliveries and orchestration effects (queue "
        "porch-events; runs RQ's scheduler for retries). --role builders: builder jobs only "
        "(queue porch-builders). Start as many of each as you like, on as many machines as "
        "share the Redis.",
    )
    worker.add_argument("--role", required=True, choices=ROLES, help="which jobs it runs")
    worker.add_argument("--burst", action="store_true", help="stop when its queue is empty")
    worker.add_argument("--name", default=None, help="worker name (default: RQ's own)")
    worker.set_defaults(handler=run_worker)


def _add_up(commands: Any) -> None:
    up = commands.add_parser(
        "up",
        help="run a whole installation on this machine: Redis, web, events and builder workers",
        description="Start the embedded Redis (unless REDIS_URL is set), the web app and the "
        "workers as child processes; start again any that dies; stop them all on Ctrl+C or "
        "SIGTERM. Settings come from the environment, as for serve and worker.",
    )
    up.add_argument(
        "--event-workers", type=_count, default=1, metavar="N", help="events workers (default 1)"
    )
    up.add_argument(
        "--builder-workers",
        type=_count,
        default=2,
        metavar="M",
        help="builder workers: how many builders run at once here (default 2)",
    )
    up.add_argument(
        "--web-workers", type=_positive, default=None, metavar="W", help="gunicorn processes"
    )
    up.set_defaults(handler=run_up)


def _add_redis(commands: Any) -> None:
    redis = commands.add_parser(
        "redis",
        help="the embedded redis-server: status, stop",
        description="The embedded redis-server of the state directory (PORCH_STATE_DIR, else "
        "$XDG_STATE_HOME/porch-parallel, else ~/.local/state/porch-parallel).",
    )
    redis.add_argument(
        "action",
        choices=("status", "stop"),
        help="status: whether it runs, where, its pid (exit 1 when it does not run); "
        "stop: shut it down, its data kept on disk",
    )
    redis.set_defaults(handler=run_redis)


def _add_reconcile(commands: Any) -> None:
    reconcile = commands.add_parser(
        "reconcile",
        help="compare running runs with RQ and GitHub now, and mend what was lost",
        description="What the events workers' reconciler does every few seconds, once, here: "
        "enqueue lost jobs again, apply lost reports, fail phases past their bound.",
    )
    reconcile.add_argument(
        "run_ids", nargs="*", metavar="RUN_ID", help="default: every running run"
    )
    reconcile.set_defaults(handler=run_reconcile)


def _add_demo(commands: Any) -> None:
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
    demo.add_argument(
        "--workers", type=int, default=2, help="builder workers to start (and one events worker)"
    )
    demo.add_argument(
        "--keep",
        action="store_true",
        help="leave everything running after the run and print the dashboard's address, "
        "until Ctrl+C",
    )
    demo.set_defaults(handler=run_demo)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (0 or more)")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def _settings(err: TextIO, app_secrets: bool = True) -> Any:
    from bot.settings import Settings

    try:
        return Settings.from_env(os.environ, app_secrets=app_secrets)
    except SettingsError as error:
        print(f"porch-parallel: {error}", file=err)
        return None


def run_serve(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    settings = _settings(err)
    if settings is None:
        return 2
    from bot.cli.serve import serve

    serve(settings, workers=args.workers, threads=args.threads)
    return 0


def run_worker(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    # A builder worker needs neither the App's key nor the webhook secret: an events worker
    # mints its tokens (see the README's "Security and trust").
    settings = _settings(err, app_secrets=args.role != "builders")
    if settings is None:
        return 2
    from bot.adapters.queues import Role
    from bot.cli.processes import work

    return 0 if work(settings, Role(args.role), burst=args.burst, name=args.name) else 1


def run_up(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    settings = _settings(err)
    if settings is None:
        return 2
    from bot.cli.supervisor import up

    try:
        return up(
            settings,
            out,
            event_workers=args.event_workers,
            builder_workers=args.builder_workers,
            web_workers=args.web_workers,
        )
    except EmbeddedRedisError as error:
        print(f"porch-parallel up: {error}", file=err)
        return 1


def run_redis(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    from bot.adapters.redis_server import EmbeddedServer, embedded_server_pid, stop_embedded_server
    from bot.settings import state_dir_from_env

    # Only the state directory is needed, not the App's settings.
    server = EmbeddedServer(state_dir_from_env(os.environ))
    where = f"state directory {server.state_dir.resolve()}, socket {server.socket_path}"
    if os.environ.get("REDIS_URL", "").strip():
        print("REDIS_URL is set: serve and worker use that server, not this one.", file=out)
    pid = embedded_server_pid(server.state_dir)
    if args.action == "status":
        if pid is None:
            print(f"no embedded redis-server runs ({where})", file=out)
            return 1
        print(f"embedded redis-server runs: pid {pid}, {where}", file=out)
        return 0
    if pid is None:
        print(f"no embedded redis-server runs ({where}); nothing to stop", file=out)
        return 0
    try:
        stop_embedded_server(server.state_dir)
    except EmbeddedRedisError as error:
        print(f"porch-parallel redis stop: {error}", file=err)
        return 1
    print(f"stopped the embedded redis-server (pid {pid}); {where}", file=out)
    return 0


def run_reconcile(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    settings = _settings(err)
    if settings is None:
        return 2
    from bot.adapters.redis_server import connect
    from workers.reconcile import clean_started_jobs, reconcile_run, redeliver_missed
    from workers.registry import plan_job
    from workers.runtime import Runtime

    rt = Runtime(settings, connect(settings), plan_job)
    clean_started_jobs(rt.redis)
    run_ids = args.run_ids or rt.store.active_run_ids()
    mended = 0
    try:
        for note in redeliver_missed(rt):
            print(note, file=out)
            mended += 1
    except Exception as error:  # GitHub unreachable, or the App's key refused: say, go on
        print(f"could not compare GitHub's deliveries with ours: {error}", file=err)
    for run_id in run_ids:
        for note in reconcile_run(rt, run_id):
            print(f"{run_id}: {note}", file=out)
            mended += 1
    print(f"{len(run_ids)} runs looked at, {mended} things mended", file=out)
    return 0


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
    return main(args.plan, builder_sleep=args.builder_seconds, workers=args.workers, keep=args.keep)
