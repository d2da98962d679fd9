"""The phase graph: what is wrong with it, its waves, critical path and predicted conflicts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx

from bot.plan.conflicts import Conflict, predicted_conflicts
from bot.plan.model import Claim, ClaimKind, Diagnostic, Plan

DEFAULT_MINUTES = 1.0  # every phase weighs the same when no plan gives an estimate


@dataclass(frozen=True)
class PlanAnalysis:
    waves: tuple[tuple[str, ...], ...] = ()
    critical_path: tuple[str, ...] = ()
    serial_minutes: float = 0.0
    parallel_minutes: float = 0.0
    widest_wave: int = 0
    predicted_conflicts: tuple[Conflict, ...] = ()
    errors: tuple[Diagnostic, ...] = ()  # the plan's own errors first, then the graph's
    warnings: tuple[Diagnostic, ...] = field(default_factory=tuple)
    estimated: bool = False  # True when the minutes come from estimate_minutes

    @property
    def valid(self) -> bool:
        return not self.errors


def _structure_errors(plan: Plan) -> list[Diagnostic]:
    errors: list[Diagnostic] = []
    if not plan.phases and plan.errors:
        return []  # the input itself was refused; "no phases" would only repeat that
    if not plan.phases:
        message = (
            'no phases found: expected a ```json block with a "phases" list, '
            "or headers like '### Phase 1: Title'"
        )
        return [Diagnostic(message, 0)]
    counts = Counter(phase.id for phase in plan.phases)
    for phase_id in (pid for pid, count in counts.items() if count > 1):
        lines = [str(p.line) for p in plan.phases if p.id == phase_id]
        errors.append(
            Diagnostic(f"duplicate phase id {phase_id} (lines {', '.join(lines)})", int(lines[1]))
        )
    known = set(counts)
    for phase in plan.phases:
        line = phase.depends_line or phase.line
        for dep in phase.depends_on:
            if dep == phase.id and counts[dep] > 1:
                continue  # "Phase 1" under the second Phase 1: the duplicate is the error
            if dep == phase.id:
                errors.append(Diagnostic(f"{phase.id} depends on itself", line))
            elif dep not in known:
                errors.append(Diagnostic(f"{phase.id} depends on unknown phase {dep!r}", line))
    return errors


def build_graph(plan: Plan) -> nx.DiGraph:
    """An edge dependency -> dependent for every known dependency (self-loops left out)."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(phase.id for phase in plan.phases)
    for phase in plan.phases:
        for dep in phase.depends_on:
            if dep != phase.id and dep in graph:
                graph.add_edge(dep, phase.id)
    return graph


def _cycle_errors(plan: Plan, graph: nx.DiGraph) -> list[Diagnostic]:
    errors = []
    lines = {phase.id: phase.depends_line or phase.line for phase in plan.phases}
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        cycle = [edge[0] for edge in nx.find_cycle(graph.subgraph(component))]
        path = " → ".join([*cycle, cycle[0]])
        where = ", ".join(str(lines[node]) for node in cycle)
        # Phases read from GitHub (sub-issues) have no lines to point at.
        suffix = f" (lines {where})" if any(lines[node] for node in cycle) else ""
        errors.append(Diagnostic(f"dependency cycle: {path}{suffix}", lines[cycle[0]]))
    return errors


def _weights(plan: Plan) -> tuple[dict[str, float], bool]:
    given = [p.estimate_minutes for p in plan.phases if p.estimate_minutes is not None]
    fallback = sum(given) / len(given) if given else DEFAULT_MINUTES
    weights = {
        p.id: p.estimate_minutes if p.estimate_minutes is not None else fallback
        for p in plan.phases
    }
    return weights, bool(given)


def _critical_path(graph: nx.DiGraph, order: list[str], weights: dict[str, float]):
    """The heaviest chain (node weights), by dynamic programming over a topological order."""
    finish: dict[str, float] = {}
    best_parent: dict[str, str | None] = {}
    for node in order:
        parents = list(graph.predecessors(node))
        parent = max(parents, key=lambda p: finish[p], default=None)
        finish[node] = weights[node] + (finish[parent] if parent else 0.0)
        best_parent[node] = parent
    end = max(order, key=lambda n: finish[n])
    path = [end]
    while (parent := best_parent[path[-1]]) is not None:
        path.append(parent)
    return tuple(reversed(path)), finish[end]


def _ancestors(graph: nx.DiGraph, order: list[str]) -> dict[str, int]:
    """Each node's ancestors as a bitset over `order`: cheap reachability for thousands."""
    bit = {node: 1 << i for i, node in enumerate(order)}
    ancestors: dict[str, int] = {}
    for node in order:
        mask = 0
        for parent in graph.predecessors(node):
            mask |= ancestors[parent] | bit[parent]
        ancestors[node] = mask
    return ancestors


def _listing(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _claim_warning(claim: Claim, reaches: Callable[[str, str], bool]) -> Diagnostic | None:
    """One warning per sentence or map line that the declared edges contradict."""
    ids = claim.phases
    if claim.kind is ClaimKind.DEPENDS:
        missing = [need for need in ids[1:] if need != ids[0] and not reaches(need, ids[0])]
        if not missing:
            return None
        needed = _listing(missing)
        message = f"the text says {ids[0]} depends on {needed}, but the plan does not declare it"
        return Diagnostic(message, claim.line)
    if claim.kind is ClaimKind.PARALLEL:
        pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    else:
        pairs = [(ids[0], other) for other in ids[1:]]
    ordered = [
        f"{b} after {a}" if reaches(a, b) else f"{a} after {b}"
        for a, b in pairs
        if reaches(a, b) or reaches(b, a)
    ]
    if not ordered:
        return None
    together = " and ".join(ids) if len(ids) == 2 else ", ".join(ids)
    message = (
        f"the text says {together} can run in parallel, but the plan orders {_listing(ordered)}"
    )
    return Diagnostic(message, claim.line)


def _claim_warnings(plan: Plan, reaches: Callable[[str, str], bool]) -> list[Diagnostic]:
    found = (_claim_warning(claim, reaches) for claim in plan.claims)
    return list(dict.fromkeys(warning for warning in found if warning))


def analyse(plan: Plan) -> PlanAnalysis:
    errors = list(plan.errors) + _structure_errors(plan)
    graph = build_graph(plan)
    if len(graph) == len(plan.phases):
        # Duplicate ids share one node, which makes cycles of phases that form none.
        errors += _cycle_errors(plan, graph)
    if errors:
        return PlanAnalysis(errors=tuple(errors), warnings=plan.warnings)
    order = list(nx.topological_sort(graph))
    weights, estimated = _weights(plan)
    path, parallel = _critical_path(graph, order, weights)
    in_plan = {phase.id: i for i, phase in enumerate(plan.phases)}
    generations = nx.topological_generations(graph)
    waves = tuple(tuple(sorted(wave, key=in_plan.__getitem__)) for wave in generations)
    ancestors = _ancestors(graph, order)
    position = {node: i for i, node in enumerate(order)}

    def reaches(a: str, b: str) -> bool:
        return bool(ancestors[b] >> position[a] & 1)

    return PlanAnalysis(
        waves=waves,
        critical_path=path,
        serial_minutes=sum(weights.values()),
        parallel_minutes=parallel,
        widest_wave=max(len(wave) for wave in waves),
        predicted_conflicts=predicted_conflicts(plan.phases, reaches),
        errors=(),
        warnings=tuple(plan.warnings) + tuple(_claim_warnings(plan, reaches)),
        estimated=estimated,
    )
