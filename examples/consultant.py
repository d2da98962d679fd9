#!/usr/bin/env python3
"""A sample porch-parallel consultant: reviews a phase's own diff and ends with a verdict.

Configure it in .github/porch.yml:

    consultation:
      consultants:
        - name: sample
          command: python3 examples/consultant.py

It runs in a clone of the phase branch at the head under review, and reads:
  PORCH_DIFF_FILE       the phase's diff against its own start (not its dependencies' work)
  PORCH_DIFF_STAT_FILE  `git diff --stat` of the same
  PORCH_PROMPT_FILE     what to review: the phase's section of the plan, and how to answer
  PORCH_SECTION_FILE    the section alone
  PORCH_REBUTTAL_FILE   (from round 2, when the builder wrote one) its answer to the reviews
  PORCH_PHASE_ID, PORCH_PHASE_TITLE, PORCH_ITERATION, PORCH_PR, PORCH_BASE_SHA,
  PORCH_HEAD_SHA, PORCH_CONSULTANT, PORCH_REPO, PORCH_ISSUE, PORCH_RUN_ID

Whatever it prints is its review. Its last `VERDICT:` line decides, as codev's `consult`
reads it. A real consultant would hand the prompt and the diff to a model, e.g.
`consult --model gemini ...` or `claude -p "$(cat "$PORCH_PROMPT_FILE")"`; this one only
checks that the diff is not empty and adds no TODO.
"""

from __future__ import annotations

import os
from pathlib import Path


def main() -> int:
    diff = Path(os.environ["PORCH_DIFF_FILE"]).read_text()
    added = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    phase = os.environ["PORCH_PHASE_ID"]
    print(f"Review of {phase} (round {os.environ['PORCH_ITERATION']}): {len(added)} lines added.")
    if not added:
        print("The phase changes nothing, so it cannot do what its section asks.")
        print("VERDICT: REQUEST_CHANGES")
        return 0
    todos = [line for line in added if "TODO" in line]
    if todos:
        print(f"{len(todos)} added lines still say TODO:")
        for line in todos[:10]:
            print(f"- `{line.strip()}`")
        print("**VERDICT: REQUEST_CHANGES**")
        return 0
    print("The diff is the phase's own work and leaves nothing marked TODO.")
    print("**VERDICT: APPROVE**")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
