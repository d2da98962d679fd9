"""The dashboard's pages as values: the list of runs, and one run's swimlanes and graph.

Pure: the web layer loads the state and the log, passes `now` and the GitHub web address, and
renders these models with templates. The two pictures are inline SVG built here, every text in
them escaped; each bar carries its phase, state, attempt and real times as data attributes, so
a browser test (or a curious person) can read what it shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from bot.core import links
from bot.core.history import LogEntry
from bot.core.render import RUN_LABELS, STATUS_LABELS, clock, duration, phase_name
from bot.core.state import PhaseStatus, RunState
from bot.core.timeline import Makespan, Span, Timeline, makespan, timeline

# Bar colours per state (GitHub's Primer palette, as the status comment's graph uses).
COLOURS: dict[str, tuple[str, str]] = {
    "pending": ("#f6f8fa", "#8c959f"),
    "merging": ("#d8b9ff", "#8250df"),
    "preparing": ("#b6e3ff", "#54aeff"),
    "queued": ("#ddf4ff", "#54aeff"),
    "building": ("#fae17d", "#bf8700"),
    "consulting": ("#ffd8b5", "#e16f24"),
    "done": ("#4ac26b", "#1a7f37"),
    "failed": ("#ff8182", "#cf222e"),
    "blocked": ("#d0d7de", "#6e7781"),
    "cancelled": ("#d0d7de", "#6e7781"),
    "skipped": ("#d0d7de", "#6e7781"),
}
_OTHER = ("#eaeef2", "#6e7781")
# The bar kinds in the order a phase goes through them; the legend lists those a run shows.
LEGEND = ("merging", "preparing", "queued", "building", "consulting")

LABEL_WIDTH = 230
CHART_WIDTH = 720
LANE_HEIGHT = 34
BAR_HEIGHT = 20
AXIS_HEIGHT = 28


@dataclass(frozen=True, kw_only=True)
class RunRow:
    run_id: str
    repo: str
    issue_number: int
    issue_url: str
    status: str
    done: int
    total: int
    started: str
    took: str


@dataclass(frozen=True, kw_only=True)
class PhaseRow:
    phase_id: str
    name: str
    status: str
    status_label: str
    attempt: int
    pr_number: int | None
    pr_url: str | None
    check_url: str | None
    started: str
    took: str
    error: str
    on_critical_path: bool


@dataclass(frozen=True, kw_only=True)
class RunPage:
    run_id: str
    repo: str
    repo_url: str
    issue_number: int
    issue_url: str
    status: str
    status_label: str
    live: bool
    started: str
    took: str
    done: int
    total: int
    phases: tuple[PhaseRow, ...]
    critical_path: tuple[str, ...]
    makespan: str
    serial: str
    building: str
    speedup: str
    integration_pr: int | None
    integration_url: str | None
    legend: tuple[str, ...]
    lanes_svg: str
    graph_svg: str


def run_row(state: RunState, web: str, now: float) -> RunRow:
    """One line of the list of runs."""
    return RunRow(
        run_id=state.run_id,
        repo=state.repo,
        issue_number=state.issue_number,
        issue_url=links.issue_url(web, state.repo, state.issue_number),
        status=state.status.value,
        done=state.count(PhaseStatus.DONE, PhaseStatus.SKIPPED),
        total=len(state.phases),
        started=_when(state.created_at),
        took=_took(state, now),
    )


def run_page(
    state: RunState,
    entries: Sequence[LogEntry],
    *,
    web: str,
    now: float,
    integration_pr: int | None = None,
) -> RunPage:
    """Everything the run's page shows, with both pictures drawn."""
    line = timeline(state, entries, now)
    span = makespan(state, line)
    critical = set(span.critical_path)
    phases = tuple(_phase_row(state, pid, web, pid in critical) for pid in state.phases)
    return RunPage(
        run_id=state.run_id,
        repo=state.repo,
        repo_url=links.repo_url(web, state.repo),
        issue_number=state.issue_number,
        issue_url=links.issue_url(web, state.repo, state.issue_number),
        status=state.status.value,
        status_label=RUN_LABELS[state.status],
        live=not state.status.finished,
        started=_when(state.created_at),
        took=_took(state, now),
        done=state.count(PhaseStatus.DONE, PhaseStatus.SKIPPED),
        total=len(state.phases),
        phases=phases,
        critical_path=tuple(phase_name(state, pid) for pid in span.critical_path),
        makespan=duration(span.wall),
        serial=duration(span.serial),
        building=duration(span.building),
        speedup=_speedup(span),
        integration_pr=integration_pr,
        integration_url=(
            links.pull_url(web, state.repo, integration_pr) if integration_pr else None
        ),
        legend=_legend(line),
        lanes_svg=lanes_svg(state, line, critical),
        graph_svg=graph_svg(state, critical),
    )


