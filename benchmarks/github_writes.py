"""REST writes per phase, by kind, and the peak writes in any minute, on the whole system.

One local stack (embedded Redis, the local GitHub, the web app, an events worker and WORKERS
builder workers, as deployed), instant scripted builders. The diamond, then a PHASES-phase
plan (a binary tree, so many phases are ready at once) run on it; the stand-in's request log
gives every content-creating request (POST, PATCH, PUT, DELETE; the App's token requests
left out) by kind, and the most of them in any sixty seconds. With `--limits` the stand-in
enforces GitHub's secondary limits (80 a minute, 500 an hour) and the count of refusals is
printed too: it should be 0. The budget's hourly cap (450) is raised to 5000 for the run, or
a 50-phase plan would wait for the next hour: the per-minute pace is what is measured.

    .venv/bin/python benchmarks/github_writes.py [PHASES] [WORKERS] [--limits]
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from porch_localstack.demo import SAMPLE_PLAN, run_plan
from porch_localstack.localstack import LocalStack

WRITES = ("POST", "PATCH", "PUT", "DELETE")
_KINDS = (
    (r"POST /repos/[^/]+/[^/]+/git/commits", "start commit"),
    (r"POST /repos/[^/]+/[^/]+/git/refs", "branch"),
    (r"PATCH /repos/[^/]+/[^/]+/git/refs/.*", "branch moved"),
    (r"POST /repos/[^/]+/[^/]+/merges", "merge of heads"),
    (r"POST /repos/[^/]+/[^/]+/pulls", "draft PR"),
    (r"PATCH /repos/[^/]+/[^/]+/pulls/\d+", "PR edited"),
    (r"POST /repos/[^/]+/[^/]+/check-runs", "check run created"),
    (r"PATCH /repos/[^/]+/[^/]+/check-runs/\d+", "check run edited"),
    (r"POST /repos/[^/]+/[^/]+/issues/\d+/comments", "comment created"),
    (r"PATCH /repos/[^/]+/[^/]+/issues/comments/\d+", "status comment edited"),
    (r"POST /repos/[^/]+/[^/]+/issues/comments/\d+/reactions", "reaction"),
)


def tree_plan(n: int) -> str:
    phases = [
        {"id": f"p{i}", "title": f"Phase {i}", "depends_on": [f"p{(i - 1) // 2}"] if i else []}
        for i in range(n)
    ]
    return f"# Plan\n\n```json\n{json.dumps({'phases': phases})}\n```\n"


def kind_of(method: str, path: str) -> str:
    line = f"{method} {path}"
    return next((kind for pattern, kind in _KINDS if re.fullmatch(pattern, line)), line)


def peak_per_minute(times: list[float]) -> int:
    times = sorted(times)
    start = peak = 0
    for end, t in enumerate(times):
        while times[start] <= t - 60:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def report(name: str, phases: int, log: list[dict[str, Any]], repo: str, wall: float) -> None:
    writes = [
        r
        for r in log
        if r["area"] == "rest"
        and r["method"] in WRITES
        and f"/repos/{repo}/" in r["path"] + "/"
        and r["fault"] is None
    ]
    refused = [r for r in log if r["fault"] == "secondary_rate_limit" and repo in r["path"]]
    kinds = Counter(kind_of(r["method"], r["path"]) for r in writes)
    print(f"{name}: {phases} phases, {len(writes)} REST writes, {wall:.1f}s wall")
    peak = peak_per_minute([r["time"] for r in writes])
    print(
        f"  per phase {len(writes) / phases:5.2f}   peak in any minute {peak}   "
        f"secondary-limit answers {len(refused)}"
    )
    for kind, n in kinds.most_common():
        print(f"    {kind:<28} {n:5d}  ({n / phases:4.2f} per phase)")


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    phases = int(args[0]) if args else 50
    workers = int(args[1]) if len(args) > 1 else 3
    os.environ.setdefault("PORCH_GITHUB_WRITES_PER_HOUR", "5000")  # the stack inherits it
    with (
        tempfile.TemporaryDirectory(prefix="porch-bench-") as tmp,
        LocalStack(Path(tmp), workers=workers) as stack,
    ):
        if "--limits" in sys.argv:
            stack.control.set_limits()
        runs = [("diamond", SAMPLE_PLAN.read_text(), 4, "bench/diamond")]
        runs.append((f"{phases}-phase tree", tree_plan(phases), phases, "bench/tree"))
        print(f"{workers} builder workers, instant builders, one machine")
        for name, plan, count, repo in runs:
            result = run_plan(stack, plan, builder_sleep=0, repo=repo, timeout=1800)
            if result.state.status.value != "done":
                print(f"{name}: run ended {result.state.status.value}", file=sys.stderr)
                return 1
            report(name, count, stack.control.requests(), repo, result.wall_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
