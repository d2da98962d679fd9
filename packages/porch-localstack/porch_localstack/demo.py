"""`porch-parallel demo`: a whole run of a plan, offline, on real processes.

Starts the local stack (embedded Redis, the local GitHub, the web app and workers), creates a
repository whose `.github/porch.yml` runs the scripted builder, opens an issue holding the
plan, comments `/porch parallel` as a maintainer, and narrates the run until it ends.
"""

from __future__ import annotations

import secrets
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import redis

from bot.adapters.store import RunStore
from bot.core import access, render
from bot.core.state import RunState
from bot.plan.graph import analyse
from bot.plan.parse import parse_plan
from porch_localstack.localstack import LocalStack
from workers.registry import plan_job

# Shipped inside the package (the sample plan as package data), so an install needs no checkout.
HERE = Path(__file__).resolve().parent
SAMPLE_PLAN = HERE / "diamond.md"
SCRIPTED_BUILDER = HERE / "scripted_builder.py"
REPO = "demo/task-board"
MAINTAINER = "maria"


@dataclass
class RunResult:
    state: RunState
    issue_number: int
    wall_seconds: float
    # phase id -> (builder start, builder end), epoch seconds, from the builders themselves
    timeline: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def builder_makespan(self) -> float:
        if not self.timeline:
            return 0.0
        starts, ends = zip(*self.timeline.values(), strict=True)
        return max(ends) - min(starts)


def builder_config(timeline: Path, sleep: float, fail: str = "", max_parallel: int = 4) -> str:
    command = (
        f"SCRIPTED_BUILDER_SLEEP={sleep} SCRIPTED_BUILDER_FAIL={shlex.quote(fail)} "
        f"SCRIPTED_BUILDER_TIMELINE={shlex.quote(str(timeline))} "
        f"{shlex.quote(sys.executable)} {shlex.quote(str(SCRIPTED_BUILDER))}"
    )
    # Unsandboxed, and flagged so in the status comment: the scripted builder writes its
    # timeline to a file of the demo's, outside the clone, which a sandbox would not let it
    # reach. The product's tests run builders in the sandbox.
    return (
        f"builder:\n  command: {command}\n  timeout_minutes: 5\n  retries: 0\n"
        "  sandbox: none\n"
        f"max_parallel_builders: {max_parallel}\n"
    )


def run_plan(
    stack: LocalStack,
    plan_text: str,
    *,
    builder_sleep: float = 2.0,
    fail: str = "",
    max_parallel: int = 4,
    repo: str = REPO,
    timeout: float = 300.0,
    say: Callable[[str], None] = lambda line: None,
) -> RunResult:
    """Drive one run of `plan_text` through the stack and wait for it to finish."""
    control = stack.control
    timeline = stack.root / f"timeline-{repo.replace('/', '-')}.txt"
    control.create_repo(
        repo,
        files={
            "README.md": "# Task board\n",
            ".github/porch.yml": builder_config(timeline, builder_sleep, fail, max_parallel),
        },
    )
    control.add_collaborator(repo, MAINTAINER, "write")
    issue = control.open_issue(repo, MAINTAINER, "Task board", plan_text)["number"]
    say(f"{MAINTAINER} comments `/porch parallel` on {repo}#{issue}")
    started = time.time()
    control.comment(repo, issue, MAINTAINER, "/porch parallel")
    state = _watch(stack, repo, issue, timeout, say)
    return RunResult(state, issue, time.time() - started, _timeline(timeline))


def _watch(
    stack: LocalStack, repo: str, issue: int, timeout: float, say: Callable[[str], None]
) -> RunState:
    store = RunStore(redis.Redis.from_url(stack.redis_url), plan_job)
    seen: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = store.current(repo, issue)
        if state is not None:
            for phase in state.phases.values():
                if seen.get(phase.phase_id) != phase.status.value:
                    seen[phase.phase_id] = phase.status.value
                    pr = f" (PR #{phase.pr_number})" if phase.pr_number else ""
                    say(f"{phase.phase_id:<10} {phase.status.value}{pr}")
            if state.status.finished:
                return state
        time.sleep(0.1)
    raise TimeoutError(f"the run did not finish within {timeout:.0f}s; logs: {stack.logs}")


