"""Progress as GitHub shows it: the run's status comment and each phase's check run fields.

Times come from the state (epoch seconds from events) and are shown as UTC `HH:MM:SS`;
nothing here reads a clock, so a phase still running shows no duration.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.core.state import PhaseState, PhaseStatus, RunState, RunStatus
from bot.plan.render import STATE_STYLES as PLAN_STATE_STYLES

# GitHub refuses check run output fields and comment bodies longer than this.
GITHUB_TEXT_LIMIT = 65535
TITLE_LIMIT = 250
ERROR_LIMIT = 500
_CUT_NOTE = "… ({} characters cut)\n"

_MARKER = "<!-- porch-parallel:status run={run_id} -->"
_MARKER_RE = re.compile(r"<!-- porch-parallel:status run=([A-Za-z0-9_-]+) -->")

STATUS_LABELS: dict[PhaseStatus, str] = {
    PhaseStatus.PENDING: "⏳ pending",
    PhaseStatus.MERGING: "🔀 merging",
    PhaseStatus.PREPARING: "🔧 preparing",
    PhaseStatus.QUEUED: "🕒 queued",
    PhaseStatus.BUILDING: "🔨 building",
    PhaseStatus.CONFLICTED: "⚠️ conflicted",
    PhaseStatus.DONE: "✅ done",
    PhaseStatus.FAILED: "❌ failed",
    PhaseStatus.BLOCKED: "⛔ blocked",
    PhaseStatus.CANCELLED: "🚫 cancelled",
    PhaseStatus.SKIPPED: "⏭️ skipped",
}

# Mermaid classDef styles: the plan preview's palette (bot.plan.render), so a phase looks the
# same in the plan check and in the status comment; states it does not know get these.
_OWN_STYLES: dict[PhaseStatus, str] = {
    PhaseStatus.PENDING: "fill:#f6f8fa,stroke:#8c959f,color:#24292f",
    PhaseStatus.MERGING: "fill:#fbefff,stroke:#c297ff,color:#512a97",
    PhaseStatus.PREPARING: "fill:#ddf4ff,stroke:#54aeff,color:#0a3069",
    PhaseStatus.QUEUED: "fill:#ddf4ff,stroke:#54aeff,color:#0a3069",
    PhaseStatus.BUILDING: "fill:#fff8c5,stroke:#d4a72c,color:#4d2d00",
    PhaseStatus.CONFLICTED: "fill:#fff1e5,stroke:#fb8f44,color:#762c00",
    PhaseStatus.DONE: "fill:#dafbe1,stroke:#4ac26b,color:#116329",
    PhaseStatus.FAILED: "fill:#ffebe9,stroke:#ff8182,color:#82071e",
    PhaseStatus.BLOCKED: "fill:#eaeef2,stroke:#6e7781,color:#57606a,stroke-dasharray:4 2",
    PhaseStatus.CANCELLED: "fill:#eaeef2,stroke:#6e7781,color:#57606a",
    PhaseStatus.SKIPPED: "fill:#eaeef2,stroke:#6e7781,color:#57606a",
}
STATUS_STYLES: dict[PhaseStatus, str] = {
    status: PLAN_STATE_STYLES.get(status.value, style) for status, style in _OWN_STYLES.items()
}

RUN_LABELS: dict[RunStatus, str] = {
    RunStatus.PENDING: "starting",
    RunStatus.RUNNING: "running",
    RunStatus.INTEGRATING: "opening the integration PR",
    RunStatus.DONE: "done",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "cancelled",
}


def status_marker(run_id: str) -> str:
    """The hidden line that identifies a run's status comment among the issue's comments."""
    return _MARKER.format(run_id=run_id)


def marked_run_id(body: str) -> str | None:
    """The run id of a status comment, found by its marker; None for any other comment.

    Lets an adapter find the comment it created even when the create request failed with a
    502 after GitHub had stored it.
    """
    match = _MARKER_RE.search(body)
    return match.group(1) if match else None


def status_comment(state: RunState, *, mermaid: Callable[[RunState], str] | None = None) -> str:
    """The whole status comment: marker, heading, coloured graph, phase table, summary.

    `mermaid` renders the graph's flowchart source; by default `state_mermaid`.
    """
    graph = (mermaid or state_mermaid)(state)
    parts = [
        status_marker(state.run_id),
        f"### porch parallel: {RUN_LABELS[state.status]}",
        "",
        f"```mermaid\n{graph}\n```",
        "",
        _table(state),
        "",
        summary_line(state),
    ]
    merges = merge_ladder_lines(state)
    if merges:
        parts += ["", "**Merges**", "", merges]
    if state.integration_pr is not None:
        parts += ["", f"**Integration PR:** #{state.integration_pr}"]
    if state.integration_error:
        parts += ["", f"**Integration failed:** {_one_line(state.integration_error, ERROR_LIMIT)}"]
    errors = _errors(state)
    if errors:
        parts += ["", errors]
    return _truncate("\n".join(parts), GITHUB_TEXT_LIMIT)


def state_mermaid(state: RunState) -> str:
    """A Mermaid flowchart of the phases and their dependencies, coloured by phase status."""
    ids = _node_ids(list(state.phases))
    lines = ["flowchart TD"]
    for pid in state.phases:
        lines.append(f'    {ids[pid]}["{_mermaid_text(phase_name(state, pid))}"]')
    for pid, deps in state.deps.items():
        lines.extend(f"    {ids[dep]} --> {ids[pid]}" for dep in deps)
    for status in PhaseStatus:
        members = [ids[p.phase_id] for p in state.phases.values() if p.status is status]
        if members:
            lines.append(f"    classDef {status.value} {STATUS_STYLES[status]}")
            lines.append(f"    class {','.join(members)} {status.value}")
    return "\n".join(lines)


def status_by_phase(state: RunState) -> dict[str, str]:
    """Phase id -> status value, the form `bot.plan.render.to_mermaid` colours by."""
    return {pid: phase.status.value for pid, phase in state.phases.items()}


def phase_name(state: RunState, phase_id: str) -> str:
    """`Phase 2: API routes` as the plan calls it, or the id when the plan gave no label."""
    label = state.labels.get(phase_id)
    title = state.titles.get(phase_id, "")
    name = f"Phase {label}" if label else phase_id
    return f"{name}: {title}" if title else name


def summary_line(state: RunState) -> str:
    """`**2 of 4 phases done** · 1 building · 1 pending`, and the run's total time once over."""
    total = len(state.phases)
    done = state.count(PhaseStatus.DONE, PhaseStatus.SKIPPED)
    parts = [f"**{done} of {total} phases done**"]
    for status in PhaseStatus:
        if status in (PhaseStatus.DONE, PhaseStatus.SKIPPED):
            continue
        n = state.count(status)
        if n:
            parts.append(f"{n} {status.value}")
    if state.status.finished and state.finished_at is not None:
        took = duration(state.finished_at - state.created_at)
        parts.append(f"run {RUN_LABELS[state.status]} after {took}")
    return " · ".join(parts)


