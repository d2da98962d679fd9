"""The plan as the rest of the bot sees it: phases, their dependencies, and what was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Diagnostic:
    """A warning or error about a plan, with the 1-based source line it concerns (0: none)."""

    message: str
    line: int = 0


class DependencySource(StrEnum):
    """Which rule declared a phase's dependencies (R1-R4 in docs/plan-format.md)."""

    JSON = "json"
    DEPENDENCIES_LINE = "dependencies-line"
    TABLE = "table"
    PREVIOUS_PHASE = "previous-phase"
    FIRST_PHASE = "first-phase"
    # A spec-kit task list: the template's order alone, or with what the list states
    # ("Depends on US1", "(depends on T012)").
    TASK_LIST_TEMPLATE = "template"
    TASK_LIST_STATED = "stated"
    # Sub-issues: GitHub's "blocked by" relations among them.
    BLOCKED_BY = "blocked-by"


class PlanSource(StrEnum):
    """Where a plan's phases came from, in the order they are tried (docs/plan-format.md)."""

    JSON_BLOCK = "json-block"
    TASK_LIST = "task-list"
    HEADERS = "headers"
    SUB_ISSUES = "sub-issues"  # the issue's sub-issues, read from GitHub, not from text
    NONE = "none"  # no phases were found


@dataclass(frozen=True)
class Phase:
    """One phase: its id (the JSON id, else `phase_<label>`), the label its header uses, the
    1-based line it starts on, and the ids of the phases it needs first."""

    id: str
    label: str
    title: str
    line: int
    depends_on: tuple[str, ...] = ()
    touches: tuple[str, ...] = ()
    section: str = ""
    estimate_minutes: float | None = None
    # Where the dependencies were declared, so errors can point at that line.
    depends_line: int = 0
    depends_source: DependencySource = DependencySource.FIRST_PHASE
    issue: int | None = None  # the sub-issue this phase is, for a plan made of sub-issues


class ClaimKind(StrEnum):
    PARALLEL = "parallel"  # the phases can run at the same time as one another
    PARALLEL_WITH = "parallel-with"  # phases[0] can run at the same time as each of the rest
    DEPENDS = "depends"  # phases[0] needs every other phase in `phases`


@dataclass(frozen=True)
class Claim:
    """What prose or an ASCII map says about phases; checked against the declared edges."""

    kind: ClaimKind
    phases: tuple[str, ...]
    line: int
    text: str


@dataclass(frozen=True)
class Plan:
    """Phases in document order, with what parsing found wrong (errors) or doubtful (warnings)."""

    phases: tuple[Phase, ...]
    overview: str = ""
    warnings: tuple[Diagnostic, ...] = ()
    errors: tuple[Diagnostic, ...] = field(default_factory=tuple)
    claims: tuple[Claim, ...] = ()
    source: PlanSource = PlanSource.NONE

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)
