"""Progress as GitHub shows it: the run's status comment and each phase's check run fields.

Times come from the state (epoch seconds from events) and are shown as UTC `HH:MM:SS`;
nothing here reads a clock, so a phase still running shows no duration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from bot.core import messages
from bot.core.reducer.consulting import approvals, awaited, changes_requested, stale
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
    PhaseStatus.CONSULTING: "💬 consulting",
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
    PhaseStatus.CONSULTING: "fill:#fbefff,stroke:#c297ff,color:#512a97",
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


def status_comment(
    state: RunState,
    *,
    mermaid: Callable[[RunState], str] | None = None,
    dashboard_url: str | None = None,
    gantt: str | None = None,
) -> str:
    """The whole status comment: marker, heading, summary, coloured graph, phase table.

    It always fits GitHub's limit without losing a phase: when the full comment is too long,
    finished phases fold into a `<details>` block, then the graph gives way, then finished
    phases shrink to one short line each. The summary line comes first and always survives.
    `mermaid` renders the graph's flowchart source; by default `state_mermaid`.
    `dashboard_url` is the run's (signed) dashboard page; `gantt` the Mermaid gantt of the
    run's real times, shown once it has finished.
    """
    head = [
        status_marker(state.run_id),
        f"### porch parallel: {_run_label(state)}",
        "",
        summary_line(state),
        "",
    ]
    graph = f"```mermaid\n{(mermaid or state_mermaid)(state)}\n```\n"
    notes: list[str] = []
    if not state.settings.sandboxed:
        notes += ["", messages.UNSANDBOXED]
    predicted = predicted_conflict_lines(state)
    if predicted:
        notes += ["", "**Predicted conflicts**", "", predicted]
    merges = merge_ladder_lines(state)
    if merges:
        notes += ["", "**Merges**", "", merges]
    if state.integration_conflict is not None:
        conflict = state.integration_conflict
        files = ", ".join(f"`{_one_line(f, 120)}`" for f in conflict.files[:20])
        notes += [
            "",
            f"**The integration PR waits for a person:** the work of "
            f"{', '.join(conflict.meeting)} conflicts in {files}. Resolve it on "
            f"`{state.integration_branch}` and comment `/porch resolved`.",
        ]
    if state.integration_pr is not None:
        notes += ["", f"**Integration PR:** #{state.integration_pr}"]
    if state.integration_error:
        notes += ["", f"**Integration failed:** {_one_line(state.integration_error, ERROR_LIMIT)}"]
    errors = _errors(state)
    if errors:
        notes += ["", errors]
    if dashboard_url:
        notes += ["", f"[Swimlanes, graph and timings on the dashboard]({dashboard_url})"]
    chart = (
        ["", "<details><summary>When each phase ran</summary>", "", f"```mermaid\n{gantt}\n```"]
        if gantt
        else []
    )
    chart += ["", "</details>"] if gantt else []
    finished = [p for p in state.phases.values() if p.status.finished]
    layouts = (
        [graph, _table(state, state.phases.values())],
        [graph, *_split_tables(state, finished, compact=False)],
        [_GRAPH_OMITTED, *_split_tables(state, finished, compact=False)],
        [_GRAPH_OMITTED, *_split_tables(state, finished, compact=True)],
    )
    body = ""
    # The gantt is the first thing to give way; then the layouts fold, as above.
    for tail in ([*notes, *chart], notes):
        for layout in layouts:
            body = "\n".join([*head, *layout, *tail])
            if len(body) <= GITHUB_TEXT_LIMIT:
                return body
    return _truncate(body, GITHUB_TEXT_LIMIT)


_GRAPH_OMITTED = "_The graph is left out: with this many phases it would not fit in a comment._\n"
_COMPACT_NAME = 60


def _split_tables(state: RunState, finished: list[PhaseState], *, compact: bool) -> list[str]:
    """The unfinished phases' table, then the finished ones folded in a `<details>` block."""
    parts: list[str] = []
    unfinished = [p for p in state.phases.values() if not p.status.finished]
    if unfinished:
        parts.append(_table(state, unfinished))
    if finished:
        counts = " · ".join(
            f"{n} {status.value}"
            for status in PhaseStatus
            if (n := sum(1 for p in finished if p.status is status))
        )
        rows = (
            "\n".join(_compact_row(state, p) for p in finished)
            if compact
            else _table(state, finished)
        )
        parts.append(
            f"<details><summary>{len(finished)} finished phases ({counts})</summary>\n\n"
            f"{rows}\n\n</details>"
        )
    return parts


