"""The integration PR's title and body: every phase, a Mermaid gantt of when each ran, the
makespan against serial, and the issues it closes. Pure."""

from __future__ import annotations

from bot.core.gantt import mermaid_name
from bot.core.render import cell, duration, phase_name
from bot.core.state import PhaseStatus, RunState

MARKER = "<!-- porch-parallel:integration run={run_id} -->"


def title(state: RunState) -> str:
    return f"Integrate #{state.issue_number}: {len(state.phases)} phases built in parallel"


def closes(state: RunState) -> list[int]:
    """The issue and every phase's sub-issue, once each, in that order."""
    return list(dict.fromkeys([state.issue_number, *state.phase_issues.values()]))


def figures(state: RunState) -> tuple[float, float]:
    """(makespan, serial): the run's wall time building, and the sum of each phase's time."""
    spans = [
        (p.started_at, p.finished_at)
        for p in state.phases.values()
        if p.started_at is not None and p.finished_at is not None
    ]
    if not spans:
        return 0.0, 0.0
    makespan = max(end for _, end in spans) - min(start for start, _ in spans)
    return makespan, sum(end - start for start, end in spans)


def gantt(state: RunState) -> str:
    """A Mermaid gantt of when each phase's builder started and finished (epoch seconds)."""
    lines = ["gantt", "    dateFormat X", "    axisFormat %H:%M:%S"]
    for n, (pid, phase) in enumerate(state.phases.items()):
        if phase.started_at is None or phase.finished_at is None:
            continue
        name = mermaid_name(phase_name(state, pid))
        start = round(phase.started_at)
        end = max(round(phase.finished_at), start + 1)  # Mermaid draws no bar of length 0
        lines.append(f"    {name} : t{n}, {start}, {end}")
    return "\n".join(lines)


def body(state: RunState, rungs: tuple[str, ...] = ()) -> str:
    """The integration PR's body; the summary check run `porch: integration` carries it too."""
    rows = ["| Phase | PR | Consultation rounds | Attempts | Took |", "|---|---|---|---|---|"]
    for pid, phase in state.phases.items():
        pr = f"#{phase.pr_number}" if phase.pr_number is not None else "—"
        took = "—"
        if phase.started_at is not None and phase.finished_at is not None:
            took = duration(phase.finished_at - phase.started_at)
        if phase.status is PhaseStatus.SKIPPED:
            took = "skipped"
        # Each build of a consulted phase was a round of consultation; unconsulted, none.
        rounds = phase.iteration if phase.consulting_since is not None else 0
        name = cell(phase_name(state, pid))
        rows.append(f"| {name} | {pr} | {rounds} | {phase.attempt} | {took} |")
    makespan, serial = figures(state)
    speedup = f" ({serial / makespan:.1f}× faster)" if makespan > 0 else ""
    parts = [
        f"All {len(state.phases)} phases of run `{state.run_id}` for #{state.issue_number}, "
        f"merged: the phases nothing depends on, each holding the work of those before it.",
        "",
        "\n".join(rows),
        "",
        f"```mermaid\n{gantt(state)}\n```",
        "",
        f"**Makespan** {duration(makespan)} against **{duration(serial)} serial**{speedup}.",
    ]
    if rungs:
        parts += ["", "**Merges:** " + " → ".join(rungs)]
    parts += ["", *(f"Closes #{n}" for n in closes(state))]
    parts += ["", MARKER.format(run_id=state.run_id)]
    return "\n".join(parts)
