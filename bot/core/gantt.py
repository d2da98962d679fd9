"""A Mermaid gantt of a run's real times, for the status comment and the integration PR.

GitHub renders Mermaid in comments and PR bodies. Each phase is a section; each bar is one
state of one attempt (merging, preparing, queued, building), from the run's event log, so
phases that ran side by side overlap and waits show as the gaps between bars.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.history import LogEntry
from bot.core.render import phase_name
from bot.core.state import PhaseStatus, RunState
from bot.core.timeline import critical_path, timeline

_UNSAFE = re.compile(r"[:;#\n\r`]+")


def gantt(state: RunState, entries: Sequence[LogEntry]) -> str:
    """Mermaid gantt source of the run as it ran; open bars end at the run's last event."""
    last = max((e.at for e in entries), default=state.created_at)
    line = timeline(state, entries, now=state.finished_at or last)
    critical = set(critical_path(state, line))
    lines = [
        "gantt",
        f"    title {mermaid_name(f'run {state.run_id}, real times (UTC)')}",
        # Unix seconds in, wall clock out: Mermaid reads `X` as epoch seconds.
        "    dateFormat X",
        "    axisFormat %H:%M:%S",
    ]
    for n, pid in enumerate(state.phases, start=1):
        spans = line.of(pid)
        lines.append(f"    section {mermaid_name(phase_name(state, pid))}")
        if not spans:
            lines.append(
                f"    {mermaid_name(state.phases[pid].status.value)} :milestone, p{n}_0, "
                f"{round(line.end)}, 0s"
            )
            continue
        for k, span in enumerate(spans, start=1):
            tags = []
            if span.status == PhaseStatus.BUILDING.value:
                tags.append("crit" if pid in critical else "active")
            elif not span.open:
                tags.append("done")
            start = int(span.start)
            # Whole seconds, at least one, so a fast step still shows.
            end = max(start + 1, round(span.end))
            label = span.status + (f" a{span.attempt}" if span.attempt > 1 else "")
            if span.iteration > 1:
                label += f" r{span.iteration}"
            tag = ", ".join([*tags, f"p{n}_{k}"])
            lines.append(f"    {mermaid_name(label)} :{tag}, {start}, {end}")
    return "\n".join(lines)


def mermaid_name(text: str) -> str:
    """Text Mermaid reads as a name: no colon, semicolon, hash or line break."""
    return _UNSAFE.sub(" ", text).strip()[:80] or "-"