def _compact_row(state: RunState, phase: PhaseState) -> str:
    name = _one_line(phase_name(state, phase.phase_id), _COMPACT_NAME)
    pr = f" #{phase.pr_number}" if phase.pr_number is not None else ""
    return f"- {STATUS_LABELS[phase.status]} `{phase.phase_id}` {name}{pr}"


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
    # Buttons only while the phase can be retried or skipped; an empty list removes them.
    fields["actions"] = list(CHECK_ACTIONS) if phase.status in _STOPPED else []
    return fields


# A check run's buttons (GitHub: label ≤ 20, description ≤ 40, identifier ≤ 20 characters).
RETRY_ACTION = "retry"
SKIP_ACTION = "skip"
CHECK_ACTIONS: tuple[dict[str, str], ...] = (
    {"label": "Retry phase", "description": "Build it again", "identifier": RETRY_ACTION},
    {"label": "Skip phase", "description": "Count it as done", "identifier": SKIP_ACTION},
)
_STOPPED = (PhaseStatus.FAILED, PhaseStatus.BLOCKED, PhaseStatus.CANCELLED)


def check_run_ref(external_id: str) -> tuple[str, str] | None:
    """`(run_id, phase_id)` from a check run's external id, None when it is not one of ours."""
    run_id, sep, phase_id = external_id.partition(":")
    if not sep or not run_id or not phase_id or not _RUN_ID.fullmatch(run_id):
        return None
    return run_id, phase_id


_RUN_ID = re.compile(r"[A-Za-z0-9_-]+")


def _check_status(status: PhaseStatus) -> tuple[str, str | None]:
    if status in (
        PhaseStatus.PENDING,
        PhaseStatus.MERGING,
        PhaseStatus.PREPARING,
        PhaseStatus.QUEUED,
    ):
        return "queued", None
    if status in (PhaseStatus.BUILDING, PhaseStatus.CONSULTING):
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
    tried = max(1, phase.attempt - phase.first_attempt + 1)
    lines = [f"**{STATUS_LABELS[phase.status]}** (attempt {tried} of {attempts})"]
    if phase.branch:
        lines.append(
            f"Branch `{phase.branch}`"
            + (f" into `{phase.base_branch}`" if phase.base_branch else "")
        )
    if phase.started_at is not None:
        lines.append(f"Started {clock(phase.started_at)} UTC" + _took_suffix(phase))
    consultation = consultation_line(state, phase)
    if consultation:
        lines.append(consultation)
        lines += [
            f"The review by {r.reviewer} of {r.head_sha[:7]} does not count: the phase's head "
            f"is now {(phase.head_sha or '')[:7]}."
            for r in stale(phase)
        ]
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
    if phase.branch is None and phase.status in _STOPPED:
        lines.append(
            f"This phase stopped before it had a branch of its own, so this check is shown "
            f"on the commit the run started from, `{state.base_sha[:7]}` on "
            f"`{state.base_branch}`."
        )
    if phase.status in _STOPPED:
        lines.append(
            "Retry it with **Retry phase** above or `/porch retry "
            f"{phase.phase_id}` on #{state.issue_number}; skip it with **Skip phase** or "
            f"`/porch skip {phase.phase_id}`."
        )
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


