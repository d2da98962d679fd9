"""A plan and its analysis as text for people, JSON for tools and Mermaid for GitHub."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.plan.dependencies import LABEL
from bot.plan.graph import PlanAnalysis
from bot.plan.model import Diagnostic, Phase, Plan

# Colours per phase state; a state not listed here gets _OTHER_STATE.
STATE_STYLES = {
    "pending": "fill:#f6f8fa,stroke:#8c959f,color:#24292f",
    "ready": "fill:#ddf4ff,stroke:#54aeff,color:#0a3069",
    "building": "fill:#fff8c5,stroke:#d4a72c,color:#4d2d00",
    "consulting": "fill:#fbefff,stroke:#c297ff,color:#512a97",
    "merging": "fill:#fbefff,stroke:#c297ff,color:#512a97",
    "done": "fill:#dafbe1,stroke:#4ac26b,color:#116329",
    "approved": "fill:#dafbe1,stroke:#4ac26b,color:#116329",
    "failed": "fill:#ffebe9,stroke:#ff8182,color:#82071e",
    "conflicted": "fill:#ffebe9,stroke:#ff8182,color:#82071e",
    "blocked": "fill:#eaeef2,stroke:#6e7781,color:#57606a,stroke-dasharray:4 2",
    "skipped": "fill:#eaeef2,stroke:#6e7781,color:#57606a",
    "cancelled": "fill:#eaeef2,stroke:#6e7781,color:#57606a",
}
_OTHER_STATE = "fill:#ffffff,stroke:#57606a,color:#24292f"


def _minutes(value: float) -> str:
    return f"{value:g}"


# A title that already says which phase it is: "Phase 2a: Connection Manager" in a JSON block.
_NAMED_TITLE = re.compile(rf"[Pp]hase\s+{LABEL}\s*[:—–-]")


def _heading(phase: Phase) -> str:
    """`Phase 2: Title`, without saying "Phase 2a:" twice when the title starts with it."""
    if _NAMED_TITLE.match(phase.title):
        return phase.title
    return f"Phase {phase.label}: {phase.title}" if phase.title else f"Phase {phase.label}"


def _diagnostic(item: Diagnostic) -> dict[str, Any]:
    return {"message": item.message, "line": item.line}


def to_json(plan: Plan, analysis: PlanAnalysis) -> dict[str, Any]:
    """The stable contract other tools read (see docs/plan-format.md); add keys, never rename."""
    return {
        "phases": [
            {
                "id": phase.id,
                "label": phase.label,
                "title": phase.title,
                "depends_on": list(phase.depends_on),
                "line": phase.line,
                "touches": list(phase.touches),
            }
            for phase in plan.phases
        ],
        "waves": [list(wave) for wave in analysis.waves],
        "critical_path": list(analysis.critical_path),
        "serial_minutes": analysis.serial_minutes,
        "parallel_minutes": analysis.parallel_minutes,
        "warnings": [_diagnostic(item) for item in analysis.warnings],
        "errors": [_diagnostic(item) for item in analysis.errors],
        "predicted_conflicts": [
            {"phases": list(conflict.phases), "paths": list(conflict.paths)}
            for conflict in analysis.predicted_conflicts
        ],
    }


_BLOCK_WIDTH = 100


def _block_field(key: str, value: object, end: str) -> list[str]:
    """`"key": value` and what follows it (`,` or `}`), a long list wrapped under itself."""
    text = f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{end}"
    if not isinstance(value, list) or len(text) + 3 <= _BLOCK_WIDTH:
        return [text]
    head = f"{json.dumps(key)}: ["
    lines = [head]
    for number, element in enumerate(value):
        piece = json.dumps(element, ensure_ascii=False)
        piece += "," if number < len(value) - 1 else "]" + end
        if lines[-1] == head:
            lines[-1] += piece
        elif 3 + len(lines[-1]) + 1 + len(piece) <= _BLOCK_WIDTH:
            lines[-1] += " " + piece
        else:
            lines.append(" " * len(head) + piece)
    return lines


def _block_phase(phase: Phase) -> str:
    """One phase of the JSON block, its fields packed into lines of at most 100 characters
    (a long title or path may run over), as the examples in docs/plan-format.md are written."""
    fields: dict[str, object] = {
        "id": phase.id,
        "title": phase.title,
        "depends_on": list(phase.depends_on),
    }
    if phase.estimate_minutes is not None:
        minutes = phase.estimate_minutes
        fields["estimate_minutes"] = int(minutes) if minutes.is_integer() else minutes
    fields["touches"] = list(phase.touches)
    lines = ["  {"]
    joinable = True  # whether the next field may go on the current line
    for number, (key, value) in enumerate(fields.items()):
        parts = _block_field(key, value, "}" if number == len(fields) - 1 else ",")
        if len(parts) == 1 and lines[-1] == "  {":
            lines[-1] += parts[0]
        elif len(parts) == 1 and joinable and len(lines[-1]) + 1 + len(parts[0]) <= _BLOCK_WIDTH:
            lines[-1] += " " + parts[0]
        else:
            lines += ["   " + part for part in parts]
        joinable = len(parts) == 1
    return "\n".join(lines)


def to_json_block(plan: Plan) -> str:
    """The plan's graph as the fenced JSON block the reader takes before anything else (see
    `bot.plan.jsonblock`), for an author to paste into the plan and edit: every phase's
    `id`, `title`, `depends_on` and `touches`, and `estimate_minutes` where known."""
    if not plan.phases:
        return '```json\n{"phases": []}\n```\n'
    body = ",\n".join(_block_phase(phase) for phase in plan.phases)
    return f'```json\n{{"phases": [\n{body}\n]}}\n```\n'


def _diagnostic_lines(title: str, items: tuple[Diagnostic, ...]) -> list[str]:
    if not items:
        return []
    lines = ["", f"{title}:"]
    lines += [f"  line {d.line}: {d.message}" if d.line else f"  {d.message}" for d in items]
    return lines


def _phase_lines(plan: Plan) -> list[str]:
    width = max((len(phase.id) for phase in plan.phases), default=0)
    lines = ["Phases:"]
    for phase in plan.phases:
        after = ", ".join(phase.depends_on) or "nothing"
        how = phase.depends_source.value
        lines.append(f"  {phase.id:<{width}}  {_heading(phase)}  (line {phase.line})")
        lines.append(f"  {'':<{width}}  after {after}  [{how}]")
    return lines


def _schedule_lines(analysis: PlanAnalysis) -> list[str]:
    speedup = (
        analysis.serial_minutes / analysis.parallel_minutes if analysis.parallel_minutes else 1
    )
    serial, parallel = _minutes(analysis.serial_minutes), _minutes(analysis.parallel_minutes)
    if analysis.estimated:
        makespan = f"serial {serial} min, parallel {parallel} min ({speedup:.2f}× faster)"
    else:
        makespan = (
            f"serial {serial}, parallel {parallel} ({speedup:.2f}× faster; "
            "no estimate_minutes given, so every phase counts 1)"
        )
    lines = ["", "Waves:"]
    lines += [f"  {n}. {', '.join(wave)}" for n, wave in enumerate(analysis.waves, start=1)]
    lines += [
        "",
        f"Critical path: {' → '.join(analysis.critical_path)}",
        f"Makespan: {makespan}",
        f"Widest wave: {analysis.widest_wave} phase{'' if analysis.widest_wave == 1 else 's'}",
    ]
    if analysis.predicted_conflicts:
        lines += ["", "Predicted conflicts:"]
        lines += [
            f"  {a} and {b}: {', '.join(conflict.paths)}"
            for conflict in analysis.predicted_conflicts
            for a, b in [conflict.phases]
        ]
    else:
        lines += ["Predicted conflicts: none"]
    return lines


def to_text(plan: Plan, analysis: PlanAnalysis) -> str:
    """A readable summary: phases and dependencies, waves, critical path, makespans, findings."""
    status = "valid" if analysis.valid else f"invalid ({len(analysis.errors)} errors)"
    lines = [f"{len(plan.phases)} phases, {status}", ""]
    lines += _phase_lines(plan) if plan.phases else ["Phases: none"]
    if analysis.valid:
        lines += _schedule_lines(analysis)
    lines += _diagnostic_lines("Errors", analysis.errors)
    lines += _diagnostic_lines("Warnings", analysis.warnings)
    return "\n".join(lines) + "\n"


def _node_ids(plan: Plan) -> dict[str, str]:
    """Mermaid-safe node names: word characters only, never a keyword, never repeated."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for index, phase in enumerate(plan.phases):
        base = re.sub(r"\W", "_", phase.id, flags=re.ASCII) or "phase"
        name = f"p_{base}"
        if name in used:
            name = f"{name}_{index}"
        used.add(name)
        names.setdefault(phase.id, name)
    return names


