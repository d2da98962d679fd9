"""Makespan of the four-phase diamond on the whole system, against its critical path and serial.

One local stack (embedded Redis, the local GitHub, the web app, an events worker and WORKERS
builder workers), the scripted builder sleeping BUILDER_SECONDS per phase. The same plan runs
twice through the same system: once as configured (up to 4 builders at once) and once with
`max_parallel_builders: 1`, which is today's one-phase-after-another behaviour. Printed: wall
time from the comment to the run's end, the builders' own span, and the ideal figures
(critical path, serial sum).

    .venv/bin/python benchmarks/diamond_makespan.py [BUILDER_SECONDS] [WORKERS]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bot.plan.graph import analyse
from bot.plan.parse import parse_plan
from porch_localstack.demo import SAMPLE_PLAN, RunResult, run_plan
from porch_localstack.localstack import LocalStack


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    plan_text = SAMPLE_PLAN.read_text()
    analysis = analyse(parse_plan(plan_text))
    critical = len(analysis.critical_path) * seconds
    serial = len(parse_plan(plan_text).phases) * seconds
    with (
        tempfile.TemporaryDirectory(prefix="porch-bench-") as tmp,
        LocalStack(Path(tmp), workers=workers) as stack,
    ):
        # A first run warms the processes (imports, connection pools, the token cache).
        run_plan(stack, plan_text, builder_sleep=0, repo="bench/warm-up")
        parallel = run_plan(stack, plan_text, builder_sleep=seconds, repo="bench/parallel")
        one_by_one = run_plan(
            stack, plan_text, builder_sleep=seconds, max_parallel=1, repo="bench/serial"
        )
    for result in (parallel, one_by_one):
        if result.state.status.value != "done":
            print(f"run ended {result.state.status.value}", file=sys.stderr)
            return 1
    print(f"diamond, {seconds:g}s per builder, {workers} builder workers, one machine (2 cores)")
    print(f"  ideal critical path ({' -> '.join(analysis.critical_path)}): {critical:6.1f}s")
    print(f"  ideal serial sum:                                  {serial:6.1f}s")
    _row("porch parallel (up to 4 builders at once)", parallel)
    _row("same system, max_parallel_builders: 1", one_by_one)
    saved = one_by_one.wall_seconds - parallel.wall_seconds
    print(f"  parallel saves {saved:.1f}s ({saved / one_by_one.wall_seconds:.0%}) of wall time")
    return 0


def _row(name: str, result: RunResult) -> None:
    print(
        f"  {name:<44} wall {result.wall_seconds:6.1f}s   builders span "
        f"{result.builder_makespan:6.1f}s"
    )


if __name__ == "__main__":
    sys.exit(main())