def _table(state: RunState, phases: Iterable[PhaseState]) -> str:
    rows = ["| Phase | State | PR | Started | Took |", "|---|---|---|---|---|"]
    for phase in phases:
        pid = phase.phase_id
        name = cell(phase_name(state, pid))
        issue = state.phase_issues.get(pid)
        if issue is not None:
            name += f" · #{issue}"  # GitHub links it, with the sub-issue's state
        pr = f"#{phase.pr_number}" if phase.pr_number is not None else "—"
        started = clock(phase.started_at) if phase.started_at is not None else "—"
        took = "—"
        if phase.started_at is not None and phase.finished_at is not None:
            took = duration(phase.finished_at - phase.started_at)
        label = STATUS_LABELS[phase.status]
        if phase.status in (PhaseStatus.QUEUED, PhaseStatus.BUILDING) and phase.attempt > 1:
            label += f" (attempt {phase.attempt})"
        if phase.status is PhaseStatus.CONSULTING:
            label += f" ({cell(consultation_line(state, phase))})"
        elif phase.iteration > 1 and phase.status in (PhaseStatus.QUEUED, PhaseStatus.BUILDING):
            label += f" (round {phase.iteration})"
        rows.append(f"| {name} | {label} | {pr} | {started} | {took} |")
    return "\n".join(rows)


def consultation_line(state: RunState, phase: PhaseState) -> str:
    """`round 1 of 3: 1 of 2 approvals; waiting for rita`, for a phase being consulted."""
    if phase.status is not PhaseStatus.CONSULTING:
        return ""
    settings = state.settings.consultation
    parts = [f"round {phase.iteration} of {settings.max_iterations}"]
    if phase.needs_person:
        return f"{parts[0]}: rounds used up; waiting for a person (`/porch approve` or a review)"
    what = [f"{len(approvals(phase))} of {settings.required_approvals} approvals"]
    asked = changes_requested(phase)
    if asked:
        what.append("changes requested by " + ", ".join(asked))
    waiting = awaited(state, phase)
    if waiting:
        what.append("waiting for " + ", ".join(waiting))
    elif phase.batch is not None and not _batch_sent(state, phase.batch):
        what.append("waiting for its batch")
    return f"{parts[0]}: " + "; ".join(what)


def _batch_sent(state: RunState, number: int) -> bool:
    return any(b.number == number and b.sent_at is not None for b in state.batches)


_PREDICTED_SHOWN = 20
_PATHS_SHOWN = 8


def _run_label(state: RunState) -> str:
    if state.integration_conflict is not None:
        return "the integration PR waits for a person"
    return RUN_LABELS[state.status]


def predicted_conflict_lines(state: RunState) -> str:
    """One line per pair of phases whose work may conflict: git's findings first, then the
    plan's, so the certain ones survive the cap."""
    ordered = sorted(state.predicted, key=lambda c: c.source != "git")
    lines = []
    for conflict in ordered[:_PREDICTED_SHOWN]:
        a, b = (cell(phase_name(state, pid)) for pid in conflict.phases)
        paths = ", ".join(f"`{_one_line(p, 120)}`" for p in conflict.paths[:_PATHS_SHOWN])
        more = len(conflict.paths) - _PATHS_SHOWN
        paths += f" and {more} more" if more > 0 else ""
        why = (
            "git found their pushed work conflicts"
            if conflict.source == "git"
            else "the plan says both touch"
        )
        lines.append(f"- **{a}** and **{b}**: {why}: {paths}")
    hidden = len(ordered) - _PREDICTED_SHOWN
    if hidden > 0:
        lines.append(f"- and {hidden} more pairs")
    return "\n".join(lines)


def merge_ladder_lines(state: RunState) -> str:
    """One line per phase whose dependencies' heads climbed the merge ladder: each rung."""
    lines = []
    for pid, phase in state.phases.items():
        if not phase.merge_rungs:
            continue
        rungs = " → ".join(_one_line(r, 160) for r in phase.merge_rungs)
        line = f"- **{cell(phase_name(state, pid))}**: {rungs}"
        if phase.status is PhaseStatus.CONFLICTED and phase.resolve_branch:
            line += (
                f" → **waiting for a person** on `{phase.resolve_branch}`, then `/porch resolved`"
            )
        lines.append(line)
    return "\n".join(lines)


def _errors(state: RunState) -> str:
    lines = [
        f"- **{cell(phase_name(state, p.phase_id))}**: {_one_line(p.error, ERROR_LIMIT)}"
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


def cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return _one_line(text, 200).replace("|", "\\|")


def _one_line(text: str, limit: int) -> str:
    return _truncate(" ".join(text.split()), limit)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)