def _label(text: str) -> str:
    # Inside a quoted Mermaid label the quote ends the label and # starts an entity code;
    # < > and & would be read as HTML (GitHub drops "<T>" from "Add <T> generics").
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("&", "#38;"), ("<", "#60;"), (">", "#62;")):
        text = text.replace(char, code)
    return text


def _state_class(state: str) -> str:
    return "state_" + (re.sub(r"\W", "_", state, flags=re.ASCII) or "unknown")


def to_mermaid(
    plan: Plan, analysis: PlanAnalysis, status_by_phase: Mapping[str, str] | None = None
) -> str:
    """A `flowchart` GitHub renders; the critical path is drawn thick, and when
    `status_by_phase` is given each node gets the class of its state."""
    names = _node_ids(plan)
    lines = ["flowchart TD"]
    for phase in plan.phases:
        lines.append(f'    {names[phase.id]}["{_label(_heading(phase))}"]')
    critical = set(zip(analysis.critical_path, analysis.critical_path[1:], strict=False))
    thick = []
    edge_count = 0
    for phase in plan.phases:
        for dep in phase.depends_on:
            if dep in names and dep != phase.id:
                lines.append(f"    {names[dep]} --> {names[phase.id]}")
                if (dep, phase.id) in critical:
                    thick.append(str(edge_count))
                edge_count += 1
    if thick:
        lines.append(f"    linkStyle {','.join(thick)} stroke-width:4px")
    lines += _state_lines(plan, names, status_by_phase or {})
    return "\n".join(lines) + "\n"


def _state_lines(plan: Plan, names: dict[str, str], states: Mapping[str, str]) -> list[str]:
    used = sorted({states[p.id] for p in plan.phases if p.id in states})
    lines = [f"    classDef {_state_class(s)} {STATE_STYLES.get(s, _OTHER_STATE)}" for s in used]
    for state in used:
        members = ",".join(names[p.id] for p in plan.phases if states.get(p.id) == state)
        lines.append(f"    class {members} {_state_class(state)}")
    return lines