def check_run_output(state: RunState, phase_id: str) -> dict[str, Any]:
    """The fields of the phase's check run (create or update), as GitHub's API takes them."""
    phase = state.phases[phase_id]
    name = phase_name(state, phase_id)
    fields: dict[str, Any] = {
        "name": _truncate(f"porch · {name}", TITLE_LIMIT),
        "external_id": f"{state.run_id}:{phase_id}",
    }
    status, conclusion = _check_status(phase.status)
    fields["status"] = status
    if conclusion is not None:
        fields["conclusion"] = conclusion
    if phase.started_at is not None:
        fields["started_at"] = iso_time(phase.started_at)
    if conclusion is not None and phase.finished_at is not None:
        fields["completed_at"] = iso_time(phase.finished_at)
    fields["output"] = {
        "title": _truncate(f"{name} — {phase.status.value}", TITLE_LIMIT),
        "summary": _truncate(_check_summary(state, phase), GITHUB_TEXT_LIMIT),
        "text": _check_text(phase),
    }
    return fields


def _check_status(status: PhaseStatus) -> tuple[str, str | None]:
    if status in (
        PhaseStatus.PENDING,
        PhaseStatus.MERGING,
        PhaseStatus.PREPARING,
        PhaseStatus.QUEUED,
    ):
        return "queued", None
    if status is PhaseStatus.BUILDING:
        return "in_progress", None
    conclusions = {
        PhaseStatus.CONFLICTED: "action_required",
        PhaseStatus.DONE: "success",
        PhaseStatus.FAILED: "failure",
        PhaseStatus.CANCELLED: "cancelled",
        PhaseStatus.SKIPPED: "skipped",
        PhaseStatus.BLOCKED: "neutral",
    }
    return "completed", conclusions[status]