def _timeline(path: Path) -> dict[str, tuple[float, float]]:
    starts: dict[str, float] = {}
    spans: dict[str, tuple[float, float]] = {}
    if not path.exists():
        return spans
    for line in path.read_text().splitlines():
        kind, phase, at = line.split()
        if kind == "start":
            starts[phase] = float(at)
        elif phase in starts:
            spans[phase] = (starts[phase], float(at))
    return spans


def report(result: RunResult, plan_text: str, out: TextIO) -> None:
    analysis = analyse(parse_plan(plan_text))
    state = result.state
    durations = {p: end - start for p, (start, end) in result.timeline.items()}
    serial = sum(durations.values())
    critical = sum(durations.get(p, 0.0) for p in analysis.critical_path)
    print(f"\nThe run ended {state.status.value} in {result.wall_seconds:.1f}s.", file=out)
    print(f"Waves: {' -> '.join('+'.join(w) for w in analysis.waves)}", file=out)
    print(
        f"Builders: {result.builder_makespan:.1f}s from the first start to the last end; "
        f"{critical:.1f}s along the critical path ({' -> '.join(analysis.critical_path)}); "
        f"{serial:.1f}s one after another.",
        file=out,
    )
    print("\nDraft PRs, each targeting the branch its phase started from:", file=out)
    for phase in state.phases.values():
        print(
            f"  #{phase.pr_number} {phase.phase_id}: {phase.branch} -> {phase.base_branch}",
            file=out,
        )
    if state.integration_pr is not None:
        print(
            f"\nThe integration PR, ready for review: #{state.integration_pr} "
            f"{state.integration_branch} -> {state.base_branch}",
            file=out,
        )
    print("\nThe status comment on the issue:\n", file=out)
    print(render.status_comment(state), file=out)


def dashboard_addresses(stack: LocalStack, state: RunState, token: str) -> list[str]:
    """The run's page by its signed link, and the list of runs with the operator token."""
    key = access.link_key(stack.credentials["webhook_secret"])
    return [
        access.run_link(stack.web_url, key, state.run_id, time.time()),
        f"{stack.web_url}/runs?token={token}",
    ]


def main(
    plan_path: Path | None = None, builder_sleep: float = 2.0, workers: int = 2, keep: bool = False
) -> int:
    path = plan_path or SAMPLE_PLAN
    plan_text = path.read_text()
    # A token for this demo only: the operator's view of the local dashboard.
    token = secrets.token_urlsafe(24)
    with (
        tempfile.TemporaryDirectory(prefix="porch-demo-") as tmp,
        LocalStack(Path(tmp), workers=workers, env={"PORCH_DASHBOARD_TOKEN": token}) as stack,
    ):
        print(
            f"Local GitHub, Redis, the web app and {workers} workers are up; running {path}.",
            flush=True,
        )
        result = run_plan(
            stack,
            plan_text,
            builder_sleep=builder_sleep,
            say=lambda line: print(f"{time.strftime('%H:%M:%S')}  {line}", flush=True),
        )
        report(result, plan_text, sys.stdout)
        if keep:
            _keep(stack, result.state, token)
    return 0 if result.state.status.value == "done" else 1


def _keep(stack: LocalStack, state: RunState, token: str) -> None:
    """Leave the stack running, with the dashboard's addresses, until Ctrl+C."""
    run_page, runs = dashboard_addresses(stack, state, token)
    print(
        f"\nEverything keeps running. The run on the dashboard:\n  {run_page}\n"
        f"Every run (the operator's token):\n  {runs}\n"
        f"The local GitHub: {stack.credentials['api_url']}  Logs: {stack.logs}\n"
        "Ctrl+C stops it all.",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