def _phase_row(state: RunState, pid: str, web: str, critical: bool) -> PhaseRow:
    phase = state.phases[pid]
    took = "—"
    if phase.started_at is not None and phase.finished_at is not None:
        took = duration(phase.finished_at - phase.started_at)
    return PhaseRow(
        phase_id=pid,
        name=phase_name(state, pid),
        status=phase.status.value,
        status_label=STATUS_LABELS[phase.status],
        attempt=phase.attempt,
        pr_number=phase.pr_number,
        pr_url=links.pull_url(web, state.repo, phase.pr_number) if phase.pr_number else None,
        check_url=(
            links.check_run_url(web, state.repo, phase.check_run_id) if phase.check_run_id else None
        ),
        started=clock(phase.started_at) if phase.started_at is not None else "—",
        took=took,
        error=phase.error,
        on_critical_path=critical,
    )


def _legend(line: Timeline) -> tuple[str, ...]:
    shown = {s.status for s in line.spans}
    known = tuple(kind for kind in LEGEND if kind in shown)
    return known + tuple(sorted(shown - set(LEGEND)))


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S") if at else "—"


def _took(state: RunState, now: float) -> str:
    if state.status.finished and state.finished_at is not None:
        return duration(state.finished_at - state.created_at)
    return f"{duration(now - state.created_at)} so far" if state.created_at else "—"


def _speedup(span: Makespan) -> str:
    speedup = span.speedup
    return f"{speedup:.2f}×" if speedup is not None else "—"


def lanes_svg(state: RunState, line: Timeline, critical: set[str]) -> str:
    """One lane per phase, one bar per state of each attempt, on a shared time axis."""
    length = max(line.end - line.start, 1.0)
    scale = CHART_WIDTH / length
    height = AXIS_HEIGHT + LANE_HEIGHT * len(state.phases) + 8
    width = LABEL_WIDTH + CHART_WIDTH + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lanes" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'data-start="{line.start:.3f}" data-end="{line.end:.3f}">',
        f"<title>{escape(f'Swimlanes of run {state.run_id}')}</title>",
    ]
    parts += _axis(line.start, length, scale, height)
    ends = {o.phase_id: o for o in line.outcomes}
    for row, pid in enumerate(state.phases):
        top = AXIS_HEIGHT + row * LANE_HEIGHT
        name = phase_name(state, pid)
        mark = " ★" if pid in critical else ""
        parts.append(
            f'<g class="lane" data-phase="{escape(pid)}" data-status="'
            f'{escape(state.phases[pid].status.value)}">'
        )
        shade = "#f6f8fa" if row % 2 else "#ffffff"
        parts.append(
            f'<rect x="0" y="{top}" width="{width}" height="{LANE_HEIGHT}" fill="{shade}"/>'
        )
        parts.append(
            f'<text x="8" y="{top + LANE_HEIGHT / 2 + 4:.1f}" class="lane-label">'
            f"<title>{escape(name)}</title>{escape(_clip(name, 30))}{mark}</text>"
        )
        for span in line.of(pid):
            parts.append(_bar(span, top, line.start, scale))
        outcome = ends.get(pid)
        if outcome is not None:
            x = LABEL_WIDTH + (outcome.at - line.start) * scale
            fill, stroke = COLOURS.get(outcome.status, _OTHER)
            cy = top + LANE_HEIGHT / 2
            parts.append(
                f'<circle class="outcome" data-status="{escape(outcome.status)}" '
                f'cx="{x:.1f}" cy="{cy:.1f}" r="5" fill="{fill}" stroke="{stroke}">'
                f"<title>{escape(f'{outcome.status} at {clock(outcome.at)}')}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _bar(span: Span, top: int, origin: float, scale: float) -> str:
    x = LABEL_WIDTH + (span.start - origin) * scale
    width = max(span.seconds * scale, 2.0)
    fill, stroke = COLOURS.get(span.status, _OTHER)
    y = top + (LANE_HEIGHT - BAR_HEIGHT) / 2
    tip = (
        f"{span.status}, attempt {span.attempt}"
        + (f", round {span.iteration}" if span.iteration > 1 else "")
        + f": {clock(span.start)}–{clock(span.end)} ({duration(span.seconds)})"
        + (", still going" if span.open else "")
    )
    label = ""
    if width > 60 and span.status == PhaseStatus.BUILDING.value:
        text = f"a{span.attempt}" if span.attempt > 1 else duration(span.seconds)
        label = (
            f'<text x="{x + 5:.1f}" y="{y + BAR_HEIGHT / 2 + 4:.1f}" class="bar-label">'
            f"{escape(text)}</text>"
        )
    return (
        f'<g class="bar" data-phase="{escape(span.phase_id)}" data-kind="{escape(span.status)}" '
        f'data-attempt="{span.attempt}" data-iteration="{span.iteration}" '
        f'data-start="{span.start:.3f}" data-end="{span.end:.3f}" '
        f'data-open="{str(span.open).lower()}">'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BAR_HEIGHT}" rx="3" '
        f'fill="{fill}" stroke="{stroke}"/>'
        f"<title>{escape(tip)}</title>{label}</g>"
    )