def _check_summary(state: RunState, phase: PhaseState) -> str:
    attempts = 1 + state.settings.retries
    lines = [f"**{STATUS_LABELS[phase.status]}** (attempt {phase.attempt} of {attempts})"]
    if phase.branch:
        lines.append(
            f"Branch `{phase.branch}`"
            + (f" into `{phase.base_branch}`" if phase.base_branch else "")
        )
    if phase.started_at is not None:
        lines.append(f"Started {clock(phase.started_at)} UTC" + _took_suffix(phase))
    if phase.merge_rungs:
        lines.append("Merge: " + " → ".join(phase.merge_rungs))
    if phase.status is PhaseStatus.CONFLICTED and phase.resolve_branch:
        lines.append(
            f"Its dependencies' work conflicts in {', '.join(phase.conflict_files) or 'files'}; "
            f"waiting for a person to resolve it on `{phase.resolve_branch}` and comment "
            "`/porch resolved` on the issue."
        )
    if phase.error:
        lines.append(f"Error: {_one_line(phase.error, ERROR_LIMIT)}")
    lines.append(f"Run `{state.run_id}` for #{state.issue_number}")
    return "\n\n".join(lines)


def _check_text(phase: PhaseState) -> str:
    if not phase.log_tail:
        return ""
    fence = "`" * max(3, _longest_backtick_run(phase.log_tail) + 1)
    heading = "Last lines of the log:\n\n"
    # Keep the end of the log: that is where a build says why it failed.
    room = GITHUB_TEXT_LIMIT - len(heading) - 2 * len(fence) - 2
    tail = phase.log_tail
    if len(tail) > room:
        # The note counts at most len(tail) characters cut, so sizing it on that is safe.
        keep = room - len(_CUT_NOTE.format(len(tail)))
        tail = _CUT_NOTE.format(len(tail) - keep) + tail[-keep:]
    return f"{heading}{fence}\n{tail}\n{fence}"


def _table(state: RunState) -> str:
    rows = ["| Phase | State | PR | Started | Took |", "|---|---|---|---|---|"]
    for pid, phase in state.phases.items():
        name = _cell(phase_name(state, pid))
        pr = f"#{phase.pr_number}" if phase.pr_number is not None else "—"
        started = clock(phase.started_at) if phase.started_at is not None else "—"
        took = "—"
        if phase.started_at is not None and phase.finished_at is not None:
            took = duration(phase.finished_at - phase.started_at)
        label = STATUS_LABELS[phase.status]
        if phase.status in (PhaseStatus.QUEUED, PhaseStatus.BUILDING) and phase.attempt > 1:
            label += f" (attempt {phase.attempt})"
        rows.append(f"| {name} | {label} | {pr} | {started} | {took} |")
    return "\n".join(rows)


def merge_ladder_lines(state: RunState) -> str:
    """One line per phase whose dependencies' heads climbed the merge ladder: each rung."""
    lines = []
    for pid, phase in state.phases.items():
        if not phase.merge_rungs:
            continue
        rungs = " → ".join(_one_line(r, 160) for r in phase.merge_rungs)
        line = f"- **{_cell(phase_name(state, pid))}**: {rungs}"
        if phase.status is PhaseStatus.CONFLICTED and phase.resolve_branch:
            line += (
                f" → **waiting for a person** on `{phase.resolve_branch}`, then `/porch resolved`"
            )
        lines.append(line)
    return "\n".join(lines)


def _errors(state: RunState) -> str:
    lines = [
        f"- **{_cell(phase_name(state, p.phase_id))}**: {_one_line(p.error, ERROR_LIMIT)}"
        for p in state.phases.values()
        if p.status is PhaseStatus.FAILED and p.error
    ]
    return "\n".join(lines)


def clock(at: float) -> str:
    """UTC wall time `HH:MM:SS` of an epoch timestamp."""
    return datetime.fromtimestamp(at, tz=UTC).strftime("%H:%M:%S")


def iso_time(at: float) -> str:
    """ISO 8601 in UTC with a `Z`, as GitHub's API expects."""
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: float) -> str:
    """`42s`, `4m 12s`, `1h 03m`: short, and never negative."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _took_suffix(phase: PhaseState) -> str:
    if phase.started_at is None or phase.finished_at is None:
        return ""
    return f", took {duration(phase.finished_at - phase.started_at)}"


def _node_ids(phase_ids: list[str]) -> dict[str, str]:
    """Mermaid node ids: word characters only, prefixed so a phase called `end` is no keyword."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for pid in phase_ids:
        base = "p_" + re.sub(r"\W", "_", pid, flags=re.ASCII)
        node, n = base, 1
        while node in used:
            n += 1
            node = f"{base}_{n}"
        ids[pid] = node
        used.add(node)
    return ids


def _mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label; `#` first, since it starts an entity code."""
    text = _one_line(text, 80)
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return _one_line(text, 200).replace("|", "\\|")


def _one_line(text: str, limit: int) -> str:
    return _truncate(" ".join(text.split()), limit)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)
