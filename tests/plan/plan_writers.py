"""Write a dependency graph as plan markdown in each supported format (for tests)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

# A graph is label -> labels it depends on, in document order: {"1": [], "2": ["1"]}.
Graph = Mapping[str, Sequence[str]]


def phase_id(label: str) -> str:
    return f"phase_{label.lower()}"


def json_plan(
    graph: Graph,
    estimates: Mapping[str, float] | None = None,
    touches: Mapping[str, Sequence[str]] | None = None,
) -> str:
    phases = []
    for label, deps in graph.items():
        entry: dict[str, object] = {
            "id": phase_id(label),
            "title": f"Step {label}",
            "depends_on": [phase_id(d) for d in deps],
        }
        if estimates and label in estimates:
            entry["estimate_minutes"] = estimates[label]
        if touches and label in touches:
            entry["touches"] = list(touches[label])
        phases.append(entry)
    block = json.dumps({"phases": phases}, indent=2)
    return f"# Plan\n\n## Phases (Machine Readable)\n\n```json\n{block}\n```\n"


def _list(deps: Sequence[str], style: int) -> str:
    """The same dependencies, worded the ways authors word them."""
    if not deps:
        return ["None", "None (can start at once)", "None."][style % 3]
    if len(deps) == 1:
        return [f"Phase {deps[0]}", f"Phase {deps[0]} (needs its output)", f"Phase {deps[0]}."][
            style % 3
        ]
    if style % 3 == 0:
        return ", ".join(f"Phase {d}" for d in deps)
    if style % 3 == 1:
        return f"Phases {', '.join(deps[:-1])} and {deps[-1]}"
    return "; ".join(f"Phase {d} (part {i})" for i, d in enumerate(deps))


def header_plan(graph: Graph, level: int = 3, separator: str = ":") -> str:
    lines = ["# Plan", "", "## Overview", "", "A generated plan.", ""]
    for n, (label, deps) in enumerate(graph.items()):
        lines += [f"{'#' * level} Phase {label}{separator} Step {label}", ""]
        lines += [f"**Dependencies**: {_list(deps, n)}", "", f"Do step {label}.", ""]
    return "\n".join(lines)


def table_plan(graph: Graph) -> str:
    lines = ["# Plan", ""]
    for label in graph:
        lines += [f"### Phase {label}: Step {label}", "", f"Do step {label}.", ""]
    lines += ["## Dependencies", "", "| Phase | Depends on |", "|-------|------------|"]
    for n, (label, deps) in enumerate(graph.items()):
        lines.append(f"| Phase {label} | {_list(deps, n).replace(';', ',')} |")
    return "\n".join(lines) + "\n"


def mixed_plan(graph: Graph) -> str:
    """A JSON block without depends_on and headers that carry the Dependencies lines."""
    phases = [{"id": phase_id(label), "title": f"Step {label}"} for label in graph]
    block = json.dumps({"phases": phases})
    return f"# Plan\n\n```json\n{block}\n```\n\n" + header_plan(graph)


WRITERS = {
    "json": json_plan,
    "headers": header_plan,
    "headers-h2-dash": lambda graph: header_plan(graph, level=2, separator=" —"),
    "table": table_plan,
    "json+headers": mixed_plan,
}
