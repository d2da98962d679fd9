"""Webhook intake latency and throughput, beside a trivial Flask route on the same server.

Starts the web app under gunicorn on a free loopback port, with the embedded redis-server,
then sends N signed `issue_comment` deliveries (each a new delivery id, so each is verified,
deduplicated and enqueued) and N requests to a trivial route, from C client threads. Prints
p50/p99 latency and throughput for both, and checks that every delivery was enqueued.

    .venv/bin/python benchmarks/webhook_intake.py [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.queues import events_queue  # noqa: E402
from bot.adapters.redis_server import connect, ensure_embedded_server, stop_embedded_server  # noqa: E402
from bot.settings import Settings  # noqa: E402

SECRET = "benchmark-webhook-secret"
# The web process never signs anything with the App key; a placeholder keeps Settings complete.
PLACEHOLDER_KEY = "-----BEGIN PRIVATE KEY-----\\nunused\\n-----END PRIVATE KEY-----"
WALL_LIMIT_SECONDS = 300  # the whole run stops by itself, whatever N is


def bench_app() -> Flask:
    """gunicorn's entry point: the real app plus a trivial route to compare against."""
    app = create_app_from_env()
    app.add_url_rule("/trivial", "trivial", lambda: "ok\n")
    return app


def create_app_from_env() -> Flask:
    from bot.web import create_app

    return create_app(Settings.from_env(os.environ))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _payload() -> bytes:
    # About 12 KB, within the usual size of a real issue_comment delivery.
    user = {"login": "octocat", "id": 1, "type": "User", "site_admin": False}
    user.update(
        {f"{name}_url": f"https://api.github.com/users/octocat/{name}" for name in "abcdefghij"}
    )
    repo = {"id": 42, "full_name": "octo/diamond", "private": False, "owner": user}
    repo.update(
        {
            f"{name}_url": f"https://api.github.com/repos/octo/diamond/{name}"
            for name in "abcdefghijklmnopqrst"
        }
    )
    payload = {
        "action": "created",
        "issue": {
            "number": 7,
            "title": "Diamond",
            "body": "### Phase 1: Data layer\n" * 300,
            "user": user,
        },
        "comment": {"id": 99, "body": "/porch parallel", "user": user},
        "repository": repo,
        "installation": {"id": 1},
        "sender": user,
    }
    return json.dumps(payload).encode()


def _run(
    count: int, concurrency: int, send: Callable[[requests.Session, int], int], deadline: float
) -> tuple[list[float], float, dict[int, int]]:
    """Send `count` requests from `concurrency` threads; latencies in ms, wall seconds, statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(count))

    def client() -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                started = time.perf_counter()
                status = send(session, index)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, statuses


def _report(name: str, latencies: list[float], wall: float, statuses: dict[int, int]) -> None:
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<24} n={len(latencies):>5}  p50={cuts[49]:6.2f} ms  p99={cuts[98]:6.2f} ms  "
        f"throughput={len(latencies) / wall:7.1f} req/s  statuses={dict(sorted(statuses.items()))}"
    )


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise SystemExit("gunicorn did not answer within 10 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per route (max 20000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (max 64)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()
    count, concurrency = min(args.requests, 20000), min(args.concurrency, 64)
    deadline = time.monotonic() + WALL_LIMIT_SECONDS

    with tempfile.TemporaryDirectory(prefix="porch-bench-") as directory:
        state_dir = Path(directory)
        ensure_embedded_server(state_dir)
        port = _free_port()
        env = {
            **os.environ,
            "GITHUB_APP_ID": "1",
            "GITHUB_PRIVATE_KEY": PLACEHOLDER_KEY,
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "PORCH_STATE_DIR": str(state_dir),
            "PYTHONPATH": f"{ROOT}{os.pathsep}{Path(__file__).parent}",
        }
        env.pop("REDIS_URL", None)
        gunicorn = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.workers), "--threads", str(args.threads),
            "--worker-class", "gthread", "--log-level", "warning",
            "webhook_intake:bench_app()",
        ]  # fmt: skip
        server = subprocess.Popen(gunicorn, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, server)
            body = _payload()
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "issue_comment",
                "X-Hub-Signature-256": "sha256="
                + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
            }

            def trivial(session: requests.Session, _: int) -> int:
                return session.get(base + "/trivial", timeout=10).status_code

            def webhook(session: requests.Session, _: int) -> int:
                delivery = {**headers, "X-GitHub-Delivery": str(uuid.uuid4())}
                url = base + "/webhooks/github"
                return session.post(url, data=body, headers=delivery, timeout=10).status_code

            warm = min(200, count)
            _run(warm, concurrency, trivial, deadline)
            _run(warm, concurrency, webhook, deadline)
            redis_client = connect(Settings("1", PLACEHOLDER_KEY, SECRET, state_dir=state_dir))
            queue = events_queue(redis_client)
            before = queue.count

            print(
                f"gunicorn gthread {args.workers}x{args.threads} on 127.0.0.1, embedded redis, "
                f"payload {len(body)} bytes, cpus={os.cpu_count()}"
            )
            sent = 0
            for threads in (1, concurrency):
                # One client alone shows the latency of the path; several show throughput.
                n = min(count, 500) if threads == 1 else count
                print(f"-- {threads} client thread(s), {n} requests per route")
                _report("GET /trivial", *_run(n, threads, trivial, deadline))
                latencies, wall, statuses = _run(n, threads, webhook, deadline)
                _report("POST /webhooks/github", latencies, wall, statuses)
                sent += len(latencies)
            print(f"deliveries enqueued: {queue.count - before} of {sent} sent")
            redis_client.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
            stop_embedded_server(state_dir)


if __name__ == "__main__":
    main()
