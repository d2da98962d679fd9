"""A stand-in coding agent for the demo and the tests: reads its prompt, works a while, writes.

It behaves like an agent from the outside: it runs in the phase's work tree, reads the prompt
file porch-parallel wrote, and leaves its changes for porch-parallel to commit. Steered by:
  SCRIPTED_BUILDER_SLEEP     seconds to "think" (default 0)
  SCRIPTED_BUILDER_FAIL      comma-separated phase ids that fail (exit 1)
  SCRIPTED_BUILDER_TIMELINE  a file to append "start|end <phase> <epoch seconds>" lines to
  SCRIPTED_BUILDER_SHARED    a file every phase rewrites with its own text (to make conflicts)
  SCRIPTED_BUILDER_PGIDS     a file to append "<phase> <process group id>" lines to, so that a
                             test can check the builder's whole process group is gone
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def note(kind: str, phase: str) -> None:
    timeline = os.environ.get("SCRIPTED_BUILDER_TIMELINE")
    if timeline:
        with open(timeline, "a") as out:
            out.write(f"{kind} {phase} {time.time():.6f}\n")


def main() -> int:
    phase = os.environ["PORCH_PHASE_ID"]
    # A safe name for files: an id from a plan may hold `/`, `..` or a shell's metacharacters.
    name = os.environ.get("PORCH_PHASE_NAME", phase)
    prompt = Path(os.environ["PORCH_PROMPT_FILE"]).read_text()
    note("start", phase)
    pgids = os.environ.get("SCRIPTED_BUILDER_PGIDS")
    if pgids:
        with open(pgids, "a") as out:
            out.write(f"{phase} {os.getpgid(0)}\n")
    print(
        f"building {phase} ({os.environ['PORCH_PHASE_TITLE']}), iteration "
        f"{os.environ['PORCH_ITERATION']}; the prompt has {len(prompt.splitlines())} lines"
    )
    time.sleep(float(os.environ.get("SCRIPTED_BUILDER_SLEEP", "0")))
    if phase in os.environ.get("SCRIPTED_BUILDER_FAIL", "").split(","):
        print(f"{phase}: failing on purpose", file=sys.stderr)
        note("end", phase)
        return 1
    target = Path("app") / f"{name}.py"
    target.parent.mkdir(exist_ok=True)
    target.write_text(f'"""Written for {phase} by the scripted builder."""\n\nPHASE = {phase!r}\n')
    print(f"wrote {target}")
    shared = os.environ.get("SCRIPTED_BUILDER_SHARED")
    if shared:
        Path(shared).write_text(f"owned by {phase}\n")
        print(f"wrote {shared}")
    note("end", phase)
    return 0


if __name__ == "__main__":
    sys.exit(main())
