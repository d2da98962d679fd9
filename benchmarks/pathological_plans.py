"""How long the plan reader takes on hostile input: each must stay well under a second or two.

Run with `make bench` or `.venv/bin/python benchmarks/pathological_plans.py`. The quadratic
versions of these took minutes; tests/plan/test_plan_graph.py reads each of them too.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.plan.graph import analyse
from bot.plan.parse import parse_plan

PATHOLOGICAL = {
    "header of spaces and tabs": "## a" + " \t" * 20_000 + "x",
    "header of hashes": "## " + "# " * 20_000 + "x",
    "long dependency list": "### Phase 1: A\n**Dependencies**: " + "Phase 1 and " * 5_000,
    "unclosed parentheses": "### Phase 1: A\n**Dependencies**: " + "(" * 50_000,
    "deep path": "### Phase 1: A\n**Files**: `" + "a/" * 30_000 + "`\n### Phase 2: B\n"
    "**Dependencies**: None\n**Files**: `a/**/a/**/a/**/a/**/a/**/a/**/a/**/b`\n",
    "deeply nested JSON": '```json\n{"phases": ' + "[" * 100_000 + "\n```\n",
    "many fences": "```\n" * 20_000,
    "run-on depends on": "### Phase 1: A\n### Phase 2: B\n" + "Phase 2 depends on " * 20_000,
    "arrows on one line": "### Phase 1: A\n### Phase 2: B\n```\n" + "Phase 1 -> " * 20_000,
    "a range in every phase": "".join(
        f"### Phase {n}: A\n**Dependencies**: Phases 1-{n}\n" for n in range(1, 3_000)
    ),
    "prose about thousands of phases": "".join(f"### Phase {n}: A\n" for n in range(1, 3_000))
    + "".join(f"Phases {n}-3000 are independent.\n\n" for n in range(1, 300)),
    "all previous phases, twenty thousand times": "".join(
        f"### Phase {n}: A\n**Dependencies**: All previous phases\n" for n in range(1, 20_000)
    ),
}

BUDGET_SECONDS = 3.0


def main() -> int:
    slow = 0
    for name in sorted(PATHOLOGICAL):
        start = time.perf_counter()
        analyse(parse_plan(PATHOLOGICAL[name]))
        seconds = time.perf_counter() - start
        slow += seconds > BUDGET_SECONDS
        print(f"{seconds:7.3f} s  {name}")
    print(f"{slow} of {len(PATHOLOGICAL)} over {BUDGET_SECONDS:.0f} s")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
