"""Parse and schedule time for generated plans of 100, 1,000 and 5,000 phases.

Run with `make bench` or `.venv/bin/python benchmarks/plan_scale.py [SIZES...]`.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable

from bot.plan.graph import analyse
from bot.plan.parse import parse_plan

SIZES = (100, 1_000, 5_000)
BUDGET_SECONDS = 1.0  # for 5,000 phases, parse + schedule
REPEATS = 5  # best of: the machine is shared, and the minimum is the least noisy


def _dependencies(rng: random.Random, n: int) -> list[int]:
    """Mostly near neighbours, sometimes a long edge: wide waves and a long critical path."""
    if n == 1:
        return []
    count = rng.choice((0, 1, 1, 2, 3))
    return sorted({max(1, n - rng.choice((1, 1, 2, 3, 10, n))) for _ in range(count)})


def _files(rng: random.Random, n: int, size: int) -> list[str]:
    # Each shared file is named by about four phases, as in real plans (an index, a router).
    return [f"src/module_{n}.py", f"src/shared_{rng.randrange(max(1, size // 4))}.py"]


def headers_plan(size: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["# Plan: generated", "", "## Overview", "", "A generated plan.", ""]
    for n in range(1, size + 1):
        deps = _dependencies(rng, n)
        declared = ", ".join(f"Phase {d}" for d in deps) or "None"
        lines += [f"### Phase {n}: Step {n}", "", f"**Dependencies**: {declared}", ""]
        lines += [f"Implement step {n} and its tests.", "", "#### Files to Modify", ""]
        lines += [f"- `{path}` — change" for path in _files(rng, n, size)] + [""]
    return "\n".join(lines)


def json_plan(size: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    phases = [
        {
            "id": f"phase_{n}",
            "title": f"Step {n}",
            "depends_on": [f"phase_{d}" for d in _dependencies(rng, n)],
            "estimate_minutes": rng.randrange(5, 60),
            "touches": _files(rng, n, size),
        }
        for n in range(1, size + 1)
    ]
    return "# Plan\n\n```json\n" + json.dumps({"phases": phases}, indent=1) + "\n```\n"


def mixed_plan(size: int, seed: int = 1) -> str:
    """The common real shape: a JSON block of ids and titles, Dependencies lines in headers."""
    phases = [{"id": f"phase_{n}", "title": f"Step {n}"} for n in range(1, size + 1)]
    block = "```json\n" + json.dumps({"phases": phases}, indent=1) + "\n```\n\n"
    return block + headers_plan(size, seed)


def _best(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def measure(size: int, writer: Callable[[int], str]) -> tuple[float, float, int, int]:
    text = writer(size)
    plan = parse_plan(text)
    analysis = analyse(plan)
    assert analysis.valid and len(plan.phases) == size, analysis.errors[:3]
    parse_seconds = _best(lambda: parse_plan(text))
    schedule_seconds = _best(lambda: analyse(plan))
    return parse_seconds, schedule_seconds, len(analysis.waves), len(analysis.predicted_conflicts)


def main(argv: list[str]) -> int:
    sizes = [int(arg) for arg in argv] or list(SIZES)
    columns = ("parse", "schedule", "total")
    print(f"{'format':<8} {'phases':>7} " + " ".join(f"{c:>9}" for c in columns), end="")
    print(f" {'waves':>6} {'conflicts':>9}")
    slowest = 0.0
    writers = (("headers", headers_plan), ("json", json_plan), ("mixed", mixed_plan))
    for writer_name, writer in writers:
        for size in sizes:
            parse_s, schedule_s, waves, conflicts = measure(size, writer)
            total = parse_s + schedule_s
            if size == max(sizes):
                slowest = max(slowest, total)
            print(
                f"{writer_name:<8} {size:>7,} {parse_s * 1000:>7.1f}ms {schedule_s * 1000:>7.1f}ms "
                f"{total * 1000:>7.1f}ms {waves:>6} {conflicts:>9}"
            )
    verdict = "within" if slowest < BUDGET_SECONDS else "OVER"
    print(f"largest plan: {slowest:.3f} s, {verdict} the {BUDGET_SECONDS:g} s budget")
    return 0 if slowest < BUDGET_SECONDS or max(sizes) != max(SIZES) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
