"""A stand-in coding agent: reads its prompt, sleeps, and writes a file for its phase.

Behaviour is steered by the phase id and a few variables, so tests can script a run:
PORCH_TEST_SLEEP (seconds), PORCH_TEST_FAIL (comma-separated phase ids that exit 1),
PORCH_TEST_TIMELINE (a file to append "start|end <phase> <epoch>" lines to).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def note(kind: str, phase: str) -> None:
    timeline = os.environ.get("PORCH_TEST_TIMELINE")
    if timeline:
        with open(timeline, "a") as out:
            out.write(f"{kind} {phase} {time.time():.6f}\n")


def main() -> int:
    phase = os.environ["PORCH_PHASE_ID"]
    prompt = Path(os.environ["PORCH_PROMPT_FILE"]).read_text()
    note("start", phase)
    print(f"building {phase}, iteration {os.environ['PORCH_ITERATION']}")
    print(f"prompt has {len(prompt.splitlines())} lines")
    time.sleep(float(os.environ.get("PORCH_TEST_SLEEP", "0")))
    if phase in os.environ.get("PORCH_TEST_FAIL", "").split(","):
        print(f"{phase}: failing on purpose", file=sys.stderr)
        note("end", phase)
        return 1
    target = Path("app") / f"{phase}.py"
    target.parent.mkdir(exist_ok=True)
    target.write_text(f"# built by the scripted builder for {phase}\nPHASE = {phase!r}\n")
    note("end", phase)
    return 0


if __name__ == "__main__":
    sys.exit(main())