def _axis(origin: float, length: float, scale: float, height: int) -> list[str]:
    step = _tick_step(length)
    parts = ['<g class="axis">']
    count = math.floor(length / step)
    for n in range(count + 1):
        x = LABEL_WIDTH + n * step * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{AXIS_HEIGHT - 6}" x2="{x:.1f}" y2="{height - 8}" '
            'stroke="#d0d7de" stroke-dasharray="2 3"/>'
            f'<text x="{x:.1f}" y="{AXIS_HEIGHT - 10}" text-anchor="middle" class="tick">'
            f"+{escape(duration(n * step))}</text>"
        )
    parts.append("</g>")
    return parts


def _tick_step(length: float) -> float:
    """A round number of seconds giving five to ten ticks."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400):
        if length / step <= 10:
            return float(step)
    return 86400.0


def graph_svg(state: RunState, critical: set[str]) -> str:
    """The dependency graph, left to right by depth, each phase coloured by its state."""
    depth: dict[str, int] = {}
    for pid in state.phases:  # plan order is topological
        depth[pid] = 1 + max((depth[d] for d in state.deps.get(pid, ()) if d in depth), default=-1)
    columns: dict[int, list[str]] = {}
    for pid, level in depth.items():
        columns.setdefault(level, []).append(pid)
    node_w, node_h, gap_x, gap_y = 140, 42, 32, 14
    rows = max((len(c) for c in columns.values()), default=1)
    width = len(columns) * (node_w + gap_x) + 20
    height = rows * (node_h + gap_y) + 20
    where: dict[str, tuple[float, float]] = {}
    for level, members in columns.items():
        offset = (rows - len(members)) * (node_h + gap_y) / 2
        for i, pid in enumerate(members):
            where[pid] = (10 + level * (node_w + gap_x), 10 + offset + i * (node_h + gap_y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f"<title>{escape(f'Dependency graph of run {state.run_id}')}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#57606a"/>'
        "</marker></defs>",
    ]
    for pid, deps in state.deps.items():
        for dep in deps:
            (x1, y1), (x2, y2) = where[dep], where[pid]
            hot = dep in critical and pid in critical
            sx, sy, ex, ey = x1 + node_w, y1 + node_h / 2, x2, y2 + node_h / 2
            mid = (sx + ex) / 2
            parts.append(
                f'<path class="edge" data-from="{escape(dep)}" data-to="{escape(pid)}" '
                f'd="M{sx:.1f},{sy:.1f} C{mid:.1f},{sy:.1f} {mid:.1f},{ey:.1f} {ex:.1f},{ey:.1f}"'
                f' fill="none" stroke="{"#cf222e" if hot else "#8c959f"}" '
                f'stroke-width="{2.5 if hot else 1.5}" marker-end="url(#arrow)"/>'
            )
    for pid, (x, y) in where.items():
        status = state.phases[pid].status.value
        fill, stroke = COLOURS.get(status, _OTHER)
        if status == "done":
            fill = "#dafbe1"
        name = phase_name(state, pid)
        label = state.labels.get(pid)
        short = f"Phase {label}" if label else pid
        title = state.titles.get(pid, "")
        parts.append(
            f'<g class="node" data-phase="{escape(pid)}" data-status="{escape(status)}">'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{node_w}" height="{node_h}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{2.5 if pid in critical else 1.2}"/>'
            f'<text x="{x + 9:.1f}" y="{y + 17:.1f}" class="node-title">'
            f'{escape(_clip(short, 12))}<tspan class="node-state" dx="6">{escape(status)}</tspan>'
            f'</text><text x="{x + 9:.1f}" y="{y + 33:.1f}" class="node-sub">'
            f"{escape(_clip(title, 21))}</text><title>{escape(name)}</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
